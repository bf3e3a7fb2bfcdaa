from django.db import migrations

from postbank.db import append_only

BALANCED = """
CREATE OR REPLACE FUNCTION accounts_entry_must_balance() RETURNS trigger AS $$
DECLARE
    entry bigint;
    unbalanced record;
    posting_count integer;
BEGIN
    IF TG_TABLE_NAME = 'accounts_posting' THEN
        entry := NEW.entry_id;
    ELSE
        entry := NEW.id;
    END IF;
    SELECT count(*) INTO posting_count FROM accounts_posting WHERE entry_id = entry;
    IF posting_count < 2 THEN
        RAISE EXCEPTION 'journal entry % has % posting(s): an entry needs at least two',
            entry, posting_count USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT currency, sum(amount) AS total INTO unbalanced FROM accounts_posting
        WHERE entry_id = entry GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: % % left over',
            entry, unbalanced.total, unbalanced.currency
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER accounts_posting_balanced
    AFTER INSERT ON accounts_posting DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounts_entry_must_balance();
CREATE CONSTRAINT TRIGGER accounts_entry_balanced
    AFTER INSERT ON accounts_journalentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounts_entry_must_balance();
"""

UNBALANCED_REVERSE = """
DROP TRIGGER IF EXISTS accounts_posting_balanced ON accounts_posting;
DROP TRIGGER IF EXISTS accounts_entry_balanced ON accounts_journalentry;
DROP FUNCTION IF EXISTS accounts_entry_must_balance();
"""


def seed_ledger_accounts(apps, schema_editor):
    ledger = apps.get_model("accounts", "LedgerAccount")
    for code in ["vault_cash", "interbank_clearing", "fx_position", "fee_income", "suspense"]:
        ledger.objects.get_or_create(code=code, currency="KRW")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("postbank", "0002_audit_append_only")]

    operations = [
        migrations.RunSQL(BALANCED, UNBALANCED_REVERSE),
        append_only("accounts_journalentry"),
        append_only("accounts_posting"),
        migrations.RunPython(seed_ledger_accounts, migrations.RunPython.noop),
    ]
