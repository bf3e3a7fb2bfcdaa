"""Idempotency keys, one way for every request that takes one: the Idempotency-Key header
of the API (transfers, remittances, certificate issue) and the one-time key of the counter's
cash forms. It follows the IETF httpapi draft "The Idempotency-Key HTTP Header Field":

- the key is 1 to 64 letters, digits or `-_:.`; a missing key answers 400
  `idempotency_key_required`, a malformed one 400 `invalid_idempotency_key`;
- the same key with the same request answers the first result, with the first status;
- the same key with a different request answers 422 `idempotency_key_reused` (the draft's
  "Unprocessable Content") and changes nothing;
- the same key while the first request is still running: the second waits in PostgreSQL for
  the first, then answers its result; no request is answered 409 for it, and no client has
  to poll. Where the work is one transaction, the key's unique constraint makes the second
  wait; where it is several (a secret checked and counted on its own, then the work),
  `idempotency_key_claim` holds the key for the whole request.

The caller stores the key on its business row (the row is the idempotency record) and
compares what makes two requests the same (its "fingerprint", secrets left out).
"""

import re
from typing import TypeVar

from django.utils.translation import gettext_lazy as _

from postbank.errors import InvalidInput, PostbankError
from postbank.orders import advisory_claim

KEY = re.compile(r"^[A-Za-z0-9_\-:.]{1,64}$")

Record = TypeVar("Record")


class IdempotencyKeyRequired(InvalidInput):
    code = "idempotency_key_required"
    title = _("Send an Idempotency-Key: each request needs a key of its own.")


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    title = _("An idempotency key has 1 to 64 letters, digits or -_:.")


class IdempotencyKeyReused(PostbankError):
    code = "idempotency_key_reused"
    status = 422
    title = _("This idempotency key was already used for a different request.")


def idempotency_key_clean(key: object) -> str:
    """The key as given, or the 400 answer for a missing or malformed one."""
    if key is None or key == "":
        raise IdempotencyKeyRequired(field="idempotency_key")
    if not isinstance(key, str) or not KEY.match(key):
        raise InvalidIdempotencyKey(field="idempotency_key")
    return key


def idempotent_replay(previous: Record | None, *, same_request: bool) -> Record | None:
    """What an earlier request with this key produced (None: the key is new), or the 422
    answer when that request was a different one."""
    if previous is None:
        return None
    if not same_request:
        raise IdempotencyKeyReused(field="idempotency_key")
    previous.replayed = True
    return previous


def idempotency_key_claim(*, scope: str, key: str):
    """Holds `key` of `scope` (e.g. the customer) while its request runs: a duplicate sent
    meanwhile waits in PostgreSQL, then finds the first result (postbank.orders)."""
    return advisory_claim(f"idempotency:{scope}:{key}")
