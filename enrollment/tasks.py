"""Beat and queue tasks of enrollment: each calls one idempotent service."""

from celery import shared_task

from enrollment.applications import applications_expire
from enrollment.services import (
    dormancy_sweep,
    notification_deliver_one,
    notifications_deliver_pending,
)


@shared_task
def notification_deliver(notification_id: int) -> bool:
    """Simulated SMS/e-mail delivery of one outbox message (idempotent)."""
    return notification_deliver_one(notification_id=notification_id)


@shared_task
def notifications_deliver_task() -> int:
    """Delivers what is left in the outbox (messages written set-based by sweeps)."""
    return notifications_deliver_pending()


@shared_task
def dormancy_sweep_task() -> dict:
    """Daily: the dormancy notice 30 days before, then the suspension at 12 months."""
    result = dormancy_sweep()
    return {"noticed": result.noticed, "suspended": result.suspended}


@shared_task
def applications_expire_task() -> int:
    """Marks counter applications whose 5-day registration window has passed."""
    return applications_expire()
