"""Moving money: every movement is one balanced journal entry, written in the caller's
transaction together with the balance changes, with the deposit accounts locked in
primary-key order."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, Value, When
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, JournalEntry, LedgerAccount, Posting
from postbank.errors import InvalidInput, Refused


class InsufficientFunds(Refused):
    code = "insufficient_funds"
    title = _("The balance available is not enough.")


class AccountNotActive(Refused):
    code = "account_not_active"
    title = _("The account is frozen or closed.")


class UnbalancedEntry(InvalidInput):
    code = "unbalanced_entry"
    title = _("A journal entry must balance.")


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
    """Locks deposit accounts (SELECT ... FOR UPDATE) in primary-key order, so that two
    transactions locking the same accounts can never wait on each other in a cycle."""
    if not connection.in_atomic_block:
        raise RuntimeError("accounts_lock needs a transaction")
    rows = Account.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk")
    return {account.pk: account for account in rows}


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

    entry = JournalEntry.objects.create(kind=kind, memo=memo, reference=reference,
                                        actor=actor, reverses=reverses)
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
    Posting.objects.bulk_create(postings)
    if deltas:
        Account.objects.filter(pk__in=list(deltas)).update(balance=F("balance") + Case(
            *[When(pk=pk, then=Value(delta)) for pk, delta in deltas.items()], default=Value(0)))
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

