"""The certificate profile of DOMAIN.md ("Joint certificates"): names, policy OIDs and the
KST validity boundaries.

Policy OIDs live under one project arc, PROJECT_OID_ARC: a UUID-derived OID under 2.25
(ITU-T X.667), which anyone may allocate without registration. Under it:
  <arc>.1.<n>  certificate policies, one per certificate type (table below)
"""

import calendar
from datetime import date, datetime, timedelta

from cryptography import x509

from postbank.kst import kst_date, kst_day_end, kst_day_start

PROJECT_OID_ARC = "2.25.181316104390871126355372227370463424161"
POLICY_OIDS = {
    "bank_personal": f"{PROJECT_OID_ARC}.1.1",
    "general_personal": f"{PROJECT_OID_ARC}.1.2",
    "general_corporate": f"{PROJECT_OID_ARC}.1.3",
    "etax": f"{PROJECT_OID_ARC}.1.4",
    "credit_card": f"{PROJECT_OID_ARC}.1.5",
}

# Other institutions' personal certificates we register (DOMAIN.md).
KOREAN_PERSONAL_POLICY_OIDS = {
    "1.2.410.200005.1.1.4": "KFTC bank-limited",
    "1.2.410.200005.1.1.1": "KFTC general",
    "1.2.410.200004.5.2.1.7.1": "KICA bank-limited",
    "1.2.410.200004.5.2.1.2": "KICA general",
}

CA_ORGANIZATION = "Postbank CA"
RA_NAME = "Postbank RA"
PERSONAL_OU = "personal4IB"
COUNTRY = "kr"


def subject_name(*, customer_name: str, serial_digits: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(x509.NameOID.COUNTRY_NAME, COUNTRY),
            x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, CA_ORGANIZATION),
            x509.NameAttribute(x509.NameOID.ORGANIZATIONAL_UNIT_NAME, PERSONAL_OU),
            x509.NameAttribute(x509.NameOID.ORGANIZATIONAL_UNIT_NAME, RA_NAME),
            x509.NameAttribute(x509.NameOID.COMMON_NAME, f"{customer_name}(){serial_digits}"),
        ]
    )


def _add_years(day: date, years: int) -> date:
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def validity_new(*, now: datetime) -> tuple[datetime, datetime]:
    """From 00:00:00 KST of the issue day to 23:59:59 KST of the day before the
    anniversary."""
    issue_day = kst_date(now)
    return kst_day_start(issue_day), kst_day_end(_add_years(issue_day, 1) - timedelta(days=1))


def validity_renewed(*, now: datetime, old_not_after: datetime) -> tuple[datetime, datetime]:
    """A renewal runs one year from the old expiry (last day + 1 year)."""
    return kst_day_start(kst_date(now)), kst_day_end(_add_years(kst_date(old_not_after), 1))
