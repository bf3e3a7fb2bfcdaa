"""Owner-scoped reads: another customer's account answers exactly like a missing one."""

import binascii
import re
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Posting
from accounts.numbers import account_number_clean
from postbank import policy, rawsql
from postbank.errors import InvalidInput, NotFound
from postbank.kst import KST, kst_date

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = _("No such account.")


def accounts_for_customer(*, customer, include_closed: bool = False) -> QuerySet[Account]:
    accounts = Account.objects.filter(owner=customer)
    if not include_closed:
        accounts = accounts.exclude(status=Account.Status.CLOSED)
    return accounts.order_by("opened_at", "pk")


def account_get_for_customer(*, customer, number: str) -> Account:
    """The customer's account by number in any format (dashes optional).

    A malformed number or a wrong check digit raises InvalidInput `invalid_account_number`;
    a valid number that is not the customer's raises AccountNotFound (404).
    """
    digits = account_number_clean(number)
    # Hand-written (postbank.rawsql): every transfer and remittance reads its source here.
    account = rawsql.select_one(
        f"SELECT {rawsql.columns(Account, 'a')} FROM {rawsql.table(Account)} a "  # noqa: S608
        "WHERE a.owner_id = %s AND a.number = %s", [customer.pk, digits], Account)
    if account is None:
        raise AccountNotFound()
    return account


def account_pick(*, accounts: list[Account], number: str) -> Account:
    """The account with `number` (any format) among a customer's own `accounts` (already
    read with accounts_for_customer): the same answers as account_get_for_customer
    without reading the account twice."""
    digits = account_number_clean(number)
    for account in accounts:
        if account.number == digits:
            return account
    raise AccountNotFound()


# Transaction history -------------------------------------------------------------------

PERIODS = {
    "today": None,
    "1w": relativedelta(weeks=1),
    "1m": relativedelta(months=1),
    "3m": relativedelta(months=3),
}
DIRECTIONS = ("all", "deposit", "withdrawal")


@dataclass(frozen=True)
class HistoryQuery:
    """A validated history request: KST dates (both included) and a direction."""

    date_from: date
    date_to: date
    direction: str = "all"
    period: str = "1m"

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=KST)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=KST)


def _parse_date(text: str, field: str) -> date:
    try:
        text = (text or "").strip()
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(_("Enter dates as YYYY-MM-DD."), code="invalid_date",
                           field=field) from exc


def history_query_parse(*, period: str | None = None, date_from: str | None = None,
                        date_to: str | None = None, direction: str | None = None,
                        today: date | None = None) -> HistoryQuery:
    """Validates the history filters: a preset (`today`, `1w`, `1m`, `3m`, default `1m`)
    or `custom` with both dates, at most policy.HISTORY_MAX_DAYS days, not in the future."""
    today = today or kst_date()
    direction = direction or "all"
    if direction not in DIRECTIONS:
        raise InvalidInput(_("Choose all, deposits or withdrawals."), code="invalid_direction",
                           field="direction")
    if not period:
        period = "custom" if (date_from or date_to) else "1m"
    if period == "custom":
        start, end = _parse_date(date_from, "from"), _parse_date(date_to, "to")
        if start > end:
            raise InvalidInput(_("The start date is after the end date."),
                               code="invalid_period", field="from")
        if end > today:
            raise InvalidInput(_("The end date is in the future."), code="invalid_period",
                               field="to")
        if (end - start).days + 1 > policy.HISTORY_MAX_DAYS:
            raise InvalidInput(_("One inquiry covers at most one year."),
                               code="period_too_long", field="from")
        return HistoryQuery(start, end, direction, period)
    if period not in PERIODS:
        raise InvalidInput(_("Unknown period."), code="invalid_period", field="period")
    delta = PERIODS[period]
    return HistoryQuery(today - delta if delta else today, today, direction, period)


def _history_rows(*, account: Account, query: HistoryQuery) -> QuerySet[Posting]:
    rows = Posting.objects.filter(account=account, created_at__gte=query.start,
                                  created_at__lt=query.end)
    if query.direction == "deposit":
        rows = rows.filter(amount__gt=0)
    elif query.direction == "withdrawal":
        rows = rows.filter(amount__lt=0)
    return rows.order_by("-created_at", "-id")


def cursor_encode(posting: Posting) -> str:
    raw = f"{posting.created_at.isoformat()}|{posting.pk}"
    return urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = urlsafe_b64decode(cursor.encode() + b"===").decode()
        at, pk = raw.split("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError(at)
        return moment, int(pk)
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidInput(_("The page link is not valid."), code="invalid_cursor",
                           field="cursor") from exc


@dataclass(frozen=True)
class HistoryPage:
    rows: list
    next_cursor: str | None


def account_history_rows(*, account: Account, query: HistoryQuery,
                         cursor: str | None = None) -> QuerySet[Posting]:
    """The rows from `cursor` on, newest first, by keyset: the cursor is the (created_at,
    id) of the last row shown, so every page is one range scan of the `posting_history`
    index, however far back it is (no OFFSET)."""
    rows = _history_rows(account=account, query=query)
    if cursor:
        rows = rows.filter(TupleLessThan(Tuple(F("created_at"), F("id")),
                                         cursor_decode(cursor)))
    return rows.select_related("entry")


def account_history(*, account: Account, query: HistoryQuery, cursor: str | None = None,
                    limit: int | None = None) -> HistoryPage:
    """One page of the account's postings (account_history_rows) and the next cursor."""
    limit = limit or policy.HISTORY_PAGE_SIZE
    rows = account_history_rows(account=account, query=query, cursor=cursor)
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return HistoryPage(page, cursor_encode(page[-1]) if more and page else None)


def account_history_all(*, account: Account, query: HistoryQuery, chunk: int = 500):
    """Every row of the period, newest first, fetched page by page (CSV, statement)."""
    cursor = None
    while True:
        page = account_history(account=account, query=query, cursor=cursor, limit=chunk)
        yield from page.rows
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def account_balance_series(*, account: Account, query: HistoryQuery) -> list[tuple[date, int]]:
    """The balance at the end of each KST day of the period (for the chart): per day, the
    balance after the last posting before the day's end, one index probe each."""
    today = kst_date()
    days, day = [], query.date_from
    while day <= min(query.date_to, today):
        days.append(day)
        day += timedelta(days=1)
    if not days:
        return []
    ends = [datetime.combine(d + timedelta(days=1), time.min, tzinfo=KST) for d in days]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT p.balance_after FROM accounts_posting p "
            "WHERE p.account_id = %s AND p.created_at < e.at "
            "ORDER BY p.created_at DESC, p.id DESC LIMIT 1) "
            "FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS e(at, n) ORDER BY e.n",
            [account.pk, ends])
        balances = [row[0] for row in cursor.fetchall()]
    return [(d, balance or 0) for d, balance in zip(days, balances, strict=True)]
