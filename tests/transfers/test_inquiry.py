"""Recipient inquiry: who holds the destination, the fee, and every refusal before money."""

import pytest

from accounts.models import Account
from accounts.services import AccountNotActive
from enrollment.models import Customer
from enrollment.services import CustomerSuspended
from postbank import policy
from postbank.errors import InvalidInput, NotFound
from tests.accounts.factories import AccountFactory
from tests.factories import CustomerFactory
from tests.transfers.factories import ClearingHouseAccountFactory
from transfers.services import (
    RecipientNotActive,
    RecipientNotFound,
    SameAccount,
    UnknownBank,
    recipient_inquiry,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return AccountFactory(owner=CustomerFactory(name="보내는이"), balance=100_000)


def test_own_account_is_free_and_named(source):
    mine = AccountFactory(owner=source.owner)
    found = recipient_inquiry(
        customer=source.owner,
        from_number=source.formatted_number,
        bank_code="071",
        account_number=mine.formatted_number,
    )
    assert (found.kind, found.name, found.fee, found.to_account) == ("own", "보내는이", 0, mine)


def test_another_post_office_account_shows_the_holder(source):
    other = AccountFactory(owner=CustomerFactory(name="김우체"))
    found = recipient_inquiry(
        customer=source.owner,
        from_number=source.number,
        bank_code="071",
        account_number=other.number,
    )
    assert (found.kind, found.name, found.fee) == ("postoffice", "김우체", 0)


def test_another_bank_goes_through_the_directory_with_the_fee(source):
    entry = ClearingHouseAccountFactory(
        bank_code="088", number="110123456789", holder_name="이신한"
    )
    found = recipient_inquiry(
        customer=source.owner,
        from_number=source.number,
        bank_code="088",
        account_number="110-123-456789",
    )
    assert (found.kind, found.name, found.clearing_account) == ("interbank", "이신한", entry)
    assert found.fee == policy.TRANSFER_FEE_WON["interbank"] == 500


@pytest.mark.parametrize(
    ("bank", "number", "error", "code"),
    [
        ("999", "110123456789", UnknownBank, "unknown_bank"),
        ("071", "12345", InvalidInput, "invalid_account_number"),
        ("088", "12ab", InvalidInput, "invalid_account_number"),
        ("088", "999999999999", RecipientNotFound, "recipient_not_found"),
    ],
)
def test_unknown_or_malformed_destinations_are_refused(source, bank, number, error, code):
    with pytest.raises(error) as caught:
        recipient_inquiry(
            customer=source.owner, from_number=source.number, bank_code=bank, account_number=number
        )
    assert caught.value.code == code


def test_wrong_check_digit_and_unknown_post_office_account(source):
    wrong = source.number[:13] + str((int(source.number[13]) + 1) % 10)
    with pytest.raises(InvalidInput) as caught:
        recipient_inquiry(
            customer=source.owner, from_number=source.number, bank_code="071", account_number=wrong
        )
    assert caught.value.code == "invalid_account_number"
    from accounts.numbers import account_number_make

    nobody = account_number_make(office="099999", subject="01", serial=4)
    with pytest.raises(RecipientNotFound):
        recipient_inquiry(
            customer=source.owner, from_number=source.number, bank_code="071", account_number=nobody
        )


def test_same_account_at_both_ends_is_refused(source):
    with pytest.raises(SameAccount) as caught:
        recipient_inquiry(
            customer=source.owner,
            from_number=source.number,
            bank_code="071",
            account_number=source.formatted_number,
        )
    assert caught.value.code == "same_account"


def test_frozen_accounts_at_either_end_are_refused(source):
    other = AccountFactory(status=Account.Status.FROZEN)
    with pytest.raises(RecipientNotActive) as caught:
        recipient_inquiry(
            customer=source.owner,
            from_number=source.number,
            bank_code="071",
            account_number=other.number,
        )
    assert caught.value.code == "recipient_account_not_active"
    Account.objects.filter(pk=source.pk).update(status=Account.Status.FROZEN)
    with pytest.raises(AccountNotActive):
        recipient_inquiry(
            customer=source.owner,
            from_number=source.number,
            bank_code="071",
            account_number=AccountFactory().number,
        )


def test_someone_elses_source_account_is_not_found(source):
    stranger = CustomerFactory()
    with pytest.raises(NotFound) as caught:
        recipient_inquiry(
            customer=stranger,
            from_number=source.number,
            bank_code="071",
            account_number=AccountFactory().number,
        )
    assert caught.value.status == 404


def test_a_suspended_customer_is_refused(source):
    Customer.objects.filter(pk=source.owner.pk).update(suspension="wrong_entries")
    source.owner.refresh_from_db()
    with pytest.raises(CustomerSuspended):
        recipient_inquiry(
            customer=source.owner,
            from_number=source.number,
            bank_code="071",
            account_number=AccountFactory().number,
        )
