"""Reads of approvals: what awaits a user's decision (the dashboard, Wagtail's "awaiting your
review"), with each request's age."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, CharField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import TaskState, WorkflowState

from recovery.lib.approval_routing import yuan
from recovery.models import AmountApprovalTask, ApprovalLevel, ApprovalRequest, Role, StaffProfile
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

    role = role_of(user)
    if role not in (Role.MANAGER, Role.HEAD):
        return TaskState.objects.none()
    # The head may take a manager's step, but it awaits the head only where the branch has no
    # manager to take it (as the approval mails go).
    managed = set(
        StaffProfile.objects.filter(role=Role.MANAGER, user__is_active=True).values_list(
            "branch_id", flat=True
        )
    )
    allowed = []
    for state in _in_progress(task):
        instance = state.workflow_state.content_object
        if not isinstance(instance, ApprovalRequest):
            continue
        step = state.task.specific
        if (
            role == Role.HEAD
            and step.level == ApprovalLevel.MANAGER
            and instance.approval_case().branch_id in managed
        ):
            continue
        if approver_may_act(user=user, task=step, task_state=state, instance=instance):
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
    def amount_text(self) -> str:
        return yuan(self.amount)

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


# --- where a request stands, for listings ------------------------------------------------------


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    WITH_MANAGER = "with_manager", _("Awaiting the branch manager")
    WITH_HEAD = "with_head", _("Awaiting the head")
    CHANGES_REQUESTED = "changes", _("Changes requested")
    APPROVED = "approved", _("Approved")


def with_review_status(queryset: QuerySet) -> QuerySet:
    """Annotate each request with `review_status` (a ReviewStatus value) in one query: its
    review in progress or sent back, and at which step, else approved or draft."""
    content_type = ContentType.objects.get_for_model(queryset.model)
    open_review = WorkflowState.objects.filter(
        base_content_type_id=content_type.pk,
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
        status__in=[WorkflowState.STATUS_IN_PROGRESS, WorkflowState.STATUS_NEEDS_CHANGES],
    )
    return queryset.annotate(
        review_state=Subquery(open_review.values("status")[:1]),
        review_level=Subquery(open_review.values("current_task_state__task__amountapprovaltask__level")[:1]),
    ).annotate(
        review_status=Case(
            When(approved_at__isnull=False, then=Value(ReviewStatus.APPROVED.value)),
            When(
                review_state=WorkflowState.STATUS_NEEDS_CHANGES,
                then=Value(ReviewStatus.CHANGES_REQUESTED.value),
            ),
            When(review_level=ApprovalLevel.HEAD, then=Value(ReviewStatus.WITH_HEAD.value)),
            When(review_state=WorkflowState.STATUS_IN_PROGRESS, then=Value(ReviewStatus.WITH_MANAGER.value)),
            default=Value(ReviewStatus.DRAFT.value),
            output_field=CharField(),
        )
    )


def review_status_label(instance: Any) -> str:
    """The label of `with_review_status`'s annotation on `instance`."""
    return str(ReviewStatus(instance.review_status).label)
