"""Faults of a real server process (gunicorn in a subprocess, on the test database).

1. A worker SIGKILLed mid-confirm while it holds the order claim (the transfer's row lock,
   postbank.orders): the retry through a new server moves the money exactly once.
2. Redis (cache and broker) unreachable: login, prepare, challenge and an interbank confirm
   still answer (the transfer is left settling, the task publication is dropped), and the
   beat sweep delivers the settlement once the "broker returns".
"""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password

from accounts.models import Account, JournalEntry
from enrollment.models import Customer
from enrollment.services import api_token_issue
from postbank import policy
from postbank.models import AuditEvent
from tests.accounts.factories import ACCOUNT_PASSWORD, AccountFactory
from tests.factories import DEFAULT_PASSWORD
from tests.locks import (
    advisory_locks_held,
    backend_waits_on_lock,
    row_claimed,
    row_locker,
    until,
)
from tests.server import Server
from tests.transfers.conftest import card_holder
from tests.transfers.factories import ClearingHouseAccountFactory
from transfers.models import Transfer
from transfers.services import settlement_sweep

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

WAIT_SECONDS = 20
CLOSED_REDIS = "redis://127.0.0.1:1"


def _answer(holder, challenge: dict) -> str:
    return (
        holder.codes[challenge["first_index"] - 1][:2]
        + holder.codes[challenge["second_index"] - 1][2:]
    )


def _prepare(server, token, body, key):
    return server.call(
        "POST", "/api/v1/transfers/", body, token=token, headers={"Idempotency-Key": key}
    )


def _confirm_body(server, token, holder, prepared) -> dict:
    """A fresh challenge for the transfer, answered right, and the signed order."""
    status, challenge = server.call(
        "POST", f"/api/v1/transfers/{prepared['id']}/challenge/", token=token
    )
    assert status == 200, challenge
    return {
        "account_password": ACCOUNT_PASSWORD,
        "challenge_id": challenge["challenge_id"],
        "security_answer": _answer(holder, challenge),
        "signature": holder.sign_base64(prepared["order"]),
    }


def test_worker_killed_holding_the_claim_then_the_retry_moves_the_money_once():
    holder = card_holder(name="죽은워커")
    holder.account = AccountFactory(owner=holder.customer, balance=500_000)
    receiver = AccountFactory(owner=card_holder(name="받는사람").customer, balance=10_000)
    holder.certify()
    token = api_token_issue(user=holder.customer.user)
    body = {
        "from_account": holder.account.formatted_number,
        "bank_code": "071",
        "account_number": receiver.number,
        "amount": 75_000,
    }

    first = Server()
    second = None
    locker = None
    outcome: dict = {}
    thread = None
    try:
        status, prepared = _prepare(first, token, body, "fault-kill-000001")
        assert status == 201, prepared
        transfer = Transfer.objects.get(public_id=prepared["id"])
        confirm_body = _confirm_body(first, token, holder, prepared)

        locker = row_locker("enrollment_customer", holder.customer.pk)

        def confirm():
            try:
                outcome["answer"] = first.call(
                    "POST",
                    f"/api/v1/transfers/{prepared['id']}/confirm/",
                    confirm_body,
                    token=token,
                    timeout=60,
                )
            except OSError as exc:  # the server was killed under the request
                outcome["error"] = exc

        thread = threading.Thread(target=confirm, daemon=True)
        thread.start()

        # The worker holds the claim (the transfer row) and waits on the customer row.
        def waiting_worker():
            for pid in first.backends():
                query = backend_waits_on_lock(pid)
                # transfers.services._LOCK_SQL (pg_stat_activity keeps its first 1 kB)
                if query and query.startswith('SELECT t."id", t."public_id"'):
                    return pid
            return None

        claimant = until(waiting_worker, "the worker locks the transfer, waits on the customer",
                         WAIT_SECONDS)
        assert row_claimed(Transfer, transfer.pk)
        assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.PREPARED

        first.kill()  # SIGKILL: master and worker, nothing runs a finally
        thread.join(timeout=WAIT_SECONDS)
        assert not thread.is_alive()
        assert "answer" not in outcome, outcome  # no answer came from a killed worker
        # The dead worker's session cannot notice its client is gone while it waits on the
        # lock: the claim is still held until the row lock is released.
        assert claimant in first.backends() and row_claimed(Transfer, transfer.pk)

        locker.rollback()
        locker.close()
        locker = None
        # Granted the row, the orphaned session fails to answer and PostgreSQL ends it: its
        # money transaction rolls back and the claim goes with the session.
        assert first.backends_gone(timeout=WAIT_SECONDS), first.backends()
        assert not row_claimed(Transfer, transfer.pk)
        assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.PREPARED
        assert Account.objects.get(pk=holder.account.pk).balance == 500_000
        assert not JournalEntry.objects.filter(reference=str(transfer.public_id)).exists()

        # The customer's app retries at once, through a new server process.
        second = Server()
        retry_body = _confirm_body(second, token, holder, prepared)
        status, done = second.call(
            "POST", f"/api/v1/transfers/{prepared['id']}/confirm/", retry_body, token=token
        )
        assert status == 200, done
        assert done["status"] == "completed"
        # And once more (a double submit): the first result, nothing moved again.
        status, again = second.call(
            "POST",
            f"/api/v1/transfers/{prepared['id']}/confirm/",
            _confirm_body(second, token, holder, prepared),
            token=token,
        )
        assert (status, again["status"]) == (200, "completed"), again

        transfer.refresh_from_db()
        assert transfer.status == Transfer.Status.COMPLETED
        entries = JournalEntry.objects.filter(reference=str(transfer.public_id))
        assert [e.kind for e in entries] == ["transfer_postoffice"]
        assert transfer.entry_id == entries.get().pk
        assert Account.objects.get(pk=holder.account.pk).balance == 425_000
        assert Account.objects.get(pk=receiver.pk).balance == 85_000
        assert (
            AuditEvent.objects.filter(
                event="transfer_executed", subject=f"transfer:{transfer.public_id}"
            ).count()
            == 1
        )
        assert Customer.objects.get(pk=holder.customer.pk).suspended_at is None
        assert advisory_locks_held() == 0
    finally:
        if locker is not None:
            locker.rollback()
            locker.close()
        for server in (first, second):
            if server is not None:
                server.stop()
                if not server.backends_gone(timeout=10):
                    server.terminate_backends()
        if thread is not None:
            thread.join(timeout=WAIT_SECONDS)


def test_redis_unreachable_interbank_confirm_answers_and_the_sweep_settles_later():
    ClearingHouseAccountFactory(bank_code="004", number="94370200123456", holder_name="김국민")
    assert "004" in policy.OTHER_BANKS
    holder = card_holder(name="레디스없음")
    holder.account = AccountFactory(owner=holder.customer, balance=500_000)
    holder.certify()
    user = holder.customer.user
    # The server hashes with production's hashers (the tests' MD5 is not among them).
    user.password = make_password(DEFAULT_PASSWORD, hasher="argon2")
    user.save(update_fields=["password"])

    server = Server(
        env={"REDIS_URL": f"{CLOSED_REDIS}/0", "CELERY_BROKER_URL": f"{CLOSED_REDIS}/1"}
    )
    try:
        # Login through the server, with the cache and the broker down.
        status, login = server.call(
            "POST", "/api/v1/auth/token/", {"user_id": user.username, "password": DEFAULT_PASSWORD}
        )
        assert status == 201, (login, server.output())
        token = login["token"]

        body = {
            "from_account": holder.account.formatted_number,
            "bank_code": "004",
            "account_number": "94370200123456",
            "amount": 10_000,
        }
        status, prepared = _prepare(server, token, body, "fault-redis-00001")
        assert status == 201, (prepared, server.output())
        assert (prepared["kind"], prepared["fee"]) == ("interbank", 500)

        confirm_body = _confirm_body(server, token, holder, prepared)
        started = time.monotonic()
        status, done = server.call(
            "POST",
            f"/api/v1/transfers/{prepared['id']}/confirm/",
            confirm_body,
            token=token,
            timeout=90,
        )
        elapsed = time.monotonic() - started
        log = server.output()

        # The money moved once and the transfer waits for its settlement (the outbox row).
        transfer = Transfer.objects.get(public_id=prepared["id"])
        assert transfer.status == Transfer.Status.SETTLING
        assert Account.objects.get(pk=holder.account.pk).balance == 489_500
        assert advisory_locks_held() == 0  # the claim ended at commit

        # The read side works too, and a retry of the confirm sees the first result.
        status_read, detail = server.call(
            "GET", f"/api/v1/transfers/{prepared['id']}/", token=token
        )
        assert (status_read, detail["status"]) == (200, "settling"), detail
        status_retry, retried = server.call(
            "POST",
            f"/api/v1/transfers/{prepared['id']}/confirm/",
            _confirm_body(server, token, holder, prepared),
            token=token,
            timeout=90,
        )
        assert (status_retry, retried.get("status")) == (200, "settling"), retried
    finally:
        server.stop()
        if not server.backends_gone(timeout=10):
            server.terminate_backends()

    # The broker returns: the beat's sweep finds the transfer left settling and settles it.
    later = transfer.executed_at + policy.TRANSFER_SETTLEMENT_TIMEOUT + timedelta(seconds=1)
    assert settlement_sweep(now=later - timedelta(seconds=2))["settled"] == 0  # not yet due
    assert settlement_sweep(now=later) == {"settled": 1, "expired": 0, "errors": 0}
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.COMPLETED
    assert transfer.settlement_attempts == 1
    assert transfer.reversal_entry_id is None
    entries = JournalEntry.objects.filter(reference=str(transfer.public_id))
    assert [e.kind for e in entries] == ["transfer_interbank"]
    assert Account.objects.get(pk=holder.account.pk).balance == 489_500
    # Run again (a second beat): nothing more happens.
    assert settlement_sweep(now=later + timedelta(minutes=1))["settled"] == 0
    assert JournalEntry.objects.filter(reference=str(transfer.public_id)).count() == 1

    # Last, the customer's answer to the confirm that moved the money: 200 settling, at once
    # (postbank.outbox drops a publication the broker cannot take and logs it).
    assert status == 200, (status, f"{elapsed:.1f} s", str(done)[:300], log[-1500:])
    assert done["status"] == "settling"
    assert elapsed < 10, f"the confirm waited {elapsed:.1f} s on the broker"
    assert "Broker unreachable" in log  # postbank.outbox logged the dropped publication
