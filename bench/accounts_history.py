"""Transaction history of an account with 1,000,000 postings (issue 3).

Measures the first page (the default 1-month period) and pages a year back (by keyset
cursor inside a one-year range, and the deposits-only filter there): the database time of
the exact SQL the page runs (p95 of the server's planning + execution time, and of the
round trip from Django, with the EXPLAIN ANALYZE plan) and the whole page request
through the Django test client (p95). Targets: database < 5 ms, request < 30 ms at p95.
Every figure is also printed as a ratio to a bare primary-key lookup measured in the same
run.

The data lives in its own database (`pb_bench` next to DATABASE_URL's, PostgreSQL only),
built once with set-based SQL (generate_series) and reused while it is fresh (under a
day old), so reruns take seconds. The bulk load runs with triggers off
(session_replication_role = replica) and then proves, set-based, that every entry
balances and the account's balance is the sum of its postings.

    make bench BENCH_ARGS=accounts_history
    (or: DEBUG=1 DATABASE_URL=postgres://... .venv/bin/python -m bench accounts_history)
"""

import os
import random
import statistics
import time
from datetime import timedelta

import psycopg2
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import Account, LedgerAccount, Posting
from accounts.selectors import (
    account_balance_series,
    account_history_rows,
    cursor_encode,
    history_query_parse,
)
from accounts.services import account_open
from enrollment.models import Customer, User
from postbank import policy
from postbank.kst import kst_date

DATABASE = "pb_bench"
POSTINGS = 1_000_000
SPAN_DAYS = 730  # the postings cover the last two years, about one every 63 seconds
RUNS = 200
DB_TARGET_MS, REQUEST_TARGET_MS = 5.0, 30.0
USERNAME = "bench-history"


def _use_bench_database() -> bool:
    """Points the default connection at pb_bench (created if missing), as Django's test
    runner does for its test database."""
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
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"database {DATABASE} migrated in {time.perf_counter() - started:.1f} s")
    return True


def _bench_account() -> Account:
    user, _created = User.objects.get_or_create(username=USERNAME)
    customer, _created = Customer.objects.get_or_create(user=user,
                                                        defaults={"name": "벤치 고객"})
    account = Account.objects.filter(owner=customer).first()
    if account is None:
        with transaction.atomic():
            account = account_open(customer=customer, password="1234")  # noqa: S106
    return account


def _build(account: Account) -> None:
    """1,000,000 postings on the account and their 1,000,000 counter postings (interbank
    clearing), one balanced entry each, with the running balance_after; then the
    account's balance."""
    clearing = LedgerAccount.objects.get(code="interbank_clearing", currency="KRW")
    end = timezone.now() - timedelta(minutes=1)
    start = end - timedelta(days=SPAN_DAYS)
    step = timedelta(days=SPAN_DAYS) / POSTINGS
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SELECT pg_get_serial_sequence('accounts_journalentry', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        base = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [sequence, base + POSTINGS])
        # A deposit of 100,000 every 10th row and card payments of 1,000-7,000 between:
        # the running balance never goes below zero.
        cursor.execute("""
            CREATE TEMPORARY TABLE bench_rows ON COMMIT DROP AS
            SELECT i, %(base)s + i AS entry_id, %(start)s + i * %(step)s AS at,
                   CASE WHEN i %% 10 = 0 THEN 100000 ELSE -((i %% 7) + 1) * 1000 END AS amount
            FROM generate_series(0, %(n)s - 1) AS i
        """, {"base": base, "start": start, "step": step, "n": POSTINGS})
        cursor.execute("""
            INSERT INTO accounts_journalentry (id, kind, memo, reference, created_at)
            SELECT entry_id, CASE WHEN amount > 0 THEN 'transfer_in' ELSE 'card_payment' END,
                   '', 'bench', at FROM bench_rows
        """)
        cursor.execute("""
            INSERT INTO accounts_posting (entry_id, account_id, currency, amount,
                                          balance_after, counterparty, memo, created_at)
            SELECT entry_id, %(account)s, 'KRW', amount, sum(amount) OVER (ORDER BY i),
                   CASE WHEN amount > 0 THEN '급여 주식회사우정'
                        ELSE (ARRAY['GS25', '스타벅스', '쿠팡', '배달의민족',
                                    '교통카드'])[1 + i %% 5]
                   END, '', at
            FROM bench_rows ORDER BY i
        """, {"account": account.pk})
        cursor.execute("""
            INSERT INTO accounts_posting (entry_id, ledger_account_id, currency, amount,
                                          counterparty, memo, created_at)
            SELECT entry_id, %s, 'KRW', -amount, '', '', at FROM bench_rows ORDER BY i
        """, [clearing.pk])
        cursor.execute("UPDATE accounts_account SET balance = (SELECT sum(amount) FROM "
                       "accounts_posting WHERE account_id = %s) WHERE id = %s",
                       [account.pk, account.pk])
        # What the disabled triggers would have refused: prove it did not happen.
        cursor.execute("""
            SELECT count(*) FROM (SELECT entry_id FROM accounts_posting
                                  WHERE entry_id BETWEEN %s AND %s GROUP BY entry_id
                                  HAVING count(*) < 2 OR sum(amount) <> 0) AS bad
        """, [base, base + POSTINGS])
        unbalanced = cursor.fetchone()[0]
        if unbalanced:
            raise RuntimeError(f"{unbalanced} unbalanced bench entries")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounts_posting")
        cursor.execute("VACUUM ANALYZE accounts_journalentry")
    print(f"built {POSTINGS:,} postings (+{POSTINGS:,} counter postings) in "
          f"{time.perf_counter() - started:.1f} s")


def _fresh(account: Account) -> bool:
    newest = (Posting.objects.filter(account=account).order_by("-created_at", "-id")
              .values_list("created_at", flat=True).first())
    return newest is not None and timezone.now() - newest < timedelta(days=1)


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def _time_sql(sql: str, params) -> tuple[list[float], list[float]]:
    """(server planning + execution ms, round trip ms from Django) for each run."""
    server, round_trip = [], []
    with connection.cursor() as cursor:
        for run in range(RUNS + 10):
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0][0]
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            if run >= 10:
                server.append(plan["Planning Time"] + plan["Execution Time"])
                round_trip.append(elapsed)
    return server, round_trip


def _time_request(client: Client, path: str, params: dict) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms of this process) for each request: on a shared machine the wall
    time includes waiting for a CPU, the CPU time is the work Django did."""
    wall, cpu = [], []
    for run in range(RUNS + 5):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, params, secure=True)
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        if run >= 5:
            wall.append(elapsed * 1000)
            cpu.append(elapsed_cpu * 1000)
    return wall, cpu


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join("    " + row[0] for row in cursor.fetchall())


def main() -> int:
    if not _use_bench_database():
        return 0
    account = _bench_account()
    count = Posting.objects.filter(account=account).count()
    if count and not _fresh(account):
        print("bench data is older than a day: rebuilding the database")
        connection.close()
        admin = psycopg2.connect(**{**connection.get_connection_params(), "dbname": "postgres"})
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
        admin.close()
        if not _use_bench_database():
            return 0
        account, count = _bench_account(), 0
    if count == 0:
        _build(account)
    elif count != POSTINGS:
        raise RuntimeError(f"the bench account has {count} postings, expected {POSTINGS}")
    account.refresh_from_db()
    print("load average {:.1f} {:.1f} {:.1f} on {} CPUs (the figures move with it)".format(
        *os.getloadavg(), os.cpu_count()))
    print(f"account {account.formatted_number}: {POSTINGS:,} postings, "
          f"balance {account.balance:,} won; posting table "
          f"{Posting.objects.count():,} rows; page size {policy.HISTORY_PAGE_SIZE}")

    today = kst_date()
    year_ago = timezone.now() - timedelta(days=365)
    anchor = (Posting.objects.filter(account=account, created_at__lt=year_ago)
              .order_by("-created_at", "-id").first())
    cursor = cursor_encode(anchor)
    year_range = {"period": "custom", "from": (today - timedelta(days=365)).isoformat(),
                  "to": today.isoformat()}
    cases = [
        ("first page (1 month)", {"period": "1m"}, None),
        ("a page a year back", year_range, cursor),
        ("deposits only, a year back", {**year_range, "direction": "deposit"}, cursor),
        ("first page of a one-year range (chart of 366 days)", year_range, None),
    ]

    ids = list(Posting.objects.filter(account=account).values_list("id", flat=True)[:1000])
    reference_sql = "SELECT id, amount, balance_after FROM accounts_posting WHERE id = %s"
    reference_server, reference_trip = _time_sql(reference_sql, [random.choice(ids)])
    reference_p95, reference_trip_p95 = _p95(reference_server), _p95(reference_trip)
    print(f"reference: bare primary-key lookup p95 {reference_p95:.3f} ms in the server, "
          f"{reference_trip_p95:.3f} ms round trip")
    year_query = history_query_parse(period="custom", date_from=year_range["from"],
                                     date_to=year_range["to"])
    series = []
    for _run in range(RUNS // 4):
        started = time.perf_counter()
        account_balance_series(account=account, query=year_query)
        series.append((time.perf_counter() - started) * 1000)
    print(f"chart series of a one-year range (366 index probes): p95 {_p95(series):.2f} ms "
          f"round trip ({_p95(series) / reference_trip_p95:.1f}x reference)")

    settings.DEBUG = False  # no query log: measure what production runs
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(account.owner.user)
    failed = False
    for name, params, page_cursor in cases:
        query = history_query_parse(period=params["period"], date_from=params.get("from"),
                                    date_to=params.get("to"),
                                    direction=params.get("direction"))
        rows = account_history_rows(account=account, query=query, cursor=page_cursor)
        sql, sql_params = rows[: policy.HISTORY_PAGE_SIZE + 1].query.sql_with_params()
        server, round_trip = _time_sql(sql, sql_params)
        db_p95, trip_p95 = _p95(server), _p95(round_trip)
        request_params = {"account": account.number, **params}
        if page_cursor:
            request_params["cursor"] = page_cursor
        requests, request_cpu = _time_request(client, "/accounts/history/", request_params)
        request_p95 = _p95(requests)
        ok = db_p95 < DB_TARGET_MS and request_p95 < REQUEST_TARGET_MS
        failed |= not ok
        print(f"\n-- {name}: {len(list(rows[: policy.HISTORY_PAGE_SIZE]))} rows, "
              f"{'OK' if ok else 'MISSED'}")
        print(f"   database p95 {db_p95:.3f} ms in the server ({db_p95 / reference_p95:.1f}x "
              f"reference; target < {DB_TARGET_MS:g} ms), round trip p95 {trip_p95:.3f} ms "
              f"({trip_p95 / reference_trip_p95:.1f}x reference)")
        print(f"   request  p95 {request_p95:.2f} ms, median {statistics.median(requests):.2f}"
              f" ms ({request_p95 / reference_trip_p95:.0f}x reference round trip; "
              f"target < {REQUEST_TARGET_MS:g} ms); Django CPU p95 {_p95(request_cpu):.2f} ms")
        print("   EXPLAIN ANALYZE:")
        print(_plan(sql, sql_params))
    return 1 if failed else 0
