"""Prepare and execute: one balanced entry, limits and funds under the lock, refusals that
move nothing, wrong entries counted, idempotency, and interbank settlement with reversal."""

from datetime import datetime, timedelta

import pytest
import time_machine

from accounts.models import Account, JournalEntry
from accounts.services import InsufficientFunds, WrongAccountPassword
from enrollment.models import Customer
from enrollment.security import WrongSecurityCode
from enrollment.services import CustomerSuspended
from postbank import policy
from postbank.errors import InvalidInput
from postbank.idempotency import IdempotencyKeyReused
from postbank.kst import KST
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.transfers.conftest import ledger_snapshot
from tests.transfers.factories import ClearingHouseAccountFactory
from transfers.models import ClearingHouseAccount, DailyUsage, Transfer
from transfers.services import (
    DailyLimitExceeded,
    RecipientNotActive,
    TransferExpired,
    TransferLimitExceeded,
    settlement_sweep,
    transfer_execute,
    transfer_order_bytes,
    transfer_prepare,
    transfer_settle,
)

pytestmark = pytest.mark.django_db



def prepare(holder, to_number, amount, *, bank="071", key=None, **memos):
    return transfer_prepare(
        customer=holder.customer,
        from_number=holder.account.number,
        bank_code=bank,
        account_number=to_number,
        amount=amount,
        idempotency_key=key,
        **memos,
    )


def confirm(holder, transfer, *, password=ACCOUNT_PASSWORD, wrong_code=False):
    challenge_id, answer = holder.wrong_answer() if wrong_code else holder.answer()
    return transfer_execute(
        customer=holder.customer,
        transfer_id=transfer.public_id,
        account_password=password,
        challenge_id=challenge_id,
        security_answer=answer,
        signature=holder.sign(transfer),
    )


def set_daily_limit(holder, won: int) -> None:
    holder.customer.own_limit_per_day = won
    holder.customer.save(update_fields=["own_limit_per_day"])


def balance(account) -> int:
    return Account.objects.get(pk=account.pk).balance


def test_post_office_transfer_is_one_balanced_entry(sender, receiver):
    transfer = prepare(
        sender, receiver.formatted_number, 250_000, sender_memo="월세", recipient_memo="11월 월세"
    )
    assert (transfer.status, transfer.recipient_name, transfer.fee) == ("prepared", "받는이", 0)
    done = confirm(sender, transfer)
    assert done.status == Transfer.Status.COMPLETED
    assert (balance(sender.account), balance(receiver)) == (750_000, 260_000)
    postings = list(done.entry.postings.order_by("amount"))
    assert [(p.account_id, p.amount, p.balance_after) for p in postings] == [
        (sender.account.pk, -250_000, 750_000),
        (receiver.pk, 250_000, 260_000),
    ]
    assert (postings[0].counterparty, postings[0].memo) == ("받는이", "월세")
    assert (postings[1].counterparty, postings[1].memo) == ("보내는이", "11월 월세")
    assert done.entry.reference == str(done.public_id)
    assert DailyUsage.objects.get(customer=sender.customer).used == 250_000
    assert done.business_date is not None and done.executed_at is not None


def test_interbank_transfer_debits_amount_and_fee_to_clearing_and_fee_income(sender):
    directory = ClearingHouseAccountFactory(
        bank_code="088", number="110123456789", holder_name="이신한"
    )
    transfer = prepare(sender, "110-123-456789", 100_000, bank="088")
    assert (transfer.kind, transfer.recipient_name, transfer.fee) == ("interbank", "이신한", 500)
    done = confirm(sender, transfer)
    assert done.status == Transfer.Status.SETTLING
    assert done.clearing_account == directory
    assert balance(sender.account) == 1_000_000 - 100_500
    lines = sorted(
        (p.ledger_account.code if p.ledger_account else "deposit", p.amount)
        for p in done.entry.postings.select_related("ledger_account")
    )
    assert lines == [("deposit", -100_500), ("fee_income", 500), ("interbank_clearing", 100_000)]
    settled = transfer_settle(transfer_id=done.pk)
    assert settled.status == Transfer.Status.COMPLETED and settled.reversal_entry is None
    assert transfer_settle(transfer_id=done.pk).status == Transfer.Status.COMPLETED
    assert JournalEntry.objects.filter(kind="transfer_reversal").count() == 0


def test_clearing_house_rejection_reverses_the_debit_and_fee(sender):
    ClearingHouseAccountFactory(
        bank_code="081",
        number="35791024681357",
        outcome=ClearingHouseAccount.Outcome.REJECT,
        reject_reason="해지된 계좌",
    )
    done = confirm(sender, prepare(sender, "35791024681357", 70_000, bank="081"))
    assert balance(sender.account) == 929_500
    assert DailyUsage.objects.get(customer=sender.customer).used == 70_000
    failed = transfer_settle(transfer_id=done.pk)
    assert (failed.status, failed.failure_code, failed.failure_reason) == (
        "failed",
        "rejected_by_bank",
        "해지된 계좌",
    )
    assert balance(sender.account) == 1_000_000
    reversal = failed.reversal_entry
    assert reversal.reverses_id == done.entry_id
    assert sorted(p.amount for p in reversal.postings.all()) == [-70_000, -500, 70_500]
    assert DailyUsage.objects.get(customer=sender.customer).used == 0
    again = transfer_settle(transfer_id=done.pk)
    assert again.reversal_entry_id == reversal.pk
    assert JournalEntry.objects.filter(kind="transfer_reversal").count() == 1
    assert balance(sender.account) == 1_000_000


def test_a_silent_clearing_house_times_out_and_is_reversed_by_the_sweep(sender):
    ClearingHouseAccountFactory(
        bank_code="090", number="3333012345678", outcome=ClearingHouseAccount.Outcome.TIMEOUT
    )
    start = datetime(2026, 3, 2, 10, 0, tzinfo=KST)
    with time_machine.travel(start, tick=False):
        done = confirm(sender, prepare(sender, "3333012345678", 40_000, bank="090"))
        assert transfer_settle(transfer_id=done.pk).status == Transfer.Status.SETTLING
    just_before = start + policy.TRANSFER_SETTLEMENT_TIMEOUT - timedelta(seconds=1)
    assert settlement_sweep(now=just_before) == {"settled": 0, "expired": 0, "errors": 0}
    assert balance(sender.account) == 959_500
    after = start + policy.TRANSFER_SETTLEMENT_TIMEOUT
    assert settlement_sweep(now=after) == {"settled": 1, "expired": 0, "errors": 0}
    done.refresh_from_db()
    assert (done.status, done.failure_code) == ("failed", "settlement_timeout")
    assert done.settlement_attempts == 2
    assert balance(sender.account) == 1_000_000
    assert settlement_sweep(now=after + timedelta(minutes=5)) == {
        "settled": 0,
        "expired": 0,
        "errors": 0,
    }
    assert JournalEntry.objects.filter(kind="transfer_reversal").count() == 1


@pytest.mark.parametrize("amount", [0, -5, "1.5", 1.5, "abc", "", True, policy.MAX_AMOUNT_WON + 1])
def test_bad_amounts_are_refused_and_nothing_moves(sender, receiver, amount):
    before = ledger_snapshot()
    with pytest.raises(InvalidInput) as caught:
        prepare(sender, receiver.number, amount)
    assert caught.value.code == "invalid_amount"
    assert ledger_snapshot() == before
    assert not Transfer.objects.exists()


def test_an_amount_above_the_balance_fails_and_nothing_moves(sender, receiver):
    transfer = prepare(sender, receiver.number, 1_000_001)
    before = ledger_snapshot()
    with pytest.raises(InsufficientFunds):
        confirm(sender, transfer)
    assert ledger_snapshot() == before
    transfer.refresh_from_db()
    assert (transfer.status, transfer.failure_code) == ("failed", "insufficient_funds")
    assert transfer.entry is None
    assert not DailyUsage.objects.filter(used__gt=0).exists()


def test_per_transfer_limit_of_the_general_grade_states_the_limit(sender, receiver):
    Account.objects.filter(pk=sender.account.pk).update(balance=0)
    with pytest.raises(TransferLimitExceeded) as caught:
        prepare(sender, receiver.number, 5_000_001)
    assert caught.value.code == "transfer_limit_exceeded"
    assert "5,000,000" in caught.value.message
    assert caught.value.extra["limit"] == 5_000_000
    assert caught.value.extra["remaining_today"] == 10_000_000
    assert not Transfer.objects.exists()


def test_daily_limit_counts_what_was_sent_today_and_says_what_is_left(sender, receiver):
    set_daily_limit(sender, 600_000)
    confirm(sender, prepare(sender, receiver.number, 450_000))
    with pytest.raises(DailyLimitExceeded) as caught:
        prepare(sender, receiver.number, 150_001)
    assert caught.value.extra["remaining_today"] == 150_000
    assert "600,000" in caught.value.message and "150,000" in caught.value.message
    assert confirm(sender, prepare(sender, receiver.number, 150_000)).status == "completed"
    assert DailyUsage.objects.get(customer=sender.customer).used == 600_000


def test_daily_limit_is_checked_again_when_the_money_moves(sender, receiver):
    set_daily_limit(sender, 500_000)
    first = prepare(sender, receiver.number, 300_000)
    second = prepare(sender, receiver.number, 300_000)
    confirm(sender, first)
    before = ledger_snapshot()
    with pytest.raises(DailyLimitExceeded):
        confirm(sender, second)
    assert ledger_snapshot() == before
    second.refresh_from_db()
    assert (second.status, second.failure_code) == ("failed", "daily_limit_exceeded")
    assert "200,000" in second.failure_reason


def test_minor_limits_apply_whatever_the_grade(receiver):
    from tests.transfers.conftest import card_holder

    minor = card_holder(name="미성년", minor_limited=True)
    minor.account = AccountFactory(owner=minor.customer, balance=5_000_000)
    with pytest.raises(TransferLimitExceeded) as caught:
        prepare(minor, receiver.number, 1_000_001)
    assert "1,000,000" in caught.value.message
    for _ in range(3):
        confirm(minor, prepare(minor, receiver.number, 1_000_000))
    with pytest.raises(DailyLimitExceeded) as caught:
        prepare(minor, receiver.number, 1)
    assert caught.value.extra["daily_limit"] == 3_000_000
    assert caught.value.extra["remaining_today"] == 0


def test_the_kst_day_boundary_starts_a_new_daily_limit(sender, receiver):
    set_daily_limit(sender, 300_000)
    late = datetime(2026, 5, 4, 23, 59, 58, tzinfo=KST)
    with time_machine.travel(late, tick=False):
        confirm(sender, prepare(sender, receiver.number, 300_000))
        with pytest.raises(DailyLimitExceeded):
            prepare(sender, receiver.number, 1)
    with time_machine.travel(late + timedelta(seconds=2), tick=False):  # 00:00:00 KST
        done = confirm(sender, prepare(sender, receiver.number, 300_000))
    assert done.business_date.isoformat() == "2026-05-05"
    assert sorted(DailyUsage.objects.values_list("day", "used")) == [
        (late.date(), 300_000),
        (done.business_date, 300_000),
    ]


def test_wrong_account_password_is_counted_and_moves_nothing(sender, receiver):
    transfer = prepare(sender, receiver.number, 10_000)
    before = ledger_snapshot()
    with pytest.raises(WrongAccountPassword):
        confirm(sender, transfer, password="9999")
    assert ledger_snapshot() == before
    sender.customer.refresh_from_db()
    assert sender.customer.wrong_entries == 1
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PREPARED
    assert confirm(sender, transfer).status == Transfer.Status.COMPLETED
    sender.customer.refresh_from_db()
    assert sender.customer.wrong_entries == 0


def test_five_wrong_security_codes_suspend_internet_banking(sender, receiver):
    transfer = prepare(sender, receiver.number, 10_000)
    before = ledger_snapshot()
    for _ in range(4):
        with pytest.raises(WrongSecurityCode):
            confirm(sender, transfer, wrong_code=True)
    with pytest.raises((WrongSecurityCode, CustomerSuspended)):
        confirm(sender, transfer, wrong_code=True)
    sender.customer.refresh_from_db()
    assert sender.customer.suspension == Customer.Suspension.WRONG_ENTRIES
    with pytest.raises(CustomerSuspended):
        confirm(sender, transfer)
    assert ledger_snapshot() == before


def test_recipient_frozen_after_the_inquiry_fails_the_transfer(sender, receiver):
    transfer = prepare(sender, receiver.number, 10_000)
    Account.objects.filter(pk=receiver.pk).update(status=Account.Status.FROZEN)
    before = ledger_snapshot()
    with pytest.raises(RecipientNotActive):
        confirm(sender, transfer)
    assert ledger_snapshot() == before
    transfer.refresh_from_db()
    assert transfer.failure_code == "recipient_account_not_active"


def test_an_inquiry_not_confirmed_in_time_expires(sender, receiver):
    start = datetime(2026, 6, 1, 9, 0, tzinfo=KST)
    with time_machine.travel(start, tick=False):
        transfer = prepare(sender, receiver.number, 10_000)
    with (
        time_machine.travel(
            start + policy.TRANSFER_PREPARED_TTL + timedelta(seconds=1), tick=False
        ),
        pytest.raises(TransferExpired),
    ):
        confirm(sender, transfer)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.EXPIRED
    assert balance(sender.account) == 1_000_000


def test_idempotency_key_replays_and_refuses_a_different_body(sender, receiver):
    first = prepare(sender, receiver.number, 20_000, key="order-0001-abc")
    again = prepare(sender, receiver.formatted_number, "20,000", key="order-0001-abc")
    assert again.pk == first.pk
    with pytest.raises(IdempotencyKeyReused) as caught:
        prepare(sender, receiver.number, 20_001, key="order-0001-abc")
    assert caught.value.status == 422
    done = confirm(sender, first)
    assert confirm(sender, first).pk == done.pk
    replay = prepare(sender, receiver.number, 20_000, key="order-0001-abc")
    assert (replay.pk, replay.status) == (first.pk, "completed")
    assert Transfer.objects.count() == 1
    assert JournalEntry.objects.filter(kind="transfer_postoffice").count() == 1
    assert balance(sender.account) == 980_000


def test_order_bytes_are_canonical_and_name_the_order(sender, receiver):
    transfer = prepare(sender, receiver.number, 12_345, sender_memo="메모")
    data = transfer_order_bytes(transfer=transfer)
    assert data == transfer_order_bytes(transfer=Transfer.objects.get(pk=transfer.pk))
    text = data.decode()
    for part in [str(transfer.public_id), receiver.number, '"amount":12345', "받는이", "메모"]:
        assert part in text


def test_memo_longer_than_the_policy_is_refused(sender, receiver):
    with pytest.raises(InvalidInput) as caught:
        prepare(sender, receiver.number, 1_000, sender_memo="가" * 21)
    assert caught.value.code == "invalid_memo"
