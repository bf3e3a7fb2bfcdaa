import sys

from django.core.management.base import BaseCommand

from accounts.reconciliation import reconciliation_run


class Command(BaseCommand):
    help = ("Proves that every deposit account's balance equals the sum of its postings and "
            "that the trial balance is zero; prints and stores a report; exits 1 on any "
            "difference.")

    def handle(self, *args, **options):
        report = reconciliation_run(trigger="command")
        self.stdout.write(report.text)
        if not report.ok:
            self.stderr.write("reconciliation found differences")
            sys.exit(1)
