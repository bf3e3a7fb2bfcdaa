"""The one primitive that confirms a signed order (a transfer, a remittance, any later one).

A confirmation checks the signature and the secrets, then moves the money once. Two
requests confirming one order (a double click, two sessions, an API retry) must not both
check the single-use secrets, and the second must answer what the first produced.

    order_confirm(lock=..., confirm=..., is_open=...)

    with transaction.atomic():                 # one transaction, one claim
        order = lock()                         # the order row and its customer,
                                               #   FOR NO KEY UPDATE: the claim
        not open any more: return it           # (the first result)
        confirm(order):
            re-check the customer (suspended, dormant) and the medium
            check the signature and the secrets # a wrong one is recorded here...
            lock usage rows, then accounts      # ...and limits, funds, states checked
            post the entry, mark the order     # the money: written last
    a refusal raised by confirm is raised after the transaction COMMITS

The claim is the order's row lock, held by the transaction that checks the secrets and moves
the money. A second confirmation waits on the row in PostgreSQL (no polling), then sees the
order no longer open and answers the first result. A worker that dies (crash, SIGKILL) loses
its connection, and PostgreSQL rolls its transaction back and frees the row. Redis takes no
part.

A refusal does not roll back: what the confirmation recorded before refusing (a wrong
entry counted by enrollment, a spent security challenge, the order marked failed or expired)
must survive it, so the transaction commits and the refusal is raised after. A confirmation
therefore writes the money last, after every check that can refuse (entry_post checks funds
and states before its one statement). Any other exception (a bug, a database error) rolls
everything back.

Lock order, the same for every order: the order row, then its customer row (both taken by
`lock`, in that order, FOR NO KEY UPDATE), then usage rows, then deposit accounts in
primary-key order (accounts.services.accounts_lock). What suspends a customer (wrong entries,
the dormancy sweep, a teller) takes the customer row FOR UPDATE and nothing after it, so a
suspension committed first is always seen and one in flight is waited for; a new security
challenge (enrollment.security.security_challenge_issue) reads the customer row FOR SHARE, so
it waits for a confirmation under way instead of closing the challenge being answered.
"""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from django.db import DatabaseError, connection, transaction

from postbank import rawsql
from postbank.errors import PostbankError

logger = logging.getLogger(__name__)
Order = TypeVar("Order")

_CLAIM_SQL = "SELECT pg_advisory_lock(hashtextextended(%s, 0))"
_RELEASE_SQL = "SELECT pg_advisory_unlock(hashtextextended(%s, 0))"


def order_confirm(
    *,
    lock: Callable[[], Order],
    confirm: Callable[[Order], Order],
    is_open: Callable[[Order], bool],
) -> Order:
    """Runs `confirm` on the order returned by `lock` (which locks the order row and its
    customer) in one transaction, unless the order is no longer open: then it is returned
    as it is. A PostbankError raised by `confirm` is raised after the transaction commits
    what was recorded before it (see the module's docstring)."""
    refusal = None
    with transaction.atomic():
        order = lock()
        if not is_open(order):
            return order
        try:
            return confirm(order)
        except PostbankError as exc:
            refusal = exc
    raise refusal


@contextmanager
def advisory_claim(key: str):
    """Holds `key` (a session advisory lock on its 64-bit hash) for the block, waiting in
    PostgreSQL while another request holds it; a crashed holder's connection ends it. For
    requests made of several transactions (postbank.idempotency.idempotency_key_claim)."""
    rawsql.rows(_CLAIM_SQL, [key])
    try:
        yield
    finally:
        try:
            rawsql.rows(_RELEASE_SQL, [key])
        except DatabaseError:
            # A broken connection or an aborted transaction: closing the session is what
            # surely ends a session lock.
            logger.exception("releasing the advisory claim %s failed: connection closed", key)
            connection.close()
