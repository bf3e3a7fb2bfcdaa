import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postbank.settings")

app = Celery("postbank")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat schedule is code: every time rule the operators run is listed here.
app.conf.beat_schedule = {
    "health-ping": {"task": "postbank.tasks.health_ping", "schedule": crontab(minute="*/5")},
}
