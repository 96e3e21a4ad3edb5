import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("recovery_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every scheduled job, in one place. Times are Asia/Shanghai (CELERY_TIMEZONE).
app.conf.beat_schedule = {
    # Each user's digest goes out at their chosen hour (08:00 unless they chose otherwise).
    "deadline-alerts-hourly": {"task": "recovery.alerts_hourly", "schedule": crontab(minute=0)},
    # Seizures past their expiry without renewal lapse (查扣冻规定 27); waiting lists move up.
    "lapse-expired-measures-nightly": {
        "task": "assets.lapse_expired_measures",
        "schedule": crontab(hour=0, minute=20),
    },
    # Web imports whose worker died are marked failed; unconfirmed previews expire.
    "import-runs-mark-stalled": {
        "task": "recovery.import_runs_mark_stalled",
        "schedule": crontab(minute="*/5"),
    },
    # Statuses and "days left" follow the calendar even when no fact changed.
    "recompute-deadlines-nightly": {
        "task": "recovery.recompute_all_deadlines",
        "schedule": crontab(hour=2, minute=30),
    },
}
