"""Korean Standard Time, the bank's calendar: every rule that counts days (the daily transfer
limit, the registration window, certificate validity, the annual remittance limit, search
periods) counts KST calendar days, whatever the server's or the customer's time zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

KST = ZoneInfo("Asia/Seoul")


def kst_date(instant: datetime | None = None) -> date:
    """The KST calendar day of `instant` (default: now)."""
    return timezone.localdate(instant or timezone.now(), KST)


def kst_day_start(day: date) -> datetime:
    """00:00:00 KST of `day`, in UTC."""
    return datetime.combine(day, time(0, 0, 0), tzinfo=KST).astimezone(UTC)


def kst_day_end(day: date) -> datetime:
    """23:59:59 KST of `day`, in UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=KST).astimezone(UTC)
