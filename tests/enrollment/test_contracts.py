"""Enrollment's contracts used by transfers, fx and the certificate center."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction

from enrollment import identity
from enrollment.models import Customer, Notification
from enrollment.services import (
    LimitAboveDefault,
    NotDormant,
    WrongIdentity,
    customer_identity_verify,
    customer_limits,
    customer_limits_lower,
    customer_mark_used,
    dormancy_lift_online,
    notification_send,
)
from enrollment.tasks import notification_deliver
from postbank.models import AuditEvent
from tests.enrollment.media import card_for, otp_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

RRN = "9001011234568"  # check digit valid for a 1990 birth date
MORNING = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)


def _with_rrn(customer, digits=RRN):
    customer.rrn_hash = identity.rrn_hash(digits)
    customer.rrn_encrypted = identity.rrn_encrypt(digits)
    customer.rrn_masked = identity.rrn_mask(digits)
    customer.save()
    return customer


def test_limits_follow_grade_minor_and_own_limits():
    customer = CustomerFactory()
    assert customer_limits(customer=customer) == (0, 0)
    card_for(customer)
    assert customer_limits(customer=customer) == (5_000_000, 10_000_000)
    otp_for(customer)
    assert customer_limits(customer=customer) == (100_000_000, 500_000_000)
    customer.minor_limited = True
    assert customer_limits(customer=customer) == (1_000_000, 3_000_000)
    customer.minor_limited = False
    customer_limits_lower(
        customer=customer, per_transfer=2_000_000, per_day=4_000_000, channel="web"
    )
    assert customer_limits(customer=customer) == (2_000_000, 4_000_000)
    assert AuditEvent.objects.filter(event="limits_lowered").count() == 1


def test_own_limits_cannot_exceed_the_grade():
    customer = CustomerFactory()
    card_for(customer)
    with pytest.raises(LimitAboveDefault):
        customer_limits_lower(
            customer=customer, per_transfer=6_000_000, per_day=10_000_000, channel="web"
        )
    customer.refresh_from_db()
    assert customer.own_limit_per_transfer is None and customer.own_limit_per_day is None


def test_the_database_refuses_a_zero_own_limit():
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(own_limit_per_day=0)


def test_mark_used_moves_the_dormancy_clock():
    customer = CustomerFactory()
    with time_machine.travel(MORNING, tick=False):
        customer_mark_used(customer=customer)
    assert Customer.objects.get(pk=customer.pk).last_used_at == MORNING


def test_identity_verify_counts_a_wrong_number():
    customer = _with_rrn(CustomerFactory())
    customer_identity_verify(customer=customer, rrn_or_business_number="900101-1234568")
    with pytest.raises(WrongIdentity) as caught:
        customer_identity_verify(customer=customer, rrn_or_business_number="900101-2234567")
    assert caught.value.code == "wrong_identity"
    assert Customer.objects.get(pk=customer.pk).wrong_entries == 1


def test_dormancy_lift_online_only_for_dormancy():
    customer = CustomerFactory(suspension=Customer.Suspension.WRONG_ENTRIES, suspended_at=MORNING)
    with pytest.raises(NotDormant):
        dormancy_lift_online(customer=customer, actor_channel="web")
    customer = CustomerFactory(suspension=Customer.Suspension.DORMANT, suspended_at=MORNING)
    dormancy_lift_online(customer=customer, actor_channel="web")
    customer.refresh_from_db()
    assert customer.suspension == "" and customer.suspended_at is None
    assert (
        AuditEvent.objects.filter(
            event="suspension_lifted", subject=f"customer:{customer.pk}"
        ).count()
        == 1
    )


def test_notification_outbox_and_delivery_is_idempotent():
    customer = CustomerFactory(phone_masked="010-****-5678")
    note = notification_send(customer=customer, kind="test", text="hello")
    assert note.recipient == "010-****-5678" and note.delivered_at is None
    assert notification_deliver.run(note.pk) is True
    assert notification_deliver.run(note.pk) is False
    assert Notification.objects.get(pk=note.pk).delivered_at is not None
