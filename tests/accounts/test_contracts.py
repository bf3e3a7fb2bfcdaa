"""The cross-app contracts: owner-scoped lookups, account password, opening, funding."""

import hashlib

import pytest

from accounts.models import Account, JournalEntry, Posting
from accounts.numbers import account_number_format
from accounts.selectors import account_get_for_customer, accounts_for_customer
from accounts.services import (
    InvalidAccountPassword,
    WrongAccountPassword,
    account_open,
    account_password_verify,
)
from enrollment.services import CustomerSuspended
from postbank import policy
from postbank.crypto import keyed_hash
from postbank.errors import InvalidInput, NotFound
from postbank.models import AuditEvent
from tests.accounts.factories import AccountFactory, account_fund
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_account_get_for_customer_accepts_any_format():
    account = AccountFactory()
    for text in [account.number, account.formatted_number, f"  {account.formatted_number} "]:
        assert account_get_for_customer(customer=account.owner, number=text) == account


def test_another_customers_account_is_not_found():
    account = AccountFactory()
    stranger = CustomerFactory()
    with pytest.raises(NotFound) as caught:
        account_get_for_customer(customer=stranger, number=account.number)
    assert caught.value.status == 404


def test_a_wrong_check_digit_is_invalid_input():
    account = AccountFactory()
    wrong = account.number[:13] + str((int(account.number[13]) + 1) % 10)
    with pytest.raises(InvalidInput) as caught:
        account_get_for_customer(customer=account.owner, number=wrong)
    assert caught.value.code == "invalid_account_number"
    with pytest.raises(InvalidInput):
        account_get_for_customer(customer=account.owner, number="12345")


def test_accounts_for_customer_lists_own_open_accounts_only():
    mine = AccountFactory()
    second = AccountFactory(owner=mine.owner)
    AccountFactory(owner=mine.owner, status=Account.Status.CLOSED)
    AccountFactory()
    assert list(accounts_for_customer(customer=mine.owner)) == [mine, second]
    assert accounts_for_customer(customer=mine.owner, include_closed=True).count() == 3


def test_account_fund_posts_a_balanced_entry_from_vault_cash():
    account = AccountFactory(balance=70_000)
    assert account.balance == 70_000
    entry = JournalEntry.objects.get()
    assert sorted((p.amount, p.ledger_account.code if p.ledger_account else None)
                  for p in entry.postings.all()) == [(-70_000, "vault_cash"), (70_000, None)]
    account_fund(account, 5)
    assert account.balance == 70_005
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0


def test_account_password_verify_counts_wrong_entries_and_resets_on_success():
    account = AccountFactory()
    customer = account.owner
    for expected in (1, 2):
        with pytest.raises(WrongAccountPassword) as caught:
            account_password_verify(customer=customer, account=account, password="9999")
        assert caught.value.code == "wrong_account_password"
        assert caught.value.extra["attempts_left"] == policy.WRONG_ENTRY_LIMIT - expected
    customer.refresh_from_db()
    assert customer.wrong_entries == 2
    account_password_verify(customer=customer, account=account, password="1234")
    customer.refresh_from_db()
    assert customer.wrong_entries == 0


def test_fifth_wrong_account_password_suspends():
    account = AccountFactory()
    customer = account.owner
    for _n in range(policy.WRONG_ENTRY_LIMIT - 1):
        with pytest.raises(WrongAccountPassword):
            account_password_verify(customer=customer, account=account, password="0000")
    with pytest.raises(CustomerSuspended):
        account_password_verify(customer=customer, account=account, password="0000")
    customer.refresh_from_db()
    assert customer.suspension == "wrong_entries"
    with pytest.raises(CustomerSuspended):
        account_password_verify(customer=customer, account=account, password="1234")


def test_password_of_another_customers_account_is_not_found_and_not_counted():
    account = AccountFactory()
    stranger = CustomerFactory()
    with pytest.raises(NotFound):
        account_password_verify(customer=stranger, account=account, password="1234")
    stranger.refresh_from_db()
    assert stranger.wrong_entries == 0


def test_malformed_password_is_invalid_input_and_not_counted():
    account = AccountFactory()
    with pytest.raises(InvalidAccountPassword):
        account_password_verify(customer=account.owner, account=account, password="12a4")
    account.owner.refresh_from_db()
    assert account.owner.wrong_entries == 0


def test_account_open_makes_a_valid_number_with_the_password():
    customer = CustomerFactory()
    teller = UserFactory(is_staff=True)
    account = account_open(customer=customer, subject="02", password="4321", actor=teller)
    assert account.number.startswith(policy.ACCOUNT_OPENING_OFFICE + "02")
    assert account_get_for_customer(customer=customer,
                                    number=account_number_format(account.number)) == account
    assert account.status == "active" and account.balance == 0
    stored = Account.objects.get(pk=account.pk).password_hash
    # A keyed hash bound to the number: not the PIN, and not what the same PIN on another
    # account (or the unkeyed digest) would store.
    assert stored != "4321" and len(stored) == 64
    assert stored == keyed_hash("account-password", f"{account.number}:4321")
    assert stored != hashlib.sha256(f"{account.number}:4321".encode()).hexdigest()
    other = account_open(customer=customer, subject="02", password="4321")
    assert other.password_hash != stored
    for pin, expected in [("4321", True), ("1234", False), ("4320", False), ("", False)]:
        assert account.password_matches(pin) is expected
    account_password_verify(customer=customer, account=account, password="4321")
    with pytest.raises(WrongAccountPassword):
        account_password_verify(customer=customer, account=account, password="1234")
    assert AuditEvent.objects.filter(event="account_opened", actor=teller,
                                     subject=f"account:{account.number}").exists()


def test_account_open_refuses_a_bad_password_or_subject():
    customer = CustomerFactory()
    with pytest.raises(InvalidAccountPassword):
        account_open(customer=customer, password="123")
    with pytest.raises(InvalidInput) as caught:
        account_open(customer=customer, subject="09", password="1234")
    assert caught.value.code == "invalid_subject"
    assert not Account.objects.exists()
