"""Rate notices: the DOMAIN.md ordering, rounds, CSV files, the rate source, staleness and
the conversion arithmetic (won rounded down; JPY quoted per 100 yen)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from fx.models import Currency, Rate, RateNotice, Remittance
from fx.services import (
    InvalidRateFile,
    NoRates,
    RateOrderingInvalid,
    StaleRates,
    convert,
    foreign_for_won,
    notice_current,
    parse_foreign_amount,
    rate_notice_publish,
    rate_row_clean,
    rates_parse_csv,
    rates_pull,
    remittance_quote,
    won_for,
)
from fx.sources import FileRateSource
from postbank.errors import InvalidInput
from tests.fx.conftest import NOTICE_AT, SEPA, rate_rows

pytestmark = pytest.mark.django_db


def test_the_currencies_have_their_iso_minor_units():
    units = dict(Currency.objects.values_list("code", "minor_units"))
    assert {"USD", "EUR", "JPY", "CNY", "GBP", "CHF", "CAD", "AUD", "HKD", "THB", "MNT",
            "PHP", "LKR"} <= set(units)
    assert units["JPY"] == 0 and units["USD"] == 2
    assert Currency.objects.get(code="JPY").unit == 100


@pytest.mark.parametrize("swap", [("cash_sell", "tt_send"), ("tt_send", "base"),
                                  ("base", "tt_receive"), ("tt_receive", "cash_buy")])
def test_rate_ordering_is_checked(swap):
    row = {"currency": "USD", "base": "1400", "cash_buy": "1375.5", "cash_sell": "1424.5",
           "tt_send": "1414", "tt_receive": "1386"}
    row[swap[0]], row[swap[1]] = row[swap[1]], row[swap[0]]
    with pytest.raises(RateOrderingInvalid) as error:
        rate_row_clean(row)
    assert error.value.code == "rate_ordering"


def test_the_database_refuses_rates_out_of_order(notice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rate.objects.filter(notice=notice, currency_id="USD").update(tt_send=Decimal("1399"))


def test_rates_are_decimal_text_never_floats():
    with pytest.raises(InvalidInput) as error:
        rate_row_clean({"currency": "USD", "base": 1400.0, "cash_buy": "1", "cash_sell": "2",
                        "tt_send": "2", "tt_receive": "1"})
    assert error.value.code == "invalid_rate"
    with pytest.raises(InvalidInput):
        rate_row_clean({"currency": "USD", "base": "1400.12345", "cash_buy": "1375",
                        "cash_sell": "1424", "tt_send": "1414", "tt_receive": "1386"})


def test_notices_are_numbered_by_round_within_the_kst_day(db):
    first = rate_notice_publish(rows=rate_rows(), source="counter", noticed_at=NOTICE_AT)
    second = rate_notice_publish(rows=rate_rows(), source="csv",
                                 noticed_at=NOTICE_AT + timedelta(hours=2))
    # 23:30 UTC on 2 March is 08:30 KST on 3 March: a new day, round 1 again.
    third = rate_notice_publish(rows=rate_rows(), source="feed",
                                noticed_at=NOTICE_AT + timedelta(hours=23, minutes=30))
    assert [(n.notice_date.isoformat(), n.round) for n in (first, second, third)] == [
        ("2026-03-02", 1), ("2026-03-02", 2), ("2026-03-03", 1)]
    assert first.rates.count() == 5


def test_csv_upload_parses_and_names_the_bad_line(db):
    text = ("\ufeffcurrency,base,cash_buy,cash_sell,tt_send,tt_receive\n"
            "USD,\"1,400.00\",1375.50,1424.50,1414.00,1386.00\n"
            "JPY,930.00,913.73,946.28,939.30,920.70\n")
    rows = rates_parse_csv(text=text)
    assert [(r.currency, r.base) for r in rows] == [("USD", Decimal("1400.00")),
                                                   ("JPY", Decimal("930.00"))]
    bad = text + "EUR,1620,1587.92,1652.08,1600.00,1603.80\n"
    with pytest.raises(InvalidRateFile) as error:
        rates_parse_csv(text=bad)
    assert error.value.extra["line"] == 4 and error.value.extra["currency"] == "EUR"
    with pytest.raises(InvalidRateFile):
        rates_parse_csv(text="code,rate\nUSD,1400\n")
    with pytest.raises(InvalidRateFile) as no_usd:
        rate_notice_publish(rows=rates_parse_csv(text=text.replace("USD,", "CHF,")),
                            source="csv")
    assert str(no_usd.value.message) == "The notice must quote USD."


def test_the_rate_source_publishes_the_file(db):
    notice = rates_pull(source=FileRateSource())
    assert notice.source == RateNotice.Source.FEED
    expected = FileRateSource().fetch()
    assert notice.rates.count() == len(expected)
    usd = notice.rates.get(currency_id="USD")
    row = next(r for r in expected if r["currency"] == "USD")
    assert usd.tt_send == Decimal(row["tt_send"])


def test_no_notice_and_a_stale_notice_are_refused(sender):
    with time_machine.travel(NOTICE_AT, tick=False), pytest.raises(NoRates):
        notice_current()
    rate_notice_publish(rows=rate_rows(), source="counter", noticed_at=NOTICE_AT)
    with time_machine.travel(NOTICE_AT + timedelta(hours=24), tick=False):
        assert notice_current().round == 1
    stale = NOTICE_AT + timedelta(hours=24, seconds=1)
    with time_machine.travel(stale, tick=False), pytest.raises(StaleRates) as error:
        remittance_quote(customer=sender.customer, kind="swift",
                         from_number=sender.account.number, currency="USD",
                         amount="100", sender_name="KIM", idempotency_key="stale-0001",
                         **SEPA)
    assert error.value.code == "stale_rates"
    assert not Remittance.objects.exists()


def test_won_are_rounded_down():
    usd = Currency.objects.get(code="USD")
    jpy = Currency.objects.get(code="JPY")
    # USD 123.45 at 1,414.35 = 174,601.5075 won → 174,601
    assert won_for(amount=12345, currency=usd, rate=Decimal("1414.35")) == 174_601
    # 10,000 yen at 939.30 per 100 yen = 93,930 won; 1 yen = 9.393 → 9
    assert won_for(amount=10_000, currency=jpy, rate=Decimal("939.30")) == 93_930
    assert won_for(amount=1, currency=jpy, rate=Decimal("939.30")) == 9
    # 100,000 won buy 10,646 yen at 939.30 per 100 (10,646.24...)
    assert foreign_for_won(won=100_000, currency=jpy, rate=Decimal("939.30")) == 10_646
    # 100,000 won buy USD 70.70 at 1,414.35 (70.7039...)
    assert foreign_for_won(won=100_000, currency=usd, rate=Decimal("1414.35")) == 7_070


def test_amounts_with_too_many_decimals_for_the_currency_are_refused():
    usd = Currency.objects.get(code="USD")
    jpy = Currency.objects.get(code="JPY")
    assert parse_foreign_amount("1,234.56", currency=usd) == 123_456
    assert parse_foreign_amount("1500", currency=jpy) == 1_500
    assert parse_foreign_amount("1500.00", currency=jpy) == 1_500
    for value, currency in (("1.234", usd), ("1500.5", jpy)):
        with pytest.raises(InvalidInput) as error:
            parse_foreign_amount(value, currency=currency)
        assert error.value.code == "invalid_amount_decimals"
    for value in ("0", "-5", "abc", 12.5, None, "NaN"):
        with pytest.raises(InvalidInput) as error:
            parse_foreign_amount(value, currency=usd)
        assert error.value.code == "invalid_amount"


def test_converter_both_ways(notice):
    to_krw = convert(notice=notice, currency="JPY", amount="10000", direction="to_krw",
                     rate_kind="cash_sell")
    assert (to_krw.rate, to_krw.foreign_amount, to_krw.won) == (Decimal("946.28"), 10_000,
                                                                94_628)
    from_krw = convert(notice=notice, currency="USD", amount="1,000,000",
                       direction="from_krw", rate_kind="tt_send")
    # 1,000,000 / 1,414.35 = 707.039...
    assert (from_krw.foreign_amount, from_krw.won) == (70_703, 1_000_000)
    with pytest.raises(InvalidInput):
        convert(notice=notice, currency="USD", amount="1", direction="sideways",
                rate_kind="base")


def test_the_beat_tasks_are_scheduled_and_safe_to_run_twice(sender):
    from fx.tasks import network_sweep_task, rates_pull_task
    from postbank.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"fx.tasks.network_sweep_task", "fx.tasks.rates_pull_task"} <= tasks
    with time_machine.travel(NOTICE_AT, tick=False):
        first = rates_pull_task.apply().get()
        assert rates_pull_task.apply().get() == first
        assert RateNotice.objects.count() == 1
        assert network_sweep_task.apply().get() == {"sent": 0, "credited": 0, "expired": 0}
