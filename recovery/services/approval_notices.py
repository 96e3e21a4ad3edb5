"""Approval e-mails: each approver is told once that a request awaits them, and the requester
once of the outcome — in the reader's language, with a link, sent by Celery after commit
(Wagtail's own notification mails are replaced: recovery.apps connects these receivers under
Wagtail's dispatch uids, so Wagtail's never connect)."""

import logging
from contextlib import suppress
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from wagtail.models import TaskState

from recovery.lib.approval_routing import yuan
from recovery.lib.language import language_for
from recovery.models import AmountApprovalTask, ApprovalLevel, ApprovalNotice, NoticeEvent, Role

logger = logging.getLogger(__name__)
CLAIM_STALE = timedelta(minutes=10)

# Wagtail's receivers of these signals, by the dispatch uid Wagtail connects them under
# (wagtail/admin/signal_handlers.py); ours take their place.
WAGTAIL_TASK_SUBMITTED_UID = "group_approval_task_submitted_email_notification"
WAGTAIL_WORKFLOW_SUBMITTED_UID = "workflow_state_submitted_email_notification"
WAGTAIL_WORKFLOW_REJECTED_UID = "workflow_state_rejected_email_notification"
WAGTAIL_WORKFLOW_APPROVED_UID = "workflow_state_approved_email_notification"


def approvers_to_notify(*, task_state: Any) -> list[int]:
    """Who is told a step awaits them: the managers of the case's branch for the manager's step
    (the heads when the branch has none), the heads for the head's step — never the requester
    nor anyone else barred from deciding it."""
    from recovery.services.approvals import approver_may_act

    task = task_state.task.specific
    instance = task_state.workflow_state.content_object
    users = get_user_model().objects.filter(is_active=True).select_related("staff_profile")
    heads = users.filter(Q(is_superuser=True) | Q(staff_profile__role=Role.HEAD))
    candidates = heads
    if task.level == ApprovalLevel.MANAGER:
        managers = users.filter(
            staff_profile__role=Role.MANAGER, staff_profile__branch_id=instance.approval_case().branch_id
        )
        candidates = managers if managers.exists() else heads
    return [
        user.pk
        for user in candidates
        if approver_may_act(user=user, task=task, task_state=task_state, instance=instance)
    ]


def approval_notices_record(*, task_state: Any, event: str, recipient_ids: list[int]) -> list[int]:
    """Write the notices (each once: a second call for the same step, person and event adds
    nothing) and hand them to Celery once the transaction commits."""
    if not recipient_ids:
        return []
    ApprovalNotice.objects.bulk_create(
        [ApprovalNotice(task_state=task_state, recipient_id=pk, event=event) for pk in recipient_ids],
        ignore_conflicts=True,
    )
    ids = list(
        ApprovalNotice.objects.filter(
            task_state=task_state, event=event, recipient_id__in=recipient_ids, sent_at__isnull=True
        ).values_list("pk", flat=True)
    )

    def enqueue() -> None:
        from recovery.tasks import approval_notice_task

        for notice_id in ids:
            approval_notice_task.delay(notice_id)

    transaction.on_commit(enqueue)
    return ids


def _claim(notice_id: int) -> bool:
    now = timezone.now()
    return bool(
        ApprovalNotice.objects.filter(pk=notice_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE))
        .update(claimed_at=now)
    )


def approval_notice_send(*, notice_id: int) -> bool:
    """Send one notice (the Celery task's body): claimed first, so it goes once even when two
    workers hold it; a mail-server failure releases the claim and is raised (the task retries)."""
    if not _claim(notice_id):
        return False
    notice = ApprovalNotice.objects.select_related("recipient", "task_state__workflow_state").get(
        pk=notice_id
    )
    recipient = notice.recipient
    if not recipient.email or not recipient.is_active:
        ApprovalNotice.objects.filter(pk=notice_id).update(sent_at=timezone.now(), last_error="no address")
        return False
    if notice.event == NoticeEvent.SUBMITTED and notice.task_state.status != TaskState.STATUS_IN_PROGRESS:
        # Decided (or withdrawn) before the mail went: nothing awaits the approver any more.
        ApprovalNotice.objects.filter(pk=notice_id).update(
            sent_at=timezone.now(), last_error="already decided"
        )
        return False
    try:
        approval_mail(notice=notice).send(fail_silently=False)
    except Exception as problem:
        with suppress(Exception):
            ApprovalNotice.objects.filter(pk=notice_id).update(claimed_at=None, last_error=str(problem)[:300])
        raise
    ApprovalNotice.objects.filter(pk=notice_id).update(sent_at=timezone.now(), last_error="")
    return True


def approval_mail(*, notice: ApprovalNotice) -> EmailMultiAlternatives:
    """The mail of one notice, in its recipient's language: what, which case, how much, the
    comment, and the link to the request."""
    from wagtail.admin.admin_url_finder import AdminURLFinder

    task_state = notice.task_state
    instance = task_state.workflow_state.content_object
    under_review = task_state.revision.as_object() if task_state.revision_id else instance
    user = notice.recipient
    with translation.override(language_for(user)):
        values = {
            "kind": str(type(instance)._meta.verbose_name),
            "title": str(under_review),
            "case": instance.approval_case().number,
            "amount": yuan(under_review.approval_amount()),
            "by": _person(task_state.finished_by) if task_state.finished_by_id else "",
            "requester": _person(task_state.workflow_state.requested_by),
        }
        subjects = {
            NoticeEvent.SUBMITTED: _("Awaiting your approval: %(kind)s %(title)s (%(case)s, %(amount)s)"),
            NoticeEvent.APPROVED: _("Approved: %(kind)s %(title)s (%(case)s, %(amount)s)"),
            NoticeEvent.CHANGES_REQUESTED: _("Changes requested: %(kind)s %(title)s (%(case)s)"),
            NoticeEvent.REJECTED: _("Rejected: %(kind)s %(title)s (%(case)s)"),
        }
        subject = subjects[NoticeEvent(notice.event)] % values
        paragraphs = [_("Hello %(name)s,") % {"name": _person(user)}]
        if notice.event == NoticeEvent.SUBMITTED:
            paragraphs.append(
                _("%(requester)s asks you to approve %(kind)s %(title)s of case %(case)s, for %(amount)s.")
                % values
            )
        else:
            paragraphs.append(subject)
        if task_state.comment and notice.event != NoticeEvent.SUBMITTED:
            paragraphs.append(_("Comment by %(by)s: %(comment)s") % {**values, "comment": task_state.comment})
        url = settings.BASE_URL + (AdminURLFinder().get_edit_url(instance) or "")
        link_text = _("Open the request")
        text = "\n\n".join([*paragraphs, f"{link_text}: {url}"]) + "\n"
        html = format_html(
            '<html><body>{}<p><a href="{}">{}</a></p></body></html>',
            format_html_join("", "<p>{}</p>", ((paragraph,) for paragraph in paragraphs)),
            url,
            link_text,
        )
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def _person(user: Any) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


# --- receivers of Wagtail's workflow signals ----------------------------------------------------


def on_task_submitted(sender: Any, instance: Any, user: Any = None, **kwargs: Any) -> None:
    """A step started: its approvers are told."""
    task = instance.task.specific
    if not isinstance(task, AmountApprovalTask):
        return
    approval_notices_record(
        task_state=instance,
        event=NoticeEvent.SUBMITTED,
        recipient_ids=approvers_to_notify(task_state=instance),
    )


def on_workflow_approved(sender: Any, instance: Any, user: Any = None, **kwargs: Any) -> None:
    """The last step approved and the approval service accepted it (this is sent after the
    finish action): the requester is told."""
    last = instance.current_task_state
    if last is None or instance.requested_by_id is None:
        return
    if not isinstance(last.task.specific, AmountApprovalTask):
        return
    approval_notices_record(
        task_state=last, event=NoticeEvent.APPROVED, recipient_ids=[instance.requested_by_id]
    )


def on_workflow_submitted_or_rejected(sender: Any, **kwargs: Any) -> None:
    """Nothing to send here: approvers are told per step (on_task_submitted) and the requester
    of a rejection by the approval service, which knows whether it ends the review."""
