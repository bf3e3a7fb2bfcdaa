import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Each app may have a `demo.py` with `seed(out)`; they run in dependency order.
DEMO_APPS = ["enrollment", "accounts", "transfers", "certcenter", "fx"]


class Command(BaseCommand):
    help = "Creates the demo customer, teller and operator (idempotent) and prints the logins."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="seed even with DEBUG off (never on a real bank)")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates known passwords; run it with DEBUG=1.")
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            module.seed(self.stdout.write)
