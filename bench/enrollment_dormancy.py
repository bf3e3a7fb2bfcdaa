"""The dormancy sweep over 1,000,000 customers, 100,000 of them 12 months without use
(issue 4). Target: the whole sweep (notices and suspensions, with their outbox and audit
rows) under 30 s.

The customers live in their own database (`pb_bench_enrollment` next to DATABASE_URL's,
PostgreSQL only), rebuilt on every run with set-based SQL (generate_series): 850,000
customers used within the last 11 months, 50,000 in the notice window (between 11 and 12
months ago) and 100,000 dormant (13 to 24 months ago). The reference, measured in the same
run, is a bare UPDATE of the same 100,000 rows (rolled back); the sweep's second run shows
that it changes nothing the second time.

    DEBUG=1 DATABASE_URL=postgres://... .venv/bin/python -m bench enrollment_dormancy
"""

import time

import psycopg2
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from enrollment.services import dormancy_cutoffs, dormancy_sweep

DATABASE = "pb_bench_enrollment"
CUSTOMERS = 1_000_000
DORMANT = 100_000
NOTICE_WINDOW = 50_000
TARGET_S = 30.0

_BUILD_SQL = """
INSERT INTO enrollment_customer (
    name, created_at, wrong_entries, suspension, customer_type, rrn_encrypted, rrn_hash,
    rrn_masked, business_number, phone_encrypted, phone_masked, minor_limited, last_used_at)
SELECT '고객' || n, now() - interval '3 years', 0, '', 'individual', '', '', '', '', '',
       '010-****-' || lpad((n %% 10000)::text, 4, '0'), false,
       CASE
         WHEN n <= %(dormant)s
           THEN now() - interval '13 months' - (n %% 330) * interval '1 day'
         WHEN n <= %(dormant)s + %(notice)s
           THEN now() - interval '11 months' - interval '1 day' - (n %% 25) * interval '1 day'
         ELSE now() - (n %% 320) * interval '1 day' - (n %% 86400) * interval '1 second'
       END
FROM generate_series(1, %(customers)s) AS n
"""


def _use_bench_database() -> bool:
    params = connection.get_connection_params()
    connection.close()
    admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{DATABASE}"')
            print(f"created database {DATABASE}")
    admin.close()
    settings.DATABASES["default"]["NAME"] = DATABASE
    connections["default"].settings_dict["NAME"] = DATABASE
    call_command("migrate", verbosity=0, interactive=False)
    return True


def _build() -> None:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Only this database's rows: customers and everything hanging on them.
        cursor.execute("TRUNCATE enrollment_customer, postbank_auditevent CASCADE")
        cursor.execute(_BUILD_SQL, {"customers": CUSTOMERS, "dormant": DORMANT,
                                    "notice": NOTICE_WINDOW})
        cursor.execute("VACUUM ANALYZE enrollment_customer")
    print(f"built {CUSTOMERS:,} customers in {time.perf_counter() - started:.1f} s")


def _bare_update_seconds() -> float:
    """The reference: one UPDATE setting the suspension of the same dormant rows."""
    suspend_cutoff, _notice = dormancy_cutoffs(timezone.now())
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE enrollment_customer SET suspension = 'dormant', "
                       "suspended_at = now() WHERE suspension = '' AND last_used_at <= %s",
                       [suspend_cutoff])
        assert cursor.rowcount == DORMANT, cursor.rowcount
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def main() -> int:
    if not _use_bench_database():
        return 0
    _build()
    reference = _bare_update_seconds()
    started = time.perf_counter()
    first = dormancy_sweep()
    sweep = time.perf_counter() - started
    started = time.perf_counter()
    second = dormancy_sweep()
    rerun = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM enrollment_customer WHERE suspension = 'dormant'")
        suspended = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM enrollment_notification")
        notifications = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM postbank_auditevent WHERE event = 'suspended'")
        audited = cursor.fetchone()[0]
    ok = (first.suspended == suspended == audited == DORMANT
          and first.noticed == NOTICE_WINDOW
          and notifications == DORMANT + NOTICE_WINDOW
          and (second.noticed, second.suspended) == (0, 0)
          and sweep < TARGET_S)
    print(f"dormancy sweep over {CUSTOMERS:,} customers: {sweep:.2f} s "
          f"(target < {TARGET_S:.0f} s) — {first.suspended:,} suspended, "
          f"{first.noticed:,} noticed, {notifications:,} outbox rows, {audited:,} audit rows")
    print(f"reference: bare UPDATE of the same {DORMANT:,} rows {reference:.2f} s; "
          f"sweep / reference = {sweep / reference:.1f}x")
    print(f"second run (idempotent): {rerun:.2f} s, {second.noticed} noticed, "
          f"{second.suspended} suspended")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1
