from django.db import migrations

from postbank.roles import grant


def currencies_and_groups(apps, schema_editor):
    from fx.reference import CURRENCIES

    currency = apps.get_model("fx", "Currency")
    for code, name, minor_units, unit, order in CURRENCIES:
        currency.objects.update_or_create(code=code, defaults={
            "name": name, "minor_units": minor_units, "unit": unit, "sort_order": order})
    grant(apps, schema_editor, group="teller", app_label="fx", codenames=[
        "view_remittance", "view_ratenotice", "view_currency", "view_eurogiropartner"])
    grant(apps, schema_editor, group="operator", app_label="fx", codenames=[
        "view_remittance", "return_remittance", "view_ratenotice", "add_ratenotice",
        "view_currency", "change_currency", "view_eurogiropartner", "add_eurogiropartner",
        "change_eurogiropartner"])


class Migration(migrations.Migration):
    dependencies = [("fx", "0001_initial"), ("enrollment", "0002_groups")]

    operations = [migrations.RunPython(currencies_and_groups, migrations.RunPython.noop)]
