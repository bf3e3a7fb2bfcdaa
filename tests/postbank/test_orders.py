"""postbank.orders: the claim on an order lives in PostgreSQL (real threads, real sessions)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from enrollment.models import Customer
from postbank.errors import PostbankError
from postbank.orders import order_claim, order_customer_lock
from tests.factories import CustomerFactory
from tests.locks import advisory_locks_held

pytestmark = pytest.mark.django_db(transaction=True)


def _claim_in_thread(order, events: list, *, hold: float = 0.0, die: bool = False):
    def target():
        try:
            claim = order_claim(order)
            claim.__enter__()
            events.append(("claimed", time.monotonic()))
            time.sleep(hold)
            if die:
                # What a killed worker leaves: no release, only a session that ends.
                connection.close()
                return
            claim.__exit__(None, None, None)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_a_second_claim_waits_for_the_first_without_polling():
    order = CustomerFactory()
    first, second = [], []
    holder = _claim_in_thread(order, first, hold=0.5)
    while not first:
        time.sleep(0.01)
    waiter = _claim_in_thread(order, second)
    waiter.join(timeout=0.2)
    assert waiter.is_alive() and not second  # blocked in PostgreSQL
    holder.join(timeout=10)
    waiter.join(timeout=10)
    assert second and second[0][1] >= first[0][1] + 0.45
    assert advisory_locks_held() == 0


def test_other_orders_are_not_blocked():
    one, other = CustomerFactory(), CustomerFactory()
    first = []
    holder = _claim_in_thread(one, first, hold=0.5)
    while not first:
        time.sleep(0.01)
    started = time.monotonic()
    with order_claim(other):
        assert time.monotonic() - started < 0.3
    holder.join(timeout=10)


def test_a_crashed_claimer_releases_the_claim_with_its_connection():
    order = CustomerFactory()
    dead = []
    _claim_in_thread(order, dead, hold=0.0, die=True).join(timeout=10)
    assert dead
    started = time.monotonic()
    with order_claim(order):
        assert time.monotonic() - started < 1
    assert advisory_locks_held() == 0


def test_the_claim_ends_when_the_money_transaction_commits():
    order = CustomerFactory()
    with order_claim(order) as claim:
        with transaction.atomic():
            claim.release_at_commit()
            assert advisory_locks_held() == 1
        assert not claim.held
        assert advisory_locks_held() == 0


def test_a_rolled_back_transaction_keeps_the_claim_until_the_block_ends():
    order = CustomerFactory()
    with order_claim(order) as claim:
        with pytest.raises(RuntimeError), transaction.atomic():
            claim.release_at_commit()
            raise RuntimeError
        assert claim.held and advisory_locks_held() == 1
    assert advisory_locks_held() == 0


def test_the_customer_is_read_locked_and_refused_when_suspended():
    customer = CustomerFactory()
    with transaction.atomic():
        assert order_customer_lock(customer_id=customer.pk).pk == customer.pk
    Customer.objects.filter(pk=customer.pk).update(suspension=Customer.Suspension.DORMANT)
    with pytest.raises(PostbankError) as refused, transaction.atomic():
        order_customer_lock(customer_id=customer.pk)
    assert refused.value.code == "customer_suspended"
