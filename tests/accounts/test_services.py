"""Account lifecycle and counter cash."""

import threading

import pytest
from django.db import connection

from accounts.models import Account, CashTransaction, JournalEntry, Posting
from accounts.services import (
    AccountNotActive,
    AccountNotClosable,
    AccountStatusConflict,
    InsufficientFunds,
    account_close,
    account_freeze,
    account_hold_set,
    account_unfreeze,
    cash_deposit,
    cash_withdrawal,
)
from postbank.errors import InvalidInput
from postbank.idempotency import IdempotencyKeyReused
from postbank.models import AuditEvent
from tests.accounts.factories import AccountFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teller():
    return UserFactory(username="teller-park", is_staff=True)


def _vault_total():
    return sum(Posting.objects.filter(ledger_account__code="vault_cash")
               .values_list("amount", flat=True))


def test_cash_deposit_records_the_id_check_and_one_balanced_entry(teller):
    account = AccountFactory()
    record = cash_deposit(account=account, amount="150,000", id_document="driver_license",
                          teller=teller, idempotency_key="k-1", memo="월세")
    account.refresh_from_db()
    assert account.balance == 150_000
    assert record.amount == 150_000 and record.id_document == "driver_license"
    assert record.teller == teller and record.entry.actor == teller
    assert sorted(record.entry.postings.values_list("amount", flat=True)) == [-150_000, 150_000]
    assert _vault_total() == -150_000
    assert AuditEvent.objects.filter(event="cash_deposit", actor=teller).count() == 1


def test_repeated_key_returns_the_first_result_and_moves_nothing(teller):
    account = AccountFactory()
    first = cash_deposit(account=account, amount=10_000, id_document="passport", teller=teller,
                         idempotency_key="same")
    again = cash_deposit(account=account, amount=10_000, id_document="passport", teller=teller,
                         idempotency_key="same")
    assert again == first
    account.refresh_from_db()
    assert account.balance == 10_000
    assert JournalEntry.objects.count() == 1
    with pytest.raises(IdempotencyKeyReused):
        cash_deposit(account=account, amount=20_000, id_document="passport", teller=teller,
                     idempotency_key="same")
    account.refresh_from_db()
    assert account.balance == 10_000


def test_cash_withdrawal_checks_the_available_amount(teller):
    account = AccountFactory(balance=50_000)
    account_hold_set(account=account, hold=20_000)
    with pytest.raises(InsufficientFunds):
        cash_withdrawal(account=account, amount=30_001, id_document="resident_card",
                        teller=teller, idempotency_key="w-1")
    assert not CashTransaction.objects.exists()
    cash_withdrawal(account=account, amount=30_000, id_document="resident_card", teller=teller,
                    idempotency_key="w-2")
    account.refresh_from_db()
    assert (account.balance, account.hold, account.available) == (20_000, 20_000, 0)


@pytest.mark.parametrize("amount", [0, -5, "1.5", 1.0, "abc", 1_000_000_000_001])
def test_bad_amounts_are_refused_and_nothing_moves(teller, amount):
    account = AccountFactory(balance=1_000)
    with pytest.raises(InvalidInput) as caught:
        cash_deposit(account=account, amount=amount, id_document="passport", teller=teller,
                     idempotency_key="bad")
    assert caught.value.code == "invalid_amount"
    account.refresh_from_db()
    assert account.balance == 1_000
    assert JournalEntry.objects.count() == 1


def test_cash_needs_an_id_check_and_a_key(teller):
    account = AccountFactory(balance=1_000)
    with pytest.raises(InvalidInput) as caught:
        cash_withdrawal(account=account, amount=100, id_document="", teller=teller,
                        idempotency_key="x")
    assert caught.value.code == "id_check_missing"
    with pytest.raises(InvalidInput) as caught:
        cash_withdrawal(account=account, amount=100, id_document="passport", teller=teller,
                        idempotency_key=" ")
    assert caught.value.code == "invalid_idempotency_key"
    account.refresh_from_db()
    assert account.balance == 1_000


def test_freeze_stops_cash_and_unfreeze_restores_it(teller):
    account = AccountFactory(balance=5_000)
    account_freeze(account=account, actor=teller, reason="압류 통지")
    assert Account.objects.get(pk=account.pk).status == "frozen"
    with pytest.raises(AccountNotActive):
        cash_withdrawal(account=account, amount=1_000, id_document="passport", teller=teller,
                        idempotency_key="f-1")
    with pytest.raises(AccountStatusConflict):
        account_freeze(account=account, actor=teller)
    account_unfreeze(account=account, actor=teller)
    cash_withdrawal(account=account, amount=1_000, id_document="passport", teller=teller,
                    idempotency_key="f-2")
    account.refresh_from_db()
    assert (account.status, account.balance) == ("active", 4_000)
    assert list(AuditEvent.objects.filter(subject=f"account:{account.number}")
                .order_by("id").values_list("event", flat=True)) == [
        "account_frozen", "account_unfrozen", "cash_withdrawal"]


def test_close_only_at_zero_balance(teller):
    account = AccountFactory(balance=3_000)
    with pytest.raises(AccountNotClosable):
        account_close(account=account, actor=teller)
    assert Account.objects.get(pk=account.pk).status == "active"
    cash_withdrawal(account=account, amount=3_000, id_document="passport", teller=teller,
                    idempotency_key="c-1")
    account_close(account=account, actor=teller)
    account.refresh_from_db()
    assert account.status == "closed" and account.closed_at is not None
    with pytest.raises(AccountNotActive):
        cash_deposit(account=account, amount=1, id_document="passport", teller=teller,
                     idempotency_key="c-2")
    with pytest.raises(AccountStatusConflict):
        account_unfreeze(account=account, actor=teller)


def test_hold_cannot_exceed_the_balance():
    account = AccountFactory(balance=1_000)
    with pytest.raises(InsufficientFunds):
        account_hold_set(account=account, hold=1_001)
    with pytest.raises(InvalidInput):
        account_hold_set(account=account, hold=-1)
    assert Account.objects.get(pk=account.pk).hold == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_counter_cash_loses_no_update_and_never_overdraws():
    teller = UserFactory(username="teller-conc", is_staff=True)
    account = AccountFactory(balance=20_000)
    errors, refused = [], []

    def work(n):
        try:
            for i in range(8):
                kwargs = {"account": Account.objects.get(pk=account.pk), "amount": 3_000,
                          "id_document": "passport", "teller": teller,
                          "idempotency_key": f"t{n}-{i}"}
                try:
                    if n % 2:
                        cash_deposit(**kwargs)
                    else:
                        cash_withdrawal(**kwargs)
                except InsufficientFunds:
                    refused.append((n, i))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    account.refresh_from_db()
    deposits = CashTransaction.objects.filter(direction="deposit").count()
    withdrawals = CashTransaction.objects.filter(direction="withdrawal").count()
    assert deposits == 24 and withdrawals + len(refused) == 24
    assert account.balance == 20_000 + 3_000 * (deposits - withdrawals) >= 0
    assert account.balance == sum(account.postings.values_list("amount", flat=True))
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0
