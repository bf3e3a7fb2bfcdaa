from django.db import migrations

from postbank.roles import grant


def create_groups(apps, schema_editor):
    grant(apps, schema_editor, group="teller", app_label="enrollment",
          codenames=["view_user", "view_customer", "add_customer", "change_customer"])
    grant(apps, schema_editor, group="operator", app_label="enrollment",
          codenames=["view_user", "view_customer"])


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
