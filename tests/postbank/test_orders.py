"""postbank.orders.order_confirm: the claim is the order's row lock, in one transaction with
the checks and the money (real threads, real sessions)."""

import threading

import pytest
from django.db import connections

from enrollment.models import Customer
from postbank.errors import Refused
from postbank.orders import order_confirm
from tests.factories import CustomerFactory
from tests.locks import backend_waits_on_lock, until

pytestmark = pytest.mark.django_db(transaction=True)


def _confirm_row(pk: int, *, confirm, results: list, backend: list | None = None):
    """order_confirm over a customer row standing for an order: open while named "open"."""

    def lock():
        if backend is not None:
            backend.append(connections["default"].connection.info.backend_pid)
        return Customer.objects.select_for_update(no_key=True).get(pk=pk)

    try:
        results.append(order_confirm(lock=lock, is_open=lambda row: row.name == "open",
                                     confirm=confirm))
    except Exception as exc:
        results.append(exc)
    finally:
        connections.close_all()


def _done(row):
    Customer.objects.filter(pk=row.pk).update(name="done")
    row.name = "done"
    return row


def test_a_second_confirmation_waits_on_the_row_and_answers_the_first_result():
    order = CustomerFactory(name="open")
    release, inside = threading.Event(), threading.Event()
    first, second, second_backend, second_confirms = [], [], [], []

    def slow_confirm(row):
        inside.set()
        release.wait(timeout=30)
        return _done(row)

    def counted_confirm(row):
        second_confirms.append(row)
        return _done(row)

    holder = threading.Thread(target=_confirm_row, args=(order.pk,),
                              kwargs={"confirm": slow_confirm, "results": first})
    holder.start()
    assert inside.wait(timeout=30)
    waiter = threading.Thread(
        target=_confirm_row, args=(order.pk,),
        kwargs={"confirm": counted_confirm, "results": second, "backend": second_backend})
    waiter.start()
    # Blocked in PostgreSQL on the order's row, not polling.
    until(lambda: second_backend and backend_waits_on_lock(second_backend[0]),
          "the second confirmation waits on the row lock")
    release.set()
    holder.join(timeout=30)
    waiter.join(timeout=30)
    assert first[0].name == "done"
    assert second[0].name == "done"  # the first result
    assert second_confirms == []  # it checked nothing and moved nothing


def test_a_refusal_commits_what_the_confirmation_recorded_before_it():
    order = CustomerFactory(name="open")

    def refuse(row):
        Customer.objects.filter(pk=row.pk).update(wrong_entries=1)  # e.g. a wrong entry
        raise Refused(code="wrong_secret")

    with pytest.raises(Refused) as refused:
        order_confirm(lock=lambda: Customer.objects.select_for_update(no_key=True)
                      .get(pk=order.pk), is_open=lambda row: True, confirm=refuse)
    assert refused.value.code == "wrong_secret"
    assert Customer.objects.get(pk=order.pk).wrong_entries == 1


def test_any_other_error_rolls_everything_back():
    order = CustomerFactory(name="open")

    def crash(row):
        Customer.objects.filter(pk=row.pk).update(wrong_entries=1)
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        order_confirm(lock=lambda: Customer.objects.select_for_update(no_key=True)
                      .get(pk=order.pk), is_open=lambda row: True, confirm=crash)
    assert Customer.objects.get(pk=order.pk).wrong_entries == 0


def test_an_order_no_longer_open_is_answered_as_it_is():
    order = CustomerFactory(name="done")
    calls = []
    found = order_confirm(lock=lambda: Customer.objects.get(pk=order.pk),
                          is_open=lambda row: row.name == "open",
                          confirm=lambda row: calls.append(row))
    assert found.pk == order.pk and calls == []
