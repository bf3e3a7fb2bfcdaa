from django.db import migrations

from postbank.roles import grant


def create_groups(apps, schema_editor):
    grant(apps, schema_editor, group="teller", app_label="accounts", codenames=[
        "view_account", "add_account", "handle_cash", "freeze_account", "close_account",
        "view_cashtransaction", "view_journalentry"])
    grant(apps, schema_editor, group="operator", app_label="accounts", codenames=[
        "view_account", "view_reconciliationreport", "run_reconciliation",
        "view_journalentry", "view_ledgeraccount"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_counter_permissions"), ("enrollment", "0002_groups")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
