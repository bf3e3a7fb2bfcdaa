"""postbank.rawsql: hand-written statements give back what the ORM would (same instances,
same converters)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account
from enrollment.models import CardChallenge, Customer, User
from enrollment.security import security_card_issue
from postbank import rawsql
from postbank.audit import audit_record
from postbank.models import AuditEvent
from tests.accounts.factories import AccountFactory
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def field_values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_select_builds_the_instances_the_orm_builds():
    account = AccountFactory(balance=12_345)
    event = audit_record(event="login", subject="demo", ip="127.0.0.1", detail={"a": [1, "둘"]})
    found_account = rawsql.select_one(
        f"SELECT {rawsql.columns(Account, 'a')} FROM {rawsql.table(Account)} a WHERE a.id = %s",  # noqa: S608
        [account.pk],
        Account,
    )
    found_event = rawsql.select_one(
        f"SELECT {rawsql.columns(AuditEvent, 'e')} FROM {rawsql.table(AuditEvent)} e "  # noqa: S608
        "WHERE e.id = %s",
        [event.pk],
        AuditEvent,
    )
    assert field_values(found_account) == field_values(Account.objects.get(pk=account.pk))
    assert field_values(found_event) == field_values(AuditEvent.objects.get(pk=event.pk))
    assert found_event.detail == {"a": [1, "둘"]} and found_event.at.tzinfo is not None
    assert not found_account._state.adding


def test_select_splits_joined_models_and_an_outer_joins_missing_side_is_none():
    customer = CustomerFactory(name="조인")
    staff = UserFactory()
    sql = (
        f"SELECT {rawsql.columns(User, 'u')}, {rawsql.columns(Customer, 'c')}, 7 "  # noqa: S608
        f"FROM {rawsql.table(User)} u LEFT JOIN {rawsql.table(Customer)} c ON c.user_id = u.id "
        "WHERE u.id IN (%s, %s) ORDER BY u.id"
    )
    rows = rawsql.select(sql, sorted([customer.user_id, staff.pk]), User, Customer)
    by_user = {user.pk: (joined, extra) for user, joined, extra in rows}
    assert by_user[customer.user_id][0].name == "조인"
    assert by_user[staff.pk] == (None, 7)


def test_parameters_are_adapted_like_the_orm_adapts_them():
    card, _codes = security_card_issue(customer=CustomerFactory())
    now = timezone.now()
    challenge = CardChallenge(card=card, first_index=1, second_index=2, created_at=now)
    rawsql.insert(challenge)  # a UUID primary key made by its default
    rows = rawsql.rows(
        f"SELECT first_index FROM {rawsql.table(CardChallenge)} "  # noqa: S608
        "WHERE id = %s AND created_at > %s",
        [challenge.pk, now - timedelta(seconds=1)],
    )
    assert rows == [(1,)]
    assert rawsql.rows(f"SELECT id FROM {rawsql.table(CardChallenge)} WHERE id = %s",  # noqa: S608
                       [uuid.uuid4()]) == []


def test_insert_applies_defaults_and_auto_now_add_and_sets_the_keys():
    first = AuditEvent(event="one", subject="s1")
    second = AuditEvent(event="two", subject="s2", ip="10.0.0.1", detail={"k": 1})
    rawsql.insert(first, second)
    assert first.pk and second.pk and first.pk != second.pk
    assert first.at is not None and not first._state.adding
    stored = AuditEvent.objects.get(pk=second.pk)
    assert (stored.event, stored.ip, stored.detail, stored.at) == ("two", "10.0.0.1", {"k": 1},
                                                                     second.at)
    assert AuditEvent.objects.get(pk=first.pk).detail == {}


def test_update_writes_only_the_fields_named():
    account = AccountFactory(balance=500)
    Account.objects.filter(pk=account.pk).update(hold=100)  # someone else's change
    account.balance, account.status = 700, Account.Status.FROZEN
    assert rawsql.update(account, ["status"]) == 1
    stored = Account.objects.get(pk=account.pk)
    assert (stored.status, stored.balance, stored.hold) == (Account.Status.FROZEN, 500, 100)
