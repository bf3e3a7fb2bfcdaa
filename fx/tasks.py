from celery import shared_task

from fx.services import network_sweep, rates_pull, remittance_credit, remittance_send


@shared_task(acks_late=True)
def remittance_send_task(remittance_id: int) -> str:
    """Hands one confirmed remittance to the simulated network; harmless when run twice."""
    return remittance_send(remittance_id=remittance_id).status


@shared_task(acks_late=True)
def remittance_credit_task(remittance_id: int) -> str:
    """The network reports the remittance credited (unless it was returned)."""
    return remittance_credit(remittance_id=remittance_id).status


@shared_task
def network_sweep_task() -> dict[str, int]:
    return network_sweep()


@shared_task
def rates_pull_task() -> int:
    """Publishes a new rate notice from the configured rate source."""
    return rates_pull().pk
