"""Owner-scoped reads of transfers: another customer's transfer answers like a missing one."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from enrollment.models import Customer
from postbank import policy, rawsql
from postbank.errors import InvalidInput
from postbank.kst import KST, kst_date
from postbank.periods import search_period_clean
from transfers.models import Transfer
from transfers.services import TransferNotFound

# What the customer searches: transfers that were confirmed (prepared and expired
# inquiries never moved money and are not results).
RESULT_STATUSES = [Transfer.Status.SETTLING, Transfer.Status.COMPLETED, Transfer.Status.FAILED]


def transfer_get_for_customer(*, customer: Customer, public_id) -> Transfer:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise TransferNotFound() from exc
    # Joined: the source account (shown, and checked at confirmation). Not joined: the
    # owner, who is `customer` (the filter says so), and the destination, which the pages
    # show from the transfer's own columns; every joined column costs Python time per call.
    found = rawsql.select(_TRANSFER_SQL, [customer.pk, key], Transfer, Account)
    if not found:
        raise TransferNotFound()
    [(transfer, source)] = found
    transfer.from_account = source
    transfer.customer = customer
    return transfer


# Hand-written (postbank.rawsql): every confirmation reads the transfer here.
_TRANSFER_SQL = (
    f"SELECT {rawsql.columns(Transfer, 't')}, {rawsql.columns(Account, 'a')} "  # noqa: S608
    f"FROM {rawsql.table(Transfer)} t JOIN {rawsql.table(Account)} a ON a.id = t.from_account_id "
    "WHERE t.customer_id = %s AND t.public_id = %s"
)


@dataclass(frozen=True)
class TransferSearch:
    date_from: date
    date_to: date
    status: str = ""
    recipient: str = ""


def transfer_search_clean(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str = "",
    recipient: str = "",
) -> TransferSearch:
    """Defaults to the last month (KST); the period is at most one year, both ends in,
    within SEARCH_YEARS_BACK years before this year and the end of next year."""
    date_from, date_to = search_period_clean(
        date_from=date_from,
        date_to=date_to,
        today=kst_date(),
        default_days=30,
        max_days=policy.TRANSFER_SEARCH_MAX_DAYS,
    )
    status = (status or "").strip()
    if status and status not in RESULT_STATUSES:
        raise InvalidInput(_("Unknown status."), code="invalid_status", field="status")
    return TransferSearch(
        date_from=date_from,
        date_to=date_to,
        status=status,
        recipient=(recipient or "").strip()[:100],
    )


def transfers_search(*, customer: Customer, search: TransferSearch) -> QuerySet[Transfer]:
    start = datetime.combine(search.date_from, time.min, tzinfo=KST)
    end = datetime.combine(search.date_to + timedelta(days=1), time.min, tzinfo=KST)
    transfers = Transfer.objects.select_related("from_account").filter(
        customer=customer, status__in=RESULT_STATUSES, created_at__gte=start, created_at__lt=end
    )
    if search.status:
        transfers = transfers.filter(status=search.status)
    if search.recipient:
        digits = search.recipient.replace("-", "")
        match = Q(recipient_name__icontains=search.recipient)
        if digits.isdigit():
            match |= Q(to_account_number__contains=digits)
        transfers = transfers.filter(match)
    return transfers.order_by("-created_at", "-id")
