"""What PostgreSQL says about locks, for tests of claims and races (this test database only)."""

import time

import psycopg2
from django.db import OperationalError, connection, transaction


def advisory_locks_held() -> int:
    """Advisory locks (idempotency claims) held in this test database: other databases on
    the server (a parallel test worker's, a bench's) are not counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        )
        return cursor.fetchone()[0]


def backend_waits_on_lock(pid: int) -> str | None:
    """The query of backend `pid` while it waits on a lock (a row or a table), else None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type, query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[1] if row and row[0] == "Lock" else None


def row_claimed(model, pk) -> bool:
    """True while another session holds the row locked (an order's claim, postbank.orders):
    a NOWAIT probe from this session."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f'SELECT 1 FROM "{model._meta.db_table}" WHERE id = %s FOR NO KEY UPDATE NOWAIT',  # noqa: S608
                [pk],
            )
    except OperationalError:
        return True
    return False


def until(predicate, what: str, timeout: float = 20.0):
    """Polls `predicate` (a test watching the database, not the code under test) until it
    answers something true, which is returned; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def row_locker(table: str, pk):
    """A session of the test's own holding one row FOR UPDATE in an open transaction (what a
    suspension takes on a customer, say); `.rollback()` then `.close()` releases it."""
    s = connection.settings_dict
    locker = psycopg2.connect(
        dbname=s["NAME"],
        user=s.get("USER") or "postgres",
        password=s.get("PASSWORD") or None,
        host=s.get("HOST") or "127.0.0.1",
        port=s.get("PORT") or 5432,
        application_name="pbtest-row-locker",
    )
    with locker.cursor() as cursor:  # psycopg2 opens the transaction; it stays open
        cursor.execute(f'SELECT id FROM "{table}" WHERE id = %s FOR UPDATE', [pk])  # noqa: S608
        assert cursor.fetchone() is not None
    return locker
