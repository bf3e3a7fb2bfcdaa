"""The fraud-prevention SMS code: the phone gets it, the counter's outbox shows it masked,
PostgreSQL holds only its keyed hash, and the tries are counted atomically (one UPDATE ...
RETURNING per try)."""

import re
import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connections

from certcenter import devices
from certcenter.models import SmsCode
from enrollment.models import Notification
from postbank import policy
from tests.factories import UserFactory

NOON = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 12:00 KST


def _sent(customer) -> str:
    text = Notification.objects.filter(customer=customer, kind="certificate_code").latest("pk").text
    return re.search(r"\b(\d{6})\b", text).group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _stored(customer, purpose: str) -> SmsCode | None:
    return SmsCode.objects.filter(customer=customer, purpose=purpose).first()


def test_only_a_keyed_hash_of_the_code_is_kept(db, customer):
    devices.sms_code_send(customer=customer, purpose="reissue")
    code = _sent(customer)
    stored = _stored(customer, "reissue")
    assert len(stored.code_hash) == 64 and code not in stored.code_hash
    assert stored.tries == 0


def test_the_code_expires_after_its_ttl(db, customer):
    with time_machine.travel(NOON, tick=False):
        devices.sms_code_send(customer=customer, purpose="reissue")
    code = _sent(customer)
    with time_machine.travel(NOON + policy.SMS_CODE_TTL, tick=False):
        assert devices.sms_code_verify(customer=customer, purpose="reissue", code=code) is False
    assert _stored(customer, "reissue") is None


def test_a_new_code_replaces_the_earlier_one(db, customer):
    devices.sms_code_send(customer=customer, purpose="reissue")
    first = _sent(customer)
    devices.sms_code_send(customer=customer, purpose="reissue")
    second = _sent(customer)
    if first != second:
        assert devices.sms_code_verify(customer=customer, purpose="reissue", code=first) is False
    assert devices.sms_code_verify(customer=customer, purpose="reissue", code=second) is True


def test_four_wrong_codes_then_the_right_one_passes_once(db, customer):
    devices.sms_code_send(customer=customer, purpose="reissue")
    code = _sent(customer)
    for _ in range(4):
        assert (
            devices.sms_code_verify(customer=customer, purpose="reissue", code=_wrong(code))
            is False
        )
    assert devices.sms_code_verify(customer=customer, purpose="reissue", code=code) is True
    assert devices.sms_code_verify(customer=customer, purpose="reissue", code=code) is False
    assert _stored(customer, "reissue") is None


def test_five_wrong_codes_destroy_it(db, customer):
    devices.sms_code_send(customer=customer, purpose="reissue")
    code = _sent(customer)
    for _ in range(5):
        assert (
            devices.sms_code_verify(customer=customer, purpose="reissue", code=_wrong(code))
            is False
        )
    assert _stored(customer, "reissue") is None
    assert devices.sms_code_verify(customer=customer, purpose="reissue", code=code) is False


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_get_five_tries_in_all(customer):
    """Twelve guesses at once: the atomic count lets exactly five be compared, so the right
    code afterwards is refused and the code is gone."""
    devices.sms_code_send(customer=customer, purpose="device")
    code = _sent(customer)
    barrier = threading.Barrier(12)
    results = []

    def guess():
        barrier.wait()
        try:
            results.append(
                devices.sms_code_verify(customer=customer, purpose="device", code=_wrong(code))
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [False] * 12
    assert _stored(customer, "device") is None
    assert devices.sms_code_verify(customer=customer, purpose="device", code=code) is False


@pytest.mark.django_db(transaction=True)
def test_concurrent_right_codes_pass_exactly_once(customer):
    devices.sms_code_send(customer=customer, purpose="device")
    code = _sent(customer)
    barrier = threading.Barrier(4)
    results = []

    def answer():
        barrier.wait()
        try:
            results.append(
                devices.sms_code_verify(customer=customer, purpose="device", code=code)
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_counter_outbox_shows_the_code_masked(client, customer):
    devices.sms_code_send(customer=customer, purpose="reissue")
    code = _sent(customer)
    notification = Notification.objects.get(customer=customer, kind="certificate_code")
    operator = UserFactory(username="operator-cc", is_staff=True)
    operator.groups.add(Group.objects.get(name="operator"))
    client.force_login(operator)
    page = client.get(f"/counter/enrollment/notification/{notification.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert code not in html
    assert "******" in html
    # The message the phone receives is unchanged.
    assert code in Notification.objects.get(pk=notification.pk).text


@pytest.fixture
def customer(db):
    from tests.factories import CustomerFactory

    return CustomerFactory(name="홍길동")
