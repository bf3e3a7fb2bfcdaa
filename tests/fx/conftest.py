"""FX fixtures: a rate notice published at a named instant, the Eurogiro partners and a
sender with a security card and a funded account (and a joint certificate once it signs)."""

from datetime import datetime

import pytest
import time_machine

from accounts.models import Account, JournalEntry, Posting
from fx.models import Currency, EurogiroPartner, Remittance
from fx.reference import EUROGIRO_PARTNERS
from fx.services import RateRow, rate_notice_publish, rate_row_clean, remittance_order_bytes
from postbank.kst import KST
from tests.accounts.factories import AccountFactory
from tests.transfers.conftest import card_holder

# The day before: the sender's account is funded.
FUNDED_AT = datetime(2026, 3, 1, 10, 0, tzinfo=KST)
# Monday 2 March 2026, 09:00 KST: the morning's first notice.
NOTICE_AT = datetime(2026, 3, 2, 9, 0, tzinfo=KST)
# Half an hour later: the customer remits.
REMIT_AT = datetime(2026, 3, 2, 9, 30, tzinfo=KST)

RATES = {
    # currency: base, cash_buy, cash_sell, tt_send, tt_receive (won per unit; JPY per 100)
    "USD": ("1400.00", "1375.50", "1424.50", "1414.35", "1386.00"),
    "EUR": ("1620.00", "1587.92", "1652.08", "1636.20", "1603.80"),
    "JPY": ("930.00", "913.73", "946.28", "939.30", "920.70"),
    "CHF": ("1580.00", "1552.35", "1607.65", "1595.80", "1564.20"),
    "THB": ("40.00", "37.60", "42.40", "40.40", "39.60"),
}

SEPA = {
    "beneficiary_name": "Hans Mueller",
    "beneficiary_address": "Hauptstrasse 1, 10115 Berlin",
    "country": "DE",
    "account": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
    "purpose": "Family support",
}


def rate_rows(rates: dict | None = None) -> list[RateRow]:
    names = ("base", "cash_buy", "cash_sell", "tt_send", "tt_receive")
    return [rate_row_clean({"currency": code, **dict(zip(names, values, strict=True))})
            for code, values in (rates or RATES).items()]


@pytest.fixture
def notice(db):
    return rate_notice_publish(rows=rate_rows(), source="counter", noticed_at=NOTICE_AT)


@pytest.fixture
def at_remit_time():
    with time_machine.travel(REMIT_AT, tick=True):
        yield REMIT_AT


@pytest.fixture
def partners(db):
    for country, name, bic, currency, account_payout, cash_payout in EUROGIRO_PARTNERS:
        EurogiroPartner.objects.update_or_create(country=country, defaults={
            "name": name, "bic": bic, "currency_id": currency,
            "account_payout": account_payout, "cash_payout": cash_payout})
    return {p.country: p for p in EurogiroPartner.objects.all()}


@pytest.fixture
def sender(db):
    with time_machine.travel(FUNDED_AT, tick=False):
        holder = card_holder(name="김해외")
        holder.account = AccountFactory(owner=holder.customer, balance=200_000_000)
    return holder


def signed(holder, remittance: Remittance) -> bytes:
    """What the customer's device does: sign the canonical remittance order with the joint
    certificate (issued to the holder on first use)."""
    return holder.sign_bytes(remittance_order_bytes(remittance=remittance))


def usd() -> Currency:
    return Currency.objects.get(code="USD")


def ledger_snapshot() -> tuple:
    return (sorted(Account.objects.values_list("pk", "balance")),
            JournalEntry.objects.count(), Posting.objects.count(),
            sorted(Remittance.objects.exclude(status=Remittance.Status.QUOTED)
                   .values_list("pk", "status")))


def postings_by_currency(entry: JournalEntry) -> dict[str, dict[str, int]]:
    """{currency: {"deposit"|ledger code: amount}} of one entry."""
    result: dict[str, dict[str, int]] = {}
    for posting in entry.postings.select_related("ledger_account"):
        key = posting.ledger_account.code if posting.ledger_account else "deposit"
        bucket = result.setdefault(posting.currency, {})
        bucket[key] = bucket.get(key, 0) + posting.amount
    return result


@pytest.fixture(autouse=True)
def _english_messages():
    """Services answer in the active language (Korean by default); the assertions on
    message texts here read the English msgids. Pages pick their language per request."""
    from django.utils import translation

    with translation.override("en"):
        yield
