"""SWIFT and Eurogiro remittances: quotes to the won, confirmation moving money once, every
refusal before money moves, the network, returns and the reconciled ledger."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from accounts.models import JournalEntry
from accounts.reconciliation import reconciliation_run
from enrollment.models import Notification
from fx.models import AnnualUsage, Currency, Remittance
from fx.services import (
    network_sweep,
    rate_notice_publish,
    remittance_confirm,
    remittance_credit,
    remittance_order_bytes,
    remittance_quote,
    remittance_return,
    remittance_send,
)
from postbank import policy
from postbank.errors import PostbankError
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.fx.conftest import (
    KST,
    RATES,
    REMIT_AT,
    SEPA,
    ledger_snapshot,
    postings_by_currency,
    rate_rows,
    signed,
)

pytestmark = pytest.mark.django_db

START = 200_000_000


def quote(sender, *, key="quote-0001", **overrides) -> Remittance:
    fields = {"kind": "swift", "from_number": sender.account.number, "currency": "USD",
              "amount": "1000.00", "sender_name": "KIM HAEOE", "charges": "SHA", **SEPA}
    fields.update(overrides)
    return remittance_quote(customer=sender.customer, idempotency_key=key, **fields)


SIGN = object()  # the default: the sender's device signs the order


def confirm(sender, remittance, *, password=ACCOUNT_PASSWORD, answer=None, signature=SIGN,
            **kwargs):
    challenge_id, right = sender.answer()
    if signature is SIGN:
        signature = signed(sender, remittance)
    return remittance_confirm(customer=sender.customer, remittance=remittance,
                              account_password=password, challenge_id=challenge_id,
                              security_answer=answer or right, signature=signature, **kwargs)


@pytest.mark.parametrize(("charges", "intermediary", "total"), [
    ("OUR", 25_458, 1_454_808),  # 18 USD at 1,414.35 = 25,458.3 → 25,458
    ("SHA", 0, 1_429_350),
    ("BEN", 0, 1_429_350),
])
def test_swift_quote_for_each_charge_option(sender, notice, at_remit_time, charges,
                                            intermediary, total):
    remittance = quote(sender, charges=charges)
    assert remittance.status == Remittance.Status.QUOTED
    assert remittance.rate == Decimal(RATES["USD"][3])  # TT send
    assert (remittance.amount, remittance.usd_cents) == (100_000, 100_000)
    assert remittance.krw_amount == 1_414_350
    assert remittance.sending_fee == 10_000  # tier up to USD 2,000
    assert remittance.cable_charge == policy.SWIFT_CABLE_CHARGE_WON == 5_000
    assert remittance.intermediary_usd_cents == (1_800 if charges == "OUR" else 0)
    assert remittance.intermediary_krw == intermediary
    assert remittance.total_krw == total
    assert remittance.moved_money is False
    sender.account.refresh_from_db()
    assert sender.account.balance == START


def test_quote_rounds_down_to_the_won_and_prices_cross_currencies(sender, notice,
                                                                  at_remit_time):
    small = quote(sender, amount="123.45", charges="OUR", key="quote-small")
    # 123.45 x 1,414.35 = 174,601.5075 → 174,601; tier up to USD 500 → 5,000
    assert (small.krw_amount, small.sending_fee, small.total_krw) == (
        174_601, 5_000, 174_601 + 5_000 + 5_000 + 25_458)
    euros = quote(sender, currency="EUR", amount="2,500.50", key="quote-eur")
    # 2,500.50 x 1,636.20 = 4,091,318.1 → 4,091,318; USD value 2,500.50 x 1,620 / 1,400
    # = 2,893.4357 → USD 2,893.44 (half up) → tier up to USD 5,000 → 15,000
    assert (euros.krw_amount, euros.usd_cents, euros.sending_fee) == (4_091_318, 289_344,
                                                                      15_000)
    yen = quote(sender, currency="JPY", amount="150000", key="quote-jpy",
                country="JP", account="1234567", bic="MHCBJPJT", beneficiary_name="Yamada",
                beneficiary_address="1-2-3 Chiyoda, Tokyo")
    # 150,000 yen at 939.30 per 100 yen = 1,408,950; USD 150,000 x 9.30 / 1,400 = 996.43
    assert (yen.krw_amount, yen.usd_cents, yen.sending_fee, yen.account_is_iban) == (
        1_408_950, 99_643, 10_000, False)


def test_confirm_moves_the_money_once_in_one_balanced_entry(sender, notice, at_remit_time):
    remittance = quote(sender, charges="OUR")
    confirmed = confirm(sender, remittance)
    assert confirmed.status == Remittance.Status.RECEIVED
    sender.account.refresh_from_db()
    assert sender.account.balance == START - 1_454_808
    assert postings_by_currency(confirmed.entry) == {
        "KRW": {"deposit": -1_454_808, "fx_position": 1_414_350 + 25_458,
                "fee_income": 15_000},
        "USD": {"fx_position": -101_800, "interbank_clearing": 101_800},
    }
    assert AnnualUsage.objects.get(customer=sender.customer, year=2026).used_usd_cents \
        == 100_000
    assert list(confirmed.events.values_list("status", flat=True)) == ["received"]
    # A double click or a retry returns the first result and moves nothing again.
    entries = JournalEntry.objects.count()
    again = remittance_confirm(customer=sender.customer, remittance=remittance,
                               account_password="0000", challenge_id=None,
                               security_answer="")
    assert again.pk == confirmed.pk and JournalEntry.objects.count() == entries
    assert reconciliation_run(trigger="test").ok


def test_same_idempotency_key_returns_the_first_quote(sender, notice, at_remit_time):
    first = quote(sender, key="same-key-01")
    assert quote(sender, key="same-key-01").pk == first.pk
    with pytest.raises(PostbankError) as error:
        quote(sender, key="same-key-01", amount="1000.01")
    assert error.value.code == "idempotency_key_reused"
    assert Remittance.objects.count() == 1


def _schwifty_reason(kind, value) -> str:
    with pytest.raises(SchwiftyException) as library:
        kind(value)
    return str(library.value)


BAD_INPUTS = [
    ({"bic": "COBADE"}, "invalid_bic", lambda: _schwifty_reason(BIC, "COBADE")),
    ({"bic": "COBAXXFF"}, "invalid_bic", lambda: _schwifty_reason(BIC, "COBAXXFF")),
    ({"bic": "CHASUS33"}, "invalid_bic", lambda: "another country"),
    ({"account": "DE89370400440532013001"}, "invalid_iban",
     lambda: _schwifty_reason(IBAN, "DE89370400440532013001")),
    ({"account": "DE8937040044053201300"}, "invalid_iban",
     lambda: _schwifty_reason(IBAN, "DE8937040044053201300")),
    ({"country": "KP"}, "country_not_offered", lambda: "not offered"),
    ({"country": "XX"}, "country_not_offered", lambda: "not offered"),
    ({"currency": "XAU"}, "currency_not_offered", lambda: "not offered"),
    ({"amount": "10.001"}, "invalid_amount_decimals", lambda: "decimals"),
    ({"amount": "0"}, "invalid_amount", lambda: "positive"),
    ({"beneficiary_name": "홍길동"}, "unsupported_characters", lambda: "cannot carry"),
    ({"beneficiary_address": "Berlin; Hauptstr. 1"}, "unsupported_characters",
     lambda: "cannot carry"),
    ({"charges": "ALL"}, "invalid_charges", lambda: "OUR, SHA or BEN"),
]


@pytest.mark.parametrize(("change", "code", "reason"), BAD_INPUTS)
def test_bad_input_is_refused_before_anything_is_created(sender, notice, at_remit_time,
                                                         change, code, reason):
    before = ledger_snapshot()
    with pytest.raises(PostbankError) as error:
        quote(sender, **change)
    assert error.value.code == code
    assert reason() in str(error.value.message)
    assert ledger_snapshot() == before
    assert not Remittance.objects.exists()


def test_untransmittable_characters_name_the_characters(sender, notice, at_remit_time):
    with pytest.raises(PostbankError) as error:
        quote(sender, beneficiary_name="Hans 홍 Müller")
    assert error.value.extra == {"field": "beneficiary_name", "characters": "홍"}
    transliterated = quote(sender, beneficiary_name="Hans Müller-Łukasz")
    assert transliterated.beneficiary_name == "Hans Muller-Lukasz"


def test_inactive_currency_is_not_offered(sender, notice, at_remit_time):
    Currency.objects.filter(code="EUR").update(active=False)
    with pytest.raises(PostbankError) as error:
        quote(sender, currency="EUR")
    assert error.value.code == "currency_not_offered"


def test_wrong_secrets_and_missing_funds_move_nothing(sender, notice, at_remit_time):
    remittance = quote(sender)
    before = ledger_snapshot()
    with pytest.raises(PostbankError) as wrong_password:
        confirm(sender, remittance, password="9999")
    assert wrong_password.value.code == "wrong_account_password"
    challenge_id, wrong = sender.wrong_answer()
    with pytest.raises(PostbankError) as wrong_code:
        remittance_confirm(customer=sender.customer, remittance=remittance,
                           account_password=ACCOUNT_PASSWORD, challenge_id=challenge_id,
                           security_answer=wrong, signature=signed(sender, remittance))
    assert wrong_code.value.code == "wrong_security_code"
    with pytest.raises(PostbankError) as bad_signature:
        confirm(sender, remittance, signature=b"\x01" * 256)
    assert bad_signature.value.code == "invalid_signature"
    remittance.refresh_from_db()
    assert remittance.status == Remittance.Status.QUOTED
    assert ledger_snapshot() == before

    poor = AccountFactory(owner=sender.customer, balance=1_000_000)
    short = quote(sender, from_number=poor.number, key="quote-poor")
    with pytest.raises(PostbankError) as no_funds:
        confirm(sender, short)
    assert no_funds.value.code == "insufficient_funds"
    short.refresh_from_db()
    assert (short.status, short.failure_code, short.entry_id) == ("failed",
                                                                  "insufficient_funds", None)
    poor.refresh_from_db()
    assert poor.balance == 1_000_000
    assert not AnnualUsage.objects.filter(used_usd_cents__gt=0).exists()


def test_the_annual_limit_counts_every_remittance_of_the_kst_year(sender, notice,
                                                                  at_remit_time):
    AnnualUsage.objects.create(customer=sender.customer, year=2026,
                               used_usd_cents=policy.SWIFT_ANNUAL_LIMIT_USD_CENTS - 100_000)
    AnnualUsage.objects.create(customer=sender.customer, year=2025,
                               used_usd_cents=policy.SWIFT_ANNUAL_LIMIT_USD_CENTS)
    exact = quote(sender, amount="1000.00", key="limit-exact")
    with pytest.raises(PostbankError) as error:
        quote(sender, amount="1000.01", key="limit-over")
    assert error.value.code == "annual_limit_exceeded"
    assert error.value.extra == {"usd_cents": 100_001, "left_usd_cents": 100_000}
    assert confirm(sender, exact).status == Remittance.Status.RECEIVED
    assert AnnualUsage.objects.get(customer=sender.customer, year=2026).used_usd_cents \
        == policy.SWIFT_ANNUAL_LIMIT_USD_CENTS


def test_the_annual_limit_is_checked_again_when_confirming(sender, notice, at_remit_time):
    remittance = quote(sender, amount="1000.00")
    AnnualUsage.objects.create(customer=sender.customer, year=2026,
                               used_usd_cents=policy.SWIFT_ANNUAL_LIMIT_USD_CENTS - 99_999)
    before = ledger_snapshot()
    with pytest.raises(PostbankError) as error:
        confirm(sender, remittance)
    assert error.value.code == "annual_limit_exceeded"
    assert ledger_snapshot()[:3] == before[:3]
    remittance.refresh_from_db()
    assert (remittance.status, remittance.failure_code, remittance.entry_id) == (
        "failed", "annual_limit_exceeded", None)


def test_quote_expires(sender, notice):
    with time_machine.travel(REMIT_AT, tick=False):
        remittance = quote(sender)
    with time_machine.travel(REMIT_AT + policy.FX_QUOTE_TTL + timedelta(seconds=1),
                             tick=False), pytest.raises(PostbankError) as error:
        confirm(sender, remittance)
    assert error.value.code == "quote_expired"
    remittance.refresh_from_db()
    assert remittance.status == Remittance.Status.EXPIRED


def test_eurogiro_to_a_partner_into_a_postal_account_and_in_cash(sender, notice, partners,
                                                                 at_remit_time):
    postal = quote(sender, kind="eurogiro", currency="JPY", amount="300000", country="JP",
                   account="12345-67890123", bic="", beneficiary_name="Yamada Taro",
                   beneficiary_address="1-2-3 Chiyoda, Tokyo", key="giro-0001")
    # 300,000 yen at 939.30 per 100 yen = 2,817,900; fee 5,000; no cable charge
    assert (postal.krw_amount, postal.sending_fee, postal.cable_charge, postal.total_krw,
            postal.bic, postal.partner.country) == (2_817_900, 5_000, 0, 2_822_900,
                                                     "JPPSJPJJ", "JP")
    cash = quote(sender, kind="eurogiro", currency="USD", amount="5000.00", country="LK",
                 payout="cash", account="", beneficiary_name="Perera",
                 beneficiary_address="12 Galle Road, Colombo 3", key="giro-0002")
    assert cash.beneficiary_account == "" and cash.payout == "cash"
    confirmed = confirm(sender, cash)
    sent = remittance_send(remittance_id=confirmed.pk)
    assert sent.status == Remittance.Status.SENT
    assert ":72:/PAYOUT/CASH TO ADDRESS" in sent.message
    assert ":57A:LKPOLKLX" in sent.message


@pytest.mark.parametrize(("change", "code"), [
    ({"amount": "5000.01"}, "eurogiro_cap_exceeded"),
    ({"country": "DE", "account": SEPA["account"]}, "country_not_offered"),
    ({"country": "LK", "payout": "account"}, "payout_not_offered"),
    ({"currency": "EUR"}, "currency_not_offered"),
    ({"beneficiary_name": "Yamada Taro Yamada Taro Yamada Taro X"}, "text_too_long"),
])
def test_eurogiro_refusals(sender, notice, partners, at_remit_time, change, code):
    fields = {"kind": "eurogiro", "currency": "USD", "amount": "100", "country": "JP",
              "account": "12345-67890123", "bic": "", "beneficiary_name": "Yamada Taro",
              "beneficiary_address": "1-2-3 Chiyoda, Tokyo", **change}
    with pytest.raises(PostbankError) as error:
        quote(sender, **fields)
    assert error.value.code == code
    assert not Remittance.objects.exists()


def test_network_moves_received_sent_credited(sender, notice):
    with time_machine.travel(REMIT_AT, tick=False):
        remittance = confirm(sender, quote(sender))
    sent_at = REMIT_AT + timedelta(seconds=5)
    with time_machine.travel(sent_at, tick=False):
        assert network_sweep() == {"sent": 1, "credited": 0, "expired": 0}
        assert remittance_send(remittance_id=remittance.pk).status == "sent"  # harmless
    with time_machine.travel(sent_at + policy.FX_NETWORK_CREDIT_AFTER - timedelta(seconds=1),
                             tick=False):
        assert remittance_credit(remittance_id=remittance.pk).status == "sent"
    with time_machine.travel(sent_at + policy.FX_NETWORK_CREDIT_AFTER, tick=False):
        assert network_sweep()["credited"] == 1
        assert remittance_credit(remittance_id=remittance.pk).status == "credited"
    remittance.refresh_from_db()
    assert list(remittance.events.values_list("status", flat=True)) == [
        "received", "sent", "credited"]
    assert remittance.message.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    with pytest.raises(PostbankError) as error:
        remittance_return(remittance_id=remittance.pk, reason="late")
    assert error.value.code == "not_returnable"


def test_a_return_refunds_at_tt_receive_of_the_return_date_and_reconciles(sender, notice):
    with time_machine.travel(REMIT_AT, tick=False):
        remittance = confirm(sender, quote(sender, charges="OUR"))
        remittance_send(remittance_id=remittance.pk)
    return_day = datetime(2026, 3, 4, 9, 0, tzinfo=KST)
    moved = dict(RATES, USD=("1402.00", "1377.47", "1426.53", "1416.02", "1390.00"))
    rate_notice_publish(rows=rate_rows(moved), source="counter", noticed_at=return_day)
    with time_machine.travel(return_day + timedelta(hours=1), tick=False):
        returned = remittance_return(remittance_id=remittance.pk,
                                     reason="Account closed at the beneficiary bank")
    assert returned.status == Remittance.Status.RETURNED
    assert returned.return_rate == Decimal("1390.00")
    assert returned.refund_krw == 1_390_000  # USD 1,000.00 x 1,390.00; fees stay charged
    sender.account.refresh_from_db()
    assert sender.account.balance == START - 1_454_808 + 1_390_000
    assert postings_by_currency(returned.return_entry) == {
        "KRW": {"deposit": 1_390_000, "fx_position": -1_390_000},
        "USD": {"interbank_clearing": -100_000, "fx_position": 100_000},
    }
    assert list(returned.events.values_list("status", flat=True)) == [
        "received", "sent", "returned"]
    assert AnnualUsage.objects.get(customer=sender.customer, year=2026).used_usd_cents == 0
    assert list(Notification.objects.filter(customer=sender.customer).order_by("pk")
                .values_list("kind", "text")) == [
        ("fx_remittance", "[Postbank] Remittance abroad USD 1,000.00 to Hans Mueller: "
                          "1,454,808 won debited."),
        ("fx_return", "[Postbank] Your remittance abroad USD 1,000.00 was returned: "
                      "1,390,000 won refunded.")]
    report = reconciliation_run(trigger="test")
    assert report.ok, report.text
    out = io.StringIO()
    call_command("reconcile", stdout=out)  # exits 1 on any difference
    assert "trial balance USD: +0" in out.getvalue()
    assert "trial balance KRW: +0" in out.getvalue()
    with pytest.raises(PostbankError) as twice:
        remittance_return(remittance_id=remittance.pk, reason="again")
    assert twice.value.code == "not_returnable"


def test_order_bytes_are_canonical(sender, notice, at_remit_time):
    remittance = quote(sender)
    data = remittance_order_bytes(remittance=remittance)
    assert data == remittance_order_bytes(remittance=Remittance.objects.get(pk=remittance.pk))
    assert b'"total_krw":1429350' in data and b'"bic":"COBADEFFXXX"' in data


def test_a_return_needs_a_current_notice(sender, notice):
    with time_machine.travel(REMIT_AT, tick=False):
        remittance = confirm(sender, quote(sender))
    before = ledger_snapshot()
    with time_machine.travel(REMIT_AT + timedelta(days=2), tick=False), \
            pytest.raises(PostbankError) as error:
        remittance_return(remittance_id=remittance.pk, reason="late")
    assert error.value.code == "stale_rates"
    assert ledger_snapshot() == before


def test_the_annual_limit_year_is_the_kst_calendar_year(sender):
    # 23:30 KST on 31 December is 14:30 UTC; ten minutes past midnight KST is still
    # 31 December in UTC but already the new year in Korea.
    new_years_eve = datetime(2026, 12, 31, 23, 30, tzinfo=KST)
    new_year = datetime(2027, 1, 1, 0, 10, tzinfo=KST)
    for at, key in ((new_years_eve, "year-end-01"), (new_year, "year-new-01")):
        rate_notice_publish(rows=rate_rows(), source="counter",
                            noticed_at=at - timedelta(minutes=5))
        with time_machine.travel(at, tick=False):
            confirm(sender, quote(sender, amount="2000.00", key=key))
    usage = dict(AnnualUsage.objects.filter(customer=sender.customer)
                 .values_list("year", "used_usd_cents"))
    assert usage == {2026: 200_000, 2027: 200_000}


def test_a_confirmed_remittance_moves_the_dormancy_clock_a_refused_one_does_not(sender,
                                                                                notice):
    sender.customer.refresh_from_db()
    funded_use = sender.customer.last_used_at
    with time_machine.travel(REMIT_AT, tick=False):
        remittance = quote(sender, key="dormancy-01")
        with pytest.raises(PostbankError):
            confirm(sender, remittance, password="0000")
        sender.customer.refresh_from_db()
        assert sender.customer.last_used_at == funded_use
        assert confirm(sender, remittance).status == Remittance.Status.RECEIVED
    sender.customer.refresh_from_db()
    assert (sender.customer.last_used_at, sender.customer.dormancy_notice_at) == (REMIT_AT,
                                                                                  None)
