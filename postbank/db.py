"""Database helpers shared by the apps."""

from django.db import connection, migrations


def advisory_xact_lock(name: str) -> None:
    """Holds the advisory lock `name` until the current transaction ends: a job run twice at
    once (two beats, two deployments starting) runs its check-then-act one after the other."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION postbank_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def append_only(table: str) -> migrations.RunSQL:
    """Migration operation: the database refuses UPDATE and DELETE on `table`."""
    trigger = f"{table}_append_only"
    return migrations.RunSQL(
        sql=APPEND_ONLY_FUNCTION
        + f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION postbank_refuse_change();",
        reverse_sql=f"DROP TRIGGER IF EXISTS {trigger} ON {table};",
    )
