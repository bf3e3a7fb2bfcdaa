import pytest

from accounts.models import Account, JournalEntry, Posting
from enrollment.security import security_card_issue, security_challenge_issue
from tests.accounts.factories import AccountFactory
from tests.factories import CustomerFactory


class CardHolder:
    """A customer with a security card (grade general) whose codes the test knows."""

    def __init__(self, customer, codes):
        self.customer = customer
        self.codes = codes

    def answer(self) -> tuple[str, str]:
        challenge = security_challenge_issue(customer=self.customer)
        return (
            challenge.id,
            self.codes[challenge.first_index - 1][:2] + self.codes[challenge.second_index - 1][2:],
        )

    def wrong_answer(self) -> tuple[str, str]:
        challenge_id, answer = self.answer()
        return challenge_id, f"{(int(answer) + 1) % 10_000:04d}"


def card_holder(**customer_fields) -> CardHolder:
    customer = CustomerFactory(**customer_fields)
    _card, codes = security_card_issue(customer=customer)
    return CardHolder(customer, codes)


@pytest.fixture
def sender():
    holder = card_holder(name="보내는이")
    holder.account = AccountFactory(owner=holder.customer, balance=1_000_000)
    return holder


@pytest.fixture
def receiver():
    return AccountFactory(owner=CustomerFactory(name="받는이"), balance=10_000)


def ledger_snapshot() -> tuple:
    """Everything that records money: balances, entries, postings."""
    return (
        sorted(Account.objects.values_list("pk", "balance")),
        JournalEntry.objects.count(),
        Posting.objects.count(),
    )
