from celery import shared_task

from enrollment.services import notification_deliver_one


@shared_task
def notification_deliver(notification_id: int) -> bool:
    """Simulated SMS/e-mail delivery of one outbox message (idempotent)."""
    return notification_deliver_one(notification_id=notification_id)
