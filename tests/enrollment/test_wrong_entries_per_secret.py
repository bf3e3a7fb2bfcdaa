"""Each secret keeps its own run of wrong entries: a correct entry of one secret never
buys more guesses at another (the 5-strike rule cannot be walked around)."""

import pytest

from accounts.services import WrongAccountPassword, account_password_verify
from enrollment.models import Customer
from enrollment.security import WrongSecurityCode, security_answer_verify, security_challenge_issue
from enrollment.services import CustomerSuspended
from tests.accounts.factories import AccountFactory
from tests.enrollment.media import card_answer, card_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _wrong(codes, challenge) -> str:
    return f"{(int(card_answer(codes, challenge)) + 1) % 10_000:04d}"


def test_a_right_account_password_does_not_reset_the_card_run():
    customer = CustomerFactory()
    account = AccountFactory(owner=customer)
    _card, codes = card_for(customer)
    for _ in range(4):
        challenge = security_challenge_issue(customer=customer)
        with pytest.raises(WrongSecurityCode):
            security_answer_verify(customer=customer, challenge_id=challenge.id,
                                   answer=_wrong(codes, challenge))
        account_password_verify(customer=customer, account=account, password="1234")
    customer.refresh_from_db()
    assert customer.wrong_entry_runs == {"security_card": 4}
    assert customer.wrong_entries == 4 and customer.suspension == ""

    challenge = security_challenge_issue(customer=customer)
    with pytest.raises(WrongSecurityCode):
        security_answer_verify(customer=customer, challenge_id=challenge.id,
                               answer=_wrong(codes, challenge))
    customer.refresh_from_db()
    assert customer.suspension == Customer.Suspension.WRONG_ENTRIES
    with pytest.raises(CustomerSuspended):
        account_password_verify(customer=customer, account=account, password="1234")


def test_a_right_card_answer_does_not_reset_the_account_password_run():
    customer = CustomerFactory()
    account = AccountFactory(owner=customer)
    _card, codes = card_for(customer)
    for attempt in range(1, 6):
        challenge = security_challenge_issue(customer=customer)
        security_answer_verify(customer=customer, challenge_id=challenge.id,
                               answer=card_answer(codes, challenge))
        # The 5th wrong password answers with the suspension itself.
        expected = CustomerSuspended if attempt == 5 else WrongAccountPassword
        with pytest.raises(expected):
            account_password_verify(customer=customer, account=account, password="9999")
    customer.refresh_from_db()
    assert customer.wrong_entry_runs == {"account_password": 5}
    assert customer.suspension == Customer.Suspension.WRONG_ENTRIES


def test_a_right_entry_ends_only_its_own_run():
    customer = CustomerFactory()
    account = AccountFactory(owner=customer)
    _card, codes = card_for(customer)
    with pytest.raises(WrongAccountPassword):
        account_password_verify(customer=customer, account=account, password="9999")
    for _ in range(2):
        challenge = security_challenge_issue(customer=customer)
        with pytest.raises(WrongSecurityCode):
            security_answer_verify(customer=customer, challenge_id=challenge.id,
                                   answer=_wrong(codes, challenge))
    account_password_verify(customer=customer, account=account, password="1234")
    customer.refresh_from_db()
    assert customer.wrong_entry_runs == {"security_card": 2} and customer.wrong_entries == 2
