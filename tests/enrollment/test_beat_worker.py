"""A real Celery worker on Redis runs enrollment's beat tasks once, against the test
database."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.utils import timezone

from enrollment.models import Application, Customer, Notification
from enrollment.tasks import (
    applications_expire_task,
    dormancy_sweep_task,
    notifications_deliver_task,
)
from postbank.celery import app as celery_app
from tests.enrollment.helpers import submit
from tests.factories import CustomerFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker():
    redis_url = os.environ.get("REDIS_URL")
    database_url = os.environ.get("DATABASE_URL")
    if not (redis_url and database_url):
        pytest.skip("needs Redis and PostgreSQL (set REDIS_URL and DATABASE_URL)")
    # The worker must see the rows of this test: point it at the test database.
    parts = urlsplit(database_url)
    test_url = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "postbank", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env={**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": test_url,
                       "DEBUG": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    yield process
    process.terminate()
    process.wait(timeout=30)


def test_worker_runs_the_enrollment_beat_tasks(worker):
    schedule = celery_app.conf.beat_schedule
    for task in (dormancy_sweep_task, applications_expire_task, notifications_deliver_task):
        assert any(entry["task"] == task.name for entry in schedule.values())
    dormant = CustomerFactory(last_used_at=timezone.now() - timedelta(days=400))
    active = CustomerFactory()
    application = submit().application
    Application.objects.filter(pk=application.pk).update(
        registration_deadline=timezone.now() - timedelta(seconds=1))

    assert dormancy_sweep_task.apply_async().get(timeout=60) == {"noticed": 0, "suspended": 1}
    assert applications_expire_task.apply_async().get(timeout=60) == 1
    delivered = notifications_deliver_task.apply_async().get(timeout=60)

    dormant.refresh_from_db()
    active.refresh_from_db()
    assert dormant.suspension == Customer.Suspension.DORMANT and active.suspension == ""
    assert Application.objects.get(pk=application.pk).status == Application.Status.EXPIRED
    assert delivered >= 1
    assert not Notification.objects.filter(delivered_at__isnull=True).exists()
