from django.db import migrations

from postbank.roles import grant


def grant_counter(apps, schema_editor):
    grant(apps, schema_editor, group="teller", app_label="enrollment",
          codenames=["add_application", "view_application", "view_idcheck",
                     "view_securitycard", "view_otpdevice", "view_notification"])
    grant(apps, schema_editor, group="operator", app_label="enrollment",
          codenames=["view_application", "view_notification", "view_idcheck"])


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0005_applications")]

    operations = [migrations.RunPython(grant_counter, migrations.RunPython.noop)]
