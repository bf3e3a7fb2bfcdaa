"""Moving money: every movement is one balanced journal entry, written in the caller's
transaction together with the balance changes, with the deposit accounts locked in
primary-key order."""

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, CashTransaction, JournalEntry, LedgerAccount, Posting
from accounts.numbers import account_number_make
from enrollment.services import customer_ensure_active, wrong_entries_reset, wrong_entry_record
from postbank import policy, rawsql
from postbank.audit import audit_record
from postbank.errors import InvalidInput, NotFound, Refused
from postbank.idempotency import idempotency_key_clean, idempotent_replay
from postbank.money import parse_won

_ACCOUNT_PASSWORD = re.compile(r"^\d{4}$")


class InsufficientFunds(Refused):
    code = "insufficient_funds"
    title = _("The balance available is not enough.")


class AccountNotActive(Refused):
    code = "account_not_active"
    title = _("The account is frozen or closed.")


class UnbalancedEntry(InvalidInput):
    code = "unbalanced_entry"
    title = _("A journal entry must balance.")


class WrongAccountPassword(Refused):
    code = "wrong_account_password"
    title = _("The account password is not correct.")


class AccountNotClosable(Refused):
    code = "account_not_closable"
    title = _("Only an active or frozen account with a zero balance and no hold can be closed.")


class AccountStatusConflict(Refused):
    code = "account_status_conflict"
    title = _("The account is not in a state that allows this.")


class InvalidAccountPassword(InvalidInput):
    code = "invalid_account_password"
    title = _("The account password is 4 digits.")


@dataclass(frozen=True)
class Line:
    """One side of an entry: a deposit account (`account`) or a ledger code (`ledger`)."""

    amount: int
    account: Account | None = None
    ledger: str | None = None
    currency: str = "KRW"
    counterparty: str = ""
    memo: str = ""


def accounts_lock(*, ids) -> dict[int, Account]:
    """Locks deposit accounts (SELECT ... FOR NO KEY UPDATE: the postings inserted next
    reference them) in primary-key order, so that two transactions locking the same accounts
    can never wait on each other in a cycle."""
    if not connection.in_atomic_block:
        raise RuntimeError("accounts_lock needs a transaction")
    ids = sorted(set(ids))
    if not ids:
        return {}
    # Hand-written (postbank.rawsql): every movement of money locks its accounts here.
    rows = rawsql.select(
        f"SELECT {rawsql.columns(Account, 'a')} FROM {rawsql.table(Account)} a "  # noqa: S608
        f"WHERE a.id IN ({', '.join(['%s'] * len(ids))}) ORDER BY a.id FOR NO KEY UPDATE",
        ids, Account)
    return {account.pk: account for (account,) in rows}


def ledger_account(code: str, currency: str = "KRW") -> LedgerAccount:
    account, _created = LedgerAccount.objects.get_or_create(code=code, currency=currency)
    return account


def entry_post(*, kind: str, lines: list[Line], memo: str = "", reference: str = "",
               actor=None, reverses: JournalEntry | None = None,
               locked: dict[int, Account] | None = None,
               allow_frozen: bool = False) -> JournalEntry:
    """Posts one balanced entry and moves the deposit balances it touches.

    Must run inside the caller's transaction. `locked` passes accounts the caller has
    already locked with `accounts_lock` (for checks that must see the locked row); any other
    deposit account is locked here. A debit that would take an account's available amount
    (balance - hold) below zero raises InsufficientFunds; a movement on a frozen or closed
    account raises AccountNotActive (a compensating entry may credit a frozen account).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("entry_post needs a transaction")
    totals: dict[str, int] = defaultdict(int)
    deltas: dict[int, int] = defaultdict(int)
    for line in lines:
        if not isinstance(line.amount, int) or isinstance(line.amount, bool) or not line.amount:
            raise UnbalancedEntry(_("Every posting needs a whole, non-zero amount."))
        if (line.account is None) == (line.ledger is None):
            raise UnbalancedEntry(_("Every posting names exactly one account."))
        if line.ledger is not None and line.ledger not in LedgerAccount.Code.values:
            raise UnbalancedEntry(_("Unknown ledger account."))
        if line.account is not None:
            if line.currency != "KRW":
                raise UnbalancedEntry(_("Deposit accounts hold won only."))
            deltas[line.account.pk] += line.amount
        totals[line.currency] += line.amount
    if len(lines) < 2 or any(totals.values()):
        raise UnbalancedEntry()

    accounts = dict(locked or {})
    missing = [pk for pk in deltas if pk not in accounts]
    if missing:
        accounts.update(accounts_lock(ids=missing))
    for pk, delta in deltas.items():
        account = accounts[pk]
        frozen_credit = allow_frozen and delta > 0 and account.status == Account.Status.FROZEN
        if account.status != Account.Status.ACTIVE and not frozen_credit:
            raise AccountNotActive(account=account.formatted_number)
        if account.balance + delta < account.hold:
            raise InsufficientFunds(account=account.formatted_number)

    # One statement (postbank.rawsql.together): the entry, its postings and the balances.
    entry = JournalEntry(kind=kind, memo=memo, reference=reference, actor=actor, reverses=reverses)
    entry_insert = rawsql.insert_statement(entry)  # sets created_at, which the postings copy
    running = {pk: accounts[pk].balance for pk in deltas}
    postings = []
    for line in lines:
        balance_after = None
        if line.account is not None:
            running[line.account.pk] += line.amount
            balance_after = running[line.account.pk]
        postings.append(Posting(
            entry=entry, account_id=line.account.pk if line.account else None,
            ledger_account=ledger_account(line.ledger, line.currency) if line.ledger else None,
            currency=line.currency, amount=line.amount, balance_after=balance_after,
            counterparty=line.counterparty[:100], memo=line.memo[:100],
            created_at=entry.created_at))
    writes = [
        entry_insert,
        rawsql.insert_statement(*postings, expressions={"entry_id": "(SELECT id FROM entry)"}),
    ]
    if deltas:
        writes.append((
            f"UPDATE {rawsql.table(Account)} SET balance = balance + CASE id "  # noqa: S608
            f"{' '.join(['WHEN %s THEN %s'] * len(deltas))} ELSE 0 END "
            f"WHERE id IN ({', '.join(['%s'] * len(deltas))})",
            [*(value for item in deltas.items() for value in item), *deltas]))
    writes.append(("SELECT id FROM entry", []))
    [(entry.pk,)] = rawsql.rows(*rawsql.together(*writes, named=("entry", "postings")))
    entry._state.adding = False
    for pk, delta in deltas.items():
        accounts[pk].balance += delta
        for line in lines:
            if line.account is not None and line.account.pk == pk:
                line.account.balance = accounts[pk].balance
    return entry


def entry_reverse(*, entry: JournalEntry, kind: str, memo: str = "", actor=None,
                  allow_frozen: bool = True) -> JournalEntry:
    """A compensating entry with every posting of `entry` negated."""
    lines = []
    for posting in entry.postings.select_related("account", "ledger_account"):
        lines.append(Line(
            amount=-posting.amount, account=posting.account,
            ledger=posting.ledger_account.code if posting.ledger_account else None,
            currency=posting.currency, counterparty=posting.counterparty,
            memo=memo[:100] or posting.memo))
    return entry_post(kind=kind, lines=lines, memo=memo, reference=entry.reference,
                      actor=actor, reverses=entry, allow_frozen=allow_frozen)



def _password_check_format(password: str) -> None:
    if not isinstance(password, str) or not _ACCOUNT_PASSWORD.match(password):
        raise InvalidAccountPassword(field="password")


def account_password_verify(*, customer, account: Account, password: str,
                            channel: str = "web", ip: str | None = None) -> None:
    """Checks the 4-digit account password of the customer's own account.

    A wrong password is counted with enrollment's wrong-entry counter, which commits on its
    own (call this before opening the money transaction): the 5th in a row suspends internet
    banking. A correct one resets the counter. A text that is not 4 digits is refused as
    invalid input without counting.
    """
    customer_ensure_active(customer=customer)
    if account.owner_id != customer.pk:
        raise NotFound()
    _password_check_format(password)
    if not account.password_matches(password):
        count = wrong_entry_record(customer=customer, kind="account_password",
                                   channel=channel, ip=ip)
        customer_ensure_active(customer=customer)
        raise WrongAccountPassword(wrong_entries=count,
                                   attempts_left=max(policy.WRONG_ENTRY_LIMIT - count, 0))
    wrong_entries_reset(customer=customer, kind="account_password")


def account_open(*, customer, subject: str = Account.Subject.ORDINARY, password: str,
                 actor=None, opening_key: str | None = None) -> Account:
    """Opens a deposit account with a new number (office of policy, random serial).

    With an `opening_key` (the counter form's one-time key) a repeat returns the account
    the first submit opened, with `replayed` set, and opens nothing."""
    if subject not in Account.Subject.values:
        raise InvalidInput(_("Unknown account subject."), code="invalid_subject",
                           field="subject")
    _password_check_format(password)
    for _attempt in range(50):
        number = account_number_make(office=policy.ACCOUNT_OPENING_OFFICE, subject=subject,
                                     serial=secrets.randbelow(100_000))
        account = Account(number=number, subject=subject, owner=customer,
                          opening_key=opening_key or None)
        account.set_password(password)
        try:
            with transaction.atomic():
                account.save(force_insert=True)
                audit_record(event="account_opened", actor=actor,
                             subject=f"account:{account.number}",
                             channel="counter" if actor is not None else "system",
                             detail={"customer": customer.pk, "subject": subject})
        except IntegrityError:
            first = Account.objects.filter(opening_key=opening_key).first() if opening_key \
                else None
            if first is not None:
                first.replayed = True
                return first
            if Account.objects.filter(number=number).exists():
                continue
            raise
        account.replayed = False
        return account
    raise Refused(_("No free account number is left for this subject."),
                  code="account_numbers_exhausted")


def _account_locked(account: Account) -> Account:
    return accounts_lock(ids=[account.pk])[account.pk]


def _status_change(*, account: Account, allowed_from: set[str], to: str, event: str,
                   actor, reason: str) -> Account:
    with transaction.atomic():
        locked = _account_locked(account)
        if locked.status not in allowed_from:
            raise AccountStatusConflict(account=locked.formatted_number, status=locked.status)
        locked.status = to
        fields = ["status"]
        if to == Account.Status.CLOSED:
            if locked.balance != 0 or locked.hold != 0:
                raise AccountNotClosable(account=locked.formatted_number)
            locked.closed_at = timezone.now()
            fields.append("closed_at")
        locked.save(update_fields=fields)
        audit_record(event=event, actor=actor, subject=f"account:{locked.number}",
                     channel="counter" if actor is not None else "system",
                     detail={"reason": reason[:200]} if reason else {})
    account.status, account.closed_at = locked.status, locked.closed_at
    account.balance, account.hold = locked.balance, locked.hold
    return locked


def account_freeze(*, account: Account, actor=None, reason: str = "") -> Account:
    """Stops every movement on the account (entry_post refuses it) until unfrozen."""
    return _status_change(account=account, allowed_from={Account.Status.ACTIVE},
                          to=Account.Status.FROZEN, event="account_frozen", actor=actor,
                          reason=reason)


def account_unfreeze(*, account: Account, actor=None, reason: str = "") -> Account:
    return _status_change(account=account, allowed_from={Account.Status.FROZEN},
                          to=Account.Status.ACTIVE, event="account_unfrozen", actor=actor,
                          reason=reason)


def account_close(*, account: Account, actor=None, reason: str = "") -> Account:
    """Closes an account whose balance and hold are zero (checked on the locked row; the
    database CHECK `account_closed_at_zero` backs it)."""
    return _status_change(account=account,
                          allowed_from={Account.Status.ACTIVE, Account.Status.FROZEN},
                          to=Account.Status.CLOSED, event="account_closed", actor=actor,
                          reason=reason)


def account_hold_set(*, account: Account, hold: int, actor=None, reason: str = "") -> Account:
    """Sets the amount held on the account (not available for withdrawal); the hold cannot
    exceed the balance."""
    if isinstance(hold, bool) or not isinstance(hold, int) or hold < 0 \
            or hold > policy.MAX_AMOUNT_WON:
        raise InvalidInput(_("A hold is a whole amount of won, 0 or more."),
                           code="invalid_amount", field="hold")
    with transaction.atomic():
        locked = _account_locked(account)
        if hold > locked.balance:
            raise InsufficientFunds(account=locked.formatted_number)
        previous = locked.hold
        Account.objects.filter(pk=locked.pk).update(hold=hold)
        locked.hold = hold
        audit_record(event="account_hold_set", actor=actor, subject=f"account:{locked.number}",
                     channel="counter" if actor is not None else "system",
                     detail={"from": previous, "to": hold, "reason": reason[:200]})
    account.hold, account.balance = locked.hold, locked.balance
    return locked


def _cash_move(*, direction: str, account: Account, amount, id_document: str, teller,
               idempotency_key: str, memo: str) -> CashTransaction:
    amount = parse_won(amount)
    if id_document not in CashTransaction.IdDocument.values:
        raise InvalidInput(_("Record the ID the customer showed."), code="id_check_missing",
                           field="id_document")
    key = idempotency_key_clean(idempotency_key)
    sign = 1 if direction == CashTransaction.Direction.DEPOSIT else -1
    counterparty = _("Counter deposit") if sign > 0 else _("Counter withdrawal")
    with transaction.atomic():
        locked = accounts_lock(ids=[account.pk])
        previous = CashTransaction.objects.filter(idempotency_key=key).first()
        if previous is not None:
            return idempotent_replay(previous, same_request=(
                previous.account_id, previous.direction, previous.amount) == (
                    account.pk, direction, amount))
        entry = entry_post(
            kind=f"cash_{direction}", memo=memo, reference=key, actor=teller, locked=locked,
            lines=[Line(amount=sign * amount, account=locked[account.pk],
                        counterparty=str(counterparty), memo=memo),
                   Line(amount=-sign * amount, ledger=LedgerAccount.Code.VAULT_CASH)])
        record = CashTransaction.objects.create(
            entry=entry, account=locked[account.pk], direction=direction, amount=amount,
            id_document=id_document, teller=teller, idempotency_key=key)
        audit_record(event=f"cash_{direction}", actor=teller, subject=f"account:{account.number}",
                     channel="counter", detail={"amount": amount, "id_document": id_document,
                                                "entry": entry.pk})
    account.balance = locked[account.pk].balance
    return record


def cash_deposit(*, account: Account, amount, id_document: str, teller,
                 idempotency_key: str, memo: str = "") -> CashTransaction:
    """Cash paid in at the counter: vault cash against the account, one balanced entry.
    A repeated idempotency key returns the first result and moves nothing."""
    return _cash_move(direction=CashTransaction.Direction.DEPOSIT, account=account,
                      amount=amount, id_document=id_document, teller=teller,
                      idempotency_key=idempotency_key, memo=memo)


def cash_withdrawal(*, account: Account, amount, id_document: str, teller,
                    idempotency_key: str, memo: str = "") -> CashTransaction:
    """Cash paid out at the counter; the available amount is checked on the locked row."""
    return _cash_move(direction=CashTransaction.Direction.WITHDRAWAL, account=account,
                      amount=amount, id_document=id_document, teller=teller,
                      idempotency_key=idempotency_key, memo=memo)
