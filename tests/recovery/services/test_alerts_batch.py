"""Digests delivered in batches: one SMTP connection for many recipients, and a mail the server
refuses waits for its retry without holding back, or marking, anyone else's."""

import pytest

from recovery.models import Alert, AlertStatus, Role
from recovery.services.alerts import alerts_deliver_many, alerts_record, plan_alerts
from recovery.services.deadlines import deadlines_recompute
from tests.recovery.services.test_alerts import LONG_BEFORE, THREE_DAYS_BEFORE


@pytest.fixture
def three_lawyers_due(make_user, make_case):
    """Three lawyers, each with one case whose limitation is three days away, alerts planned."""
    lawyers = [make_user(f"batch{n}", Role.LAWYER) for n in range(3)]
    for lawyer in lawyers:
        make_case(assignee=lawyer)
    deadlines_recompute(today=LONG_BEFORE)
    alerts_record(planned=plan_alerts(today=THREE_DAYS_BEFORE), today=THREE_DAYS_BEFORE)
    return sorted(lawyers, key=lambda user: user.pk)


def _status(user):
    alert = Alert.objects.get(recipient=user)
    return alert.status, alert.attempts


def test_a_batch_goes_out_over_one_connection(three_lawyers_due, smtp_sink):
    report = alerts_deliver_many(recipient_ids=[u.pk for u in three_lawyers_due], today=THREE_DAYS_BEFORE)
    assert (report.mails, report.alerts_sent, report.failures) == (3, 3, {})
    assert sorted(m["To"] for m in smtp_sink.messages) == [
        f"{u.username}@example.com" for u in three_lawyers_due
    ]
    assert len(set(smtp_sink.peers)) == 1
    assert all(_status(u) == (AlertStatus.SENT, 1) for u in three_lawyers_due)
    assert not Alert.objects.filter(sent_at=None).exists()


def test_a_refused_mail_waits_and_the_others_are_sent(three_lawyers_due, smtp_sink):
    first, *others = three_lawyers_due
    smtp_sink.refuse_next = 1  # the first recipient's mail
    report = alerts_deliver_many(recipient_ids=[u.pk for u in three_lawyers_due], today=THREE_DAYS_BEFORE)
    assert (report.mails, report.alerts_sent) == (2, 2)
    assert list(report.failures) == [first.pk] and "451" in str(report.failures[first.pk])
    refused = Alert.objects.get(recipient=first)
    assert (refused.status, refused.attempts, refused.claim_token, refused.sent_at) == (
        AlertStatus.PENDING,
        1,
        None,
        None,
    )
    assert "451" in refused.last_error
    assert all(_status(u) == (AlertStatus.SENT, 1) for u in others)
    assert sorted(m["To"] for m in smtp_sink.messages) == [f"{u.username}@example.com" for u in others]
    # The retry sends the refused one, and only it.
    again = alerts_deliver_many(recipient_ids=[u.pk for u in three_lawyers_due], today=THREE_DAYS_BEFORE)
    assert (again.mails, again.failures) == (1, {})
    assert _status(first) == (AlertStatus.SENT, 2)
    assert len(smtp_sink.messages) == 3


def test_a_server_that_drops_the_connection_loses_no_mail(three_lawyers_due, smtp_sink):
    smtp_sink.controller.stop()
    report = alerts_deliver_many(recipient_ids=[u.pk for u in three_lawyers_due], today=THREE_DAYS_BEFORE)
    assert report.mails == 0 and sorted(report.failures) == [u.pk for u in three_lawyers_due]
    assert all(_status(u) == (AlertStatus.PENDING, 1) for u in three_lawyers_due)
    assert not Alert.objects.exclude(claim_token=None).exists()


def test_the_batch_task_retries_only_the_refused_recipients(
    three_lawyers_due, smtp_sink, settings, monkeypatch
):
    from recovery import tasks
    from recovery.tasks import alerts_deliver_batch_task

    attempts = []

    def deliver(*, recipient_ids, today):
        attempts.append(list(recipient_ids))
        return alerts_deliver_many(recipient_ids=recipient_ids, today=today)

    monkeypatch.setattr(tasks, "alerts_deliver_many", deliver)
    settings.ALERT_RETRY_BASE_SECONDS = 0
    first, *others = three_lawyers_due
    smtp_sink.refuse_next = 1
    # Run eagerly: Celery applies the retry at once, with the arguments it was given.
    alerts_deliver_batch_task.apply(
        args=([u.pk for u in three_lawyers_due], THREE_DAYS_BEFORE.isoformat()), throw=False
    )
    assert attempts == [[u.pk for u in three_lawyers_due], [first.pk]]
    assert len(smtp_sink.messages) == 3
    assert sorted(m["To"] for m in smtp_sink.messages) == [
        f"{u.username}@example.com" for u in three_lawyers_due
    ]
    assert _status(first) == (AlertStatus.SENT, 2)
    assert all(_status(u) == (AlertStatus.SENT, 1) for u in others)


def test_the_hourly_job_hands_recipients_on_in_batches(three_lawyers_due, smtp_sink, monkeypatch):
    from recovery import tasks

    batches = []
    monkeypatch.setattr(tasks, "ALERT_DELIVERY_BATCH", 2)
    monkeypatch.setattr(tasks.alerts_deliver_batch_task, "delay", lambda ids, day: batches.append(ids))
    assert tasks.alerts_hourly(THREE_DAYS_BEFORE.isoformat(), 8) == 3
    assert batches == [[u.pk for u in three_lawyers_due[:2]], [three_lawyers_due[2].pk]]
