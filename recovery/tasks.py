"""Celery tasks: thin wrappers that run a service by id (autodiscovered by config.celery):
the web import's phases and the deadline alerts (retried with backoff when the mail server fails)."""

from datetime import date

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from recovery.services.alerts import (
    ALERT_DELIVERY_BATCH,
    alerts_deliver,
    alerts_deliver_many,
    alerts_record,
    alerts_send_immediate,
    plan_alerts,
    recipients_with_pending,
)
from recovery.services.approval_notices import approval_notice_send
from recovery.services.imports import import_run_check, import_run_execute, import_run_mark_stalled

# Mail servers come back: retry with exponential backoff (base ALERT_RETRY_BASE_SECONDS, at most
# an hour apart) for about half a day; whatever is still waiting then goes with the next run.
MAX_MAIL_RETRIES = 16


def _backoff(retries: int) -> float:
    return min(settings.ALERT_RETRY_BASE_SECONDS * 2**retries, 3600)


def _day(iso: str | None) -> date:
    return date.fromisoformat(iso) if iso else timezone.localdate()


@shared_task(name="recovery.alerts_hourly")
def alerts_hourly(today: str | None = None, hour: int | None = None) -> int:
    """Beat, every hour on the hour: plan today's alerts (idempotent) and hand the recipients
    whose digest hour it is to delivery tasks, ALERT_DELIVERY_BATCH at a time (one SMTP
    connection each). Returns how many recipients were handed on."""
    day = _day(today)
    alerts_record(planned=plan_alerts(today=day), today=day)
    current = timezone.localtime().hour if hour is None else hour
    recipients = recipients_with_pending(hour=current)
    for start in range(0, len(recipients), ALERT_DELIVERY_BATCH):
        alerts_deliver_batch_task.delay(recipients[start : start + ALERT_DELIVERY_BATCH], day.isoformat())
    return len(recipients)


@shared_task(name="recovery.alerts_deliver_batch", bind=True, max_retries=MAX_MAIL_RETRIES)
def alerts_deliver_batch_task(self: Task, recipient_ids: list[int], today: str | None = None) -> int:
    """Deliver these recipients' digests over one connection; returns the mails sent. The
    recipients whose mail failed (their claims released) are retried, alone, with the same
    backoff as a single delivery."""
    report = alerts_deliver_many(recipient_ids=recipient_ids, today=_day(today))
    if report.failures:
        failed = sorted(report.failures)
        raise self.retry(
            args=(failed, today), exc=report.failures[failed[0]], countdown=_backoff(self.request.retries)
        )
    return report.mails


@shared_task(name="recovery.alerts_deliver", bind=True, max_retries=MAX_MAIL_RETRIES)
def alerts_deliver_task(self: Task, recipient_id: int, today: str | None = None) -> int:
    try:
        return alerts_deliver(recipient_id=recipient_id, today=_day(today))
    except Exception as problem:  # noqa: BLE001 - the claim was released; try again later
        raise self.retry(exc=problem, countdown=_backoff(self.request.retries)) from problem


@shared_task(name="recovery.alerts_immediate", bind=True, max_retries=MAX_MAIL_RETRIES)
def alerts_immediate_task(self: Task, deadline_ids: list[int], today: str | None = None) -> int:
    try:
        return alerts_send_immediate(deadline_ids=deadline_ids, today=_day(today))
    except Exception as problem:  # noqa: BLE001 - the claim was released; try again later
        raise self.retry(exc=problem, countdown=_backoff(self.request.retries)) from problem


@shared_task(name="recovery.recompute_all_deadlines")
def recompute_all_deadlines() -> int:
    """Nightly: statuses follow the calendar (running → expired) even when no fact changed."""
    from recovery.services.deadlines import deadlines_recompute

    return deadlines_recompute().cases


def alerts_on_deadline_dates(changes: list[tuple[int, date | None, date | None]], today: date) -> None:
    """Deadline listener: a deadline that newly falls within three days is mailed now, after
    the transaction that moved it commits (never for a change that rolled back); the waiting
    alerts of any other moved date are replaced by the new date's, in the same transaction."""
    from django.db import transaction

    from recovery.services.alerts import alerts_replan_moved, immediate_candidates

    urgent = immediate_candidates(changes, today)
    alerts_replan_moved(changes=changes, today=today, skip=urgent)
    if urgent:
        transaction.on_commit(lambda: alerts_immediate_task.delay(urgent, today.isoformat()))


@shared_task(name="recovery.import_run_check")
def import_run_check_task(run_id: int) -> None:
    import_run_check(run_id=run_id)


@shared_task(name="recovery.import_run_execute")
def import_run_execute_task(run_id: int) -> None:
    import_run_execute(run_id=run_id)


@shared_task(name="recovery.import_runs_mark_stalled")
def import_runs_mark_stalled_task() -> int:
    return import_run_mark_stalled()


@shared_task(name="recovery.approval_notice", bind=True, max_retries=MAX_MAIL_RETRIES)
def approval_notice_task(self: Task, notice_id: int) -> bool:
    """Mail one approval notice (sent once: claimed first); retried with backoff while the mail
    server fails."""
    try:
        return approval_notice_send(notice_id=notice_id)
    except Exception as problem:  # noqa: BLE001 - the claim was released; try again later
        raise self.retry(exc=problem, countdown=_backoff(self.request.retries)) from problem
