from django.db import connection


def advisory_locks_held() -> int:
    """Advisory locks (order claims) held in this test database: other databases on the
    server (a parallel test worker's, a bench's) are not counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        )
        return cursor.fetchone()[0]
