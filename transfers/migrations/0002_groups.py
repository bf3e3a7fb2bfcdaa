from django.db import migrations

from postbank.roles import grant


def grant_counter_permissions(apps, schema_editor):
    grant(apps, schema_editor, group="operator", app_label="transfers",
          codenames=["view_clearinghouseaccount", "add_clearinghouseaccount",
                     "change_clearinghouseaccount", "view_transfer"])
    grant(apps, schema_editor, group="teller", app_label="transfers",
          codenames=["view_transfer"])


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0001_initial"),
        ("enrollment", "0002_groups"),
    ]

    operations = [migrations.RunPython(grant_counter_permissions, migrations.RunPython.noop)]
