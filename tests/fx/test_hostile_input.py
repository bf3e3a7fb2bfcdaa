"""Hostile input on every F/X door: amounts in exponent notation or far too large, huge
page numbers, dates at the ends of the calendar, NUL and junk in URL parts. Each is refused
with a stable problem `code` (API) or a form error (pages), never a server error, and
nothing moves."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from fx.models import Currency, Remittance
from fx.services import parse_foreign_amount
from postbank.errors import InvalidInput
from tests.fx.conftest import SEPA, ledger_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(sender):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(sender.customer.user)
    return client


@pytest.fixture
def web(sender):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(sender.customer.user)
    return client


def _body(sender, **overrides):
    return {"kind": "swift", "from_account": sender.account.number, "currency": "USD",
            "amount": "1000.00", "sender_name": "KIM HAEOE", "charges": "SHA", **SEPA,
            **overrides}


def _problem(answer, status: int, code: str) -> None:
    assert answer["Content-Type"].startswith("application/problem+json")
    assert (answer.status_code, answer.json()["code"]) == (status, code)


# ---------------------------------------------------------------------------------------
# Amounts


HOSTILE_AMOUNTS = ["1e30", "1E5", "1e-30", "-5", "+5", "Infinity", "NaN", "sNaN", "0x10",
                   "1_000", "1 000", "١٢٣", "\uff11\uff12", "1,00", "1.", ".5", "9" * 40,
                   "12345678901234567890.12345", "1.2.3", "1." + "0" * 40, ""]


@pytest.mark.parametrize("value", HOSTILE_AMOUNTS)
def test_amounts_are_plain_digits_with_an_optional_decimal_point(value):
    usd = Currency.objects.get(code="USD")
    with pytest.raises(InvalidInput) as error:
        parse_foreign_amount(value, currency=usd)
    assert error.value.code == "invalid_amount"


def test_amounts_in_the_accepted_shapes_and_sizes():
    usd = Currency.objects.get(code="USD")
    jpy = Currency.objects.get(code="JPY")
    assert parse_foreign_amount(" 1,234,567.89 ", currency=usd) == 123_456_789
    assert parse_foreign_amount("1500.000", currency=jpy) == 1_500
    assert parse_foreign_amount(250, currency=jpy) == 250
    # The largest amount: 10^13 dollars (10^15 cents); one cent more is too large.
    assert parse_foreign_amount("10000000000000.00", currency=usd) == 10 ** 15
    with pytest.raises(InvalidInput) as error:
        parse_foreign_amount("10000000000000.01", currency=usd)
    assert (error.value.code, str(error.value.message)) == ("invalid_amount",
                                                            "The amount is too large.")


@pytest.mark.parametrize("value", ["1e30", "9" * 24, "1E5", "-1", "١٢٣"])
def test_converter_api_refuses_hostile_amounts(notice, at_remit_time, value):
    for direction in ("to_krw", "from_krw"):
        answer = APIClient(raise_request_exception=False).get(
            "/api/v1/fx/rates/convert/", {"currency": "USD", "amount": value,
                                          "direction": direction})
        _problem(answer, 400, "invalid_amount")


def test_converter_page_shows_a_form_error_for_an_exponent_amount(notice, at_remit_time):
    page = Client(raise_request_exception=False).get(
        reverse("fx:rates"), {"currency": "USD", "direction": "to_krw",
                              "rate_kind": "cash_sell", "amount": "1e30"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["conversion"] is None
    assert page.context["conversion_error"] == (
        "Enter the amount in digits, with an optional decimal point.")
    assert 'data-testid="conversion-error"' in page.content.decode()


def test_quote_api_refuses_hostile_amounts_and_moves_nothing(api, sender, notice,
                                                             at_remit_time):
    before = ledger_snapshot()
    for number, value in enumerate(["1e30", "1E5", "9" * 24, "1e-30"]):
        answer = api.post("/api/v1/fx/remittances/", _body(sender, amount=value),
                          format="json", HTTP_IDEMPOTENCY_KEY=f"hostile-amount-{number}")
        _problem(answer, 400, "invalid_amount")
    # A JSON number is never an amount (floats lose cents).
    answer = api.post("/api/v1/fx/remittances/", _body(sender, amount=1e30), format="json",
                      HTTP_IDEMPOTENCY_KEY="hostile-amount-float")
    _problem(answer, 400, "invalid_amount")
    assert not Remittance.objects.exists()
    assert ledger_snapshot() == before


def test_remittance_pages_show_a_form_error_for_an_exponent_amount(web, sender, notice,
                                                                   partners, at_remit_time):
    before = ledger_snapshot()
    swift = web.post(reverse("fx:swift"), {
        "from_account": sender.account.number, "currency": "USD", "amount": "1e30",
        "sender_name": "KIM HAEOE", "charges": "SHA", "form_token": "hostile-page-0001",
        **SEPA})
    assert swift.status_code == 200
    assert swift.context["form"].errors["amount"] == [
        "Enter the amount in digits, with an optional decimal point."]
    eurogiro = web.post(reverse("fx:eurogiro"), {
        "from_account": sender.account.number, "country": "JP", "currency": "JPY",
        "amount": "1e30", "sender_name": "KIM HAEOE", "beneficiary_name": "YAMADA TARO",
        "beneficiary_address": "1-1 Chiyoda, Tokyo", "payout": "account",
        "account": "1234567", "purpose": "Family support",
        "form_token": "hostile-page-0002"})
    assert eurogiro.status_code == 200
    assert eurogiro.context["form"].errors["amount"] == [
        "Enter the amount in digits, with an optional decimal point."]
    assert not Remittance.objects.exists()
    assert ledger_snapshot() == before


# ---------------------------------------------------------------------------------------
# Page numbers and rounds


# (Not named `page`: that is pytest-playwright's browser page fixture.)
@pytest.mark.parametrize("number", [str(10 ** 19), "9" * 40, "10001"])
def test_search_api_bounds_the_page_number(api, number):
    answer = api.get("/api/v1/fx/remittances/search/", {"kind": "swift", "page": number})
    _problem(answer, 400, "invalid_input")
    assert list(answer.json()["errors"]) == ["page"]
    last = api.get("/api/v1/fx/remittances/search/", {"kind": "swift", "page": "10000"})
    assert (last.status_code, last.json()["count"], last.json()["results"]) == (200, 0, [])


def test_rates_api_bounds_the_round(notice, at_remit_time):
    client = APIClient(raise_request_exception=False)
    answer = client.get("/api/v1/fx/rates/", {"date": "2026-03-02", "round": str(10 ** 19)})
    _problem(answer, 400, "invalid_input")
    assert list(answer.json()["errors"]) == ["round"]
    _problem(client.get("/api/v1/fx/rates/", {"date": "2026-03-02", "round": "999"}), 404,
             "rate_notice_not_found")


@pytest.mark.parametrize("number", [str(10 ** 19), "9" * 40, "-1", "\x00", "x"])
def test_search_pages_show_the_nearest_page_for_any_page_number(web, number):
    for name in ("fx:swift-results", "fx:eurogiro-results"):
        answer = web.get(reverse(name), {"page": number})
        assert (answer.status_code, answer.context["page"].number,
                list(answer.context["page"])) == (200, 1, [])


# ---------------------------------------------------------------------------------------
# Search periods at the ends of the calendar

OUT_OF_RANGE_PERIODS = [
    ({"date_to": "9999-12-31"}, "date_to"),
    ({"date_to": "0001-01-01"}, "date_to"),
    ({"date_from": "0001-01-01"}, "date_from"),
    ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, "date_from"),
    ({"date_from": "2015-12-31", "date_to": "2016-01-31"}, "date_from"),
    ({"date_from": "2026-03-02", "date_to": "2028-01-01"}, "date_to"),
]
SEARCH_RANGE = "Search dates must be between 2016-01-01 and 2027-12-31."


@pytest.mark.parametrize(("period", "field"), OUT_OF_RANGE_PERIODS)
def test_search_api_refuses_dates_outside_the_searchable_range(api, at_remit_time, period,
                                                               field):
    answer = api.get("/api/v1/fx/remittances/search/", {"kind": "swift", **period},
                     HTTP_ACCEPT_LANGUAGE="en")
    _problem(answer, 400, "invalid_period")
    assert answer.json()["field"] == field


@pytest.mark.parametrize(("period", "field"), OUT_OF_RANGE_PERIODS)
def test_search_pages_refuse_dates_outside_the_searchable_range(web, at_remit_time, period,
                                                                field):
    for name in ("fx:swift-results", "fx:eurogiro-results"):
        answer = web.get(reverse(name), period)
        assert (answer.status_code, answer.context["page"], answer.context["error"]) == (
            200, None, SEARCH_RANGE)
        assert SEARCH_RANGE in answer.content.decode()


def test_search_range_edges_are_accepted(api, at_remit_time):
    for period in ({"date_from": "2016-01-01", "date_to": "2016-12-31"},
                   {"date_from": "2027-01-01", "date_to": "2027-12-31"}):
        answer = api.get("/api/v1/fx/remittances/search/", {"kind": "swift", **period})
        assert (answer.status_code, answer.json()["count"]) == (200, 0)


# ---------------------------------------------------------------------------------------
# Currency codes in URL parts and queries


@pytest.mark.parametrize("code", ["%00", "U%00D", "US%00", "%C3%9CSD", "USDX", "U$D", "12A",
                                  "x" * 300, "%EF%AC%80X"])
def test_rate_history_of_a_malformed_currency_is_not_found(notice, at_remit_time, code):
    answer = APIClient(raise_request_exception=False).get(f"/api/v1/fx/rates/{code}/history/")
    _problem(answer, 404, "currency_not_found")


def test_rate_history_of_a_currency_in_lower_case(notice, at_remit_time):
    answer = APIClient().get("/api/v1/fx/rates/jpy/history/", {"days": 7})
    assert [p["base"] for p in answer.json()] == ["930.0000"]


@pytest.mark.parametrize("chart", ["\x00", "U\x00D", "ÜSD", "x" * 5000, "💥", "XAU"])
def test_rate_page_falls_back_to_the_usd_chart_for_a_malformed_currency(notice,
                                                                        at_remit_time, chart):
    page = Client(raise_request_exception=False).get(reverse("fx:rates"), {"chart": chart})
    assert (page.status_code, page.context["chart_currency"].code) == (200, "USD")
    assert 'data-points="1" data-last-rate="1400.0000"' in page.content.decode()


def test_rate_page_chart_of_a_currency_in_lower_case(notice, at_remit_time):
    page = Client().get(reverse("fx:rates"), {"chart": "jpy"})
    assert page.context["chart_currency"].code == "JPY"


@pytest.mark.parametrize("currency", ["\x00", "U\x00D", "ÜSD", "\ufb00X", "💥", "usd "])
def test_quote_refuses_a_malformed_currency_and_moves_nothing(api, sender, notice,
                                                              at_remit_time, currency):
    before = ledger_snapshot()
    answer = api.post("/api/v1/fx/remittances/", _body(sender, currency=currency),
                      format="json", HTTP_IDEMPOTENCY_KEY="hostile-currency-1")
    if currency == "usd ":
        # Surrounding spaces and case are forgiven: the quote is made in USD.
        assert (answer.status_code, answer.json()["currency"]) == (201, "USD")
        return
    # A NUL is refused by the input checks, anything else that is not 3 letters by the
    # service.
    _problem(answer, 400, "invalid_input" if "\x00" in currency else "currency_not_offered")
    assert not Remittance.objects.exists()
    assert ledger_snapshot() == before


@pytest.mark.parametrize("currency", [b"\x00SD", b"U\x00D", "ÜSD".encode()])
def test_counter_csv_with_a_malformed_currency_is_refused(currency):
    from django.contrib.auth.models import Group
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fx.models import RateNotice
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="operator"))
    operator = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    operator.force_login(user)
    text = (b"currency,base,cash_buy,cash_sell,tt_send,tt_receive\n" + currency
            + b",1400.00,1375.50,1424.50,1414.00,1386.00\n")
    answer = operator.post(reverse("admin:fx_ratenotice_csv"),
                           {"file": SimpleUploadedFile("rates.csv", text, "text/csv")})
    assert answer.status_code == 200
    assert answer.context["problem"].code == "invalid_rate_file"
    assert str(answer.context["problem"].message) == "Line 2: This currency is not offered."
    assert not RateNotice.objects.exists()


@pytest.mark.parametrize(("path", "query"), [
    ("/counter/fx/ratenotice/", {"noticed_at__year": str(10 ** 19)}),
    ("/counter/fx/ratenotice/", {"noticed_at__year": "2026", "noticed_at__month": "9" * 40}),
    ("/counter/fx/ratenotice/", {"source": "\x00"}),
    ("/counter/fx/remittance/", {"kind": "\x00"}),
    ("/counter/fx/remittance/", {"status": "sent\x00"}),
    ("/counter/fx/remittance/", {"q": "\x00"}),
    ("/counter/fx/currency/", {"active__exact": "\x00"}),
    ("/counter/fx/eurogiropartner/", {"\x00": "1"}),
])
def test_counter_lists_with_hostile_filters_lead_back_to_the_plain_list(notice, path, query):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="operator"))
    operator = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    operator.force_login(user)
    answer = operator.get(path, query)
    assert (answer.status_code, answer["Location"]) == (302, path)
    assert operator.get(path).status_code == 200
    assert operator.get(path, {"noticed_at__year": "2026"} if "ratenotice" in path
                        else {}).status_code == 200


def test_the_new_refusals_read_in_korean(web, notice, at_remit_time):
    rates = Client().get(reverse("fx:rates"), {"currency": "USD", "direction": "to_krw",
                                               "rate_kind": "base", "amount": "1e30"},
                         HTTP_ACCEPT_LANGUAGE="ko")
    assert rates.context["conversion_error"] == "금액은 숫자로 입력하세요. 소수점은 쓸 수 있습니다."
    search = web.get(reverse("fx:swift-results"), {"date_to": "9999-12-31"},
                     HTTP_ACCEPT_LANGUAGE="ko")
    assert search.context["error"] == "조회일자는 2016-01-01부터 2027-12-31 사이여야 합니다."
