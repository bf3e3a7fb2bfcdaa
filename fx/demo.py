"""Demo data for `manage.py seed_demo` (idempotent): the currencies, the Eurogiro partners
and two weeks of rate notices (one per business day, the day's first round at 09:00 KST,
from the default rate sheet with a small deterministic swing) so the rate page, its chart
and the remittance screens work at once. A day that already has a notice is left alone.

No remittance is seeded: every remittance in the demo is confirmed by a person with the full
steps, the joint-certificate signature included (the certificate center's demo issues the demo
customer's certificate), so the database needs no unsigned exception for fx (unlike the
transfers' seeded history on its demo channel)."""

import math
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from fx.models import Currency, EurogiroPartner, RateNotice
from fx.reference import CURRENCIES, EUROGIRO_PARTNERS
from fx.services import RATE_FIELDS, rate_notice_publish, rate_row_clean
from fx.sources import FileRateSource
from postbank.errors import PostbankError
from postbank.kst import KST, kst_date

HISTORY_DAYS = 14


def _rows_for(sheet: list[dict], day_number: int) -> list:
    swing = Decimal(str(round(1 + 0.004 * math.sin(day_number / 2), 6)))
    rows = []
    for row in sheet:
        scaled = {field: str((Decimal(row[field]) * swing).quantize(Decimal("0.0001")))
                  for field in RATE_FIELDS}
        rows.append(rate_row_clean({"currency": row["currency"], **scaled}))
    return rows


def seed(out) -> None:
    for code, name, minor_units, unit, order in CURRENCIES:
        Currency.objects.update_or_create(code=code, defaults={
            "name": name, "minor_units": minor_units, "unit": unit, "sort_order": order})
    for country, name, bic, currency, account_payout, cash_payout in EUROGIRO_PARTNERS:
        EurogiroPartner.objects.get_or_create(country=country, defaults={
            "name": name, "bic": bic, "currency_id": currency,
            "account_payout": account_payout, "cash_payout": cash_payout})
    sheet = FileRateSource().fetch()
    now = timezone.now()
    today = kst_date(now)
    published = 0
    for back in range(HISTORY_DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5 and back:
            continue
        if RateNotice.objects.filter(notice_date=day).exists():
            continue
        at = min(datetime.combine(day, time(9, 0), tzinfo=KST), now)
        try:
            rate_notice_publish(rows=_rows_for(sheet, day.toordinal()), source="counter",
                                noticed_at=at)
        except PostbankError as exc:
            out(f"FX demo notice of {day} skipped: {exc.code} ({exc.message}).")
            continue
        published += 1
    out(f"FX: {len(CURRENCIES)} currencies, {len(EUROGIRO_PARTNERS)} Eurogiro partners, "
        f"{published} new rate notices (rates at /fx/rates/; operators publish more at "
        "/counter/fx/ratenotice/).")
