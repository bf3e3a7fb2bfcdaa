from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from certcenter.ca import ca_hierarchy_create
from certcenter.models import CertificateAuthority
from postbank.db import advisory_xact_lock


class Command(BaseCommand):
    help = (
        "Creates the certificate center's root and issuing CA (keys encrypted with "
        "CERTCENTER_CA_PASSPHRASE). Does nothing if they exist, unless --rotate."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="create a new root and issuing CA and retire the current ones",
        )

    def handle(self, *args, rotate=False, **options):
        try:
            with transaction.atomic():
                # Two deployments starting at once: the second waits, then finds the CA.
                advisory_xact_lock("ca_init")
                exists = CertificateAuthority.objects.filter(active=True).exists()
                if exists and not rotate:
                    self.stdout.write("The CA exists; nothing to do.")
                    return
                root, issuing = ca_hierarchy_create(now=timezone.now())
        except Exception as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created {root.name} and {issuing.name}.")
