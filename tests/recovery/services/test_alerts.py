"""Deadline alerts against real services: an SMTP server on a loopback port (aiosmtpd) and, for
the worker tests, a Celery worker consuming from Redis. Every mail arrives, and arrives once."""

import io
import time
import uuid
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from recovery.lib.deadline_display import why_step
from recovery.models import (
    Alert,
    AlertPreference,
    AlertStatus,
    CollectionAction,
    Deadline,
    DeadlineKind,
    HolidayYear,
)
from recovery.services.alerts import _claim, alerts_deliver, alerts_run
from recovery.services.cases import record_update
from recovery.services.collection import collection_action_record
from recovery.services.deadlines import deadlines_recompute
from tests.conftest import redis_broker_url

# make_case's loan is due 2023-01-01: the limitation's safe end is 2025-12-31.
SAFE_END = date(2025, 12, 31)
THREE_DAYS_BEFORE = SAFE_END - timedelta(days=3)


@pytest.fixture
def alerted_case(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    deadlines_recompute(case_ids=[case.pk], today=THREE_DAYS_BEFORE)
    deadline = Deadline.objects.get(case=case, kind=DeadlineKind.LIMITATION)
    assert deadline.safe_end == SAFE_END
    return case


def mails_to(sink, username):
    return [message for message in sink.messages if message["To"] == f"{username}@example.com"]


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


# --- the daily digest over SMTP ------------------------------------------------------------


def test_the_digest_arrives_well_formed_and_once(alerted_case, smtp_sink):
    summary = alerts_run(today=THREE_DAYS_BEFORE)
    assert (summary.mails, summary.alerts_sent) == (1, 1)
    [message] = smtp_sink.messages
    assert message["To"] == "lawyer@example.com"
    assert THREE_DAYS_BEFORE.isoformat() in message["Subject"]
    text, html = parts(message)
    case_url = f"/admin/snippets/recovery/case/inspect/{alerted_case.pk}/"
    for body in (text, html):
        assert alerted_case.number in body
        assert "2025-12-31" in body  # safe end
        assert "2026-01-04" in body  # legal end, after the New Year holiday and a make-up Sunday
        assert case_url in body
    why = why_step(Deadline.objects.get(case=alerted_case).steps)
    assert why["source"] == "民法典第188条"  # the rule that set the date, not the working-day rounding
    for body in (text, html):
        assert why["text"][:30] in body and why["source"] in body  # why, with its article
    alert = Alert.objects.get()
    assert (alert.threshold, alert.status, alert.attempts) == (3, AlertStatus.SENT, 1)

    # The job runs again the same day: nothing is sent twice.
    again = alerts_run(today=THREE_DAYS_BEFORE)
    assert (again.mails, again.alerts_sent) == (0, 0)
    assert len(smtp_sink.messages) == 1


def test_one_digest_per_person_not_one_mail_per_deadline(make_case, staff, smtp_sink):
    cases = [make_case(assignee=staff["lawyer"], loans=2) for _ in range(3)]
    deadlines_recompute(case_ids=[case.pk for case in cases], today=THREE_DAYS_BEFORE)
    alerts_run(today=date(2025, 12, 1))  # thresholds 30 (loan 1) and 30 (loan 2) of each case
    [message] = smtp_sink.messages
    text, _html = parts(message)
    assert all(case.number in text for case in cases)


def test_after_downtime_only_the_nearest_threshold_is_sent(alerted_case, smtp_sink):
    alerts_run(today=SAFE_END - timedelta(days=95))  # nothing due yet
    assert smtp_sink.messages == []
    alerts_run(today=SAFE_END - timedelta(days=5))  # 90, 60, 30 and 14 were missed
    assert list(Alert.objects.values_list("threshold", flat=True)) == [7]
    assert len(smtp_sink.messages) == 1


def test_the_provisional_calendar_is_said_in_the_mail(make_case, staff, smtp_sink):
    case = make_case(assignee=staff["lawyer"])
    loan = case.loans.get()
    loan.disbursed_on, loan.due_on, loan.handed_over_on = (
        date(2026, 1, 1),
        date(2027, 10, 1),
        date(2027, 10, 2),
    )
    record_update(instance=loan, user=staff["manager"])
    deadline = Deadline.objects.get(case=case, kind=DeadlineKind.LIMITATION)
    assert deadline.calendar_provisional
    alerts_run(today=deadline.safe_end - timedelta(days=1))
    text, html = parts(smtp_sink.messages[0])
    assert "Provisional" in text or "暂定" in text


# --- escalation ----------------------------------------------------------------------------


def test_no_action_since_the_last_alert_escalates_to_the_manager(alerted_case, staff, smtp_sink):
    alerts_run(today=SAFE_END - timedelta(days=14))
    assert [m["To"] for m in smtp_sink.messages] == ["lawyer@example.com"]
    alerts_run(today=SAFE_END - timedelta(days=7))  # nothing recorded since: the manager hears too
    assert sorted(m["To"] for m in smtp_sink.messages[1:]) == ["lawyer@example.com", "manager@example.com"]
    text, _html = parts(mails_to(smtp_sink, "manager")[0])
    assert alerted_case.number in text


def test_an_action_since_the_last_alert_spares_the_manager(alerted_case, staff, smtp_sink):
    alerts_run(today=SAFE_END - timedelta(days=14))
    # (mail time is now; record the call after it)
    time.sleep(0.01)
    collection_action_record(
        action=CollectionAction(case=alerted_case, kind="call", acted_on=SAFE_END - timedelta(days=10)),
        user=staff["lawyer"],
    )
    alerts_run(today=SAFE_END - timedelta(days=7))
    assert mails_to(smtp_sink, "manager") == []
    assert len(mails_to(smtp_sink, "lawyer")) == 2


def test_a_lapsed_deadline_is_said_once_to_the_lawyer_and_the_manager(alerted_case, smtp_sink):
    # #12 §4: the lapse notice goes to those who decide (the head only when nobody else can).
    alerts_run(today=SAFE_END + timedelta(days=1))
    assert sorted(m["To"] for m in smtp_sink.messages) == ["lawyer@example.com", "manager@example.com"]
    alerts_run(today=SAFE_END + timedelta(days=2))  # the lapse is said once
    assert len(smtp_sink.messages) == 2


# --- language ---------------------------------------------------------------------------


def test_each_person_gets_the_digest_in_their_language(alerted_case, staff, smtp_sink):
    AlertPreference.objects.create(user=staff["lawyer"], language="en")
    alerts_run(today=THREE_DAYS_BEFORE)
    text, _html = parts(smtp_sink.messages[0])
    assert "Act by" in text and "What to do" in text


# --- faults ------------------------------------------------------------------------------


def test_a_refusing_mail_server_gets_the_mail_later_once(alerted_case, smtp_sink):
    smtp_sink.refuse_next = 2
    for _ in range(2):
        summary = alerts_run(today=THREE_DAYS_BEFORE)
        assert summary.mails == 0 and summary.failures
    alert = Alert.objects.get()
    assert (alert.status, alert.attempts) == (AlertStatus.PENDING, 2) and "451" in alert.last_error
    assert alerts_run(today=THREE_DAYS_BEFORE).mails == 1
    assert alerts_run(today=THREE_DAYS_BEFORE).mails == 0
    assert len(smtp_sink.messages) == 1
    assert Alert.objects.get().status == AlertStatus.SENT


def test_a_mail_server_that_is_down_gets_the_mail_when_it_is_back(alerted_case, smtp_sink, settings):
    smtp_sink.controller.stop()
    summary = alerts_run(today=THREE_DAYS_BEFORE)
    assert summary.mails == 0 and summary.failures
    assert Alert.objects.get().status == AlertStatus.PENDING
    from aiosmtpd.controller import Controller

    smtp_sink.controller = Controller(smtp_sink, hostname="127.0.0.1", port=smtp_sink.port)
    smtp_sink.controller.start()
    assert alerts_run(today=THREE_DAYS_BEFORE).mails == 1
    assert len(smtp_sink.messages) == 1


def test_a_claim_left_by_a_crashed_worker_is_sent_by_the_next_run_once(
    alerted_case, staff, smtp_sink, settings
):
    # A worker plans and claims, then dies before sending.
    from recovery.services.alerts import alerts_record, plan_alerts

    alerts_record(planned=plan_alerts(today=THREE_DAYS_BEFORE), today=THREE_DAYS_BEFORE)
    assert _claim(staff["lawyer"].pk) is not None
    assert Alert.objects.get().status == AlertStatus.SENDING
    # While the claim is fresh nobody else takes it ...
    assert alerts_run(today=THREE_DAYS_BEFORE).mails == 0
    # ... once stale, the next run re-claims and sends it, once.
    settings.ALERT_CLAIM_STALE_SECONDS = 0
    assert alerts_run(today=THREE_DAYS_BEFORE).mails == 1
    assert alerts_run(today=THREE_DAYS_BEFORE).mails == 0
    assert len(smtp_sink.messages) == 1


def test_an_alert_overtaken_by_events_is_not_sent(alerted_case, staff, smtp_sink):
    from recovery.services.alerts import alerts_record, plan_alerts

    alerts_record(planned=plan_alerts(today=THREE_DAYS_BEFORE), today=THREE_DAYS_BEFORE)
    # Before the digest goes out, a delivered demand restarts the limitation.
    collection_action_record(
        action=CollectionAction(
            case=alerted_case,
            kind="letter",
            acted_on=date(2025, 12, 1),
            reached=True,
            delivered_on=date(2025, 12, 3),
            tracking_number="EMS1",
        ),
        user=staff["lawyer"],
    )
    assert alerts_deliver(recipient_id=staff["lawyer"].pk, today=THREE_DAYS_BEFORE) == 0
    assert Alert.objects.get().status == AlertStatus.OBSOLETE
    assert smtp_sink.messages == []


# --- immediate alerts --------------------------------------------------------------------


def test_a_deadline_newly_within_three_days_is_mailed_at_once(
    make_case, staff, smtp_sink, django_capture_on_commit_callbacks, monkeypatch
):
    from recovery.services import deadlines as docket_deadlines

    case = make_case(assignee=staff["lawyer"])
    loan = case.loans.get()
    # Today is two days before the loan's limitation ends once its due date is corrected.
    monkeypatch.setattr(docket_deadlines.timezone, "localdate", lambda: THREE_DAYS_BEFORE + timedelta(days=1))
    loan.due_on = date(2025, 1, 1)
    record_update(instance=loan, user=staff["manager"])  # safe end moves to 2027-12-31: far
    assert smtp_sink.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        loan.due_on = date(2023, 1, 1)  # corrected back: 2025-12-31 is two days away
        record_update(instance=loan, user=staff["manager"])
    [message] = smtp_sink.messages
    assert message["To"] == "lawyer@example.com"
    assert Alert.objects.get().immediate
    # The next digest does not repeat it.
    assert alerts_run(today=THREE_DAYS_BEFORE + timedelta(days=1)).mails == 0


# --- the command ----------------------------------------------------------------------


def test_the_command_dry_run_sends_nothing_and_then_sends(alerted_case, smtp_sink):
    out = io.StringIO()
    call_command("send_deadline_alerts", "--today", THREE_DAYS_BEFORE.isoformat(), "--dry-run", stdout=out)
    assert "would send 1 mails (1 alerts)" in out.getvalue()
    assert smtp_sink.messages == [] and not Alert.objects.exists()
    out = io.StringIO()
    call_command("send_deadline_alerts", "--today", THREE_DAYS_BEFORE.isoformat(), stdout=out)
    assert "sent 1 mails (1 alerts)" in out.getvalue()
    assert len(smtp_sink.messages) == 1


def test_holiday_year_alerts_are_not_affected_by_unrelated_years(alerted_case, staff, smtp_sink):
    from recovery.services.deadlines import holiday_year_save

    holiday_year_save(
        holiday_year=HolidayYear(year=2031, notice="2031", holidays="2031-01-01"), user=staff["head"]
    )
    assert alerts_run(today=THREE_DAYS_BEFORE).mails == 1


# --- a real Celery worker on Redis ----------------------------------------------------------


@pytest.fixture
def celery_worker_on_redis(transactional_db, settings):
    """A Celery worker (two threads) consuming a private queue on Redis, in this process."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent workers need PostgreSQL's row locks (SQLite serialises writers)")
    url = redis_broker_url()
    if url is None:
        pytest.skip("Redis is not reachable")
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    # One private queue for this test process (Celery caches the queue set on first use).
    app.conf.update(task_always_eager=False, broker_url=url, task_default_queue=TEST_QUEUE)
    # Connection pools made earlier in this process for the eager placeholder broker
    # (memory://) would keep publishing there: start from fresh ones on Redis.
    app._pool = None
    app.amqp._producer_pool = None
    settings.ALERT_RETRY_BASE_SECONDS = 0.2
    try:
        with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"):
            yield app
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


TEST_QUEUE = f"test-alerts-{uuid.uuid4().hex}"


def wait_until(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


# Computed long before it falls due, so that no immediate alert goes out by itself.
LONG_BEFORE = SAFE_END - timedelta(days=200)


def _pending_for(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    deadlines_recompute(case_ids=[case.pk], today=LONG_BEFORE)
    from recovery.services.alerts import alerts_record, plan_alerts

    alerts_record(planned=plan_alerts(today=THREE_DAYS_BEFORE), today=THREE_DAYS_BEFORE)
    return case


def test_two_workers_racing_send_the_digest_once(celery_worker_on_redis, make_case, staff, smtp_sink):
    from recovery.tasks import alerts_deliver_task

    _pending_for(make_case, staff)
    for _ in range(4):  # the same digest handed to both worker threads, twice over
        alerts_deliver_task.delay(staff["lawyer"].pk, THREE_DAYS_BEFORE.isoformat())
    assert wait_until(lambda: Alert.objects.filter(status=AlertStatus.SENT).count() == 1)
    time.sleep(1.0)  # give any duplicate the chance to arrive
    assert len(smtp_sink.messages) == 1


def test_the_hourly_job_on_a_worker_delivers_at_the_digest_hour(
    celery_worker_on_redis, make_case, staff, smtp_sink
):
    from recovery.tasks import alerts_hourly

    make_case(assignee=staff["lawyer"])
    deadlines_recompute(today=LONG_BEFORE)
    alerts_hourly.delay(THREE_DAYS_BEFORE.isoformat(), 7)  # not the lawyer's hour (default 8)
    assert wait_until(lambda: Alert.objects.filter(status=AlertStatus.PENDING).count() == 1)
    time.sleep(1.0)
    assert smtp_sink.messages == []
    alerts_hourly.delay(THREE_DAYS_BEFORE.isoformat(), 8)
    assert wait_until(lambda: len(smtp_sink.messages) == 1)
    alerts_hourly.delay(THREE_DAYS_BEFORE.isoformat(), 8)  # the job runs twice
    time.sleep(1.5)
    assert len(smtp_sink.messages) == 1


def test_a_worker_retries_until_the_mail_server_accepts(celery_worker_on_redis, make_case, staff, smtp_sink):
    from recovery.tasks import alerts_deliver_task

    _pending_for(make_case, staff)
    smtp_sink.refuse_next = 3
    alerts_deliver_task.delay(staff["lawyer"].pk, THREE_DAYS_BEFORE.isoformat())
    sent = wait_until(lambda: Alert.objects.filter(status=AlertStatus.SENT).exists())
    assert sent, list(Alert.objects.values("status", "attempts", "last_error"))
    time.sleep(1.0)
    assert len(smtp_sink.messages) == 1
    assert Alert.objects.get().attempts == 4
