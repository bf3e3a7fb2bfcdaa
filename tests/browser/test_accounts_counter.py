"""The counter screens in Chromium: a teller opens an account, takes and pays out cash with
an ID check, freezes and unfreezes, reads the history; an operator reconciles."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.models import Account, CashTransaction, ReconciliationReport
from postbank.models import AuditEvent
from tests.accounts.factories import AccountFactory
from tests.factories import DEFAULT_PASSWORD, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _staff(group: str):
    user = UserFactory(username=f"{group}-kim", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def _counter_login(page, live_server, user):
    page.goto(live_server.url + "/counter/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def _cash(page, *, direction: str, amount: str, id_document: str, memo: str = ""):
    page.click("[data-testid=cash-link]")
    page.select_option("#id_direction", direction)
    page.fill("#id_amount", amount)
    page.select_option("#id_id_document", id_document)
    page.check("#id_id_confirmed")
    page.fill("#id_memo", memo)
    page.click("[data-testid=cash-next]")
    expect(page.locator("[data-testid=cash-confirm]")).to_be_visible()


def test_teller_opens_an_account_takes_cash_freezes_and_reads_history(live_server, page):
    teller = _staff("teller")
    customer = CustomerFactory(name="김우체")
    _counter_login(page, live_server, teller)

    page.goto(live_server.url + "/counter/accounts/account/add/")
    page.click(".field-owner .select2-selection")
    page.fill(".select2-search__field", "김우체")
    page.locator(".select2-results__option", has_text="김우체").click()
    page.select_option("#id_subject", "01")
    page.fill("#id_password", "2580")
    page.fill("#id_password_again", "2580")
    page.click("input[name=_save]")
    account = Account.objects.get(owner=customer)
    expect(page).to_have_url(re.compile(rf"/counter/accounts/account/{account.pk}/change/$"))
    expect(page.locator(".messagelist")).to_contain_text(account.formatted_number)
    assert account.password_matches("2580")

    _cash(page, direction="deposit", amount="150,000", id_document="driver_license",
          memo="월세")
    expect(page.locator("[data-testid=confirm-amount]")).to_have_text("150,000")
    expect(page.locator("[data-testid=confirm-id]")).to_have_text("운전면허증")
    assert not CashTransaction.objects.exists()  # nothing moves before the confirmation
    page.click("[data-testid=cash-execute]")
    expect(page.locator("[data-testid=receipt-amount]")).to_have_text("150,000 원")
    expect(page.locator("[data-testid=receipt-balance]")).to_have_text("150,000 원")
    page.get_by_role("link", name="계좌로 돌아가기").click()

    _cash(page, direction="withdrawal", amount="40000", id_document="resident_card")
    page.click("[data-testid=cash-execute]")
    expect(page.locator("[data-testid=receipt-balance]")).to_have_text("110,000 원")
    records = list(CashTransaction.objects.order_by("id")
                   .values_list("direction", "amount", "id_document", "teller"))
    assert records == [("deposit", 150_000, "driver_license", teller.pk),
                       ("withdrawal", 40_000, "resident_card", teller.pk)]
    page.get_by_role("link", name="계좌로 돌아가기").click()

    page.fill("#id_status_reason", "사고신고 접수")
    page.click("[data-testid=freeze]")
    expect(page.locator(".messagelist")).to_be_visible()
    expect(page.locator("[data-testid=unfreeze]")).to_be_visible()
    assert Account.objects.get(pk=account.pk).status == "frozen"
    _cash(page, direction="withdrawal", amount="1000", id_document="passport")
    page.click("[data-testid=cash-execute]")
    expect(page.locator("[data-testid=problem]")).to_have_attribute(
        "data-code", "account_not_active")
    page.goto(live_server.url + f"/counter/accounts/account/{account.pk}/change/")
    page.fill("#id_status_reason", "본인 확인")
    page.click("[data-testid=unfreeze]")
    expect(page.locator("[data-testid=freeze]")).to_be_visible()
    assert list(AuditEvent.objects.filter(subject=f"account:{account.number}")
                .order_by("id").values_list("event", flat=True)) == [
        "account_opened", "cash_deposit", "cash_withdrawal", "account_frozen",
        "account_unfrozen"]

    page.click("[data-testid=history-link]")
    page.click("[data-testid=period-1w]")
    rows = page.locator("[data-testid=row]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td.out")).to_have_text("40,000")
    expect(rows.nth(0).locator("td.after")).to_have_text("110,000")
    expect(rows.nth(1)).to_contain_text("월세")
    account.refresh_from_db()
    assert (account.status, account.balance) == ("active", 110_000)


def test_operator_runs_reconciliation_and_reads_the_last_report(live_server, page):
    operator = _staff("operator")
    _counter_login(page, live_server, operator)
    page.goto(live_server.url + "/counter/accounts/reconciliationreport/")
    page.click("[data-testid=run-reconciliation]")
    report = page.locator("[data-testid=last-report]")
    expect(report).to_have_attribute("data-ok", "true")
    expect(report.locator("h2")).to_have_text("최근 보고서: 일치")
    expect(report.locator("[data-testid=trial-balance]")).to_have_text("0")
    expect(page.locator(".messagelist")).to_contain_text("대사 완료: 차이 없음.")
    assert ReconciliationReport.objects.get().trigger == "counter:operator-kim"


def test_counter_cash_and_history_fit_a_phone(live_server, phone_context):
    teller = _staff("teller")
    account = AccountFactory(balance=25_000)
    page = phone_context.new_page()
    _counter_login(page, live_server, teller)
    for path in [f"/counter/accounts/account/{account.pk}/cash/",
                 f"/counter/accounts/account/{account.pk}/history/?period=1w"]:
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
