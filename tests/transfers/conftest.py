import base64

import pytest
from django.utils import timezone

from accounts.models import Account, JournalEntry, Posting
from certcenter import ca as ca_ops
from certcenter import client as device
from certcenter.models import CertificateAuthority
from enrollment.security import security_card_issue, security_challenge_issue
from tests.accounts.factories import AccountFactory
from tests.certcenter.conftest import certificate_make
from tests.factories import CustomerFactory
from transfers.services import transfer_order_bytes


def bank_ca_ensure() -> None:
    """The bank's CA, created once per test database (certificates need an issuer)."""
    if not CertificateAuthority.objects.filter(active=True).exists():
        ca_ops.ca_hierarchy_create(now=timezone.now())


class CardHolder:
    """A customer with a security card (grade general) whose codes the test knows, and (on
    first signature) a joint certificate whose key the test holds like a device would."""

    def __init__(self, customer, codes):
        self.customer = customer
        self.codes = codes
        self.certificate = None
        self.key = None

    def certify(self):
        bank_ca_ensure()
        self.certificate, self.key = certificate_make(self.customer)
        return self.certificate

    def certificate_der(self) -> bytes:
        return bytes(self.certificate.der)

    def sign_bytes(self, order: bytes) -> bytes:
        """What the device does: sign the order bytes the bank handed out."""
        if self.key is None:
            self.certify()
        return device.sign(self.key, order)

    def sign(self, transfer) -> bytes:
        return self.sign_bytes(transfer_order_bytes(transfer=transfer))

    def sign_base64(self, order_base64: str) -> str:
        return base64.b64encode(self.sign_bytes(base64.b64decode(order_base64))).decode()

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
