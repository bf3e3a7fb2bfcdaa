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
    "accounts-reconcile": {"task": "accounts.tasks.reconcile_nightly",
                           "schedule": crontab(hour=2, minute=30)},
    "transfers-settlement-sweep": {"task": "transfers.tasks.settlement_sweep_task",
                                   "schedule": crontab(minute="*")},
    "certcenter-crl-refresh": {"task": "certcenter.tasks.crl_refresh",
                               "schedule": crontab(minute=7)},
    "certcenter-holds-expire": {"task": "certcenter.tasks.holds_expire",
                                "schedule": crontab(hour=0, minute=10)},
    "certcenter-copy-purge": {"task": "certcenter.tasks.copy_sessions_purge",
                              "schedule": crontab(minute="*")},
    "fx-network-sweep": {"task": "fx.tasks.network_sweep_task",
                         "schedule": crontab(minute="*")},
    "fx-rates-pull": {"task": "fx.tasks.rates_pull_task",
                      "schedule": crontab(hour="9-15", minute=0, day_of_week="mon-fri")},
    "enrollment-dormancy-sweep": {"task": "enrollment.tasks.dormancy_sweep_task",
                                  "schedule": crontab(hour=1, minute=0)},
    "enrollment-applications-expire": {"task": "enrollment.tasks.applications_expire_task",
                                       "schedule": crontab(hour=0, minute=1)},
    "enrollment-notifications-deliver": {"task": "enrollment.tasks.notifications_deliver_task",
                                         "schedule": crontab(minute="*/5")},
}
