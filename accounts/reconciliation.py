"""Reconciliation: proves from the ledger that no won was lost or created.

Each deposit account's balance must equal the sum of its postings (and the balance after its
latest posting); every entry must balance per currency; and the trial balance (all postings
of every account, deposit and internal) must be zero per currency. The checks read one
snapshot (REPEATABLE READ on PostgreSQL) so that transfers committing meanwhile cannot
produce a false difference.
"""

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Account, JournalEntry, Posting, ReconciliationReport

MAX_LISTED = 50


def _snapshot(*, outermost: bool) -> None:
    # Only the first statement of a transaction may set its isolation (inside a caller's
    # transaction, e.g. a test, the caller's snapshot rules apply).
    if outermost:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _check() -> dict:
    latest = (Posting.objects.filter(account=OuterRef("pk")).order_by("-created_at", "-id")
              .values("balance_after")[:1])
    sums = (Posting.objects.filter(account=OuterRef("pk")).order_by().values("account")
            .annotate(total=Sum("amount")).values("total"))
    accounts = Account.objects.annotate(
        posted=Coalesce(Subquery(sums, output_field=BigIntegerField()), Value(0)),
        last_after=Coalesce(Subquery(latest, output_field=BigIntegerField()), Value(0)))
    differences = []
    for number, balance, posted, last_after in accounts.values_list(
            "number", "balance", "posted", "last_after").order_by("number").iterator():
        if balance != posted or balance != last_after:
            differences.append({"kind": "account", "account": number, "balance": balance,
                                 "postings": posted, "balance_after": last_after})
    unbalanced = (Posting.objects.values("entry_id", "currency").order_by()
                  .annotate(total=Sum("amount")).exclude(total=0))
    for row in unbalanced[:MAX_LISTED]:
        differences.append({"kind": "entry", "entry": row["entry_id"],
                            "currency": row["currency"], "total": row["total"]})
    trial = dict(Posting.objects.values("currency").order_by().annotate(total=Sum("amount"))
                 .values_list("currency", "total"))
    for currency, total in sorted(trial.items()):
        if total:
            differences.append({"kind": "trial_balance", "currency": currency, "total": total})
    return {
        "accounts_checked": Account.objects.count(),
        "entries_checked": JournalEntry.objects.aggregate(n=Count("id"))["n"],
        "trial_balance": trial.get("KRW", 0),
        "trial": trial,
        "differences": differences,
    }


def _text(result: dict, started) -> str:
    lines = [
        f"Postbank reconciliation {timezone.localtime(started):%Y-%m-%d %H:%M:%S %Z}",
        f"deposit accounts checked: {result['accounts_checked']}",
        f"journal entries checked: {result['entries_checked']}",
    ]
    for currency, total in sorted(result["trial"].items()) or [("KRW", 0)]:
        lines.append(f"trial balance {currency}: {total:+,}")
    if not result["differences"]:
        lines.append("result: BALANCED, no difference")
    else:
        lines.append(f"result: {len(result['differences'])} DIFFERENCE(S)")
        for diff in result["differences"][:MAX_LISTED]:
            if diff["kind"] == "account":
                lines.append(f"  account {diff['account']}: balance {diff['balance']:,} but "
                             f"postings sum {diff['postings']:,}, last balance after "
                             f"{diff['balance_after']:,}")
            elif diff["kind"] == "entry":
                lines.append(f"  entry #{diff['entry']} unbalanced: {diff['total']:+,} "
                             f"{diff['currency']}")
            else:
                lines.append(f"  trial balance {diff['currency']}: {diff['total']:+,}")
    return "\n".join(lines)


def reconciliation_run(*, trigger: str) -> ReconciliationReport:
    """Runs every check on one snapshot and stores the report (read-only on the ledger,
    so running it twice is harmless)."""
    started = timezone.now()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        _snapshot(outermost=outermost)
        result = _check()
    return ReconciliationReport.objects.create(
        started_at=started, finished_at=timezone.now(),
        accounts_checked=result["accounts_checked"], entries_checked=result["entries_checked"],
        trial_balance=result["trial_balance"], differences=result["differences"][:MAX_LISTED],
        ok=not result["differences"], text=_text(result, started), trigger=trigger[:32])
