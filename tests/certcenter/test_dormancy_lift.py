"""Lifting a dormancy suspension online in the security center (DOMAIN.md "Service
suspension"): a fresh single-use nonce signed with the joint certificate, then the security
medium, then enrollment's dormancy_lift_online. Only a dormancy suspension; every refusal
has a problem code and leaves the suspension as it was."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from certcenter import client as device
from certcenter import services
from certcenter.errors import CertificateNotUsable, ChallengeInvalid, InvalidSignature
from certcenter.models import LoginChallenge
from enrollment.models import CardChallenge, Customer, Notification
from enrollment.security import (
    DORMANCY_LIFT,
    WrongSecurityCode,
    security_answer_verify,
    security_challenge_issue,
)
from enrollment.services import CustomerSuspended, NotDormant
from postbank.models import AuditEvent
from tests.certcenter.conftest import certificate_make
from tests.enrollment.media import card_answer, card_for, otp_code, otp_for
from tests.factories import DEFAULT_PASSWORD, CustomerFactory

SUSPENDED_AT = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
# Every test runs from this instant on, so that the certificates the fixtures issue (valid a
# year from their KST issue day) cover the fixed instants the tests travel to, whatever day
# the suite runs.
NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_start():
    with time_machine.travel(NOW, tick=True):
        yield


def _suspend(customer, reason):
    Customer.objects.filter(pk=customer.pk).update(suspension=reason, suspended_at=SUSPENDED_AT)
    customer.refresh_from_db()
    return customer


@pytest.fixture
def dormant(bank_ca, customer):
    """A dormant customer with a security card and a valid certificate (and its key)."""
    _card, codes = card_for(customer)
    certificate, key = certificate_make(customer)
    _suspend(customer, Customer.Suspension.DORMANT)
    return customer, certificate, key, codes


def _signed(certificate, key, nonce=None):
    nonce = nonce or services.dormancy_lift_challenge_issue().nonce
    return {
        "nonce": nonce,
        "certificate": bytes(certificate.der),
        "signature": device.sign(key, services.login_signed_bytes(nonce)),
    }


def _state(customer):
    row = Customer.objects.get(pk=customer.pk)
    return row.suspension, row.suspended_at, row.wrong_entries


def _lifted_events(customer):
    return AuditEvent.objects.filter(event="suspension_lifted", subject=f"customer:{customer.pk}")


# ---------------------------------------------------------------- enrollment.security


def test_medium_challenge_for_a_dormant_customer_only_with_the_dormancy_lift_purpose(customer):
    _card, codes = card_for(customer)
    _suspend(customer, Customer.Suspension.DORMANT)
    with pytest.raises(CustomerSuspended) as refused:
        security_challenge_issue(customer=customer)
    assert (refused.value.code, refused.value.extra["reason"]) == ("customer_suspended", "dormant")
    with pytest.raises(CustomerSuspended):
        security_answer_verify(customer=customer, challenge_id=None, answer="1234")
    assert CardChallenge.objects.count() == 0

    challenge = security_challenge_issue(customer=customer, purpose=DORMANCY_LIFT)
    assert challenge.kind == "security_card"
    security_answer_verify(
        customer=customer,
        challenge_id=challenge.id,
        answer=card_answer(codes, challenge),
        purpose=DORMANCY_LIFT,
    )
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)


def test_medium_challenge_refused_for_wrong_entries_even_with_the_purpose(customer):
    card_for(customer)
    _suspend(customer, Customer.Suspension.WRONG_ENTRIES)
    with pytest.raises(CustomerSuspended) as refused:
        security_challenge_issue(customer=customer, purpose=DORMANCY_LIFT)
    assert refused.value.extra["reason"] == "wrong_entries"
    with pytest.raises(CustomerSuspended):
        security_answer_verify(
            customer=customer, challenge_id=None, answer="1234", purpose=DORMANCY_LIFT
        )
    assert CardChallenge.objects.count() == 0
    assert _state(customer) == ("wrong_entries", SUSPENDED_AT, 0)


def test_unknown_purpose_is_a_programming_error(customer):
    card_for(customer)
    with pytest.raises(ValueError):
        security_challenge_issue(customer=customer, purpose="login")


# ---------------------------------------------------------------- the service


def test_certificate_then_card_lifts_the_dormancy_and_the_customer_can_log_in(dormant, client):
    customer, certificate, key, codes = dormant
    start = services.dormancy_lift_start(**_signed(certificate, key))
    assert start.certificate == certificate
    assert start.challenge.kind == "security_card"
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)  # nothing lifted yet
    ticket = LoginChallenge.objects.get(nonce=start.ticket)
    assert (ticket.purpose, ticket.customer_id, ticket.certificate_id, ticket.used_at) == (
        "dormancy_medium",
        customer.pk,
        certificate.pk,
        None,
    )
    assert ticket.expires_at - ticket.created_at == timedelta(minutes=5)

    lifted = services.dormancy_lift_with_certificate(
        ticket=start.ticket,
        challenge_id=start.challenge.id,
        answer=card_answer(codes, start.challenge),
    )
    assert lifted.pk == customer.pk
    suspension, suspended_at, wrong_entries = _state(customer)
    assert (suspension, suspended_at, wrong_entries) == ("", None, 0)
    event = _lifted_events(customer).get()
    assert (event.actor_id, event.channel, event.detail) == (
        customer.user_id,
        "web",
        {"reason": "dormant", "by": "online", "certificate": certificate.serial},
    )
    assert (
        AuditEvent.objects.filter(
            event="dormancy_lift_certificate", detail={"certificate": certificate.serial}
        ).count()
        == 1
    )
    assert list(Notification.objects.filter(customer=customer).values_list("kind", flat=True)) == [
        "suspension_lifted"
    ]
    response = client.post(
        reverse("enrollment:login"),
        {"user_id": customer.user.username, "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302


def test_otp_customer_lifts_with_the_current_otp_code(bank_ca, customer):
    _device, secret = otp_for(customer)
    certificate, key = certificate_make(customer)
    _suspend(customer, Customer.Suspension.DORMANT)
    start = services.dormancy_lift_start(**_signed(certificate, key))
    assert (start.challenge.kind, start.challenge.id) == ("otp", None)
    services.dormancy_lift_with_certificate(
        ticket=start.ticket, challenge_id=None, answer=otp_code(secret)
    )
    assert _state(customer) == ("", None, 0)


def test_customer_suspended_for_wrong_entries_is_refused(bank_ca, customer):
    card_for(customer)
    certificate, key = certificate_make(customer)
    _suspend(customer, Customer.Suspension.WRONG_ENTRIES)
    with pytest.raises(NotDormant) as refused:
        services.dormancy_lift_start(**_signed(certificate, key))
    assert (refused.value.code, refused.value.status) == ("not_dormant", 409)
    assert refused.value.extra == {"suspension": "wrong_entries"}
    assert _state(customer) == ("wrong_entries", SUSPENDED_AT, 0)
    assert LoginChallenge.objects.filter(purpose="dormancy_medium").count() == 0
    assert CardChallenge.objects.count() == 0
    assert _lifted_events(customer).count() == 0


def test_customer_not_suspended_is_told_to_log_in(bank_ca, customer):
    card_for(customer)
    certificate, key = certificate_make(customer)
    with pytest.raises(NotDormant) as refused:
        services.dormancy_lift_start(**_signed(certificate, key))
    assert refused.value.code == "not_dormant"
    assert (
        str(refused.value.message) == "인터넷뱅킹이 정지되어 있지 않습니다. 평소처럼 로그인하세요."
    )
    with translation.override("en"):
        assert str(refused.value.message) == "Internet banking is not suspended; log in as usual."
    assert LoginChallenge.objects.filter(purpose="dormancy_medium").count() == 0


def test_wrong_signature_refused_and_the_nonce_is_spent(dormant):
    customer, certificate, key, _codes = dormant
    nonce = services.dormancy_lift_challenge_issue().nonce
    forged = _signed(certificate, device.key_generate(), nonce)
    with pytest.raises(InvalidSignature) as refused:
        services.dormancy_lift_start(**forged)
    assert refused.value.code == "invalid_signature"
    with pytest.raises(ChallengeInvalid):
        services.dormancy_lift_start(**_signed(certificate, key, nonce))
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)
    assert LoginChallenge.objects.filter(purpose="dormancy_medium").count() == 0
    assert CardChallenge.objects.count() == 0


def test_another_customers_certificate_with_my_key_is_refused(dormant):
    customer, _certificate, key, _codes = dormant
    other = _suspend(CustomerFactory(name="김철수"), Customer.Suspension.DORMANT)
    card_for(other)
    others_certificate, _other_key = certificate_make(other)
    with pytest.raises(InvalidSignature):
        services.dormancy_lift_start(**_signed(others_certificate, key))
    assert _state(other) == ("dormant", SUSPENDED_AT, 0)
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)


def test_replayed_nonce_and_a_login_nonce_are_refused(dormant):
    customer, certificate, key, _codes = dormant
    signed = _signed(certificate, key)
    services.dormancy_lift_start(**signed)
    with pytest.raises(ChallengeInvalid) as replayed:
        services.dormancy_lift_start(**signed)
    assert replayed.value.code == "challenge_invalid"
    login_nonce = services.login_challenge_issue().nonce
    with pytest.raises(ChallengeInvalid):
        services.dormancy_lift_start(**_signed(certificate, key, login_nonce))
    assert LoginChallenge.objects.filter(purpose="dormancy_medium").count() == 1
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)


def test_expired_nonce_refused(dormant):
    customer, certificate, key, _codes = dormant
    start_at = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(start_at, tick=False):
        nonce = services.dormancy_lift_challenge_issue().nonce
    with (
        time_machine.travel(start_at + timedelta(minutes=2, seconds=1), tick=False),
        pytest.raises(ChallengeInvalid),
    ):
        services.dormancy_lift_start(**_signed(certificate, key, nonce))
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)


@pytest.mark.parametrize("state", ["held", "revoked", "expired"])
def test_unusable_certificate_refused(bank_ca, customer, state):
    issued = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
    card_for(customer)
    with time_machine.travel(issued, tick=False):
        certificate, key = certificate_make(customer)
        if state == "held":
            services.certificate_hold(customer=customer, serial=certificate.serial)
        elif state == "revoked":
            services.certificate_revoke(
                customer=customer, serial=certificate.serial, reason="key_compromise"
            )
    _suspend(customer, Customer.Suspension.DORMANT)
    later = issued + timedelta(days=400 if state == "expired" else 1)
    with time_machine.travel(later, tick=False), pytest.raises(CertificateNotUsable) as refused:
        services.dormancy_lift_start(**_signed(certificate, key))
    assert refused.value.code == "certificate_not_usable"
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)
    assert LoginChallenge.objects.filter(purpose="dormancy_medium").count() == 0


def test_certificate_revoked_between_the_steps_is_refused_at_the_medium(dormant):
    customer, certificate, key, codes = dormant
    start = services.dormancy_lift_start(**_signed(certificate, key))
    services.certificate_revoke(
        customer=customer, serial=certificate.serial, reason="key_compromise"
    )
    with pytest.raises(CertificateNotUsable):
        services.dormancy_lift_with_certificate(
            ticket=start.ticket,
            challenge_id=start.challenge.id,
            answer=card_answer(codes, start.challenge),
        )
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)
    assert _lifted_events(customer).count() == 0


def test_wrong_medium_answer_counts_and_changes_nothing_else(dormant):
    customer, certificate, key, codes = dormant
    start = services.dormancy_lift_start(**_signed(certificate, key))
    right = card_answer(codes, start.challenge)
    wrong = f"{(int(right) + 1) % 10_000:04d}"
    with pytest.raises(WrongSecurityCode) as refused:
        services.dormancy_lift_with_certificate(
            ticket=start.ticket, challenge_id=start.challenge.id, answer=wrong
        )
    assert (refused.value.code, refused.value.extra["count"]) == ("wrong_security_code", 1)
    assert _state(customer) == ("dormant", SUSPENDED_AT, 1)
    assert _lifted_events(customer).count() == 0
    assert Notification.objects.filter(customer=customer).count() == 0
    # The ticket was single use: the right answer now needs a new certificate step.
    with pytest.raises(ChallengeInvalid) as replayed:
        services.dormancy_lift_with_certificate(
            ticket=start.ticket, challenge_id=start.challenge.id, answer=right
        )
    assert replayed.value.code == "challenge_invalid"
    assert _state(customer) == ("dormant", SUSPENDED_AT, 1)


def test_fifth_wrong_answer_suspends_for_wrong_entries_which_cannot_be_lifted_online(dormant):
    customer, certificate, key, codes = dormant
    for count in range(1, 6):
        start = services.dormancy_lift_start(**_signed(certificate, key))
        right = card_answer(codes, start.challenge)
        with pytest.raises(WrongSecurityCode):
            services.dormancy_lift_with_certificate(
                ticket=start.ticket,
                challenge_id=start.challenge.id,
                answer=f"{(int(right) + 1) % 10_000:04d}",
            )
        assert Customer.objects.get(pk=customer.pk).wrong_entries == count
    suspension, suspended_at, wrong_entries = _state(customer)
    assert (suspension, wrong_entries) == ("wrong_entries", 5)
    assert suspended_at != SUSPENDED_AT
    assert (
        AuditEvent.objects.filter(event="suspended", detail={"reason": "wrong_entries"}).count()
        == 1
    )
    with pytest.raises(NotDormant):
        services.dormancy_lift_start(**_signed(certificate, key))
    assert _state(customer)[0] == "wrong_entries"


def test_expired_ticket_refused(dormant):
    customer, certificate, key, codes = dormant
    start_at = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(start_at, tick=False):
        start = services.dormancy_lift_start(**_signed(certificate, key))
    with (
        time_machine.travel(start_at + timedelta(minutes=5, seconds=1), tick=False),
        pytest.raises(ChallengeInvalid),
    ):
        services.dormancy_lift_with_certificate(
            ticket=start.ticket,
            challenge_id=start.challenge.id,
            answer=card_answer(codes, start.challenge),
        )
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)


def test_unknown_ticket_refused(dormant):
    customer, _certificate, _key, _codes = dormant
    with pytest.raises(ChallengeInvalid):
        services.dormancy_lift_with_certificate(ticket="0" * 64, challenge_id=None, answer="1234")
    assert _state(customer) == ("dormant", SUSPENDED_AT, 0)


# ---------------------------------------------------------------- the API


def _api_sign(client, certificate, key):
    challenge = client.post(reverse("certcenter-api-dormancy-challenge")).json()
    assert challenge["signed_text"] == services.login_signed_bytes(challenge["nonce"]).decode()
    return {
        "nonce": challenge["nonce"],
        "certificate": base64.b64encode(bytes(certificate.der)).decode(),
        "signature": base64.b64encode(device.sign(key, challenge["signed_text"].encode())).decode(),
    }


def _post(client, name, body):
    return client.post(reverse(name), body, content_type="application/json")


def test_api_lifts_the_dormancy_in_two_steps(dormant, client):
    customer, certificate, key, codes = dormant
    step1 = _post(
        client, "certcenter-api-dormancy-certificate", _api_sign(client, certificate, key)
    )
    assert step1.status_code == 201
    body = step1.json()
    challenge = body["security_challenge"]
    assert (body["serial"], challenge["kind"]) == (certificate.serial, "security_card")
    card = CardChallenge.objects.get(pk=challenge["id"])
    assert (challenge["first_index"], challenge["second_index"]) == (
        card.first_index,
        card.second_index,
    )
    answer = codes[card.first_index - 1][:2] + codes[card.second_index - 1][2:]
    step2 = _post(
        client,
        "certcenter-api-dormancy-lift",
        {
            "ticket": body["ticket"],
            "security_challenge_id": challenge["id"],
            "security_answer": answer,
        },
    )
    assert (step2.status_code, step2.json()) == (200, {"lifted": True})
    assert _state(customer) == ("", None, 0)
    assert _lifted_events(customer).get().channel == "api"


def test_api_refusals_are_problems_and_change_nothing(dormant, client):
    customer, certificate, key, codes = dormant
    signed = _api_sign(client, certificate, key)
    forged = dict(
        signed,
        signature=base64.b64encode(
            device.sign(device.key_generate(), services.login_signed_bytes(signed["nonce"]))
        ).decode(),
    )
    refused = _post(client, "certcenter-api-dormancy-certificate", forged)
    assert (refused.status_code, refused.json()["code"]) == (409, "invalid_signature")
    replay = _post(client, "certcenter-api-dormancy-certificate", signed)
    assert (replay.status_code, replay.json()["code"]) == (409, "challenge_invalid")

    step1 = _post(
        client, "certcenter-api-dormancy-certificate", _api_sign(client, certificate, key)
    )
    ticket, challenge = step1.json()["ticket"], step1.json()["security_challenge"]
    card = CardChallenge.objects.get(pk=challenge["id"])
    right = codes[card.first_index - 1][:2] + codes[card.second_index - 1][2:]
    wrong = _post(
        client,
        "certcenter-api-dormancy-lift",
        {
            "ticket": ticket,
            "security_challenge_id": challenge["id"],
            "security_answer": f"{(int(right) + 1) % 10_000:04d}",
        },
    )
    assert (wrong.status_code, wrong.json()["code"]) == (409, "wrong_security_code")
    again = _post(
        client,
        "certcenter-api-dormancy-lift",
        {"ticket": ticket, "security_challenge_id": challenge["id"], "security_answer": right},
    )
    assert (again.status_code, again.json()["code"]) == (409, "challenge_invalid")
    assert _state(customer) == ("dormant", SUSPENDED_AT, 1)
    assert _lifted_events(customer).count() == 0


def test_api_refuses_a_customer_suspended_for_wrong_entries(bank_ca, customer, client):
    card_for(customer)
    certificate, key = certificate_make(customer)
    _suspend(customer, Customer.Suspension.WRONG_ENTRIES)
    response = _post(
        client, "certcenter-api-dormancy-certificate", _api_sign(client, certificate, key)
    )
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["suspension"]) == (
        "not_dormant",
        "wrong_entries",
    )
    assert _state(customer) == ("wrong_entries", SUSPENDED_AT, 0)


def test_api_hostile_input_is_a_problem_not_a_500(dormant, client):
    _customer, certificate, key, _codes = dormant
    signed = _api_sign(client, certificate, key)
    bad_cert = _post(client, "certcenter-api-dormancy-certificate", dict(signed, certificate="@@@"))
    assert (bad_cert.status_code, bad_cert.json()["code"]) == (400, "invalid_certificate")
    bad_ticket = _post(
        client,
        "certcenter-api-dormancy-lift",
        {"ticket": "x" * 64, "security_answer": "12"},
    )
    assert (bad_ticket.status_code, bad_ticket.json()["code"]) == (409, "challenge_invalid")


# ---------------------------------------------------------------- the pages


def test_pages_lift_the_dormancy_then_password_login_works(dormant, client):
    customer, certificate, key, codes = dormant
    page = client.get(reverse("certcenter:dormancy"))
    assert page.status_code == 200
    nonce = page.context["nonce"]
    step1 = client.post(
        reverse("certcenter:dormancy"),
        {
            "nonce": nonce,
            "certificate": base64.b64encode(bytes(certificate.der)).decode(),
            "signature": base64.b64encode(
                device.sign(key, services.login_signed_bytes(nonce))
            ).decode(),
        },
    )
    assert step1.status_code == 200
    assert step1.templates[0].name == "certcenter/dormancy_medium.html"
    challenge = step1.context["challenge"]
    step2 = client.post(
        reverse("certcenter:dormancy-medium"),
        {
            "ticket": step1.context["ticket"],
            "security_challenge_id": challenge.id,
            "security_answer": card_answer(codes, challenge),
        },
    )
    assert (step2.status_code, step2["Location"]) == (302, reverse("enrollment:login"))
    assert _state(customer) == ("", None, 0)
    login = client.post(
        reverse("enrollment:login"),
        {"user_id": customer.user.username, "password": DEFAULT_PASSWORD},
    )
    assert login.status_code == 302


def test_page_shows_the_refusal_for_wrong_entries_and_a_fresh_nonce(bank_ca, customer, client):
    card_for(customer)
    certificate, key = certificate_make(customer)
    _suspend(customer, Customer.Suspension.WRONG_ENTRIES)
    nonce = client.get(reverse("certcenter:dormancy")).context["nonce"]
    response = client.post(
        reverse("certcenter:dormancy"),
        {
            "nonce": nonce,
            "certificate": base64.b64encode(bytes(certificate.der)).decode(),
            "signature": base64.b64encode(
                device.sign(key, services.login_signed_bytes(nonce))
            ).decode(),
        },
    )
    assert response.status_code == 409
    assert response.templates[0].name == "certcenter/dormancy.html"
    assert response.context["error"] == NotDormant.title
    assert response.context["nonce"] != nonce
    assert _state(customer) == ("wrong_entries", SUSPENDED_AT, 0)


def test_page_with_a_malformed_signature_is_refused_not_a_500(dormant, client):
    nonce = client.get(reverse("certcenter:dormancy")).context["nonce"]
    response = client.post(
        reverse("certcenter:dormancy"),
        {"nonce": nonce, "certificate": "AAAA", "signature": "%%%"},
    )
    assert response.status_code == 409
    assert response.context["error"] == services.InvalidSignature.title


def test_login_pages_link_to_the_dormancy_lift(dormant, client):
    customer, certificate, key, _codes = dormant
    url = reverse("certcenter:dormancy")
    password_login = client.post(
        reverse("enrollment:login"),
        {"user_id": customer.user.username, "password": DEFAULT_PASSWORD},
    )
    assert password_login.status_code == 200
    assert f'href="{url}"' in password_login.content.decode()
    info = client.get(reverse("certcenter:info"))
    assert f'href="{url}" data-testid="dormancy-lift-link"' in info.content.decode()
    nonce = client.get(reverse("certcenter:login")).context["nonce"]
    certificate_login = client.post(
        reverse("certcenter:login"),
        {
            "nonce": nonce,
            "certificate": base64.b64encode(bytes(certificate.der)).decode(),
            "signature": base64.b64encode(
                device.sign(key, services.login_signed_bytes(nonce))
            ).decode(),
        },
    )
    assert certificate_login.context["dormant"] is True
    assert f'href="{url}" class="button" data-testid="dormancy-lift-link"' in (
        certificate_login.content.decode()
    )


def test_page_in_korean_and_english_and_in_the_visitors_menu(bank_ca, client, settings):
    import html

    url = reverse("certcenter:dormancy")
    page = html.unescape(client.get(reverse("certcenter:info")).content.decode())
    assert f'<a href="{url}">장기 미사용 이용정지 해제</a>' in page
    page = html.unescape(client.get(url).content.decode())
    assert "<h1>장기 미사용 이용정지 해제</h1>" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = html.unescape(client.get(url).content.decode())
    assert "<h1>Lift the dormancy suspension</h1>" in page
