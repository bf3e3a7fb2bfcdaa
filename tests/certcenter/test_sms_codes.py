"""The fraud-prevention SMS code: the phone gets it, the counter's outbox shows it masked,
the cache holds only its keyed hash, and the tries are counted atomically (Redis INCR)."""

import re
import threading

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from certcenter import devices
from enrollment.models import Notification
from tests.factories import UserFactory


def _sent(customer) -> str:
    text = Notification.objects.filter(customer=customer, kind="certificate_code").latest("pk").text
    return re.search(r"\b(\d{6})\b", text).group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_cache_keeps_only_a_keyed_hash_of_the_code(db, customer):
    devices.sms_code_send(customer=customer, purpose="reissue")
    code = _sent(customer)
    stored = cache.get(devices._sms_key(customer, "reissue"))
    assert isinstance(stored, str) and len(stored) == 64 and code not in stored
    assert cache.get(devices._sms_tries_key(customer, "reissue")) == 0


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
    assert cache.get(devices._sms_key(customer, "reissue")) is None


def test_five_wrong_codes_destroy_it(db, customer):
    devices.sms_code_send(customer=customer, purpose="reissue")
    code = _sent(customer)
    for _ in range(5):
        assert (
            devices.sms_code_verify(customer=customer, purpose="reissue", code=_wrong(code))
            is False
        )
    assert cache.get(devices._sms_key(customer, "reissue")) is None
    assert devices.sms_code_verify(customer=customer, purpose="reissue", code=code) is False


def test_concurrent_guesses_get_five_tries_in_all(db, customer):
    """Twelve guesses at once: the atomic count lets exactly five be compared, so the right
    code afterwards is refused and the code is gone."""
    devices.sms_code_send(customer=customer, purpose="device")
    code = _sent(customer)
    barrier = threading.Barrier(12)
    results = []

    def guess():
        barrier.wait()
        results.append(
            devices.sms_code_verify(customer=customer, purpose="device", code=_wrong(code))
        )

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [False] * 12
    assert cache.get(devices._sms_key(customer, "device")) is None
    assert devices.sms_code_verify(customer=customer, purpose="device", code=code) is False


def test_concurrent_right_codes_pass_exactly_once(db, customer):
    devices.sms_code_send(customer=customer, purpose="device")
    code = _sent(customer)
    barrier = threading.Barrier(4)
    results = []

    def answer():
        barrier.wait()
        results.append(devices.sms_code_verify(customer=customer, purpose="device", code=code))

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
