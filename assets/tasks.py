"""Celery tasks of the assets app: thin wrappers that run a service by id (autodiscovered)."""

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from assets.services import first_seizure_notify, measures_lapse_expired

MAX_MAIL_RETRIES = 16


@shared_task(name="assets.first_seizure_notice", bind=True, max_retries=MAX_MAIL_RETRIES)
def first_seizure_notice_task(self: Task, measure_id: int, ended_measure_id: int | None = None) -> bool:
    """Mail the case's lawyer that our waiting seizure became the first seizure; retried with
    backoff while the mail server fails."""
    try:
        return first_seizure_notify(measure_id=measure_id, ended_measure_id=ended_measure_id)
    except Exception as problem:  # noqa: BLE001 - any mail failure: try again later
        countdown = min(settings.ALERT_RETRY_BASE_SECONDS * 2**self.request.retries, 3600)
        raise self.retry(exc=problem, countdown=countdown) from problem


@shared_task(name="assets.lapse_expired_measures")
def lapse_expired_measures_task(today: str | None = None) -> int:
    """Nightly: measures past their expiry without renewal lapse; the waiting lists move up."""
    from datetime import date

    day = date.fromisoformat(today) if today else timezone.localdate()
    return measures_lapse_expired(today=day)
