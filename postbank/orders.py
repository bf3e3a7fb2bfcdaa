"""The one primitive that confirms a signed order (a transfer, a remittance, any later one).

A confirmation checks the signature and the secrets, then moves the money once. Two
requests confirming one order (a double click, two sessions, an API retry) must not both
check the single-use secrets, and the second must answer what the first produced.

    with order_claim(order) as claim:          # waits here while another confirms it
        re-read the status; not open any more: return it (the first result)
        check the signature and the secrets     # wrong entries commit on their own
        with transaction.atomic():              # the money transaction
            lock the order row (FOR UPDATE), re-check its status
            claim.release_at_commit()
            order_customer_lock(...)            # FOR SHARE, suspension re-checked
            usage rows, then accounts in key order (accounts_lock), post the entry

The claim lives in PostgreSQL, nowhere else: a session-level advisory lock keyed by the
order (`pg_advisory_lock`). A second confirmation blocks in PostgreSQL until the first ends
(no polling), then sees the order no longer open. A worker that dies (crash, SIGKILL) loses
its connection, and PostgreSQL ends the session and so the claim with it. Redis takes no
part. The claim is released when the money transaction commits, before its on_commit work
(broker calls) runs, or when the block is left without committing.

Why a session lock and not only the order's row lock: enrollment counts a wrong secret in a
durable transaction of its own (enrollment.services.wrong_entry_record), which cannot run
inside a caller's transaction, and a wrong entry must be committed even though the order is
refused. The secrets are therefore checked under the claim but outside the money
transaction; the row lock there guards the status against every other writer (expiry
sweeps, a caller without the claim).

Lock order in the money transaction, the same for every order: the order row, then the
customer row (FOR SHARE), then usage rows, then deposit accounts in primary-key order. What
suspends a customer (wrong entries, the dormancy sweep, a teller) takes the customer row FOR
UPDATE and nothing after it, so a suspension committed first is always seen, one in flight is
waited for, and no cycle can form.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection, models, transaction

from postbank import rawsql

logger = logging.getLogger(__name__)

_CLAIM_SQL = "SELECT pg_advisory_lock(hashtextextended(%s, 0))"
_RELEASE_SQL = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"


def order_claim_key(order: models.Model) -> str:
    """The text the claim's 64-bit advisory lock key is hashed from: model and primary key."""
    return f"{order._meta.label_lower}:{order.pk}"


class OrderClaim:
    """A held claim on one order (see order_claim)."""

    def __init__(self, key: str):
        self.key = key
        self.held = True

    def release(self) -> None:
        """Ends the claim (once; later calls do nothing)."""
        if not self.held:
            return
        self.held = False
        try:
            rawsql.rows(_RELEASE_SQL, [self.key])
        except DatabaseError:
            # A broken connection (or an aborted transaction): closing the session is what
            # surely ends a session lock.
            logger.exception("releasing the order claim %s failed: connection closed", self.key)
            connection.close()

    def release_at_commit(self) -> None:
        """In the money transaction, before anything else registers on_commit work: the
        claim ends as soon as the transaction commits, and never waits on broker calls."""
        transaction.on_commit(self.release)


@contextmanager
def advisory_claim(key: str) -> Iterator[OrderClaim]:
    """Claims `key` (a session advisory lock on its 64-bit hash), waiting in PostgreSQL while
    another request holds it. Released on leaving the block at the latest, and with the
    connection on a crash."""
    rawsql.rows(_CLAIM_SQL, [key])
    claim = OrderClaim(key)
    try:
        yield claim
    finally:
        claim.release()


def order_claim(order: models.Model):
    """Claims `order` for confirmation (see the module's docstring)."""
    return advisory_claim(order_claim_key(order))


def order_customer_lock(*, customer_id: int):
    """The order's customer, read FOR SHARE after the order row is locked, and refused
    (customer_suspended) when suspended: wrong entries, dormancy or a teller's suspension
    committed before this statement wins, one in flight is waited for. Returns the customer
    as it is now (the one loaded at authentication may be stale)."""
    from enrollment.models import Customer
    from enrollment.services import customer_ensure_active

    [(customer,)] = rawsql.select(
        f"SELECT {rawsql.columns(Customer, 'c')} FROM {rawsql.table(Customer)} c "  # noqa: S608
        "WHERE c.id = %s FOR SHARE",
        [customer_id],
        Customer,
    )
    customer_ensure_active(customer=customer)
    return customer
