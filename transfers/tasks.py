from celery import shared_task

from transfers.services import settlement_sweep, transfer_settle


@shared_task(acks_late=True)
def transfer_settle_task(transfer_id: int) -> str:
    """Settles one interbank transfer with the clearing house; running it twice is harmless."""
    return transfer_settle(transfer_id=transfer_id).status


@shared_task
def settlement_sweep_task() -> dict[str, int]:
    """Resolves interbank transfers left settling (time-outs, lost tasks)."""
    return settlement_sweep()
