from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0002_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="transfer",
            name="signed_order",
            field=models.BinaryField(blank=True, null=True, verbose_name="signed order"),
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("entry__isnull", True),
                    models.Q(
                        ("signature__isnull", False),
                        ("signed_order__isnull", False),
                        models.Q(("signer_certificate_serial", ""), _negated=True),
                    ),
                    ("channel", "demo"),
                    _connector="OR",
                ),
                name="transfer_moved_money_is_signed",
            ),
        ),
    ]
