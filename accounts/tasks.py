from celery import shared_task

from accounts.reconciliation import reconciliation_run


@shared_task(name="accounts.tasks.reconcile_nightly")
def reconcile_nightly() -> int:
    """The nightly reconciliation (postbank/celery.py); read-only on the ledger, so a rerun
    only adds another report. Returns the report id."""
    return reconciliation_run(trigger="beat").pk
