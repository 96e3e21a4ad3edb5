"""Deadline alerts by e-mail: plan who must be warned today, then deliver one digest per person.

Exactly once: an alert is a row identified by (deadline, date, threshold, recipient) — planning
twice, or on two workers at once, inserts it once (unique constraint, conflicts ignored). A
delivery claims a batch of recipients' pending alerts with one conditional UPDATE (so two
workers never claim the same row), composes one mail per recipient, sends them over one SMTP
connection, and marks each recipient's alerts sent only after the SMTP server accepted that
recipient's mail. A failed send releases that recipient's claim for a retry and leaves the
others alone; a claim left behind by a crashed worker goes stale after
ALERT_CLAIM_STALE_SECONDS and is claimed again.

The one gap no mail system closes: a worker killed after the server accepted a mail but
before its rows were marked sent will send that digest again once the claim is stale. The
accepted mails of a batch are marked sent together, once the batch is through, so the gap is
at most one batch (ALERT_DELIVERY_BATCH recipients).
"""

import smtplib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from recovery.alerting.thresholds import (
    IMMEDIATE_WITHIN_DAYS,
    LAPSED,
    days_left,
    due_threshold,
    newly_urgent,
    should_escalate,
    urgency,
)
from recovery.lib.audit import AuditKind, audit_action
from recovery.lib.deadline_display import why_text
from recovery.lib.language import language_for, languages_for
from recovery.lib.links import case_url
from recovery.models import (
    OPEN_STATUSES,
    Alert,
    AlertPolicy,
    AlertPreference,
    AlertRecipientRole,
    AlertStatus,
    CollectionAction,
    Deadline,
    Role,
    StaffProfile,
)
from recovery.registry import default_thresholds
from recovery.services.cases import record_update
from recovery.services.lapses import lapse_notices

URGENCY_ORDER = ("overdue", "today", "week", "month", "later")
# Recipients per delivery: their digests share one claim, a handful of queries and one SMTP
# connection; it also bounds what a worker killed mid-batch sends twice (see above).
ALERT_DELIVERY_BATCH = 100


@dataclass
class AlertRunSummary:
    planned: int = 0
    mails: int = 0
    alerts_sent: int = 0
    failures: list[str] = field(default_factory=list)
    recipients: list[int] = field(default_factory=list)


ALERT_POLICY_UPDATED = audit_action(
    "recovery.alert_policy.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Change an alert policy"),
    past_label=gettext_lazy("Alert policy changed"),
)


@transaction.atomic
def alert_policy_update(*, policy: AlertPolicy, user: Any) -> dict:
    """Save a deadline kind's alert thresholds and hint (validated by AlertPolicy.clean());
    the head of recovery's call (the admin lets no one else edit them). Returns the changes."""
    return record_update(instance=policy, user=user, source="alert policy", action=ALERT_POLICY_UPDATED)


def policies() -> dict[str, AlertPolicy]:
    """Each kind's policy; kinds nobody configured fall back to the built-in defaults."""
    found = {policy.kind: policy for policy in AlertPolicy.objects.all()}
    for kind, days in default_thresholds().items():
        if kind not in found:
            found[kind] = AlertPolicy(kind=kind, thresholds=", ".join(map(str, days)), action_hint="")
    return found


def alert_policies_sync(**_kwargs: Any) -> None:
    """After every migrate: every registered deadline kind has its policy row, so the head can
    set its thresholds in Settings (a kind an app registers later needs no migration of ours)."""
    known = set(AlertPolicy.objects.values_list("kind", flat=True))
    AlertPolicy.objects.bulk_create(
        [
            AlertPolicy(kind=kind, thresholds=", ".join(map(str, days)), action_hint="")
            for kind, days in default_thresholds().items()
            if kind not in known
        ],
        ignore_conflicts=True,
    )


def _stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "ALERT_CLAIM_STALE_SECONDS", 600))


# --- planning -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedAlert:
    deadline_id: int
    act_by: date
    threshold: int
    recipient_id: int
    role: str


def _managers_and_heads() -> tuple[dict[int, list[int]], list[int]]:
    """Active managers by branch id, and the heads of recovery."""
    managers: dict[int, list[int]] = defaultdict(list)
    heads: list[int] = []
    for user_id, role, branch_id in StaffProfile.objects.filter(
        user__is_active=True, role__in=[Role.MANAGER, Role.HEAD]
    ).values_list("user_id", "role", "branch_id"):
        if role == Role.MANAGER and branch_id:
            managers[branch_id].append(user_id)
        elif role == Role.HEAD:
            heads.append(user_id)
    return managers, heads


def plan_alerts(*, today: date, deadline_ids: Iterable[int] | None = None) -> list[PlannedAlert]:
    """Who must be warned about what today (reads only; a fixed number of queries)."""
    kinds = policies()
    horizon = max(max(policy.threshold_days) for policy in kinds.values())
    deadlines = Deadline.objects.open().filter(
        act_by__lte=today + timedelta(days=horizon), case__status__in=OPEN_STATUSES
    )
    # A lapse whose notice is planned is done with: it is not planned again every hour, for ever.
    deadlines = deadlines.exclude(
        Exists(Alert.objects.filter(deadline=OuterRef("pk"), act_by=OuterRef("act_by"), threshold=LAPSED))
    )
    if deadline_ids is not None:
        deadlines = deadlines.filter(pk__in=list(deadline_ids))
    rows = list(
        deadlines.values_list("pk", "kind", "act_by", "case_id", "case__assignee_id", "case__branch_id")
    )
    if not rows:
        return []
    managers, heads = _managers_and_heads()
    ids = [row[0] for row in rows]
    last_alerted = {
        deadline_id: (sent_at, planned_on)
        for deadline_id, sent_at, planned_on in Alert.objects.filter(
            deadline_id__in=ids, status=AlertStatus.SENT, recipient_role=AlertRecipientRole.ASSIGNEE
        )
        .values("deadline_id")
        .annotate(last=Max("sent_at"), day=Max("planned_on"))
        .values_list("deadline_id", "last", "day")
    }
    last_action = dict(
        CollectionAction.objects.filter(case_id__in={row[3] for row in rows})
        .values("case_id")
        .annotate(last=Max("created_at"))
        .values_list("case_id", "last")
    )
    planned: list[PlannedAlert] = []
    for deadline_id, kind, act_by, case_id, assignee_id, branch_id in rows:
        policy = kinds.get(kind)
        if policy is None:
            continue
        threshold = due_threshold(act_by, today, policy.threshold_days)
        if threshold is None:
            continue
        branch_managers = managers.get(branch_id, [])
        if threshold == LAPSED:
            # Said once, to those who decide: the lawyer and the branch's managers.
            planned.extend(
                PlannedAlert(deadline_id, act_by, LAPSED, recipient_id, role)
                for recipient_id, role in lapse_recipients(assignee_id, branch_managers, heads).items()
            )
            continue
        recipients: dict[int, str] = {}
        if assignee_id:
            recipients[assignee_id] = AlertRecipientRole.ASSIGNEE
        else:
            # Nobody assigned: the branch's managers are the ones who must act.
            recipients.update(dict.fromkeys(branch_managers, AlertRecipientRole.MANAGER))
        alerted = last_alerted.get(deadline_id)
        latest_action = last_action.get(case_id)
        # Escalation follows an alert nobody acted on for at least a day; a first alert goes
        # to the lawyer alone.
        acted = (
            alerted is None
            or alerted[1] >= today
            or (latest_action is not None and latest_action > alerted[0])
        )
        if should_escalate(days_left(act_by, today), acted):
            for manager_id in branch_managers:
                recipients.setdefault(manager_id, AlertRecipientRole.MANAGER)
        planned.extend(
            PlannedAlert(deadline_id, act_by, threshold, recipient_id, role)
            for recipient_id, role in recipients.items()
        )
    return planned


def lapse_recipients(assignee_id: int | None, managers: list[int], heads: list[int]) -> dict[int, str]:
    """Who hears of a lapse: the assigned lawyer and the branch's managers (as an escalation
    does); the heads of recovery only when the case has neither, so that it is never said to nobody."""
    recipients: dict[int, str] = {}
    if assignee_id:
        recipients[assignee_id] = AlertRecipientRole.ASSIGNEE
    for manager_id in managers:
        recipients.setdefault(manager_id, AlertRecipientRole.MANAGER)
    if not recipients:
        recipients.update(dict.fromkeys(heads, AlertRecipientRole.HEAD))
    return recipients


@transaction.atomic
def alerts_record(*, planned: list[PlannedAlert], today: date, immediate: bool = False) -> int:
    """Insert the planned alerts that do not exist yet; returns how many rows were new."""
    before = Alert.objects.count()
    Alert.objects.bulk_create(
        [
            Alert(
                deadline_id=item.deadline_id,
                act_by=item.act_by,
                threshold=item.threshold,
                recipient_id=item.recipient_id,
                recipient_role=item.role,
                immediate=immediate,
                planned_on=today,
            )
            for item in planned
        ],
        ignore_conflicts=True,  # already planned (by this run, another run or another worker)
        batch_size=1000,
    )
    return Alert.objects.count() - before


# --- delivering ---------------------------------------------------------------------------


def _claimable(now: Any) -> Q:
    """Waiting alerts, and alerts whose claim a crashed worker left behind."""
    return Q(status=AlertStatus.PENDING) | Q(status=AlertStatus.SENDING, claimed_at__lt=now - _stale_after())


def _claim_many(recipient_ids: Iterable[int], *, only: Iterable[int] | None = None) -> uuid.UUID | None:
    """Claim these recipients' sendable alerts with one token, in one conditional UPDATE;
    None if there are none."""
    token = uuid.uuid4()
    now = timezone.now()
    claimable = _claimable(now)
    rows = Alert.objects.filter(claimable, recipient_id__in=list(recipient_ids))
    if only is not None:
        rows = rows.filter(pk__in=list(only))
    with transaction.atomic():
        # Lock in a stable order, skipping rows another worker is claiming right now.
        locked = list(rows.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True))
        if not locked:
            return None
        claimed = Alert.objects.filter(claimable, pk__in=locked).update(
            status=AlertStatus.SENDING, claim_token=token, claimed_at=now
        )
    return token if claimed else None


def _claim(recipient_id: int, *, only: Iterable[int] | None = None) -> uuid.UUID | None:
    """Claim the recipient's sendable alerts in one conditional UPDATE; None if none."""
    return _claim_many([recipient_id], only=only)


def _relevant(
    alerts: list[Alert], today: date, kinds: dict[str, AlertPolicy]
) -> tuple[list[Alert], list[Alert]]:
    """Split claimed alerts into those still worth sending and those overtaken by events (the
    deadline was done or moved, or a nearer threshold has since been reached)."""
    keep, drop = [], []
    for alert in alerts:
        deadline = alert.deadline
        policy = kinds.get(deadline.kind)
        current = (
            due_threshold(deadline.act_by, today, policy.threshold_days)
            if policy and deadline.act_by and not deadline.done
            else None
        )
        if deadline.act_by != alert.act_by or current is None or current != alert.threshold:
            drop.append(alert)
        else:
            keep.append(alert)
    return keep, drop


def alert_lines(
    alerts: list[Alert], today: date, kinds: dict[str, AlertPolicy] | None = None
) -> list[dict[str, Any]]:
    """What each alert says: case, party, kind, the dates, why, what to do, and a link."""
    kinds = kinds if kinds is not None else policies()
    lines = []
    for alert in alerts:
        deadline = alert.deadline
        left = days_left(deadline.act_by, today)
        policy = kinds.get(deadline.kind)
        why, why_source = why_text(deadline.steps)  # the rule that set the date, not the rounding
        lines.append(
            {
                "alert": alert,
                "deadline": deadline,
                "case": deadline.case,
                "party": deadline.party,
                "kind": deadline.get_kind_display(),
                "subject": deadline.subject,
                "act_by": deadline.act_by,
                "legal_end": deadline.legal_end,
                "days_left": left,
                "overdue_days": -left,
                "urgency": urgency(left),
                "why": why,
                "why_source": why_source,
                "todo": policy.action_hint if policy else "",
                "provisional": deadline.calendar_provisional,
                "at_risk_note": deadline.at_risk_note,
                "role": alert.recipient_role,
                "url": case_url(deadline.case_id),
            }
        )
    lines.sort(key=lambda line: (URGENCY_ORDER.index(line["urgency"]), line["act_by"], line["case"].number))
    return lines


def build_digest(
    *,
    user: Any,
    alerts: list[Alert],
    today: date,
    immediate: bool,
    kinds: dict[str, AlertPolicy] | None = None,
    language: str | None = None,
) -> EmailMultiAlternatives:
    """The digest mail for `user`, in `language` (`language_for(user)` when not given)."""
    if language is None:
        language = language_for(user)
    # Lapse notices have their own include (recovery/email/_lapse.*): what was lost, once.
    lapses = lapse_notices([alert for alert in alerts if alert.threshold == LAPSED], language=language)
    lines = alert_lines([alert for alert in alerts if alert.threshold != LAPSED], today, kinds)
    groups = [(name, [line for line in lines if line["urgency"] == name]) for name in URGENCY_ORDER]
    context = {
        "user": user,
        "today": today,
        "groups": [(name, items) for name, items in groups if items],
        "lapses": lapses,
        "count": len(lines) + len(lapses),
        "immediate": immediate and bool(lines),
        "lapsed": len(lapses),
        "overdue": sum(1 for line in lines if line["urgency"] == "overdue"),
        "dashboard_url": settings.BASE_URL + reverse("wagtailadmin_home"),
    }
    with translation.override(language):
        subject = render_to_string("recovery/email/deadline_digest_subject.txt", context).strip()
        text = render_to_string("recovery/email/deadline_digest.txt", context)
        html = render_to_string("recovery/email/deadline_digest.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


@dataclass
class DeliveryReport:
    """What one delivery did: mails accepted, alerts marked sent, and each recipient whose mail
    failed (their alerts are waiting again) with the mail error."""

    mails: int = 0
    alerts_sent: int = 0
    failures: dict[int, Exception] = field(default_factory=dict)


def _release_failed(ids: list[int], token: uuid.UUID, problem: Exception) -> None:
    Alert.objects.filter(pk__in=ids, claim_token=token).update(
        status=AlertStatus.PENDING,
        last_error=str(problem)[:300],
        claim_token=None,
        claimed_at=None,
        attempts=F("attempts") + 1,
    )


def _mark_sent(ids: list[int], token: uuid.UUID) -> None:
    if ids:
        Alert.objects.filter(pk__in=ids, claim_token=token).update(
            status=AlertStatus.SENT, sent_at=timezone.now(), last_error="", attempts=F("attempts") + 1
        )


def _reachable(keep: list[Alert], token: uuid.UUID) -> list[tuple[int, list[Alert], str]]:
    """The kept alerts by recipient, with the recipient's language: (recipient id, alerts,
    language). Alerts of a recipient without an address, or no longer active, wait (with the
    reason) instead."""
    by_recipient: dict[int, list[Alert]] = defaultdict(list)
    for alert in keep:
        by_recipient[alert.recipient_id].append(alert)
    unreachable: dict[str, list[int]] = defaultdict(list)
    languages = languages_for(by_recipient)
    reachable = []
    for recipient_id, alerts in by_recipient.items():
        user = alerts[0].recipient
        if not user.email or not user.is_active:
            reason = "no e-mail address" if not user.email else "inactive user"
            unreachable[reason].extend(alert.pk for alert in alerts)
            continue
        reachable.append((recipient_id, alerts, languages.get(recipient_id, settings.LANGUAGE_CODE)))
    for reason, ids in unreachable.items():
        Alert.objects.filter(pk__in=ids, claim_token=token).update(
            status=AlertStatus.PENDING, last_error=reason
        )
    return reachable


def _send_one(connection: Any, message: EmailMultiAlternatives) -> None:
    try:
        connection.open()  # no-op while the connection is up; a fresh one after a failure
        connection.send_messages([message])
    except Exception:
        # The server may have dropped us: the next mail starts on a new connection.
        with suppress(smtplib.SMTPException, OSError):
            connection.close()
        raise


def alerts_deliver_many(
    *, recipient_ids: Iterable[int], today: date, only: Iterable[int] | None = None
) -> DeliveryReport:
    """Send each recipient's pending alerts as one mail, all over one SMTP connection. A mail
    the server refuses (or a connection that fails) releases that recipient's claim with the
    error and leaves the other recipients' mails alone; the caller retries the failed ones."""
    report = DeliveryReport()
    token = _claim_many(recipient_ids, only=only)
    if token is None:
        return report
    claimed = list(
        Alert.objects.filter(claim_token=token, status=AlertStatus.SENDING)
        .select_related("deadline__case__debtor", "deadline__party", "recipient")
        .order_by("recipient_id", "pk")
    )
    kinds = policies()  # read once per delivery
    keep, drop = _relevant(claimed, today, kinds)
    if drop:
        Alert.objects.filter(pk__in=[alert.pk for alert in drop], claim_token=token).update(
            status=AlertStatus.OBSOLETE
        )
    if not keep:
        return report
    connection = get_connection(fail_silently=False)
    sending: list[tuple[int, list[int], Future]] = []
    try:
        # One thread talks SMTP, in order, while this one composes the next digests: the
        # server's round trips overlap the composing. It touches no database.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-smtp") as sender:
            for recipient_id, alerts, language in _reachable(keep, token):
                ids = [alert.pk for alert in alerts]
                try:
                    message = build_digest(
                        user=alerts[0].recipient,
                        alerts=alerts,
                        today=today,
                        immediate=any(alert.immediate for alert in alerts),
                        kinds=kinds,
                        language=language,
                    )
                except Exception as problem:  # noqa: BLE001 - this digest waits for a retry, the others go
                    _release_failed(ids, token, problem)
                    report.failures[recipient_id] = problem
                    continue
                sending.append((recipient_id, ids, sender.submit(_send_one, connection, message)))
    finally:
        # Whatever stopped the loop, each mail the server accepted is marked sent, and each
        # mail it did not accept waits again with its error.
        sent: list[int] = []
        for recipient_id, ids, outcome in sending:
            problem = outcome.exception() if outcome.done() else RuntimeError("not sent")
            if problem is None:
                sent.extend(ids)
                report.mails += 1
            else:
                _release_failed(ids, token, problem)
                report.failures[recipient_id] = problem
        _mark_sent(sent, token)
        report.alerts_sent = len(sent)
        with suppress(smtplib.SMTPException, OSError):
            connection.close()
    return report


def alerts_deliver(*, recipient_id: int, today: date, only: Iterable[int] | None = None) -> int:
    """Send the recipient's pending alerts as one mail; returns the number of alerts sent.
    Raises the mail error after releasing the claim, so that the caller (a Celery task) retries."""
    report = alerts_deliver_many(recipient_ids=[recipient_id], today=today, only=only)
    if recipient_id in report.failures:
        raise report.failures[recipient_id]
    return report.alerts_sent


def _batches(items: list[int], size: int = ALERT_DELIVERY_BATCH) -> list[list[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def recipients_with_pending(*, hour: int | None = None) -> list[int]:
    """Users with alerts waiting; with `hour`, only those whose digest hour it is (default 8)."""
    pending = Alert.objects.filter(_claimable(timezone.now()))
    user_ids = set(pending.values_list("recipient_id", flat=True))
    if hour is None:
        return sorted(user_ids)
    hours = dict(AlertPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "digest_hour"))
    return sorted(user_id for user_id in user_ids if hours.get(user_id, 8) == hour)


def alerts_run(*, today: date, dry_run: bool = False, hour: int | None = None) -> AlertRunSummary:
    """The daily job, synchronously: plan, record, and deliver to each recipient (all of them,
    or only those whose digest hour is `hour`). With `dry_run`, only count what would go out."""
    summary = AlertRunSummary()
    planned = plan_alerts(today=today)
    if dry_run:
        existing = set(
            Alert.objects.filter(deadline_id__in={item.deadline_id for item in planned}).values_list(
                "deadline_id", "act_by", "threshold", "recipient_id"
            )
        )
        new = [
            item
            for item in planned
            if (item.deadline_id, item.act_by, item.threshold, item.recipient_id) not in existing
        ]
        summary.planned = len(new)
        summary.recipients = sorted({item.recipient_id for item in new})
        summary.mails = len(summary.recipients)
        summary.alerts_sent = len(new)
        return summary
    summary.planned = alerts_record(planned=planned, today=today)
    summary.recipients = recipients_with_pending(hour=hour)
    for batch in _batches(summary.recipients):
        report = alerts_deliver_many(recipient_ids=batch, today=today)
        summary.mails += report.mails
        summary.alerts_sent += report.alerts_sent
        # One recipient's mail failure does not stop the rest.
        summary.failures.extend(f"user {user_id}: {problem}" for user_id, problem in report.failures.items())
    return summary


@transaction.atomic
def alerts_replan_moved(
    *, changes: Iterable[tuple[int, date | None, date | None]], today: date, skip: Iterable[int] = ()
) -> int:
    """Deadlines whose act-by date moved (a proof recorded, a fact corrected): the alerts still
    waiting for the old date are obsolete at once — not at delivery — and each deadline is
    planned anew for its new date, except those in `skip` (newly urgent ones, planned and mailed
    by `alerts_send_immediate`). Returns how many waiting alerts became obsolete."""
    moved = {deadline_id: new for deadline_id, old, new in changes if old is not None and old != new}
    if not moved:
        return 0
    waiting = Alert.objects.filter(deadline_id__in=list(moved), status=AlertStatus.PENDING)
    stale = [
        pk
        for pk, deadline_id, act_by in waiting.values_list("pk", "deadline_id", "act_by")
        if act_by != moved[deadline_id]
    ]
    if stale:
        Alert.objects.filter(pk__in=stale, status=AlertStatus.PENDING).update(status=AlertStatus.OBSOLETE)
    replan = set(moved) - set(skip)
    if replan:
        alerts_record(planned=plan_alerts(today=today, deadline_ids=replan), today=today)
    return len(stale)


def immediate_candidates(changes: Iterable[tuple[int, date | None, date | None]], today: date) -> list[int]:
    """Deadline ids whose date newly falls within IMMEDIATE_WITHIN_DAYS (see thresholds.newly_urgent)."""
    return [deadline_id for deadline_id, old, new in changes if newly_urgent(old, new, today)]


def alerts_send_immediate(*, deadline_ids: list[int], today: date) -> int:
    """Plan and send at once the alerts of deadlines that just became urgent; returns mails sent."""
    planned = plan_alerts(today=today, deadline_ids=deadline_ids)
    alerts_record(planned=planned, today=today, immediate=True)
    ids = Alert.objects.filter(
        deadline_id__in=deadline_ids, status=AlertStatus.PENDING, planned_on=today
    ).values_list("pk", "recipient_id")
    by_recipient: dict[int, list[int]] = defaultdict(list)
    for alert_id, recipient_id in ids:
        by_recipient[recipient_id].append(alert_id)
    mails = 0
    for recipient_id, alert_ids in by_recipient.items():
        if alerts_deliver(recipient_id=recipient_id, today=today, only=alert_ids):
            mails += 1
    return mails


__all__ = [
    "ALERT_DELIVERY_BATCH",
    "IMMEDIATE_WITHIN_DAYS",
    "AlertRunSummary",
    "DeliveryReport",
    "alerts_deliver",
    "alerts_deliver_many",
    "alerts_replan_moved",
    "alerts_run",
    "alerts_send_immediate",
    "plan_alerts",
]
