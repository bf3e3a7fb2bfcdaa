"""Real-time transfers: recipient inquiry, prepare, execute, settle with the clearing house.

A confirmation is one transaction (postbank.orders.order_confirm): the transfer row and its
customer locked FOR NO KEY UPDATE (the claim: a second confirmation waits, then answers the
first result), the signature and the secrets checked (a wrong one is counted and committed
with the refusal), then the customer's daily usage row, then deposit accounts in
primary-key order (accounts.services.accounts_lock), then the money written last. One lock
order everywhere means no deadlock cycle. A whole transfer (prepare and confirm, with the
security challenge) is 12 statements: bench/transfers_api.py counts them.
"""

import base64
import binascii
import hashlib
import json
import logging
import re
import secrets
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.numbers import account_number_clean
from accounts.selectors import AccountNotFound
from accounts.services import (
    AccountNotActive,
    Line,
    account_password_verify,
    accounts_lock,
    entry_post,
    entry_reverse,
)
from enrollment.models import Customer
from enrollment.services import customer_ensure_active
from postbank import policy, rawsql
from postbank.audit import audit_record, audit_statement
from postbank.errors import InvalidInput, NotFound, Refused
from postbank.idempotency import idempotency_key_clean, idempotent_replay
from postbank.kst import KST, kst_date
from postbank.money import format_won, parse_won
from postbank.orders import order_confirm
from postbank.outbox import task_publish
from transfers.models import ClearingHouseAccount, DailyUsage, Transfer

logger = logging.getLogger(__name__)
_OTHER_BANK_NUMBER = re.compile(r"^[0-9]{10,16}$")
_MARK_USED_EVERY = timedelta(hours=1)


class UnknownBank(InvalidInput):
    code = "unknown_bank"
    title = _("Unknown bank code.")


class RecipientNotFound(InvalidInput):
    code = "recipient_not_found"
    title = _("No account with this number at the chosen bank.")


class SameAccount(InvalidInput):
    code = "same_account"
    title = _("The source and the destination are the same account.")


class RecipientNotActive(Refused):
    code = "recipient_account_not_active"
    title = _("The destination account is frozen or closed.")


class TransferLimitExceeded(Refused):
    code = "transfer_limit_exceeded"
    title = _("The amount is above your per-transfer limit.")


class DailyLimitExceeded(Refused):
    code = "daily_limit_exceeded"
    title = _("The amount is above what is left of your daily transfer limit.")


class TransferExpired(Refused):
    code = "transfer_expired"
    title = _("The transfer was not confirmed in time. Please start again.")


class SignatureRequired(InvalidInput):
    code = "signature_required"
    title = _("Sign the transfer order with your joint certificate.")


class SignatureMalformed(InvalidInput):
    code = "invalid_signature_encoding"
    title = _("The electronic signature is not valid base64.")


def signature_decode(text: str | None) -> bytes | None:
    """The signature from its base64 text (None when absent)."""
    if not text:
        return None
    try:
        return base64.b64decode(text, validate=True) or None
    except (binascii.Error, ValueError):
        raise SignatureMalformed(field="signature") from None


class ExtraVerificationRequired(Refused):
    code = "extra_verification_required"
    title = _(
        "Above 3,000,000 won a day, confirm on a designated device or enter the code sent "
        "to your phone by SMS."
    )


class ExtraVerificationCodeWrong(InvalidInput):
    code = "extra_verification_code_wrong"
    title = _("The SMS code is wrong or has expired. Ask for a new one.")


class TransferNotFound(NotFound):
    code = "transfer_not_found"
    title = _("No such transfer.")


@dataclass(frozen=True)
class Recipient:
    kind: str
    bank_code: str
    number: str
    name: str
    fee: int
    to_account: Account | None = None
    clearing_account: ClearingHouseAccount | None = None
    source: Account | None = None


def limits_for(customer: Customer, grade: str | None = "") -> tuple[int, int]:
    """(per transfer, per day) in won for this customer (`grade` when the caller read it
    already, "": read it here)."""
    # enrollment.services.customer_limits is enrollment's contract (grade, minor, own limits).
    from enrollment.services import customer_limits

    return customer_limits(customer=customer, grade=grade)


@dataclass(frozen=True)
class _Facts:
    """What a prepare (and a recipient inquiry) needs to know, read in one statement."""

    source: Account | None
    target: Account | None
    clearing_account: ClearingHouseAccount | None
    holder_name: str | None
    grade: str | None
    used_today: int
    existing: tuple[int, str] | None  # (id, request_fingerprint) of the key's transfer


def _facts(*, customer: Customer, from_digits: str, bank_code: str, to_digits: str,
           key: str | None) -> _Facts:
    (source, target, clearing, holder, otp, card, used, existing_id, fingerprint) = (
        Transfer.objects.prepare_facts(
            customer_id=customer.pk, from_number=from_digits, bank_code=bank_code,
            to_number=to_digits, in_bank=bank_code == policy.BANK_CODE, day=kst_date(),
            idempotency_key=key or "",
        )
    )
    return _Facts(
        source=source, target=target, clearing_account=clearing, holder_name=holder,
        grade="safe" if otp else "general" if card else None, used_today=used,
        existing=(existing_id, fingerprint) if existing_id is not None else None,
    )


def _clean(check, *args) -> tuple[str, InvalidInput | None]:
    """`check(*args)`'s answer, or its refusal kept to be raised in its turn."""
    try:
        return check(*args), None
    except InvalidInput as exc:
        return "", exc


def _other_bank_number(account_number: str | None) -> str:
    digits = (account_number or "").strip().replace("-", "")
    if not _OTHER_BANK_NUMBER.match(digits):
        raise InvalidInput(
            _("An account number at another bank has 10 to 16 digits."),
            code="invalid_account_number",
            field="account_number",
        )
    return digits


@dataclass(frozen=True)
class _Order:
    """A transfer order's inputs, cleaned as far as they can be before the facts are read;
    each refusal is raised in the order the rules are checked (recipient_from)."""

    from_digits: str
    from_error: InvalidInput | None
    bank_code: str
    to_digits: str
    to_error: InvalidInput | None

    @classmethod
    def clean(cls, *, from_number: str, bank_code: str, account_number: str) -> "_Order":
        bank_code = (bank_code or "").strip()
        from_digits, from_error = _clean(account_number_clean, from_number)
        to_clean = (account_number_clean if bank_code == policy.BANK_CODE
                    else _other_bank_number)
        to_digits, to_error = _clean(to_clean, account_number)
        return cls(from_digits, from_error, bank_code, to_digits, to_error)

    def facts(self, *, customer: Customer, key: str | None = None) -> _Facts:
        return _facts(customer=customer, from_digits=self.from_digits, bank_code=self.bank_code,
                      to_digits=self.to_digits, key=key)


def _recipient_from(*, customer: Customer, order: _Order, facts: _Facts) -> Recipient:
    """The recipient inquiry's rules over what was read: the source is the customer's active
    account; the bank and account are known; the destination is not the source and can
    receive."""
    if order.from_error is not None:
        raise order.from_error
    source = facts.source
    if source is None:
        raise AccountNotFound()
    if source.status != Account.Status.ACTIVE:
        raise AccountNotActive(account=source.formatted_number)
    if order.bank_code == policy.BANK_CODE:
        if order.to_error is not None:
            raise order.to_error
        target = facts.target
        if target is None:
            raise RecipientNotFound(field="account_number")
        if target.pk == source.pk:
            raise SameAccount(field="account_number")
        if target.status != Account.Status.ACTIVE:
            raise RecipientNotActive(field="account_number")
        kind = Transfer.Kind.OWN if target.owner_id == customer.pk else Transfer.Kind.POSTOFFICE
        return Recipient(kind=kind, bank_code=order.bank_code, number=order.to_digits,
                         name=facts.holder_name, fee=policy.TRANSFER_FEE_WON[kind],
                         to_account=target, source=source)
    if order.bank_code not in policy.OTHER_BANKS:
        raise UnknownBank(field="bank_code")
    if order.to_error is not None:
        raise order.to_error
    entry = facts.clearing_account
    if entry is None:
        raise RecipientNotFound(field="account_number")
    kind = Transfer.Kind.INTERBANK
    return Recipient(kind=kind, bank_code=order.bank_code, number=order.to_digits,
                     name=entry.holder_name, fee=policy.TRANSFER_FEE_WON[kind],
                     clearing_account=entry, source=source)


def recipient_inquiry(
    *, customer: Customer, from_number: str, bank_code: str, account_number: str
) -> Recipient:
    """Who holds the destination account, and the fee: refused before any money moves if
    the bank or account is unknown, the destination is the source, or it cannot receive."""
    customer_ensure_active(customer=customer)
    order = _Order.clean(from_number=from_number, bank_code=bank_code,
                         account_number=account_number)
    return _recipient_from(customer=customer, order=order, facts=order.facts(customer=customer))


def _memo(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if len(text) > policy.TRANSFER_MEMO_MAX:
        raise InvalidInput(
            gettext("A memo has at most %(max)d characters.") % {"max": policy.TRANSFER_MEMO_MAX},
            code="invalid_memo",
            field=field,
        )
    return text


def request_fingerprint(
    *,
    from_number: str,
    bank_code: str,
    account_number: str,
    amount,
    sender_memo: str = "",
    recipient_memo: str = "",
) -> str:
    """What makes two requests "the same" for an idempotency key (secrets left out)."""
    canonical = json.dumps(
        {
            "from": str(from_number or "").strip().replace("-", ""),
            "bank": str(bank_code or "").strip(),
            "to": str(account_number or "").strip().replace("-", ""),
            "amount": str(amount).strip().replace(",", ""),
            "sender_memo": (sender_memo or "").strip(),
            "recipient_memo": (recipient_memo or "").strip(),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _limit_message(*, per_transfer: int, per_day: int, used: int, amount: int) -> tuple:
    left = max(per_day - used, 0)
    if amount > per_transfer:
        return TransferLimitExceeded(
            gettext(
                "Your limit is %(limit)s won per transfer; %(left)s won of your daily "
                "limit is left today."
            )
            % {"limit": format_won(per_transfer), "left": format_won(left)},
            limit=per_transfer,
            daily_limit=per_day,
            remaining_today=left,
        )
    if used + amount > per_day:
        return DailyLimitExceeded(
            gettext("Your daily limit is %(limit)s won; %(left)s won is left today.")
            % {"limit": format_won(per_day), "left": format_won(left)},
            limit=per_transfer,
            daily_limit=per_day,
            remaining_today=left,
        )
    return None


def daily_usage_today(*, customer: Customer, now: datetime | None = None) -> int:
    found = rawsql.rows(
        f"SELECT used FROM {rawsql.table(DailyUsage)} WHERE customer_id = %s AND day = %s",  # noqa: S608
        [customer.pk, kst_date(now)],
    )
    return found[0][0] if found else 0


def transfer_prepare(
    *,
    customer: Customer,
    from_number: str,
    bank_code: str,
    account_number: str,
    amount,
    sender_memo: str = "",
    recipient_memo: str = "",
    idempotency_key: str | None = None,
    channel: str = "web",
) -> Transfer:
    """Validates the order and runs the recipient inquiry; returns a `prepared` transfer.

    With an idempotency key already used by this customer: the same request returns the
    transfer made the first time (whatever its state, with `replayed` set), a different one
    is refused. A new transfer carries `used_today`: the won the customer had already
    transferred this KST day when it was prepared (extra_verification_state reads it).
    Two statements: what the rules need (Transfer.objects.prepare_facts), then the INSERT.
    """
    fingerprint = request_fingerprint(
        from_number=from_number,
        bank_code=bank_code,
        account_number=account_number,
        amount=amount,
        sender_memo=sender_memo,
        recipient_memo=recipient_memo,
    )
    if idempotency_key is not None:
        idempotency_key_clean(idempotency_key)
    order = _Order.clean(from_number=from_number, bank_code=bank_code,
                         account_number=account_number)
    facts = order.facts(customer=customer, key=idempotency_key)
    if facts.existing is not None:
        return _existing(facts.existing, fingerprint=fingerprint)
    customer_ensure_active(customer=customer)
    won = parse_won(amount)
    memos = (_memo(sender_memo, "sender_memo"), _memo(recipient_memo, "recipient_memo"))
    recipient = _recipient_from(customer=customer, order=order, facts=facts)
    per_transfer, per_day = limits_for(customer, grade=facts.grade)
    refusal = _limit_message(
        per_transfer=per_transfer, per_day=per_day, amount=won, used=facts.used_today
    )
    if refusal is not None:
        raise refusal
    transfer = Transfer(
        customer=customer,
        from_account=recipient.source,
        kind=recipient.kind,
        to_bank_code=recipient.bank_code,
        to_account_number=recipient.number,
        to_account=recipient.to_account,
        clearing_account=recipient.clearing_account,
        recipient_name=recipient.name,
        amount=won,
        fee=recipient.fee,
        sender_memo=memos[0],
        recipient_memo=memos[1],
        channel=channel,
        idempotency_key=idempotency_key or secrets.token_urlsafe(24),
        request_fingerprint=fingerprint,
    )
    try:
        # One INSERT is atomic by itself; inside a caller's transaction a savepoint keeps a
        # duplicate key from breaking it.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            rawsql.insert(transfer)
    except IntegrityError:
        # The same key, prepared meanwhile by a concurrent request.
        found = Transfer.objects.filter(
            customer=customer, idempotency_key=transfer.idempotency_key
        ).values_list("pk", "request_fingerprint").first()
        if found is None:
            raise
        return _existing(found, fingerprint=fingerprint)
    transfer.used_today = facts.used_today
    return transfer


def _existing(found: tuple[int, str], *, fingerprint: str) -> Transfer:
    """The transfer made the first time with this key (a repeat), or the 422 answer."""
    pk, stored_fingerprint = found
    return idempotent_replay(Transfer.objects.select_related("from_account").get(pk=pk),
                             same_request=stored_fingerprint == fingerprint)


def transfer_order_bytes(*, transfer: Transfer) -> bytes:
    """The canonical transfer order the customer signs with the joint certificate."""
    order = {
        "transfer": str(transfer.public_id),
        "from_bank": policy.BANK_CODE,
        "from_account": transfer.from_account.number,
        "to_bank": transfer.to_bank_code,
        "to_account": transfer.to_account_number,
        "recipient": transfer.recipient_name,
        "amount": transfer.amount,
        "fee": transfer.fee,
        "currency": "KRW",
        "sender_memo": transfer.sender_memo,
        "recipient_memo": transfer.recipient_memo,
        "prepared_at": transfer.created_at.astimezone(KST).isoformat(timespec="seconds"),
    }
    return json.dumps(order, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def transfer_is_expired(*, transfer: Transfer, now: datetime | None = None) -> bool:
    return (
        transfer.status == Transfer.Status.PREPARED
        and (now or timezone.now()) - transfer.created_at > policy.TRANSFER_PREPARED_TTL
    )


def _signature_verify(*, customer: Customer, order: bytes, signature: bytes | None) -> str:
    """The serial of the customer's valid joint certificate that signed exactly `order`."""
    if not signature:
        raise SignatureRequired(field="signature")
    # certcenter.services.order_signature_verify is the certificate center's contract: it
    # refuses (invalid_signature) another key, or a revoked, expired or suspended certificate.
    from certcenter.services import order_signature_verify

    return order_signature_verify(customer=customer, order=order, signature=bytes(signature))


def _security_verify(
    *, customer: Customer, challenge_id: str | None, answer: str, channel: str
) -> None:
    # enrollment.security is enrollment's contract (security card challenge or OTP).
    from enrollment.security import security_answer_verify

    security_answer_verify(
        customer=customer, challenge_id=challenge_id, answer=answer, channel=channel
    )


EXTRA_VERIFICATION_PURPOSE = "transfer"


def extra_verification_needed(
    *, customer: Customer, transfer: Transfer, now: datetime | None = None, used: int | None = None
) -> bool:
    """True when this transfer brings the customer's KST-day total above
    policy.EXTRA_VERIFICATION_DAILY_WON (fraud prevention: a designated device or an SMS
    code is needed)."""
    if used is None:
        used = daily_usage_today(customer=customer, now=now)
    return used + transfer.amount > policy.EXTRA_VERIFICATION_DAILY_WON


def extra_verification_state(
    *, customer: Customer, transfer: Transfer, device_token: str | None
) -> str:
    """What the confirmation needs beyond the usual secrets: "none", "designated_device"
    (this device is designated: nothing to add) or "sms_code" (ask for it first)."""
    from certcenter.devices import device_is_designated

    # A transfer just prepared knows the day's usage it was checked against.
    used = getattr(transfer, "used_today", None)
    if not extra_verification_needed(customer=customer, transfer=transfer, used=used):
        return "none"
    if device_is_designated(customer=customer, token=device_token):
        return "designated_device"
    return "sms_code"


def extra_verification_sms_send(*, customer: Customer, transfer: Transfer) -> None:
    """Sends the one-time SMS code that confirms a prepared transfer above the daily
    threshold (certcenter's codes: 5 minutes, single use, 5 wrong entries destroy it)."""
    from certcenter.devices import sms_code_send

    if transfer.customer_id != customer.pk:
        raise TransferNotFound()
    customer_ensure_active(customer=customer)
    if transfer.status != Transfer.Status.PREPARED:
        raise Refused(
            _("This transfer is no longer waiting for confirmation."),
            code="transfer_not_prepared",
        )
    sms_code_send(customer=customer, purpose=EXTRA_VERIFICATION_PURPOSE)


def _extra_verification_problem() -> ExtraVerificationRequired:
    return ExtraVerificationRequired(
        field="sms_code",
        threshold=policy.EXTRA_VERIFICATION_DAILY_WON,
        satisfy_with=["designated_device", "sms_code"],
    )


def _extra_verify(*, customer: Customer, device_token: str | None, sms_code: str) -> str:
    """How the customer passed the extra verification: "device" or "sms"; else refused."""
    from certcenter.devices import device_is_designated, sms_code_verify

    if device_is_designated(customer=customer, token=device_token):
        return "device"
    if not sms_code:
        raise _extra_verification_problem()
    if sms_code_verify(customer=customer, purpose=EXTRA_VERIFICATION_PURPOSE, code=sms_code):
        return "sms"
    raise ExtraVerificationCodeWrong(field="sms_code")


def transfer_execute(
    *,
    customer: Customer,
    transfer_id,
    account_password: str,
    challenge_id: str | None,
    security_answer: str,
    signature: bytes | None = None,
    channel: str = "web",
    ip: str | None = None,
    now: datetime | None = None,
    device_token: str | None = None,
    sms_code: str = "",
) -> Transfer:
    """Confirms the customer's prepared transfer `transfer_id` (its public id) and moves the
    money, once (postbank.orders.order_confirm: one transaction, the transfer's row lock is
    the claim). Another customer's transfer answers TransferNotFound.

    A transfer that brings the KST-day total above policy.EXTRA_VERIFICATION_DAILY_WON
    also needs a designated device (`device_token`, the pre-consent cookie) or the SMS code
    (extra_verification_sms_send); without either it is refused
    (extra_verification_required) before any secret is checked and stays prepared. The
    threshold is checked again with the usage row locked, so two transfers racing cannot
    pass it.

    The confirmation needs the electronic signature of the canonical order
    (transfer_order_bytes) with the customer's joint certificate, the security medium and
    the account password. A missing or invalid signature is refused before any secret is
    checked and leaves the transfer prepared (the customer may sign again). A wrong secret
    is counted (committed with the refusal) and leaves it prepared.
    A transfer that is no longer `prepared` is returned as it is (a double click, a reload
    or an API retry sees the first result). Limits, funds and account states are checked
    with the rows locked; a refusal there marks the transfer failed with the reason and
    moves nothing.
    """
    now = now or timezone.now()

    def confirm(transfer: Transfer) -> Transfer:
        return _confirm(
            transfer,
            account_password=account_password,
            challenge_id=challenge_id,
            security_answer=security_answer,
            signature=signature,
            channel=channel,
            ip=ip,
            now=now,
            device_token=device_token,
            sms_code=sms_code,
        )

    return order_confirm(
        lock=lambda: _transfer_lock(customer=customer, public_id=transfer_id, now=now),
        is_open=lambda transfer: transfer.status == Transfer.Status.PREPARED,
        confirm=confirm,
    )


def _confirm(
    transfer: Transfer,
    *,
    account_password: str,
    challenge_id: str | None,
    security_answer: str,
    signature: bytes | None,
    channel: str,
    ip: str | None,
    now: datetime,
    device_token: str | None,
    sms_code: str,
) -> Transfer:
    """The confirmation's checks, then the money (under the claim of transfer_execute)."""
    customer = transfer.customer  # as it is now, locked
    if transfer_is_expired(transfer=transfer, now=now):
        _mark(transfer, status=Transfer.Status.EXPIRED, code=TransferExpired.code,
              reason=str(TransferExpired.title))
        raise TransferExpired()
    customer_ensure_active(customer=customer)
    from certcenter.devices import device_is_designated

    designated = device_is_designated(customer=customer, token=device_token)
    if (
        not designated
        and not (sms_code or "").strip()
        and extra_verification_needed(customer=customer, transfer=transfer,
                                      used=transfer.used_today)
    ):
        raise _extra_verification_problem()
    order = transfer_order_bytes(transfer=transfer)
    signer_serial = _signature_verify(customer=customer, order=order, signature=signature)
    # The medium first: a right answer ends the run of wrong entries, so checking the
    # password second means it can never erase a run of wrong security codes.
    _security_verify(
        customer=customer, challenge_id=challenge_id, answer=security_answer, channel=channel
    )
    account_password_verify(
        customer=customer,
        account=transfer.from_account,
        password=account_password,
        channel=channel,
        ip=ip,
    )
    # Last, after every secret: an SMS code is single use and is spent only by a
    # confirmation that is otherwise complete.
    extra = None
    if designated:
        extra = "device"
    elif (sms_code or "").strip() and extra_verification_needed(
        customer=customer, transfer=transfer, used=transfer.used_today
    ):
        extra = _extra_verify(customer=customer, device_token=None, sms_code=sms_code)
    try:
        executed = _transfer_move(
            transfer,
            signed_order=order,
            signature=signature,
            signer_certificate_serial=signer_serial,
            now=now,
            actor=customer.user,
            channel=channel,
            ip=ip,
            extra_verification=extra,
        )
    except ExtraVerificationRequired:
        raise  # raced above the threshold: still prepared, the customer adds the code
    except Refused as exc:
        # Nothing was moved; the refusal is recorded and committed with the transfer.
        _mark(transfer, status=Transfer.Status.FAILED, code=exc.code, reason=str(exc.message))
        raise
    _customer_mark_used(customer)
    return executed


def _customer_mark_used(customer: Customer) -> None:
    # enrollment.services.customer_mark_used is enrollment's contract (dormancy clock). The
    # dormancy rule counts months, so a customer used within the hour is not written again.
    from enrollment.services import customer_mark_used

    last = customer.last_used_at
    if last is None or timezone.now() - last >= _MARK_USED_EVERY:
        customer_mark_used(customer=customer)


def _mark(transfer: Transfer, *, status: str, code: str, reason: str) -> None:
    """Records a refusal on a transfer that moved no money (only if still prepared)."""
    now = timezone.now()
    Transfer.objects.filter(pk=transfer.pk, status=Transfer.Status.PREPARED).update(
        status=status, failure_code=code, failure_reason=reason[:200], finished_at=now
    )
    transfer.refresh_from_db()


def _transfer_lock(*, now: datetime, customer: Customer | None = None, public_id=None,
                   pk: int | None = None) -> Transfer:
    """The transfer (by the customer's public id, or by primary key), locked with its
    customer (Transfer.objects.lock_for_confirmation: the claim): `customer` as it is now,
    `grade` and `used_today` set."""
    if pk is None:
        try:
            public_id = uuid.UUID(str(public_id))
        except ValueError:
            raise TransferNotFound() from None
    found = Transfer.objects.lock_for_confirmation(
        day=kst_date(now), pk=pk, public_id=public_id,
        customer_id=customer.pk if customer is not None else None,
    )
    if found is None:
        raise TransferNotFound()
    transfer, source, owner, otp, card, used = found
    if customer is not None:
        owner.user = customer.user  # loaded with the customer at authentication
    transfer.from_account, transfer.customer = source, owner
    transfer.grade = "safe" if otp else "general" if card else None
    transfer.used_today = used
    return transfer


def transfer_post(
    *,
    transfer_id: int,
    signed_order: bytes | None,
    signature: bytes | None,
    signer_certificate_serial: str,
    now: datetime | None = None,
    actor=None,
    channel: str | None = None,
    ip: str | None = None,
    extra_verification: str | None = None,
) -> Transfer:
    """Moves the money of a prepared transfer whose signature and secrets were checked (the
    demo's seeded history, and tests of the money transaction alone): the transfer and its
    customer locked (not suspended: customer_suspended, the transfer stays prepared), then
    _transfer_move. A transfer no longer prepared is returned as it is."""
    now = now or timezone.now()
    with transaction.atomic():
        transfer = _transfer_lock(pk=transfer_id, now=now)
        if transfer.status != Transfer.Status.PREPARED:
            return transfer
        customer_ensure_active(customer=transfer.customer)
        return _transfer_move(
            transfer,
            signed_order=signed_order,
            signature=signature,
            signer_certificate_serial=signer_certificate_serial,
            now=now,
            actor=actor,
            channel=channel,
            ip=ip,
            extra_verification=extra_verification,
        )


def _transfer_move(
    transfer: Transfer,
    *,
    signed_order: bytes | None,
    signature: bytes | None,
    signer_certificate_serial: str,
    now: datetime,
    actor,
    channel: str | None,
    ip: str | None,
    extra_verification: str | None,
) -> Transfer:
    """The money transaction's part after the claim (_transfer_lock): the usage row, then the
    accounts in key order, locked; limits, funds and states checked; then one balanced entry
    and the transfer's bookkeeping (usage, status, evidence, audit), written last. The
    database refuses an unsigned transfer unless its channel is the demo's (seeded history).
    With a `channel` (a customer's confirmation) the `transfer_executed` audit event is
    written with it."""
    customer = transfer.customer
    day = kst_date(now)
    per_transfer, per_day = limits_for(customer, grade=transfer.grade)
    used = DailyUsage.objects.lock_day(customer_id=customer.pk, day=day)
    refusal = _limit_message(
        per_transfer=per_transfer, per_day=per_day, used=used, amount=transfer.amount
    )
    if refusal is not None:
        raise refusal
    if (
        channel is not None
        and extra_verification is None
        and used + transfer.amount > policy.EXTRA_VERIFICATION_DAILY_WON
    ):
        raise _extra_verification_problem()
    ids = [transfer.from_account_id]
    if transfer.to_account_id:
        ids.append(transfer.to_account_id)
    locked = accounts_lock(ids=ids)
    source = locked[transfer.from_account_id]
    if source.owner_id != customer.pk:
        raise TransferNotFound()
    lines = [
        Line(
            amount=-transfer.total,
            account=source,
            counterparty=transfer.recipient_name,
            memo=transfer.sender_memo or transfer.recipient_name,
        )
    ]
    if transfer.to_account_id:
        target = locked[transfer.to_account_id]
        if target.status != Account.Status.ACTIVE:
            raise RecipientNotActive()
        lines.append(
            Line(
                amount=transfer.amount,
                account=target,
                counterparty=customer.name,
                memo=transfer.recipient_memo or customer.name,
            )
        )
    else:
        lines.append(
            Line(
                amount=transfer.amount,
                ledger="interbank_clearing",
                counterparty=transfer.recipient_name,
                memo=transfer.recipient_memo or customer.name,
            )
        )
    if transfer.fee:
        lines.append(Line(amount=transfer.fee, ledger="fee_income", memo=gettext("Transfer fee")))
    entry = entry_post(
        kind=f"transfer_{transfer.kind}",
        lines=lines,
        memo=transfer.sender_memo,
        reference=str(transfer.public_id),
        locked=locked,
    )
    transfer.from_account = source
    transfer.entry = entry
    transfer.business_date = day
    transfer.executed_at = now
    transfer.signed_order = signed_order
    transfer.signature = signature
    transfer.signer_certificate_serial = signer_certificate_serial
    if transfer.kind == Transfer.Kind.INTERBANK:
        transfer.status = Transfer.Status.SETTLING
        transaction.on_commit(lambda: _queue_settlement(transfer.pk))
    else:
        transfer.status = Transfer.Status.COMPLETED
        transfer.finished_at = now
    # One statement: the day's usage, the transfer's outcome and evidence, the audit event.
    writes = [DailyUsage.objects.add_statement(customer_id=customer.pk, day=day,
                                               amount=transfer.amount)]
    if channel is not None:
        writes.append(audit_statement(
            event="transfer_executed",
            actor=actor,
            subject=f"transfer:{transfer.public_id}",
            channel=channel,
            ip=ip,
            detail={
                "amount": transfer.amount,
                "status": transfer.status,
                "signer_certificate": transfer.signer_certificate_serial,
                "extra_verification": extra_verification,
            },
        ))
    writes.append(rawsql.update_statement(
        transfer,
        [
            "entry",
            "business_date",
            "executed_at",
            "signed_order",
            "signature",
            "signer_certificate_serial",
            "status",
            "finished_at",
        ],
    ))
    rawsql.execute(*rawsql.together(*writes))
    return transfer


def _queue_settlement(transfer_id: int) -> None:
    from transfers.tasks import transfer_settle_task

    task_publish(transfer_settle_task, transfer_id)


def transfer_settle(*, transfer_id: int, now: datetime | None = None) -> Transfer:
    """Asks the clearing house about a transfer being settled (idempotent).

    Accepted: completed. Rejected: reversed, failed with the other bank's reason. No answer:
    left settling until policy.TRANSFER_SETTLEMENT_TIMEOUT after execution, then reversed
    as timed out. A transfer no longer settling is returned unchanged.
    """
    now = now or timezone.now()
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("clearing_account")
            .get(pk=transfer_id)
        )
        if transfer.status != Transfer.Status.SETTLING:
            return transfer
        transfer.settlement_attempts += 1
        outcome = transfer.clearing_account.outcome
        if outcome == ClearingHouseAccount.Outcome.ACCEPT:
            transfer.status = Transfer.Status.COMPLETED
            transfer.finished_at = now
        elif outcome == ClearingHouseAccount.Outcome.REJECT:
            _reverse(
                transfer,
                code="rejected_by_bank",
                reason=transfer.clearing_account.reject_reason,
                now=now,
            )
        elif now - transfer.executed_at >= policy.TRANSFER_SETTLEMENT_TIMEOUT:
            _reverse(
                transfer,
                code="settlement_timeout",
                reason=gettext("The other bank did not answer in time."),
                now=now,
            )
        transfer.save(
            update_fields=[
                "settlement_attempts",
                "status",
                "finished_at",
                "failure_code",
                "failure_reason",
                "reversal_entry",
            ]
        )
    return transfer


def _reverse(transfer: Transfer, *, code: str, reason: str, now: datetime) -> None:
    """Returns the money of a transfer the clearing house refused or never answered. A
    source account closed (or otherwise unable to receive) in the meantime cannot take it
    back: it goes to the `suspense` ledger account for the bank to pay out, and the reason
    says so (the transfer is failed either way)."""
    DailyUsage.objects.filter(customer_id=transfer.customer_id, day=transfer.business_date).update(
        used=F("used") - transfer.amount
    )
    locked = accounts_lock(ids=[transfer.from_account_id])
    source = locked[transfer.from_account_id]
    memo = gettext("Transfer returned")
    if source.status == Account.Status.CLOSED:
        held = gettext("The source account was closed; the money is held in suspense.")
        lines = []
        for posting in transfer.entry.postings.select_related("ledger_account"):
            if posting.account_id == source.pk:
                lines.append(Line(amount=-posting.amount, ledger="suspense", memo=held[:100]))
            else:
                lines.append(
                    Line(
                        amount=-posting.amount,
                        account=posting.account,
                        ledger=posting.ledger_account.code if posting.ledger_account else None,
                        counterparty=posting.counterparty,
                        memo=memo,
                    )
                )
        transfer.reversal_entry = entry_post(
            kind="transfer_reversal",
            lines=lines,
            memo=held,
            reference=str(transfer.public_id),
            reverses=transfer.entry,
        )
        reason = f"{reason} {held}".strip()
        audit_record(
            event="transfer_returned_to_suspense",
            actor=None,
            subject=f"transfer:{transfer.public_id}",
            detail={"amount": transfer.total, "code": code, "account": source.number},
        )
    else:
        transfer.reversal_entry = entry_reverse(
            entry=transfer.entry, kind="transfer_reversal", memo=memo
        )
    transfer.status = Transfer.Status.FAILED
    transfer.failure_code = code
    transfer.failure_reason = reason[:200]
    transfer.finished_at = now


def settlement_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The beat job: settles transfers the clearing house left hanging (a lost task or a
    time-out) and expires inquiries never confirmed. Safe to run any number of times."""
    now = now or timezone.now()
    stuck = list(
        Transfer.objects.filter(
            status=Transfer.Status.SETTLING,
            executed_at__lte=now - policy.TRANSFER_SETTLEMENT_TIMEOUT,
        ).values_list("pk", flat=True)
    )
    settled = failed = 0
    for pk in stuck:
        # One transfer that cannot be settled never blocks the others: it is recorded
        # (audit and error log) and tried again on the next run.
        try:
            settled += transfer_settle(transfer_id=pk, now=now).status != Transfer.Status.SETTLING
        except Exception as exc:  # any error of one row is recorded, not raised
            failed += 1
            logger.exception("settlement of transfer %s failed", pk)
            audit_record(
                event="transfer_settlement_error",
                actor=None,
                subject=f"transfer:{pk}",
                detail={"error": type(exc).__name__, "message": str(exc)[:200]},
            )
    expired = Transfer.objects.filter(
        status=Transfer.Status.PREPARED, created_at__lt=now - policy.TRANSFER_PREPARED_TTL
    ).update(
        status=Transfer.Status.EXPIRED,
        failure_code=TransferExpired.code,
        failure_reason=str(TransferExpired.title)[:200],
        finished_at=now,
    )
    return {"settled": settled, "expired": expired, "errors": failed}
