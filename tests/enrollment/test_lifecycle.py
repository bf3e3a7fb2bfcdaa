"""Time rules and suspension: dormancy at 12 months, the notice 30 days before, the expiry
of applications, concurrent wrong entries."""

import threading
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection

from enrollment.applications import applications_expire
from enrollment.models import Application, Customer, Notification
from enrollment.services import (
    customer_mark_used,
    dormancy_sweep,
    notifications_deliver_pending,
    wrong_entry_record,
)
from postbank.models import AuditEvent
from tests.enrollment.helpers import rrn_born, submit
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# Last used 2025-03-10 10:00 KST.
LAST_USED = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
NOTICE_EVE = datetime(2026, 2, 8, 0, 59, 59, tzinfo=UTC)  # 30 days before, less a second
NOTICE_DAY = datetime(2026, 2, 8, 1, 0, tzinfo=UTC)  # 2026-02-08 10:00 KST: 30 days before
MONTHS_12_LESS_A_DAY = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
MONTHS_12 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def _used_at(at):
    customer = CustomerFactory(phone_masked="010-****-1111")
    with time_machine.travel(at, tick=False):
        customer_mark_used(customer=customer)
    return customer


def test_dormancy_notice_30_days_before_and_suspension_at_12_months():
    customer = _used_at(LAST_USED)
    with time_machine.travel(NOTICE_EVE, tick=False):
        assert dormancy_sweep().noticed == 0
    with time_machine.travel(NOTICE_DAY, tick=False):
        result = dormancy_sweep()
    assert (result.noticed, result.suspended) == (1, 0)
    notice = Notification.objects.get(customer=customer, kind="dormancy_notice")
    assert "2026-03-10" in notice.text and notice.recipient == "010-****-1111"
    customer.refresh_from_db()
    assert customer.dormancy_notice_at == NOTICE_DAY and customer.suspension == ""

    with time_machine.travel(MONTHS_12_LESS_A_DAY, tick=False):
        assert (dormancy_sweep().noticed, dormancy_sweep().suspended) == (0, 0)
    customer.refresh_from_db()
    assert customer.suspension == ""

    with time_machine.travel(MONTHS_12, tick=False):
        first = dormancy_sweep()
        state = list(Customer.objects.values_list("pk", "suspension", "suspended_at",
                                                  "dormancy_notice_at"))
        counts = (Notification.objects.count(), AuditEvent.objects.count())
        second = dormancy_sweep()
    assert (first.noticed, first.suspended) == (0, 1)
    assert (second.noticed, second.suspended) == (0, 0)
    assert list(Customer.objects.values_list("pk", "suspension", "suspended_at",
                                             "dormancy_notice_at")) == state
    assert (Notification.objects.count(), AuditEvent.objects.count()) == counts
    customer.refresh_from_db()
    assert customer.suspension == Customer.Suspension.DORMANT
    assert customer.suspended_at == MONTHS_12
    audit = AuditEvent.objects.get(event="suspended", subject=f"customer:{customer.pk}")
    assert audit.detail == {"reason": "dormant"} and audit.actor_id == customer.user_id
    assert Notification.objects.filter(customer=customer, kind="dormancy_suspended").count() == 1
    assert notifications_deliver_pending() == 2
    assert notifications_deliver_pending() == 0


def test_use_after_the_notice_withdraws_it_and_restarts_the_clock():
    customer = _used_at(LAST_USED)
    with time_machine.travel(NOTICE_DAY, tick=False):
        dormancy_sweep()
        customer_mark_used(customer=customer)
    with time_machine.travel(MONTHS_12, tick=False):
        assert dormancy_sweep().suspended == 0
    customer.refresh_from_db()
    assert customer.suspension == "" and customer.dormancy_notice_at is None


def test_a_customer_already_suspended_is_left_alone_and_batches_cover_everyone():
    wrong = CustomerFactory(suspension=Customer.Suspension.WRONG_ENTRIES, suspended_at=LAST_USED,
                            last_used_at=LAST_USED)
    dormant = [_used_at(LAST_USED) for _ in range(7)]
    with time_machine.travel(MONTHS_12, tick=False):
        result = dormancy_sweep(batch_size=3)
    assert result.suspended == 7
    assert set(Customer.objects.filter(suspension="dormant").values_list("pk", flat=True)) == {
        c.pk for c in dormant}
    wrong.refresh_from_db()
    assert wrong.suspension == Customer.Suspension.WRONG_ENTRIES


def test_expiry_task_marks_only_applications_past_day_5():
    with time_machine.travel(datetime(2026, 3, 10, 1, 0, tzinfo=UTC), tick=False):
        early = submit().application
    with time_machine.travel(datetime(2026, 3, 11, 1, 0, tzinfo=UTC), tick=False):
        later = submit(rrn=rrn_born(date(1985, 5, 5)), name="강감찬").application
    with time_machine.travel(datetime(2026, 3, 14, 14, 59, 59, tzinfo=UTC), tick=False):
        assert applications_expire() == 0  # day 5, 23:59:59 KST
    with time_machine.travel(datetime(2026, 3, 14, 15, 0, tzinfo=UTC), tick=False):
        assert applications_expire() == 1  # day 6, 00:00:00 KST
        assert applications_expire() == 0
    early.refresh_from_db()
    later.refresh_from_db()
    assert early.status == Application.Status.EXPIRED
    assert later.status == Application.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_entries_cannot_slip_past_five():
    customer = CustomerFactory()
    barrier = threading.Barrier(8)
    counts, errors = [], []

    def enter():
        try:
            barrier.wait()
            counts.append(wrong_entry_record(customer=Customer.objects.get(pk=customer.pk),
                                             kind="login_password", channel="web"))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enter) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(counts) == list(range(1, 9))
    customer.refresh_from_db()
    assert customer.wrong_entries == 8
    assert customer.suspension == Customer.Suspension.WRONG_ENTRIES
    assert AuditEvent.objects.filter(event="suspended",
                                     subject=f"customer:{customer.pk}").count() == 1
