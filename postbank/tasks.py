from celery import shared_task
from django.utils import timezone


@shared_task
def health_ping() -> str:
    """Proves that a worker picks up tasks: answers with the worker's clock."""
    return f"pong {timezone.now().isoformat()}"
