"""Counter screens: tellers open accounts, take cash with an ID check, freeze; operators
reconcile. Groups and permissions come from the data migration."""

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from accounts.models import Account, CashTransaction, JournalEntry, ReconciliationReport
from postbank.models import AuditEvent
from tests.accounts.factories import AccountFactory
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _staff(client, group):
    user = UserFactory(username=f"{group}-1", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def test_groups_have_the_counter_permissions():
    teller = set(Group.objects.get(name="teller").permissions
                 .filter(content_type__app_label="accounts").values_list("codename", flat=True))
    assert {"add_account", "handle_cash", "freeze_account", "view_account"} <= teller
    assert "run_reconciliation" not in teller
    operator = set(Group.objects.get(name="operator").permissions
                   .filter(content_type__app_label="accounts")
                   .values_list("codename", flat=True))
    assert {"run_reconciliation", "view_reconciliationreport"} <= operator
    assert "handle_cash" not in operator


def test_teller_opens_an_account_with_the_customer_autocomplete(client):
    teller = _staff(client, "teller")
    customer = CustomerFactory(name="김우체")
    page = client.get("/counter/accounts/account/add/")
    assert page.status_code == 200
    assert 'data-ajax--url="/counter/autocomplete/"' in page.content.decode()
    found = client.get("/counter/autocomplete/", {"term": "김우체", "app_label": "accounts",
                                                  "model_name": "account",
                                                  "field_name": "owner"})
    assert found.json()["results"] == [{"id": str(customer.pk), "text": "김우체"}]
    response = client.post("/counter/accounts/account/add/", {
        "owner": customer.pk, "subject": "01", "password": "2580", "password_again": "2580",
        "request_key": "open-key-1"})
    account = Account.objects.get(owner=customer)
    assert response.status_code == 302
    assert response["Location"] == f"/counter/accounts/account/{account.pk}/change/"
    assert account.password_matches("2580") and account.balance == 0
    assert AuditEvent.objects.filter(event="account_opened", actor=teller).exists()


def test_a_double_submit_of_the_open_form_opens_one_account(client):
    teller = _staff(client, "teller")
    customer = CustomerFactory()
    page = client.get("/counter/accounts/account/add/").content.decode()
    key = re.search(r'name="request_key" value="([0-9a-f]{32})"', page).group(1)
    form = {"owner": customer.pk, "subject": "01", "password": "2580",
            "password_again": "2580", "request_key": key}
    first = client.post("/counter/accounts/account/add/", form)
    again = client.post("/counter/accounts/account/add/", form, follow=True)
    account = Account.objects.get(owner=customer)
    assert again.redirect_chain[0][0] == first["Location"]
    assert "이미 개설되었습니다" in again.content.decode()  # the teller reads Korean
    assert AuditEvent.objects.filter(event="account_opened", actor=teller).count() == 1
    other = client.post("/counter/accounts/account/add/", {**form, "request_key": "next-form"})
    assert other.status_code == 302 and Account.objects.filter(owner=customer).count() == 2
    assert account.opening_key == key


def test_open_refuses_mismatched_passwords(client):
    _staff(client, "teller")
    customer = CustomerFactory()
    response = client.post("/counter/accounts/account/add/", {
        "owner": customer.pk, "subject": "01", "password": "2580", "password_again": "2581"})
    assert response.status_code == 200
    assert not Account.objects.exists()


def test_cash_withdrawal_confirms_then_posts_and_shows_a_receipt(client):
    teller = _staff(client, "teller")
    account = AccountFactory(balance=100_000)
    url = f"/counter/accounts/account/{account.pk}/cash/"
    form = {"direction": "withdrawal", "amount": "40,000", "id_document": "resident_card",
            "id_confirmed": "on", "memo": "", "idempotency_key": "desk-1"}
    confirm = client.post(url, form)
    assert confirm.status_code == 200 and b'data-testid="cash-confirm"' in confirm.content
    account.refresh_from_db()
    assert account.balance == 100_000 and not CashTransaction.objects.exists()
    done = client.post(url, {**form, "confirm": "1"})
    record = CashTransaction.objects.get()
    assert done["Location"] == f"/counter/accounts/account/receipt/{record.pk}/"
    assert (record.amount, record.id_document, record.teller) == (40_000, "resident_card",
                                                                   teller)
    again = client.post(url, {**form, "confirm": "1"})  # a double click
    assert again["Location"] == done["Location"]
    account.refresh_from_db()
    assert account.balance == 60_000
    receipt = client.get(done["Location"]).content.decode()
    assert 'data-testid="receipt-amount">40,000 ' in receipt
    assert 'data-testid="receipt-balance">60,000 ' in receipt


def test_cash_without_id_check_or_with_a_bad_amount_moves_nothing(client):
    _staff(client, "teller")
    account = AccountFactory(balance=1_000)
    url = f"/counter/accounts/account/{account.pk}/cash/"
    base = {"direction": "deposit", "amount": "5000", "id_document": "passport",
            "id_confirmed": "on", "idempotency_key": "k", "confirm": "1"}
    assert client.post(url, {**base, "id_confirmed": ""}).status_code == 200
    response = client.post(url, {**base, "amount": "-5"})
    assert response.status_code == 400 and b'data-code="invalid_amount"' in response.content
    response = client.post(url, {**base, "direction": "withdrawal", "amount": "1001"})
    assert response.status_code == 400 and b'data-code="insufficient_funds"' in response.content
    account.refresh_from_db()
    assert account.balance == 1_000 and JournalEntry.objects.count() == 1


@pytest.mark.parametrize("amount", ["0", "-5", "1.5", "10000.0", "abc", "1e6",
                                    "1,000,000,000,001"])
def test_counter_refuses_malformed_amounts_with_a_code(client, amount):
    _staff(client, "teller")
    account = AccountFactory(balance=1_000)
    url = f"/counter/accounts/account/{account.pk}/cash/"
    for step in ({}, {"confirm": "1"}):
        response = client.post(url, {"direction": "deposit", "amount": amount,
                                     "id_document": "passport", "id_confirmed": "on",
                                     "idempotency_key": "bad-amount", **step})
        assert response.status_code == 400
        assert b'data-code="invalid_amount"' in response.content
    account.refresh_from_db()
    assert account.balance == 1_000
    assert JournalEntry.objects.count() == 1 and not CashTransaction.objects.exists()


def test_counter_takes_the_largest_amount_allowed(client):
    _staff(client, "teller")
    account = AccountFactory()
    response = client.post(f"/counter/accounts/account/{account.pk}/cash/", {
        "direction": "deposit", "amount": "1,000,000,000,000", "id_document": "passport",
        "id_confirmed": "on", "idempotency_key": "max", "confirm": "1"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.balance == 1_000_000_000_000


def test_teller_freezes_and_unfreezes_with_a_reason(client):
    _staff(client, "teller")
    account = AccountFactory()
    url = f"/counter/accounts/account/{account.pk}/status/"
    page = client.get(f"/counter/accounts/account/{account.pk}/change/")
    assert b'data-testid="freeze"' in page.content
    client.post(url, {"action": "freeze", "reason": "사고신고"})
    assert Account.objects.get(pk=account.pk).status == "frozen"
    client.post(url, {"action": "unfreeze", "reason": "본인 확인"})
    assert Account.objects.get(pk=account.pk).status == "active"
    assert AuditEvent.objects.get(event="account_frozen").detail == {"reason": "사고신고"}


def test_teller_sees_an_accounts_history(client):
    _staff(client, "teller")
    account = AccountFactory(balance=12_345)
    response = client.get(f"/counter/accounts/account/{account.pk}/history/", {"period": "1w"})
    assert response.status_code == 200
    assert b"12,345" in response.content


def test_operator_cannot_take_cash_but_runs_reconciliation(client):
    operator = _staff(client, "operator")
    account = AccountFactory(balance=500)
    assert client.get(f"/counter/accounts/account/{account.pk}/cash/").status_code == 403
    assert client.post(f"/counter/accounts/account/{account.pk}/status/",
                       {"action": "freeze", "reason": "x"}).status_code == 403
    response = client.post("/counter/accounts/reconciliationreport/run/")
    assert response.status_code == 302
    report = ReconciliationReport.objects.get()
    assert report.ok and report.trigger == f"counter:{operator.username}"
    page = client.get("/counter/accounts/reconciliationreport/")
    assert b'data-testid="last-report"' in page.content
    assert b"BALANCED" in page.content


def test_the_counter_shows_a_corrupted_balance_in_the_last_report(client):
    _staff(client, "operator")
    account = AccountFactory(balance=8_000)
    with connection.cursor() as cursor:  # a balance changed behind the ledger's back
        cursor.execute("UPDATE accounts_account SET balance = 9000 WHERE id = %s",
                       [account.pk])
    client.post("/counter/accounts/reconciliationreport/run/")
    page = client.get("/counter/accounts/reconciliationreport/",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-ok="false"' in page
    assert (f"Account {account.number}: balance 9,000 won, but its postings sum to 8,000 won"
            in page)
    report = ReconciliationReport.objects.get()
    assert not report.ok and report.differences[0]["account"] == account.number


def test_teller_cannot_run_reconciliation(client):
    _staff(client, "teller")
    assert client.post("/counter/accounts/reconciliationreport/run/").status_code == 403
    assert not ReconciliationReport.objects.exists()
