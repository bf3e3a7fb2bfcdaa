"""Security cards and OTPs: storage, challenges, single use, wrong-entry counting, grades."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.db import connection

from enrollment.models import CardChallenge, Customer, MediumStatus
from enrollment.security import (
    SecurityChallengeExpired,
    SecurityMediumUnavailable,
    WrongSecurityCode,
    security_answer_verify,
    security_challenge_issue,
)
from enrollment.services import CustomerSuspended
from postbank import policy
from postbank.errors import InvalidInput
from postbank.models import AuditEvent
from tests.enrollment.media import card_answer, card_for, otp_code, otp_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)  # 12:00 KST


def _wrong_card_answer(codes, challenge):
    right = card_answer(codes, challenge)
    return f"{(int(right) + 1) % 10_000:04d}"


def test_card_has_35_codes_and_the_database_does_not_reveal_them():
    customer = CustomerFactory()
    card, codes = card_for(customer)
    assert len(codes) == 35 and all(len(c) == 4 and c.isdigit() for c in codes)
    assert len(card.serial) == 10
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM enrollment_securitycard WHERE id = %s", [card.pk])
        row = json.dumps(cursor.fetchone(), default=str)
    for code in codes:
        assert f'"{code}"' not in row
    assert len(card.half_hashes) == 35 and all(len(pair) == 2 for pair in card.half_hashes)


def test_card_challenge_asks_two_different_codes_and_accepts_the_halves():
    customer = CustomerFactory()
    _card, codes = card_for(customer)
    challenge = security_challenge_issue(customer=customer)
    assert challenge.kind == "security_card"
    assert 1 <= challenge.first_index <= 35 and 1 <= challenge.second_index <= 35
    assert challenge.first_index != challenge.second_index
    customer.wrong_entries = 0
    security_answer_verify(
        customer=customer, challenge_id=challenge.id, answer=card_answer(codes, challenge)
    )
    assert CardChallenge.objects.get(pk=challenge.id).used_at is not None


def test_a_challenge_is_single_use():
    customer = CustomerFactory()
    _card, codes = card_for(customer)
    challenge = security_challenge_issue(customer=customer)
    answer = card_answer(codes, challenge)
    security_answer_verify(customer=customer, challenge_id=challenge.id, answer=answer)
    with pytest.raises(SecurityChallengeExpired):
        security_answer_verify(customer=customer, challenge_id=challenge.id, answer=answer)
    with pytest.raises(SecurityChallengeExpired):
        security_answer_verify(customer=customer, challenge_id=str(uuid.uuid4()), answer=answer)
    with pytest.raises(SecurityChallengeExpired):
        security_answer_verify(customer=customer, challenge_id=None, answer=answer)
    customer.refresh_from_db()
    assert customer.wrong_entries == 0


def test_a_challenge_expires_after_the_ttl():
    customer = CustomerFactory()
    _card, codes = card_for(customer)
    with time_machine.travel(NOON, tick=False):
        challenge = security_challenge_issue(customer=customer)
    with (
        time_machine.travel(NOON + policy.SECURITY_CHALLENGE_TTL, tick=False),
        pytest.raises(SecurityChallengeExpired),
    ):
        security_answer_verify(
            customer=customer, challenge_id=challenge.id, answer=card_answer(codes, challenge)
        )


def test_another_customers_challenge_is_refused():
    owner, stranger = CustomerFactory(), CustomerFactory()
    _card, codes = card_for(owner)
    card_for(stranger)
    challenge = security_challenge_issue(customer=owner)
    with pytest.raises(SecurityChallengeExpired):
        security_answer_verify(
            customer=stranger, challenge_id=challenge.id, answer=card_answer(codes, challenge)
        )
    assert CardChallenge.objects.get(pk=challenge.id).used_at is None


def test_wrong_card_answer_is_counted_and_the_fifth_suspends():
    customer = CustomerFactory()
    _card, codes = card_for(customer)
    for expected in range(1, 5):
        challenge = security_challenge_issue(customer=customer)
        with pytest.raises(WrongSecurityCode) as caught:
            security_answer_verify(
                customer=customer,
                challenge_id=challenge.id,
                answer=_wrong_card_answer(codes, challenge),
            )
        assert caught.value.code == "wrong_security_code"
        assert Customer.objects.get(pk=customer.pk).wrong_entries == expected
    challenge = security_challenge_issue(customer=customer)
    with pytest.raises(WrongSecurityCode):
        security_answer_verify(
            customer=customer,
            challenge_id=challenge.id,
            answer=_wrong_card_answer(codes, challenge),
        )
    customer.refresh_from_db()
    assert customer.suspension == Customer.Suspension.WRONG_ENTRIES
    with pytest.raises(CustomerSuspended):
        security_challenge_issue(customer=customer)
    suspended = AuditEvent.objects.filter(event="suspended", subject=f"customer:{customer.pk}")
    assert suspended.count() == 1


def test_four_wrong_then_a_right_answer_resets_the_count():
    customer = CustomerFactory()
    _card, codes = card_for(customer)
    for _ in range(4):
        challenge = security_challenge_issue(customer=customer)
        with pytest.raises(WrongSecurityCode):
            security_answer_verify(
                customer=customer,
                challenge_id=challenge.id,
                answer=_wrong_card_answer(codes, challenge),
            )
    challenge = security_challenge_issue(customer=customer)
    security_answer_verify(
        customer=customer, challenge_id=challenge.id, answer=card_answer(codes, challenge)
    )
    customer.refresh_from_db()
    assert customer.wrong_entries == 0 and customer.suspension == ""


def test_malformed_answer_is_invalid_input_and_not_counted():
    customer = CustomerFactory()
    card_for(customer)
    challenge = security_challenge_issue(customer=customer)
    for answer in ["12", "12345", "ab12", "\uff11\uff12\uff13\uff14"]:
        with pytest.raises(InvalidInput) as caught:
            security_answer_verify(customer=customer, challenge_id=challenge.id, answer=answer)
        assert caught.value.code == "invalid_security_code"
    customer.refresh_from_db()
    assert customer.wrong_entries == 0


def test_otp_code_is_accepted_once_and_grade_is_safe():
    customer = CustomerFactory()
    card_for(customer)
    assert customer.grade == "general"
    device, secret = otp_for(customer)
    assert customer.grade == "safe"
    assert len(secret) >= 16
    assert secret not in device.secret_encrypted
    challenge = security_challenge_issue(customer=customer)
    assert challenge.kind == "otp" and challenge.id is None and challenge.first_index is None
    with time_machine.travel(NOON, tick=False):
        code = otp_code(secret)
        security_answer_verify(customer=customer, challenge_id=None, answer=code)
        with pytest.raises(WrongSecurityCode):
            security_answer_verify(customer=customer, challenge_id=None, answer=code)
    assert Customer.objects.get(pk=customer.pk).wrong_entries == 1


def test_otp_accepts_one_step_of_drift_but_not_two():
    customer = CustomerFactory()
    _device, secret = otp_for(customer)
    totp = pyotp.TOTP(secret, digits=6, interval=60)
    with time_machine.travel(NOON, tick=False):
        previous = totp.at(NOON - timedelta(seconds=60))
        older = totp.at(NOON - timedelta(seconds=120))
        if older != previous:
            with pytest.raises(WrongSecurityCode):
                security_answer_verify(customer=customer, challenge_id=None, answer=older)
        security_answer_verify(customer=customer, challenge_id=None, answer=previous)


def test_no_medium_or_lost_medium_is_unavailable():
    customer = CustomerFactory()
    assert customer.grade is None
    with pytest.raises(SecurityMediumUnavailable):
        security_challenge_issue(customer=customer)
    card, codes = card_for(customer)
    challenge = security_challenge_issue(customer=customer)
    card.status = MediumStatus.LOST
    card.save()
    with pytest.raises(SecurityMediumUnavailable):
        security_answer_verify(
            customer=customer, challenge_id=challenge.id, answer=card_answer(codes, challenge)
        )
    assert customer.grade is None


def test_reissue_replaces_the_active_card():
    customer = CustomerFactory()
    first, _ = card_for(customer)
    second, _ = card_for(customer)
    first.refresh_from_db()
    assert first.status == MediumStatus.REPLACED and second.status == MediumStatus.ACTIVE


def test_loss_report_stops_the_card_at_once_and_signals():
    from enrollment.security import medium_report_lost
    from enrollment.signals import medium_lost

    customer = CustomerFactory(phone_masked="010-****-1234")
    card, codes = card_for(customer)
    challenge = security_challenge_issue(customer=customer)
    heard = []

    def listener(sender, customer, medium, **kwargs):
        heard.append((customer.pk, medium))

    medium_lost.connect(listener)
    try:
        medium_report_lost(customer=customer, medium="security_card", channel="web")
    finally:
        medium_lost.disconnect(listener)
    card.refresh_from_db()
    assert card.status == MediumStatus.LOST and card.stopped_at is not None
    assert heard == [(customer.pk, "security_card")]
    with pytest.raises(SecurityMediumUnavailable):
        security_answer_verify(
            customer=customer, challenge_id=challenge.id, answer=card_answer(codes, challenge)
        )
    assert customer.notifications.filter(kind="loss_report").count() == 1
    assert AuditEvent.objects.filter(event="medium_lost").count() == 1


def test_login_counts_wrong_passwords_and_suspends_at_five(client):
    from tests.factories import DEFAULT_PASSWORD

    customer = CustomerFactory()
    for _ in range(4):
        response = client.post("/login/", {"user_id": customer.user.username, "password": "x"})
        assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.wrong_entries == 4
    response = client.post(
        "/login/", {"user_id": customer.user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.wrong_entries == 0
    client.post("/logout/")
    for _ in range(5):
        response = client.post("/login/", {"user_id": customer.user.username, "password": "x"})
    customer.refresh_from_db()
    assert customer.suspension == Customer.Suspension.WRONG_ENTRIES
    response = client.post(
        "/login/", {"user_id": customer.user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_newer_card_challenge_closes_the_older_one():
    """Challenge farming: only the newest challenge of a card can be answered; the older one
    is refused as expired (even with the right answer), and nothing is counted."""
    customer = CustomerFactory()
    _card, codes = card_for(customer)
    with time_machine.travel(NOON, tick=False):
        older = security_challenge_issue(customer=customer)
    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        newer = security_challenge_issue(customer=customer)
        assert newer.id != older.id
        with pytest.raises(SecurityChallengeExpired) as refused:
            security_answer_verify(
                customer=customer, challenge_id=older.id, answer=card_answer(codes, older)
            )
        assert refused.value.code == "security_challenge_expired"
        assert Customer.objects.get(pk=customer.pk).wrong_entries == 0
        assert (
            CardChallenge.objects.filter(card__customer=customer, used_at__isnull=True).count() == 1
        )
        security_answer_verify(
            customer=customer, challenge_id=newer.id, answer=card_answer(codes, newer)
        )


def test_reloading_cannot_fish_for_another_pair_of_code_numbers():
    """Until a challenge is answered every new one asks the same two code numbers (also after
    the open one expired); only an answer draws a new pair."""
    customer = CustomerFactory()
    _card, codes = card_for(customer)
    with time_machine.travel(NOON, tick=False):
        first = security_challenge_issue(customer=customer)
    pair = (first.first_index, first.second_index)
    for minutes in (1, 2, 10, 60):
        with time_machine.travel(NOON + timedelta(minutes=minutes), tick=False):
            again = security_challenge_issue(customer=customer)
        assert (again.first_index, again.second_index) == pair
        assert again.id != first.id  # renewed in place: the earlier id is refused as expired
    assert CardChallenge.objects.filter(card__customer=customer).count() == 1
    with time_machine.travel(NOON + timedelta(minutes=61), tick=False):
        security_answer_verify(
            customer=customer, challenge_id=again.id, answer=card_answer(codes, again)
        )
        after = security_challenge_issue(customer=customer)
    # A fresh random draw after the answer; it is a valid challenge of its own.
    assert after.first_index != after.second_index
    assert CardChallenge.objects.get(pk=after.id).used_at is None
