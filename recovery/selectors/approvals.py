"""Reads of approvals: what awaits a user's decision (the dashboard, Wagtail's "awaiting your
review"), with each request's age."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from wagtail.models import TaskState

from recovery.models import AmountApprovalTask, ApprovalRequest, Role
from recovery.selectors.access import role_of


def _in_progress(task: AmountApprovalTask | None = None) -> QuerySet[TaskState]:
    states = TaskState.objects.filter(
        status=TaskState.STATUS_IN_PROGRESS, task__in=AmountApprovalTask.objects.all()
    ).select_related("workflow_state", "revision", "task")
    return states.filter(task=task) if task is not None else states


def task_states_awaiting(*, user: Any, task: AmountApprovalTask | None = None) -> QuerySet[TaskState]:
    """The in-progress steps `user` may decide (maker ≠ checker, the branch's manager or the
    head): the requests are read to check each one, so the list stays as small as the queue."""
    from recovery.services.approvals import approver_may_act

    if role_of(user) not in (Role.MANAGER, Role.HEAD):
        return TaskState.objects.none()
    allowed = []
    for state in _in_progress(task):
        instance = state.workflow_state.content_object
        if not isinstance(instance, ApprovalRequest):
            continue
        if approver_may_act(user=user, task=state.task.specific, task_state=state, instance=instance):
            allowed.append(state.pk)
    return TaskState.objects.filter(pk__in=allowed)


@dataclass(frozen=True)
class PendingApproval:
    instance: Any
    kind: str
    title: str
    case_number: str
    amount: Decimal
    requested_by: Any
    submitted_at: datetime
    step: str

    @property
    def age_days(self) -> int:
        return (timezone.localdate() - timezone.localtime(self.submitted_at).date()).days


def approvals_pending_for(*, user: Any) -> list[PendingApproval]:
    """What awaits `user`, oldest first, as the revision under review has it."""
    rows = []
    for state in task_states_awaiting(user=user).select_related(
        "workflow_state__requested_by", "revision", "task"
    ):
        instance = state.workflow_state.content_object
        under_review = state.revision.as_object() if state.revision_id else instance
        rows.append(
            PendingApproval(
                instance=instance,
                kind=str(type(instance)._meta.verbose_name),
                title=str(under_review),
                case_number=instance.approval_case().number,
                amount=under_review.approval_amount(),
                requested_by=state.workflow_state.requested_by,
                submitted_at=state.workflow_state.created_at,
                step=str(state.task.specific.get_level_display()),
            )
        )
    return sorted(rows, key=lambda row: row.submitted_at)
