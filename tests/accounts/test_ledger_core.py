"""The money core: balanced entries, locks, and the database guards behind them."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import Account, JournalEntry, Posting
from accounts.services import (
    AccountNotActive,
    InsufficientFunds,
    Line,
    UnbalancedEntry,
    entry_post,
    entry_reverse,
)
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


def _deposit(account, amount):
    with transaction.atomic():
        return entry_post(kind="cash_deposit", lines=[
            Line(amount=amount, account=account, counterparty="창구입금"),
            Line(amount=-amount, ledger="vault_cash")])


def test_cash_deposit_is_one_balanced_entry():
    account = AccountFactory()
    entry = _deposit(account, 50_000)
    account.refresh_from_db()
    assert account.balance == 50_000
    postings = list(entry.postings.order_by("id"))
    assert [p.amount for p in postings] == [50_000, -50_000]
    assert postings[0].balance_after == 50_000
    assert postings[1].ledger_account.code == "vault_cash"


def test_overdraft_is_refused_and_nothing_moves():
    account = AccountFactory()
    _deposit(account, 10_000)
    with pytest.raises(InsufficientFunds), transaction.atomic():
        entry_post(kind="cash_withdrawal", lines=[Line(amount=-10_001, account=account),
                                                  Line(amount=10_001, ledger="vault_cash")])
    account.refresh_from_db()
    assert account.balance == 10_000
    assert JournalEntry.objects.count() == 1


def test_hold_limits_the_available_amount():
    account = AccountFactory()
    _deposit(account, 10_000)
    Account.objects.filter(pk=account.pk).update(hold=4_000)
    with pytest.raises(InsufficientFunds), transaction.atomic():
        entry_post(kind="cash_withdrawal", lines=[Line(amount=-6_001, account=account),
                                                  Line(amount=6_001, ledger="vault_cash")])


def test_unbalanced_lines_are_refused_before_any_write():
    account = AccountFactory()
    with pytest.raises(UnbalancedEntry), transaction.atomic():
        entry_post(kind="bad", lines=[Line(amount=100, account=account),
                                      Line(amount=-99, ledger="vault_cash")])
    assert not JournalEntry.objects.exists()


def test_frozen_account_cannot_move_but_a_reversal_may_credit_it():
    account = AccountFactory()
    entry = None
    _deposit(account, 1_000)
    with transaction.atomic():
        entry = entry_post(kind="cash_withdrawal", lines=[Line(amount=-300, account=account),
                                                          Line(amount=300, ledger="vault_cash")])
    Account.objects.filter(pk=account.pk).update(status=Account.Status.FROZEN)
    with pytest.raises(AccountNotActive), transaction.atomic():
        entry_post(kind="cash_deposit", lines=[Line(amount=5, account=account),
                                               Line(amount=-5, ledger="vault_cash")])
    with transaction.atomic():
        reversal = entry_reverse(entry=entry, kind="correction")
    account.refresh_from_db()
    assert account.balance == 1_000
    assert reversal.reverses == entry


@pytest.mark.pg
def test_database_refuses_an_unbalanced_entry_even_through_raw_sql():
    account = AccountFactory()
    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("INSERT INTO accounts_journalentry (kind, memo, reference, created_at) "
                       "VALUES ('forged', '', '', now()) RETURNING id")
        entry_id = cursor.fetchone()[0]
        cursor.execute("INSERT INTO accounts_posting (entry_id, account_id, currency, amount, "
                       "balance_after, counterparty, memo, created_at) "
                       "VALUES (%s, %s, 'KRW', 1000000, 1000000, '', '', now())",
                       [entry_id, account.pk])
        cursor.execute("INSERT INTO accounts_posting (entry_id, ledger_account_id, currency, "
                       "amount, counterparty, memo, created_at) SELECT %s, id, 'KRW', -1, '', "
                       "'', now() FROM accounts_ledgeraccount WHERE code = 'vault_cash' "
                       "AND currency = 'KRW'", [entry_id])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not Posting.objects.exists()


@pytest.mark.pg
def test_database_refuses_a_negative_balance_even_through_raw_sql():
    account = AccountFactory()
    with pytest.raises(IntegrityError, match="check constraint"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_account SET balance = -1 WHERE id = %s", [account.pk])


@pytest.mark.pg
def test_database_refuses_changing_or_deleting_history():
    account = AccountFactory()
    entry = _deposit(account, 700)
    posting = entry.postings.first()
    for sql, arg in [("UPDATE accounts_posting SET amount = 1 WHERE id = %s", posting.pk),
                     ("DELETE FROM accounts_posting WHERE id = %s", posting.pk),
                     ("UPDATE accounts_journalentry SET memo = 'x' WHERE id = %s", entry.pk)]:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [arg])
    assert Posting.objects.get(pk=posting.pk).amount == posting.amount


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_deposits_and_withdrawals_lose_nothing_and_never_overdraw():
    account = AccountFactory()
    _deposit(account, 100_000)
    errors = []

    def work(n):
        try:
            for i in range(10):
                amount = 1_000 + n
                sign = 1 if (n + i) % 2 else -1
                try:
                    with transaction.atomic():
                        entry_post(kind="cash", lines=[
                            Line(amount=sign * amount, account=account),
                            Line(amount=-sign * amount, ledger="vault_cash")])
                except InsufficientFunds:
                    pass
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    account.refresh_from_db()
    total = sum(Posting.objects.filter(account=account).values_list("amount", flat=True))
    assert account.balance == total >= 0
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0
    last = Posting.objects.filter(account=account).order_by("-id").first()
    assert last.balance_after == account.balance
