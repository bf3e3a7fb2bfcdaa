"""Reconciliation proves the ledger and finds a corrupted balance."""

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import ReconciliationReport
from accounts.tasks import reconcile_nightly
from tests.accounts.factories import AccountFactory, account_fund

pytestmark = pytest.mark.django_db


def test_a_clean_ledger_reconciles(capsys):
    account = AccountFactory(balance=10_000)
    account_fund(account, 2_500)
    AccountFactory(balance=7)
    call_command("reconcile")
    out = capsys.readouterr().out
    assert "deposit accounts checked: 2" in out
    assert "journal entries checked: 3" in out
    assert "trial balance KRW: +0" in out
    assert "BALANCED" in out
    report = ReconciliationReport.objects.get()
    assert (report.ok, report.accounts_checked, report.trial_balance, report.trigger) == (
        True, 2, 0, "command")


def test_a_corrupted_balance_is_found_and_exits_non_zero(capsys):
    account = AccountFactory(balance=10_000)
    AccountFactory(balance=500)
    with connection.cursor() as cursor:  # a balance changed behind the ledger's back
        cursor.execute("UPDATE accounts_account SET balance = balance + 1 WHERE id = %s",
                       [account.pk])
    with pytest.raises(SystemExit) as exited:
        call_command("reconcile")
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert f"account {account.number}: balance 10,001 but postings sum 10,000" in captured.out
    assert "1 DIFFERENCE(S)" in captured.out
    report = ReconciliationReport.objects.get()
    assert not report.ok
    assert report.differences == [{"kind": "account", "account": account.number,
                                   "balance": 10_001, "postings": 10_000,
                                   "balance_after": 10_000}]


def test_the_nightly_task_stores_a_report():
    AccountFactory(balance=1_000)
    report_id = reconcile_nightly.apply().get()
    report = ReconciliationReport.objects.get(pk=report_id)
    assert report.ok and report.trigger == "beat"


def test_the_beat_schedule_runs_it_nightly():
    from postbank.celery import app

    entry = app.conf.beat_schedule["accounts-reconcile"]
    assert entry["task"] == "accounts.tasks.reconcile_nightly"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {30}
