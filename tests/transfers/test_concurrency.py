"""Real threads on PostgreSQL: money is conserved, limits hold together, no deadlock."""

import random
import threading
import time
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from accounts.models import Account, JournalEntry
from enrollment.models import CardChallenge, Customer
from enrollment.security import security_challenge_issue
from postbank.errors import PostbankError
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.locks import (
    advisory_locks_held,
    backend_waits_on_lock,
    row_claimed,
    row_locker,
    until,
)
from tests.threads import run_threads
from tests.transfers.conftest import card_holder
from transfers.models import DailyUsage, Transfer
from transfers.services import (
    transfer_execute,
    transfer_order_bytes,
    transfer_post,
    transfer_prepare,
)

pytestmark = pytest.mark.django_db(transaction=True)


_CUSTOMER_LOCKS: dict[int, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def execute(holder, transfer):
    """A whole confirmation. One customer has one security medium and at most one open
    challenge (enrollment.security), so one person's confirmations run one after the other;
    different customers' run at the same time and contend for the same accounts."""
    with _LOCKS_GUARD:
        lock = _CUSTOMER_LOCKS.setdefault(holder.customer.pk, threading.Lock())
    with lock:
        challenge_id, answer = holder.answer()
        return transfer_execute(
            customer=holder.customer,
            transfer_id=transfer.public_id,
            account_password=ACCOUNT_PASSWORD,
            challenge_id=challenge_id,
            security_answer=answer,
            signature=holder.sign(transfer),
        )


def confirm_fresh(holder, transfer, challenge_id, answer, signature):
    """transfer_execute as a request does it: customer and transfer read afresh, as
    authentication and the URL lookup would."""
    return transfer_execute(
        customer=Customer.objects.get(pk=holder.customer.pk),
        transfer_id=transfer.public_id,
        account_password=ACCOUNT_PASSWORD,
        challenge_id=challenge_id,
        security_answer=answer,
        signature=signature,
    )


def post(holder, transfer):
    """The money transaction of a confirmation whose secrets were checked (transfer_execute
    checks them first, outside it): where two of one customer's transfers race."""
    order = transfer_order_bytes(transfer=transfer)
    return transfer_post(
        transfer_id=transfer.pk,
        signed_order=order,
        signature=holder.sign_bytes(order),
        signer_certificate_serial=holder.certificate.serial,
        actor=holder.customer.user,
        channel="web",
    )


def deposit_total() -> int:
    return Account.objects.aggregate(total=Sum("balance"))["total"]


def test_200_concurrent_transfers_among_20_accounts_conserve_money_and_limits():
    holders = []
    for index in range(20):
        holder = card_holder(name=f"동시{index}", own_limit_per_day=120_000)
        holder.account = AccountFactory(owner=holder.customer, balance=100_000)
        holder.certify()
        holders.append(holder)
    rng = random.Random(20261123)
    plan = []
    for _ in range(200):
        source, target = rng.sample(holders, 2)
        plan.append((source, target, rng.randrange(1_000, 40_001)))
    prepared = [
        transfer_prepare(
            customer=s.customer,
            from_number=s.account.number,
            bank_code="071",
            account_number=t.account.number,
            amount=a,
        )
        for s, t, a in plan
    ]
    before = deposit_total()
    work = list(zip(plan, prepared, strict=True))

    def worker(index):
        results = []
        for (source, _target, _amount), transfer in work[index::8]:
            try:
                results.append(execute(source, transfer).status)
            except PostbankError as exc:
                results.append(exc.code)
        return results

    outcomes = run_threads(8, worker)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert not errors, errors
    codes = Counter(code for result in outcomes for code in result)
    assert set(codes) <= {"completed", "insufficient_funds", "daily_limit_exceeded"}
    assert codes["completed"] >= 50
    assert sum(codes.values()) == 200
    assert deposit_total() == before
    assert not Account.objects.filter(balance__lt=0).exists()
    completed = Transfer.objects.filter(status="completed")
    assert completed.count() == codes["completed"]
    assert JournalEntry.objects.filter(kind="transfer_postoffice").count() == codes["completed"]
    for holder in holders:
        sent = completed.filter(customer=holder.customer).aggregate(s=Sum("amount"))["s"] or 0
        usage = DailyUsage.objects.filter(customer=holder.customer).first()
        assert (usage.used if usage else 0) == sent
        assert sent <= 120_000
        received = completed.filter(to_account=holder.account).aggregate(s=Sum("amount"))["s"] or 0
        assert Account.objects.get(pk=holder.account.pk).balance == 100_000 - sent + received


def test_daily_limit_race_lets_exactly_one_through():
    holder = card_holder(name="경합", own_limit_per_day=1_000_000)
    holder.account = AccountFactory(owner=holder.customer, balance=5_000_000)
    holder.certify()
    target = AccountFactory(balance=0)
    transfers = [
        transfer_prepare(
            customer=holder.customer,
            from_number=holder.account.number,
            bank_code="071",
            account_number=target.number,
            amount=600_000,
        )
        for _ in range(2)
    ]
    outcomes = run_threads(2, lambda i: post(holder, transfers[i]).status)
    assert sorted(o if isinstance(o, str) else o.code for o in outcomes) == [
        "completed",
        "daily_limit_exceeded",
    ]
    assert Account.objects.get(pk=target.pk).balance == 600_000
    assert Account.objects.get(pk=holder.account.pk).balance == 4_400_000
    assert DailyUsage.objects.get(customer=holder.customer).used == 600_000


def test_opposite_direction_transfers_never_deadlock():
    a, b = card_holder(name="갑"), card_holder(name="을")
    a.account = AccountFactory(owner=a.customer, balance=1_000_000)
    b.account = AccountFactory(owner=b.customer, balance=1_000_000)
    a.certify(), b.certify()
    plans = []
    for index in range(40):
        source, target = (a, b) if index % 2 else (b, a)
        plans.append(
            (
                source,
                transfer_prepare(
                    customer=source.customer,
                    from_number=source.account.number,
                    bank_code="071",
                    account_number=target.account.number,
                    amount=1_000 + index,
                ),
            )
        )

    def worker(index):
        return [execute(source, transfer).status for source, transfer in plans[index::4]]

    outcomes = run_threads(4, worker)
    assert all(isinstance(o, list) and set(o) == {"completed"} for o in outcomes), outcomes
    assert (
        Account.objects.get(pk=a.account.pk).balance + Account.objects.get(pk=b.account.pk).balance
    ) == 2_000_000
    sent_by_a = sum(1_000 + i for i in range(40) if i % 2)
    sent_by_b = sum(1_000 + i for i in range(40) if not i % 2)
    assert Account.objects.get(pk=a.account.pk).balance == 1_000_000 - sent_by_a + sent_by_b


def test_a_double_click_moves_the_money_once_and_counts_no_wrong_entry():
    holder = card_holder(name="더블클릭")
    holder.account = AccountFactory(owner=holder.customer, balance=100_000)
    target = AccountFactory(balance=0)
    transfer = transfer_prepare(
        customer=holder.customer,
        from_number=holder.account.number,
        bank_code="071",
        account_number=target.number,
        amount=30_000,
    )
    challenge_id, answer = holder.answer()
    signature = holder.sign(transfer)

    def click(_index):
        return confirm_fresh(holder, transfer, challenge_id, answer, signature).status

    assert run_threads(2, click) == ["completed", "completed"]
    assert Account.objects.get(pk=target.pk).balance == 30_000
    assert JournalEntry.objects.filter(kind="transfer_postoffice").count() == 1
    assert Customer.objects.get(pk=holder.customer.pk).wrong_entries == 0
    assert connection.vendor == "postgresql"


# ---------------------------------------------------------------------------------------
# The confirmation primitive (postbank.orders): claimed in PostgreSQL, no Redis, suspension
# re-checked under the locks.


def _order(holder, target, amount=10_000):
    return transfer_prepare(
        customer=holder.customer,
        from_number=holder.account.number,
        bank_code="071",
        account_number=target.number,
        amount=amount,
    )


def test_two_sessions_confirming_one_order_execute_it_once_and_both_see_the_result():
    for round_ in range(5):
        holder = card_holder(name=f"두세션{round_}")
        holder.account = AccountFactory(owner=holder.customer, balance=100_000)
        target = AccountFactory(balance=0)
        transfer = _order(holder, target, amount=20_000)
        challenge_id, answer = holder.answer()
        signature = holder.sign(transfer)

        def confirm(_index, transfer=transfer, challenge_id=challenge_id, answer=answer,
                    signature=signature, holder=holder):
            done = confirm_fresh(holder, transfer, challenge_id, answer, signature)
            return done.status, done.entry_id

        outcomes = run_threads(2, confirm)
        assert not any(isinstance(o, BaseException) for o in outcomes), outcomes
        assert outcomes[0] == outcomes[1]
        assert outcomes[0][0] == "completed" and outcomes[0][1] is not None
        assert JournalEntry.objects.filter(reference=str(transfer.public_id)).count() == 1
        assert Account.objects.get(pk=target.pk).balance == 20_000
        assert Customer.objects.get(pk=holder.customer.pk).wrong_entries == 0
    assert advisory_locks_held() == 0


def test_a_new_challenge_waits_for_a_confirmation_under_way_and_never_breaks_it():
    """Two sessions of one customer: one confirming, one asking a new security challenge
    (another page, the app). The confirmation is held after its claim, before it answers its
    challenge (the test holds the challenge's row). The new challenge then waits on the
    customer row instead of closing the challenge being answered; the confirmation completes,
    and the new challenge is issued after it, with a new pair of code numbers."""
    holder = card_holder(name="두번째세션")
    holder.account = AccountFactory(owner=holder.customer, balance=100_000)
    target = AccountFactory(balance=0)
    transfer = _order(holder, target, amount=30_000)
    challenge_id, answer = holder.answer()
    signature = holder.sign(transfer)
    held = row_locker("enrollment_cardchallenge", challenge_id)
    backends = {}

    def session(index):
        connection.ensure_connection()
        backends[index] = connection.connection.info.backend_pid
        if index == 0:
            return confirm_fresh(holder, transfer, challenge_id, answer, signature).status
        until(lambda: backend_waits_on_lock(backends[0]), "the confirmation is under way")
        return security_challenge_issue(customer=holder.customer)

    try:
        threads_done = []
        runner = threading.Thread(target=lambda: threads_done.append(run_threads(2, session)))
        runner.start()
        confirming = until(lambda: backends.get(0) and backend_waits_on_lock(backends[0]),
                           "the confirmation waits on the held challenge")
        assert confirming.startswith('UPDATE "enrollment_cardchallenge"'), confirming
        issuing = until(lambda: backends.get(1) and backend_waits_on_lock(backends[1]),
                        "the new challenge waits")
        assert issuing.startswith('INSERT INTO "enrollment_cardchallenge"'), issuing
        assert row_claimed(Transfer, transfer.pk)
    finally:
        held.rollback()
        held.close()
    runner.join(timeout=30)
    [(status, issued)] = threads_done
    assert status == "completed"
    assert Account.objects.get(pk=target.pk).balance == 30_000
    assert CardChallenge.objects.get(pk=challenge_id).used_at is not None
    assert issued.id != challenge_id
    assert CardChallenge.objects.get(pk=issued.id).used_at is None
    assert Customer.objects.get(pk=holder.customer.pk).wrong_entries == 0


def test_a_suspension_racing_a_confirmation_is_never_followed_by_an_execution():
    """A teller's (or the dormancy sweep's) suspension takes the customer row FOR UPDATE.
    Whatever the timing, a confirmation whose money had not moved when the suspension held
    the row never moves it afterwards."""
    rng = random.Random(14)
    rounds = 20
    seen = Counter()
    for round_ in range(rounds):
        holder = card_holder(name=f"정지경합{round_}")
        holder.account = AccountFactory(owner=holder.customer, balance=100_000)
        holder.certify()
        target = AccountFactory(balance=0)
        transfer = _order(holder, target)
        challenge_id, answer = holder.answer()
        signature = holder.sign(transfer)
        # Even rounds: the suspension takes the row first (the confirmation starts once it
        # holds it) and holds it while the confirmation reaches its locks. Odd rounds: both
        # start at random moments.
        first = round_ % 2 == 0
        before, hold = (0.0, 0.3) if first else (rng.uniform(0, 0.05), rng.uniform(0, 0.05))
        status_under_lock = {}
        row_held = threading.Event()

        def work(index, holder=holder, transfer=transfer, challenge_id=challenge_id,
                 answer=answer, signature=signature, before=before, hold=hold,
                 status_under_lock=status_under_lock, first=first, row_held=row_held):
            if index == 0:
                time.sleep(before)
                with transaction.atomic():
                    Customer.objects.select_for_update().get(pk=holder.customer.pk)
                    row_held.set()
                    status_under_lock["status"] = Transfer.objects.get(pk=transfer.pk).status
                    time.sleep(hold)
                    Customer.objects.filter(pk=holder.customer.pk).update(
                        suspension=Customer.Suspension.DORMANT, suspended_at=timezone.now()
                    )
                return "suspended"
            if first:
                row_held.wait(timeout=30)
            try:
                return confirm_fresh(holder, transfer, challenge_id, answer, signature).status
            except PostbankError as exc:
                return exc.code

        outcomes = run_threads(2, work)
        assert outcomes[0] == "suspended", outcomes
        final = Transfer.objects.get(pk=transfer.pk)
        if status_under_lock["status"] == Transfer.Status.PREPARED:
            # The suspension held the row before any money moved: no execution after it.
            assert final.status != Transfer.Status.COMPLETED, (round_, outcomes)
            assert final.entry_id is None
            assert Account.objects.get(pk=target.pk).balance == 0
            assert outcomes[1] == "customer_suspended", outcomes
        else:
            assert final.status == Transfer.Status.COMPLETED
        seen[outcomes[1]] += 1
    assert sum(seen.values()) == rounds
    # The suspension won at least in the rounds where it held the row first.
    assert seen["customer_suspended"] >= rounds // 2, seen
    assert advisory_locks_held() == 0


def test_a_wrong_secret_is_counted_and_committed_and_the_order_stays_open():
    holder = card_holder(name="틀린답")
    holder.account = AccountFactory(owner=holder.customer, balance=100_000)
    target = AccountFactory(balance=0)
    transfer = _order(holder, target)
    challenge_id, wrong = holder.wrong_answer()
    with pytest.raises(PostbankError) as refused:
        transfer_execute(
            customer=holder.customer,
            transfer_id=transfer.public_id,
            account_password=ACCOUNT_PASSWORD,
            challenge_id=challenge_id,
            security_answer=wrong,
            signature=holder.sign(transfer),
        )
    assert refused.value.code == "wrong_security_code"
    # Committed (transaction=True: nothing wraps the test), the order still prepared.
    assert Customer.objects.get(pk=holder.customer.pk).wrong_entries == 1
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.PREPARED
    # The claim ended with the refusal: the next confirmation goes through at once.
    assert advisory_locks_held() == 0
    challenge_id, answer = holder.answer()
    done = confirm_fresh(holder, transfer, challenge_id, answer, holder.sign(transfer))
    assert done.status == Transfer.Status.COMPLETED
    assert Customer.objects.get(pk=holder.customer.pk).wrong_entries == 0


def test_a_confirmation_completes_with_redis_unreachable():
    holder = card_holder(name="레디스없음")
    holder.account = AccountFactory(owner=holder.customer, balance=100_000)
    target = AccountFactory(balance=0)
    transfer = _order(holder, target)
    challenge_id, answer = holder.answer()
    signature = holder.sign(transfer)
    closed_port = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=closed_port):
        with pytest.raises(Exception, match=r"(?i)connect"):
            cache.get("anything")  # the cache is really unreachable
        done = confirm_fresh(holder, transfer, challenge_id, answer, signature)
    assert done.status == Transfer.Status.COMPLETED
    assert Account.objects.get(pk=target.pk).balance == 10_000
