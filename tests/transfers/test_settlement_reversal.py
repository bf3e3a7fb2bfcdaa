"""Reversals the source account cannot take (closed while the transfer was settling) go to
the suspense ledger account; one transfer the sweep cannot settle never blocks the others."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db.models import Sum

from accounts.models import Account, JournalEntry, Posting
from accounts.services import account_close, entry_reverse
from postbank import policy
from postbank.audit import AuditEvent
from postbank.kst import KST
from tests.transfers.factories import ClearingHouseAccountFactory
from tests.transfers.test_execute import balance, confirm, prepare
from transfers.models import ClearingHouseAccount, DailyUsage, Transfer
from transfers.services import settlement_sweep, transfer_settle

pytestmark = pytest.mark.django_db



def ledger(code: str) -> int:
    return Posting.objects.filter(ledger_account__code=code).aggregate(s=Sum("amount"))["s"] or 0


def test_rejected_transfer_from_a_closed_account_is_held_in_suspense(sender):
    ClearingHouseAccountFactory(
        bank_code="081",
        number="35791024681357",
        outcome=ClearingHouseAccount.Outcome.REJECT,
        reject_reason="수취인 계좌 오류",
    )
    # The whole balance leaves (999,500 + 500 fee), so the account can be closed.
    done = confirm(sender, prepare(sender, "35791024681357", 999_500, bank="081"))
    assert (done.status, balance(sender.account)) == ("settling", 0)
    assert (ledger("interbank_clearing"), ledger("fee_income"), ledger("suspense")) == (
        999_500,
        500,
        0,
    )
    account_close(account=Account.objects.get(pk=sender.account.pk))
    failed = transfer_settle(transfer_id=done.pk)
    assert (failed.status, failed.failure_code) == ("failed", "rejected_by_bank")
    assert failed.failure_reason == (
        "수취인 계좌 오류 출금 계좌가 해지되어 금액을 가수금(별단)으로 보관합니다."
    )
    account = Account.objects.get(pk=sender.account.pk)
    assert (account.status, account.balance) == ("closed", 0)
    assert (ledger("interbank_clearing"), ledger("fee_income"), ledger("suspense")) == (
        0,
        0,
        1_000_000,
    )
    reversal = failed.reversal_entry
    assert reversal.reverses_id == done.entry_id
    assert sorted(
        (p.ledger_account.code if p.ledger_account else None, p.account_id, p.amount)
        for p in reversal.postings.select_related("ledger_account")
    ) == [
        ("fee_income", None, -500),
        ("interbank_clearing", None, -999_500),
        ("suspense", None, 1_000_000),
    ]
    assert DailyUsage.objects.get(customer=sender.customer).used == 0
    event = AuditEvent.objects.get(event="transfer_returned_to_suspense")
    assert event.detail["amount"] == 1_000_000 and event.subject.endswith(str(done.public_id))
    # settled once: a repeat changes nothing
    assert transfer_settle(transfer_id=done.pk).reversal_entry_id == reversal.pk
    assert JournalEntry.objects.filter(kind="transfer_reversal").count() == 1


def test_sweep_times_out_a_transfer_from_a_closed_account_into_suspense(sender):
    ClearingHouseAccountFactory(
        bank_code="090", number="3333012345678", outcome=ClearingHouseAccount.Outcome.TIMEOUT
    )
    start = datetime(2026, 3, 2, 10, 0, tzinfo=KST)
    with time_machine.travel(start, tick=False):
        done = confirm(sender, prepare(sender, "3333012345678", 999_500, bank="090"))
        account_close(account=Account.objects.get(pk=sender.account.pk))
    after = start + policy.TRANSFER_SETTLEMENT_TIMEOUT
    assert settlement_sweep(now=after) == {"settled": 1, "expired": 0, "errors": 0}
    done.refresh_from_db()
    assert (done.status, done.failure_code) == ("failed", "settlement_timeout")
    assert done.failure_reason.endswith("출금 계좌가 해지되어 금액을 가수금(별단)으로 보관합니다.")
    assert (ledger("interbank_clearing"), ledger("suspense")) == (0, 1_000_000)
    assert balance(sender.account) == 0


def test_one_transfer_that_cannot_be_settled_does_not_block_the_sweep(sender):
    ClearingHouseAccountFactory(
        bank_code="090", number="3333012345678", outcome=ClearingHouseAccount.Outcome.TIMEOUT
    )
    start = datetime(2026, 3, 2, 10, 0, tzinfo=KST)
    with time_machine.travel(start, tick=False):
        broken = confirm(sender, prepare(sender, "3333012345678", 10_000, bank="090"))
        good = confirm(sender, prepare(sender, "3333012345678", 20_000, bank="090"))
    assert broken.pk < good.pk
    # Someone already reversed the first entry by hand: its reversal cannot be posted again.
    entry_reverse(entry=broken.entry, kind="manual_correction", memo="manual")
    assert balance(sender.account) == 1_000_000 - 20_500
    after = start + policy.TRANSFER_SETTLEMENT_TIMEOUT
    assert settlement_sweep(now=after) == {"settled": 1, "expired": 0, "errors": 1}
    good.refresh_from_db()
    broken.refresh_from_db()
    assert (good.status, good.failure_code) == ("failed", "settlement_timeout")
    assert (broken.status, broken.reversal_entry_id) == ("settling", None)
    assert balance(sender.account) == 1_000_000
    error = AuditEvent.objects.get(event="transfer_settlement_error")
    assert error.subject == f"transfer:{broken.pk}"
    assert error.detail["error"] == "IntegrityError"
    # the next run records it again and settles nothing else twice
    assert settlement_sweep(now=after + timedelta(minutes=1)) == {
        "settled": 0,
        "expired": 0,
        "errors": 1,
    }
    assert JournalEntry.objects.filter(kind="transfer_reversal").count() == 1
    assert Transfer.objects.filter(status="settling").count() == 1
