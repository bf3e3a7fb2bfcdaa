"""Owner-scoped reads of remittances and public reads of rate notices."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from enrollment.models import Customer
from fx.models import Currency, Rate, RateNotice, Remittance
from fx.services import RemittanceNotFound
from postbank.errors import InvalidInput, NotFound
from postbank.kst import KST, kst_date
from postbank.periods import search_period_clean

SEARCH_MAX_DAYS = 366
# Searches list remittances that moved money (quotes that were never confirmed are not
# results).
RESULT_STATUSES = [Remittance.Status.RECEIVED, Remittance.Status.SENT,
                   Remittance.Status.CREDITED, Remittance.Status.RETURNED]


class NoticeNotFound(NotFound):
    code = "rate_notice_not_found"
    title = _("No rate notice for this date and round.")


def remittance_get_for_customer(*, customer: Customer, public_id, kind: str | None = None
                                ) -> Remittance:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError as exc:
        raise RemittanceNotFound() from exc
    queryset = Remittance.objects.select_related(
        "from_account", "currency", "partner", "customer", "rate_notice").filter(
        customer=customer, public_id=key)
    if kind:
        queryset = queryset.filter(kind=kind)
    remittance = queryset.first()
    if remittance is None:
        raise RemittanceNotFound()
    return remittance


@dataclass(frozen=True)
class RemittanceSearch:
    date_from: date
    date_to: date
    status: str = ""


def remittance_search_clean(*, date_from: date | None = None, date_to: date | None = None,
                            status: str = "") -> RemittanceSearch:
    """Defaults to the last 3 months (KST); at most one year, both ends included, within
    policy.SEARCH_YEARS_BACK years before this year and the end of next year."""
    date_from, date_to = search_period_clean(date_from=date_from, date_to=date_to,
                                             today=kst_date(), default_days=90,
                                             max_days=SEARCH_MAX_DAYS)
    status = (status or "").strip()
    if status and status not in RESULT_STATUSES:
        raise InvalidInput(_("Unknown status."), code="invalid_status", field="status")
    return RemittanceSearch(date_from=date_from, date_to=date_to, status=status)


def remittances_search(*, customer: Customer, kind: str, search: RemittanceSearch
                       ) -> QuerySet[Remittance]:
    start = datetime.combine(search.date_from, time.min, tzinfo=KST)
    end = datetime.combine(search.date_to + timedelta(days=1), time.min, tzinfo=KST)
    queryset = (Remittance.objects.select_related("currency", "partner")
                .filter(customer=customer, kind=kind, confirmed_at__gte=start,
                        confirmed_at__lt=end, status__in=RESULT_STATUSES))
    if search.status:
        queryset = queryset.filter(status=search.status)
    return queryset.order_by("-confirmed_at", "-id")


def notice_get(*, notice_date: date, round: int) -> RateNotice:
    notice = RateNotice.objects.filter(notice_date=notice_date, round=round).first()
    if notice is None:
        raise NoticeNotFound()
    return notice


def notices_on(*, notice_date: date) -> QuerySet[RateNotice]:
    return RateNotice.objects.filter(notice_date=notice_date).order_by("round")


def notice_rates(*, notice: RateNotice) -> list[Rate]:
    return list(notice.rates.select_related("currency").order_by("currency__sort_order",
                                                                "currency_id"))


def rate_history(*, currency: Currency, days: int = 30, until: datetime | None = None
                 ) -> list[tuple[datetime, Rate]]:
    """The last notice of each KST day over `days` days, oldest first."""
    end_day = kst_date(until)
    start = datetime.combine(end_day - timedelta(days=days - 1), time.min, tzinfo=KST)
    rows = (Rate.objects.select_related("notice")
            .filter(currency=currency, notice__noticed_at__gte=start)
            .order_by("notice__notice_date", "notice__round"))
    if until is not None:
        rows = rows.filter(notice__noticed_at__lte=until)
    last_per_day: dict[date, Rate] = {}
    for rate in rows:
        last_per_day[rate.notice.notice_date] = rate
    return [(rate.notice.noticed_at, rate) for _day, rate in sorted(last_per_day.items())]
