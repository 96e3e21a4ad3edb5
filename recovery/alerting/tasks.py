"""Celery tasks of the alerts: thin, by id, retried with backoff when the mail server fails."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from recovery.alerting.services import (
    alerts_deliver,
    alerts_record,
    alerts_send_immediate,
    plan_alerts,
    recipients_with_pending,
)

# Mail servers come back; keep trying for about a day before leaving it to the next run.
MAIL_RETRY = {"max_retries": 12, "retry_backoff": 30, "retry_backoff_max": 3600, "retry_jitter": True}


def _day(iso: str | None) -> date:
    return date.fromisoformat(iso) if iso else timezone.localdate()


@shared_task(name="recovery.alerts_hourly")
def alerts_hourly(today: str | None = None, hour: int | None = None) -> int:
    """Beat, every hour on the hour: plan today's alerts (idempotent) and hand each recipient
    whose digest hour it is to their own delivery task. Returns how many were handed on."""
    day = _day(today)
    alerts_record(planned=plan_alerts(today=day), today=day)
    current = timezone.localtime().hour if hour is None else hour
    recipients = recipients_with_pending(hour=current)
    for recipient_id in recipients:
        alerts_deliver_task.delay(recipient_id, day.isoformat())
    return len(recipients)


@shared_task(name="recovery.alerts_deliver", autoretry_for=(Exception,), **MAIL_RETRY)
def alerts_deliver_task(recipient_id: int, today: str | None = None) -> int:
    return alerts_deliver(recipient_id=recipient_id, today=_day(today))


@shared_task(name="recovery.alerts_immediate", autoretry_for=(Exception,), **MAIL_RETRY)
def alerts_immediate_task(deadline_ids: list[int], today: str | None = None) -> int:
    return alerts_send_immediate(deadline_ids=deadline_ids, today=_day(today))


@shared_task(name="recovery.recompute_all_deadlines")
def recompute_all_deadlines() -> int:
    """Nightly: statuses follow the calendar (running → expired) even when no fact changed."""
    from recovery.docket_deadlines import deadlines_recompute

    return deadlines_recompute().cases


def alerts_on_deadline_dates(changes: list[tuple[int, date | None, date | None]], today: date) -> None:
    """Deadline listener: a deadline that newly falls within three days is mailed now, after
    the transaction that moved it commits (never for a change that rolled back)."""
    from django.db import transaction

    from recovery.alerting.services import immediate_candidates

    urgent = immediate_candidates(changes, today)
    if urgent:
        transaction.on_commit(lambda: alerts_immediate_task.delay(urgent, today.isoformat()))
