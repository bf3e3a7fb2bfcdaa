"""Online registration within 5 days counting the application day (KST), on the page and
the API; the security center's loss report and own limits."""

from datetime import UTC, datetime

import pytest
import time_machine

from enrollment.models import Application, Customer, MediumStatus, SecurityCard, User
from enrollment.security import SecurityMediumUnavailable, security_challenge_issue
from postbank.models import AuditEvent
from tests.enrollment.helpers import submit
from tests.enrollment.media import card_answer

pytestmark = pytest.mark.django_db

APPLIED = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # day 1: 2026-03-10 10:00 KST
DAY_5_LAST_SECOND = datetime(2026, 3, 14, 14, 59, 59, tzinfo=UTC)  # 2026-03-14 23:59:59 KST
DAY_6_MIDNIGHT = datetime(2026, 3, 14, 15, 0, 0, tzinfo=UTC)  # 2026-03-15 00:00:00 KST
NEW_PASSWORD = "Blue-harbor-2026!"
IDENTITY_MESSAGE = ("The details you entered do not match an application. Check them and "
                    "try again.")


@pytest.fixture
def applied():
    with time_machine.travel(APPLIED, tick=False):
        return submit()


def _identify(client, applied, **overrides):
    data = {"reference_or_rrn": applied.application.reference,
            "account_number": applied.opened_account.formatted_number,
            "account_password": "1234", **overrides}
    return client.post("/register/", data, HTTP_ACCEPT_LANGUAGE="en")


def _confirm(client, applied, **overrides):
    page = client.get("/register/confirm/", HTTP_ACCEPT_LANGUAGE="en")
    challenge = page.context["challenge"]
    data = {"challenge_id": challenge.id,
            "security_answer": card_answer(applied.card_codes, challenge),
            "user_id": "sunsin77", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD,
            "terms": "on", **overrides}
    return client.post("/register/confirm/", data, HTTP_ACCEPT_LANGUAGE="en")


def test_registration_at_23_59_59_on_day_5_works(client, applied):
    with time_machine.travel(DAY_5_LAST_SECOND, tick=False):
        response = _identify(client, applied)
        assert response.status_code == 302 and response["Location"] == "/register/confirm/"
        response = _confirm(client, applied)
        assert response.status_code == 302 and response["Location"] == "/login/"
        customer = Customer.objects.get(pk=applied.application.customer.pk)
        assert customer.user.username == "sunsin77"
        assert customer.user.check_password(NEW_PASSWORD)
        assert customer.last_used_at == DAY_5_LAST_SECOND
        application = Application.objects.get(pk=applied.application.pk)
        assert application.status == Application.Status.REGISTERED
        assert application.closed_at == DAY_5_LAST_SECOND
        assert AuditEvent.objects.filter(event="registered", actor=customer.user).count() == 1
        login = client.post("/login/", {"user_id": "sunsin77", "password": NEW_PASSWORD})
        assert login.status_code == 302
        client.post("/logout/")
        again = _identify(client, applied)
    assert again.status_code == 200
    assert "Registration for this application is already complete." in again.content.decode()


def test_registration_at_00_00_00_on_day_6_says_the_application_expired(client, applied):
    with time_machine.travel(DAY_6_MIDNIGHT, tick=False):
        response = _identify(client, applied)
    assert response.status_code == 200
    assert "The application has expired" in response.content.decode()
    assert b'data-testid="expired"' in response.content
    application = Application.objects.get(pk=applied.application.pk)
    assert application.status == Application.Status.EXPIRED
    assert not User.objects.filter(customer__pk=application.customer_id).exists()


def test_window_closing_between_the_two_steps_refuses_the_second(client, applied):
    with time_machine.travel(DAY_5_LAST_SECOND, tick=False) as traveller:
        assert _identify(client, applied).status_code == 302
        page = client.get("/register/confirm/")
        challenge = page.context["challenge"]
        traveller.move_to(DAY_6_MIDNIGHT)
        response = client.post("/register/confirm/", {
            "challenge_id": challenge.id,
            "security_answer": card_answer(applied.card_codes, challenge),
            "user_id": "sunsin77", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD,
            "terms": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert b'data-testid="expired"' in response.content
    assert not User.objects.filter(username="sunsin77").exists()


@pytest.mark.parametrize("overrides", [
    {"reference_or_rrn": "AAAA-BBBB-CCCC"},
    {"reference_or_rrn": "850505-1234566"},
    {"account_number": "014010-01-00000-0"},
    {"account_password": "9999"},
])
def test_a_wrong_identity_fact_is_never_named(client, applied, overrides):
    with time_machine.travel(DAY_5_LAST_SECOND, tick=False):
        response = _identify(client, applied, **overrides)
    assert response.status_code == 200
    # The same words whichever fact was wrong.
    assert response.context["form"].non_field_errors() == [IDENTITY_MESSAGE]
    assert "enrollment_registration" not in client.session
    customer = Customer.objects.get(pk=applied.application.customer.pk)
    assert customer.wrong_entries == (1 if "account_password" in overrides else 0)


def test_the_rrn_identifies_the_application_too(client, applied):
    with time_machine.travel(DAY_5_LAST_SECOND, tick=False):
        response = _identify(client, applied, reference_or_rrn="900101-1234568")
    assert response.status_code == 302


@pytest.mark.parametrize(("overrides", "message"), [
    ({"password": "sunsin77-Harbor!", "password_again": "sunsin77-Harbor!"},
     "must not contain the user ID"),
    ({"password": "Short-1!", "password_again": "Short-1!"}, "too short"),
    ({"password": "qwertyuiop", "password_again": "qwertyuiop"}, "too common"),
    ({"terms": ""}, "Accept the terms"),
    ({"user_id": "7seas"}, "6 to 20 lowercase letters"),
    ({"security_answer": "wrong"}, "security code is not correct"),
])
def test_password_policy_terms_and_security_code(client, applied, overrides, message):
    with time_machine.travel(DAY_5_LAST_SECOND, tick=False):
        _identify(client, applied)
        page = client.get("/register/confirm/", HTTP_ACCEPT_LANGUAGE="en")
        challenge = page.context["challenge"]
        right = card_answer(applied.card_codes, challenge)
        if overrides.get("security_answer") == "wrong":
            overrides["security_answer"] = f"{(int(right) + 1) % 10_000:04d}"
        data = {"challenge_id": challenge.id, "security_answer": right, "user_id": "sunsin77",
                "password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "terms": "on",
                **overrides}
        response = client.post("/register/confirm/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(customer__pk=applied.application.customer_id).exists()
    assert Application.objects.get(pk=applied.application.pk).status == "pending"


def test_registration_through_the_api(client, applied):
    with time_machine.travel(DAY_5_LAST_SECOND, tick=False):
        wrong = client.post("/api/v1/registration/identify/", {
            "reference_or_rrn": applied.application.reference,
            "account_number": applied.opened_account.number, "account_password": "4321"},
            content_type="application/json")
        assert wrong.status_code == 409
        assert wrong.json()["code"] == "registration_identity_failed"
        assert wrong["Content-Type"] == "application/problem+json"
        first = client.post("/api/v1/registration/identify/", {
            "reference_or_rrn": applied.application.reference,
            "account_number": applied.opened_account.number, "account_password": "1234"},
            content_type="application/json")
        assert first.status_code == 200
        body = first.json()
        challenge = body["challenge"]
        assert challenge["kind"] == "security_card"
        assert set(challenge) == {"kind", "challenge_id", "first_index", "second_index"}
        answer = (applied.card_codes[challenge["first_index"] - 1][:2]
                  + applied.card_codes[challenge["second_index"] - 1][2:])
        tampered = client.post("/api/v1/registration/complete/", {
            "registration_token": body["registration_token"] + "x",
            "challenge_id": challenge["challenge_id"], "security_answer": answer,
            "user_id": "sunsin77", "password": NEW_PASSWORD, "terms_accepted": True},
            content_type="application/json")
        assert tampered.json()["code"] == "registration_identity_failed"
        done = client.post("/api/v1/registration/complete/", {
            "registration_token": body["registration_token"],
            "challenge_id": challenge["challenge_id"], "security_answer": answer,
            "user_id": "sunsin77", "password": NEW_PASSWORD, "terms_accepted": True},
            content_type="application/json")
        assert done.status_code == 201 and done.json() == {"user_id": "sunsin77"}
        token = client.post("/api/v1/auth/token/", {"user_id": "sunsin77",
                                                    "password": NEW_PASSWORD},
                            content_type="application/json").json()["token"]
        security = client.get("/api/v1/security/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert security.status_code == 200
    assert security.json()["grade"] == "general"
    assert security.json()["per_transfer"] == 5_000_000
    assert security.json()["media"][0]["serial"] == applied.card_serial


def _registered(client, applied):
    with time_machine.travel(DAY_5_LAST_SECOND, tick=False):
        _identify(client, applied)
        _confirm(client, applied)
    client.post("/login/", {"user_id": "sunsin77", "password": NEW_PASSWORD})
    return Customer.objects.get(pk=applied.application.customer_id)


def test_security_center_loss_report_stops_the_card_at_once(client, applied):
    customer = _registered(client, applied)
    page = client.get("/security/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "general (security card)" in page.content.decode()
    response = client.post("/security/loss/", {"medium": "security_card"})
    assert response.status_code == 302
    card = SecurityCard.objects.get(serial=applied.card_serial)
    assert card.status == MediumStatus.LOST and card.stopped_at is not None
    with pytest.raises(SecurityMediumUnavailable):
        security_challenge_issue(customer=customer)
    assert AuditEvent.objects.filter(event="medium_lost", channel="web").count() == 1
    again = client.post("/security/loss/", {"medium": "security_card"},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400
    assert "no medium of this kind in use" in again.content.decode()


def test_security_center_lowers_limits_and_refuses_raising_above_the_grade(client, applied):
    customer = _registered(client, applied)
    response = client.post("/security/limits/", {"per_transfer": 1_000_000,
                                                 "per_day": 2_000_000})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.own_limit_per_transfer, customer.own_limit_per_day) == (1_000_000,
                                                                             2_000_000)
    refused = client.post("/security/limits/", {"per_transfer": 6_000_000,
                                                "per_day": 10_000_000},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "raising it needs a visit to a post office counter" in refused.content.decode()
    customer.refresh_from_db()
    assert customer.own_limit_per_transfer == 1_000_000
    api = client.put("/api/v1/security/limits/", {"per_transfer": 500_000, "per_day": 700_000},
                     content_type="application/json")
    assert api.status_code == 200 and api.json() == {"per_transfer": 500_000,
                                                    "per_day": 700_000}
    lost = client.post("/api/v1/security/loss-reports/", {"medium": "otp"},
                       content_type="application/json")
    assert lost.status_code == 409 and lost.json()["code"] == "no_such_medium"


def test_security_center_is_for_customers_only(client):
    assert client.get("/security/").status_code == 302
    assert client.get("/api/v1/security/").status_code in (401, 403)
