"""The money core: balanced entries, locks, and the database guards behind them."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from accounts.models import Account, JournalEntry, LedgerAccount, Posting
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


@pytest.mark.parametrize("lines", [
    [Line(amount=100, ledger="vault_cash"), Line(amount=-100, ledger="petty_cash")],
    [Line(amount=100, ledger="vault_cash")],
    [Line(amount=1, ledger="vault_cash"), Line(amount=-1, ledger="suspense"),
     Line(amount=0, ledger="suspense")],
])
def test_malformed_entries_are_refused_before_any_write(lines):
    with pytest.raises(UnbalancedEntry) as caught, transaction.atomic():
        entry_post(kind="bad", lines=lines)
    assert caught.value.code == "unbalanced_entry"
    assert not JournalEntry.objects.exists()
    assert not LedgerAccount.objects.filter(code="petty_cash").exists()


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


@pytest.mark.parametrize(("sql", "constraint"), [
    # -1 breaks both balance >= 0 and balance >= hold; PostgreSQL names the first by name.
    ("UPDATE accounts_account SET balance = -1 WHERE id = %s",
     "account_available_not_negative"),
    ("UPDATE accounts_account SET balance = -1, hold = -1 WHERE id = %s",
     "account_balance_not_negative"),
    ("UPDATE accounts_account SET hold = balance + 1 WHERE id = %s",
     "account_available_not_negative"),
    ("UPDATE accounts_account SET status = 'closed' WHERE id = %s", "account_closed_at_zero"),
])
def test_database_refuses_a_negative_balance_even_through_raw_sql(sql, constraint):
    account = AccountFactory(balance=500)
    with pytest.raises(IntegrityError, match=constraint), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [account.pk])
    account.refresh_from_db()
    assert (account.balance, account.hold, account.status) == (500, 0, "active")


def _forged_entry(cursor, account, *amounts):
    """Raw SQL behind the services' back: an entry whose postings are `amounts` on the
    account (first) and vault cash (the rest)."""
    cursor.execute("INSERT INTO accounts_journalentry (kind, memo, reference, created_at) "
                   "VALUES ('forged', '', '', now()) RETURNING id")
    entry_id = cursor.fetchone()[0]
    if amounts:
        cursor.execute("INSERT INTO accounts_posting (entry_id, account_id, currency, amount, "
                       "balance_after, counterparty, memo, created_at) "
                       "VALUES (%s, %s, 'KRW', %s, %s, '', '', now())",
                       [entry_id, account.pk, amounts[0], amounts[0]])
    for amount in amounts[1:]:
        cursor.execute("INSERT INTO accounts_posting (entry_id, ledger_account_id, currency, "
                       "amount, counterparty, memo, created_at) SELECT %s, id, 'KRW', %s, '', "
                       "'', now() FROM accounts_ledgeraccount WHERE code = 'vault_cash' "
                       "AND currency = 'KRW'", [entry_id, amount])
    return entry_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("amounts", "message"), [
    ((1_000_000, -1), "unbalanced: 999999 KRW left over"),
    ((5_000,), "has 1 posting"),
    ((), "has 0 posting"),
])
def test_the_deferred_trigger_refuses_a_bad_entry_at_commit(amounts, message):
    account = AccountFactory()
    # The outermost atomic block: its COMMIT runs the deferred trigger.
    with pytest.raises(IntegrityError, match=message), transaction.atomic(), \
            connection.cursor() as cursor:
        _forged_entry(cursor, account, *amounts)
    assert not JournalEntry.objects.exists()
    assert not Posting.objects.exists()
    account.refresh_from_db()
    assert account.balance == 0


@pytest.mark.django_db(transaction=True)
def test_a_balanced_raw_entry_commits():
    account = AccountFactory()
    with transaction.atomic(), connection.cursor() as cursor:
        entry_id = _forged_entry(cursor, account, 2_000, -1_500, -500)
    assert sorted(Posting.objects.filter(entry_id=entry_id)
                  .values_list("amount", flat=True)) == [-1_500, -500, 2_000]


def test_database_refuses_changing_or_deleting_history():
    account = AccountFactory()
    entry = _deposit(account, 700)
    posting = entry.postings.first()
    for sql, arg in [("UPDATE accounts_posting SET amount = 1 WHERE id = %s", posting.pk),
                     ("UPDATE accounts_posting SET balance_after = 0 WHERE id = %s",
                      posting.pk),
                     ("DELETE FROM accounts_posting WHERE id = %s", posting.pk),
                     ("UPDATE accounts_journalentry SET memo = 'x' WHERE id = %s", entry.pk),
                     ("DELETE FROM accounts_journalentry WHERE id = %s", entry.pk)]:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [arg])
    assert list(entry.postings.order_by("id").values_list("amount", "balance_after")) == [
        (700, 700), (-700, None)]
    assert JournalEntry.objects.get(pk=entry.pk).memo == ""


def test_history_cannot_be_deleted_through_the_orm():
    account = AccountFactory(balance=100)
    entry = JournalEntry.objects.get()
    with pytest.raises(ProtectedError):
        account.delete()
    with pytest.raises(ProtectedError):
        entry.delete()
    assert Posting.objects.filter(account=account).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_deposits_and_withdrawals_lose_nothing_and_never_overdraw():
    account = AccountFactory()
    _deposit(account, 20_000)
    errors, applied, refused = [], [], []
    start = threading.Barrier(8)

    def work(n):
        try:
            start.wait()
            for i in range(10):
                amount = (1_000 + n) * (1 if (n + i) % 2 else -1)
                try:
                    with transaction.atomic():
                        entry_post(kind="cash", lines=[
                            Line(amount=amount, account=account),
                            Line(amount=-amount, ledger="vault_cash")])
                    applied.append(amount)
                except InsufficientFunds:
                    refused.append(amount)
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
    assert len(applied) + len(refused) == 80 and all(a < 0 for a in refused)
    account.refresh_from_db()
    # No lost update: the balance is exactly the start plus every movement that committed.
    assert account.balance == 20_000 + sum(applied)
    postings = list(Posting.objects.filter(account=account).order_by("id"))
    assert len(postings) == 1 + len(applied)
    # Never overdrawn: each balance_after is the previous one plus the amount, never < 0.
    running = 0
    for posting in postings:
        running += posting.amount
        assert posting.balance_after == running >= 0
    assert running == account.balance
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0


@pytest.mark.django_db(transaction=True)
def test_simultaneous_withdrawals_pay_out_exactly_what_the_balance_covers():
    account = AccountFactory()
    _deposit(account, 10_000)
    start = threading.Barrier(8)
    outcomes, errors = [], []

    def withdraw():
        try:
            start.wait()
            with transaction.atomic():
                entry_post(kind="cash", lines=[Line(amount=-3_000, account=account),
                                               Line(amount=3_000, ledger="vault_cash")])
            outcomes.append("paid")
        except InsufficientFunds:
            outcomes.append("refused")
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=withdraw) for _n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == ["paid"] * 3 + ["refused"] * 5
    account.refresh_from_db()
    assert account.balance == 1_000
    assert sorted(Posting.objects.filter(account=account)
                  .values_list("balance_after", flat=True)) == [1_000, 4_000, 7_000, 10_000]
    assert JournalEntry.objects.count() == 4
