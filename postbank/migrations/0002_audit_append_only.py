from django.db import migrations

from postbank.db import append_only
from postbank.roles import grant


def operator_reads_audit(apps, schema_editor):
    grant(apps, schema_editor, group="operator", app_label="postbank",
          codenames=["view_auditevent"])


class Migration(migrations.Migration):
    dependencies = [
        ("postbank", "0001_initial"),
        ("enrollment", "0002_groups"),
    ]

    operations = [
        append_only("postbank_auditevent"),
        migrations.RunPython(operator_reads_audit, migrations.RunPython.noop),
    ]
