"""History: periods, direction, keyset pages, CSV, statement, chart, ownership, bad input."""

import csv
import io
from datetime import date, datetime

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import JournalEntry
from accounts.numbers import account_number_format
from accounts.selectors import account_history, history_query_parse
from accounts.services import Line, entry_post
from postbank import policy
from postbank.errors import InvalidInput
from postbank.kst import KST
from tests.accounts.factories import AccountFactory, account_fund
from tests.factories import DEFAULT_PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=KST)


@pytest.fixture
def account():
    """Deposits on 2026-01-10, 2026-05-20, 2026-06-10, 2026-06-15 (10:00, 10:01, 10:02);
    a card payment on 2026-06-12."""
    account = AccountFactory()
    for at, amount in [(datetime(2026, 1, 10, 9, 0), 100_000),
                       (datetime(2026, 5, 20, 9, 0), 50_000),
                       (datetime(2026, 6, 10, 9, 0), 30_000),
                       (datetime(2026, 6, 12, 18, 0), -12_500),
                       (datetime(2026, 6, 15, 10, 0), 1_000),
                       (datetime(2026, 6, 15, 10, 1), 2_000),
                       (datetime(2026, 6, 15, 10, 2), 3_000)]:
        with time_machine.travel(at.replace(tzinfo=KST), tick=False):
            if amount > 0:
                account_fund(account, amount, memo=f"m{amount}")
                continue
            with transaction.atomic():
                entry_post(kind="card_payment", lines=[
                    Line(amount=amount, account=account, counterparty="=cmd|' /C calc'!A0",
                         memo="편의점"),
                    Line(amount=-amount, ledger="interbank_clearing")])
    account.refresh_from_db()
    return account


def _login(client, account):
    client.force_login(account.owner.user)


@time_machine.travel(NOW, tick=False)
def test_presets_cover_the_right_days():
    today = date(2026, 6, 15)
    assert history_query_parse(period="today").date_from == today
    assert history_query_parse(period="1w").date_from == date(2026, 6, 8)
    assert history_query_parse(period="1m").date_from == date(2026, 5, 15)
    assert history_query_parse(period="3m").date_from == date(2026, 3, 15)
    assert history_query_parse().period == "1m"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("params", "code"), [
    ({"period": "custom", "date_from": "2026-13-01", "date_to": "2026-06-01"}, "invalid_date"),
    ({"period": "custom", "date_from": "20260101", "date_to": "2026-06-01"}, "invalid_date"),
    ({"period": "custom", "date_from": "2026-06-02", "date_to": "2026-06-01"}, "invalid_period"),
    ({"period": "custom", "date_from": "2025-06-14", "date_to": "2026-06-15"}, "period_too_long"),
    ({"period": "custom", "date_from": "2026-06-01", "date_to": "2026-06-16"}, "invalid_period"),
    ({"period": "2y"}, "invalid_period"),
    ({"direction": "sideways"}, "invalid_direction"),
])
def test_bad_filters_are_refused(params, code):
    with pytest.raises(InvalidInput) as caught:
        history_query_parse(**params)
    assert caught.value.code == code


@time_machine.travel(NOW, tick=False)
def test_a_full_year_is_allowed():
    query = history_query_parse(period="custom", date_from="2025-06-15", date_to="2026-06-15")
    assert (query.date_to - query.date_from).days == 365


@time_machine.travel(NOW, tick=False)
def test_keyset_pages_are_newest_first_with_balance_after(account):
    query = history_query_parse(period="custom", date_from="2026-01-01", date_to="2026-06-15")
    first = account_history(account=account, query=query, limit=4)
    assert [r.amount for r in first.rows] == [3_000, 2_000, 1_000, -12_500]
    assert [r.balance_after for r in first.rows] == [173_500, 170_500, 168_500, 167_500]
    with CaptureQueriesContext(connection) as queries:
        second = account_history(account=account, query=query, cursor=first.next_cursor,
                                 limit=4)
    assert [r.amount for r in second.rows] == [30_000, 50_000, 100_000]
    assert second.next_cursor is None
    sql = queries.captured_queries[0]["sql"].upper()
    assert "OFFSET" not in sql
    assert '("ACCOUNTS_POSTING"."CREATED_AT", "ACCOUNTS_POSTING"."ID") <' in sql


@time_machine.travel(NOW, tick=False)
def test_direction_filter(account):
    query = history_query_parse(period="1m", direction="withdrawal")
    assert [r.amount for r in account_history(account=account, query=query).rows] == [-12_500]
    query = history_query_parse(period="today", direction="deposit")
    assert [r.amount for r in account_history(account=account, query=query).rows] == [
        3_000, 2_000, 1_000]


@time_machine.travel(NOW, tick=False)
def test_history_page_shows_rows_chart_and_next_page(client, account, settings):
    settings.LANGUAGE_CODE = "en"
    _login(client, account)
    response = client.get("/accounts/history/", {"account": account.formatted_number,
                                                 "period": "3m"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="row"') == 6
    assert 'data-testid="balance-chart"' in html and 'data-points="93"' in html
    assert 'data-last-balance="173500"' in html
    assert "173,500" in html
    assert "OFFSET" not in html


@time_machine.travel(NOW, tick=False)
def test_history_pages_link_by_cursor(client, account, monkeypatch):
    monkeypatch.setattr(policy, "HISTORY_PAGE_SIZE", 2)
    _login(client, account)
    response = client.get("/accounts/history/", {"account": account.number, "period": "1m"})
    page = response.context["page"]
    assert [r.amount for r in page.rows] == [3_000, 2_000]
    assert f"cursor={page.next_cursor}" in response.content.decode()
    assert response.context["chart"] is not None
    response = client.get("/accounts/history/", {"account": account.number, "period": "1m",
                                                 "cursor": page.next_cursor})
    assert [r.amount for r in response.context["page"].rows] == [1_000, -12_500]
    assert response.context["chart"] is None  # drawn above the first page only
    assert b'data-testid="balance-chart"' not in response.content


@time_machine.travel(NOW, tick=False)
def test_csv_is_utf8_with_bom_and_formula_safe(client, account):
    _login(client, account)
    response = client.get("/accounts/history/csv/", {"account": account.number, "period": "1m"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 1 + 6
    assert rows[1] == ["2026-06-15 10:02:00", "창구입금", "m3000", "", "3000", "173500"]
    assert rows[4][1] == "'=cmd|' /C calc'!A0" and rows[4][3] == "12500"


@time_machine.travel(NOW, tick=False)
def test_statement_lists_every_row_with_totals(client, account):
    _login(client, account)
    response = client.get("/accounts/history/statement/", {"account": account.number,
                                                           "period": "custom",
                                                           "from": "2026-01-01",
                                                           "to": "2026-06-15"})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 7
    assert response.context["deposits"] == 186_000
    assert response.context["withdrawals"] == 12_500


@time_machine.travel(NOW, tick=False)
def test_another_customers_account_is_404_everywhere(client, account):
    stranger = CustomerFactory()
    client.force_login(stranger.user)
    AccountFactory(owner=stranger)
    for url in ["/accounts/history/", "/accounts/history/csv/", "/accounts/history/statement/"]:
        assert client.get(url, {"account": account.number}).status_code == 404
    for url in [f"/api/v1/accounts/{account.number}/",
                f"/api/v1/accounts/{account.formatted_number}/transactions/"]:
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "account_not_found"
        assert str(account.balance) not in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_bad_input_on_pages_is_400_with_the_code(client, account):
    _login(client, account)
    wrong = account.number[:13] + str((int(account.number[13]) + 1) % 10)
    response = client.get("/accounts/history/", {"account": wrong})
    assert response.status_code == 400
    assert 'data-code="invalid_account_number"' in response.content.decode()
    response = client.get("/accounts/history/", {"account": account.number, "period": "custom",
                                                 "from": "2026-02-30", "to": "2026-03-01"})
    assert response.status_code == 400
    assert 'data-code="invalid_date"' in response.content.decode()
    assert client.get("/accounts/history/csv/", {"account": account.number,
                                                 "cursor": "x"}).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_api_list_detail_and_history(client, account):
    _login(client, account)
    listing = client.get("/api/v1/accounts/").json()
    assert listing == [{"number": account.formatted_number, "subject": "01",
                        "subject_name": listing[0]["subject_name"], "status": "active",
                        "balance": 173_500, "hold": 0, "available": 173_500,
                        "opened_at": listing[0]["opened_at"]}]
    body = client.get(f"/api/v1/accounts/{account.number}/transactions/",
                      {"period": "1w", "limit": 2}).json()
    assert [(r["direction"], r["amount"], r["balance_after"]) for r in body["results"]] == [
        ("deposit", 3_000, 173_500), ("deposit", 2_000, 170_500)]
    more = client.get(f"/api/v1/accounts/{account.number}/transactions/",
                      {"period": "1w", "limit": 2, "cursor": body["next_cursor"]}).json()
    assert [r["amount"] for r in more["results"]] == [1_000, 12_500]
    assert more["results"][1]["kind"] == "card_payment"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("params", "code"), [
    ({"period": "custom", "from": "2026-01-01", "to": "2026-13-01"}, "invalid_date"),
    ({"period": "custom", "from": "2025-01-01", "to": "2026-06-01"}, "period_too_long"),
    ({"cursor": "bm90LWEtY3Vyc29y"}, "invalid_cursor"),
    ({"limit": "0"}, "invalid_input"),
    ({"direction": "up"}, "invalid_input"),
])
def test_api_bad_input_is_a_problem(client, account, params, code):
    _login(client, account)
    before = JournalEntry.objects.count()
    response = client.get(f"/api/v1/accounts/{account.number}/transactions/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert JournalEntry.objects.count() == before


def test_api_wrong_check_digit_is_400(client):
    account = AccountFactory()
    _login(client, account)
    wrong = account.number[:13] + str((int(account.number[13]) + 1) % 10)
    for number in [wrong, account_number_format(wrong), "12345", "0123450100001x"]:
        for url in [f"/api/v1/accounts/{number}/", f"/api/v1/accounts/{number}/transactions/"]:
            response = client.get(url)
            assert response.status_code == 400, url
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["code"] == "invalid_account_number"


def test_account_list_page(client):
    account = AccountFactory(balance=1_234_567)
    AccountFactory(owner=account.owner, balance=10)
    client.post("/login/", {"user_id": account.owner.user.username,
                            "password": DEFAULT_PASSWORD})
    response = client.get("/accounts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "1,234,567" in html and "1,234,577" in html
    assert account.formatted_number in html


def test_pages_need_login(client):
    response = client.get("/accounts/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/api/v1/accounts/").status_code == 401
