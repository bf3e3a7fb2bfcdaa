"""Search periods of the customer's lists (transfer results, remittances): KST dates, at
most `max_days` both ends included, within policy.SEARCH_YEARS_BACK years before this year and the
end of next year (so no date overflows a query)."""

from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from postbank import policy
from postbank.errors import InvalidInput


def search_period_clean(*, date_from: date | None, date_to: date | None, today: date,
                        default_days: int, max_days: int) -> tuple[date, date]:
    """The period to search: missing ends default to the `default_days` up to today."""
    earliest = date(today.year - policy.SEARCH_YEARS_BACK, 1, 1)
    latest = date(today.year + 1, 12, 31)
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value is not None and not earliest <= value <= latest:
            raise InvalidInput(_("Search dates must be between %(earliest)s and %(latest)s.")
                               % {"earliest": earliest.isoformat(),
                                  "latest": latest.isoformat()},
                               code="invalid_period", field=name)
    date_to = date_to or today
    date_from = date_from or date_to - timedelta(days=default_days)
    if date_from > date_to:
        raise InvalidInput(_("The start date is after the end date."), code="invalid_period",
                           field="date_from")
    if (date_to - date_from).days + 1 > max_days:
        raise InvalidInput(_("A search covers at most one year."), code="invalid_period",
                           field="date_from")
    return date_from, date_to
