"""Account inquiry, history, CSV, statement and chart in Chromium, desktop and phone."""

import re
from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.services import Line, entry_post
from tests.accounts.factories import AccountFactory, account_fund
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account():
    account = AccountFactory()
    account_fund(account, 500_000, memo="월급")
    with transaction.atomic():
        entry_post(kind="card_payment", lines=[
            Line(amount=-12_300, account=account, counterparty="체크카드 GS25", memo="GS25"),
            Line(amount=12_300, ledger="interbank_clearing")])
    account_fund(account, 7_000, memo="더치페이")
    account.refresh_from_db()
    return account


def _login(page, live_server, account):
    page.goto(live_server.url + "/login/?next=/accounts/")
    page.fill("#id_user_id", account.owner.user.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("[data-testid=login-submit]")


def test_inquiry_history_csv_and_statement(live_server, page, account):
    _login(page, live_server, account)
    expect(page.locator("h1")).to_have_text("계좌조회")
    card = page.locator(f"[data-testid=account-{account.number}]")
    expect(card.locator("[data-testid=balance]")).to_have_text("494,700 원")
    expect(card.locator("[data-testid=available]")).to_have_text("494,700 원")
    card.get_by_role("link").click()

    expect(page.locator("h1")).to_have_text("거래내역조회")
    rows = page.locator("[data-testid=row]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("더치페이")
    expect(rows.nth(0).locator("td.after")).to_have_text("494,700")
    expect(rows.nth(1).locator("td.out")).to_have_text("12,300")
    chart = page.locator("svg[data-testid=balance-chart]")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("data-last-balance", "494700")
    assert chart.locator("polyline").count() == 1

    page.select_option("#id_direction", "withdrawal")
    page.click("[data-testid=search]")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("GS25")

    page.check("[data-testid=period-custom]")
    page.fill("#id_from", "2020-01-01")
    page.fill("#id_to", "2026-12-31")
    page.click("[data-testid=search]")
    expect(page.locator("[data-testid=problem]")).to_have_attribute("data-code",
                                                                    re.compile(r"period"))
    page.check("[data-testid=period-1w]")
    page.select_option("#id_direction", "all")
    page.click("[data-testid=search]")
    expect(rows).to_have_count(3)

    with page.expect_download() as download_info:
        page.click("[data-testid=csv]")
    data = Path(download_info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.count("\n") == 4 and "체크카드 GS25" in text and "494700" in text

    page.click("[data-testid=statement]")
    expect(page.locator("[data-testid=statement-account]")).to_contain_text(
        account.formatted_number)
    expect(page.locator("[data-testid=total-in]")).to_have_text("507,000")
    expect(page.locator("[data-testid=total-out]")).to_have_text("12,300")
    page.emulate_media(media="print")
    expect(page.locator("[data-testid=print]")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("[data-testid=statement-doc] [data-testid=row]")).to_have_count(3)


def test_history_in_english_and_another_customers_account_is_404(live_server, page, account):
    stranger = AccountFactory()
    _login(page, live_server, account)
    page.click("summary:has-text('설정')")
    page.click("[data-testid=lang-en]")
    page.goto(live_server.url + "/accounts/history/")
    expect(page.locator("h1")).to_have_text("Transaction history")
    expect(page.locator("table.history th").first).to_have_text("Date and time")
    response = page.goto(live_server.url + f"/accounts/history/?account={stranger.number}")
    assert response.status == 404
    response = page.goto(live_server.url + "/accounts/history/?account=12345")
    assert response.status == 400


@pytest.mark.parametrize("language", ["ko", "en"])
def test_pages_fit_a_phone(live_server, phone_context, account, language):
    phone_context.add_cookies([{"name": "django_language", "value": language,
                                "url": live_server.url}])
    page = phone_context.new_page()
    _login(page, live_server, account)
    expect(page.locator("h1")).to_have_text({"ko": "계좌조회", "en": "Account inquiry"}[language])
    for path in ["/accounts/", f"/accounts/history/?account={account.number}",
                 f"/accounts/history/?account={account.number}&period=custom"
                 "&from=2020-01-01&to=2020-01-02&direction=withdrawal",
                 f"/accounts/history/?account={account.number}&period=custom&from=x&to=y",
                 f"/accounts/history/statement/?account={account.number}"]:
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    page.goto(live_server.url + f"/accounts/history/?account={account.number}")
    expect(page.locator("svg[data-testid=balance-chart]")).to_be_visible()
    expect(page.locator("[data-testid=row]").first).to_be_visible()
    expect(page.locator("table.history th").first).to_have_text(
        {"ko": "거래일시", "en": "Date and time"}[language])
