"""Work for the broker, published after the money transaction commits.

The business row written in that transaction is the outbox: a transfer left `settling`, a
remittance left `received`, a notification not yet delivered. Each has a beat sweep that
finds such rows and does the work (transfers.settlement_sweep, fx.network_sweep,
enrollment.notifications_deliver). Publishing the task after commit only makes the work
prompt; when the broker cannot be reached the publication is dropped with a warning and the
sweep delivers it later, so a broker outage delays work and loses nothing, and the customer's
request still gets its answer.
"""

import logging

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Celery retries a publication for seconds by default; a web request must not wait on a
# broker that is down when a sweep will do the work anyway.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def task_publish(task: Task, *args, countdown: int | None = None) -> None:
    """Queues `task(*args)` now; a broker that cannot be reached is logged, not raised."""
    try:
        # No result is awaited: with ignore_result the result store (Redis, which may be the
        # part that is down) is not touched, and the publication fails fast.
        task.apply_async(args=args, countdown=countdown, retry_policy=PUBLISH_RETRY_POLICY,
                         ignore_result=True)
    except (OperationalError, RedisError, OSError) as exc:
        logger.warning("Broker unreachable: %s%r left for its beat sweep (%s).",
                       task.name, args, exc)


def task_publish_on_commit(task: Task, *args, countdown: int | None = None) -> None:
    """task_publish once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: task_publish(task, *args, countdown=countdown))
