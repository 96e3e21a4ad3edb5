"""What a request that managers approve is made of (a disposal plan, a write-off, a complete
termination): the sibling apps' models subclass `ApprovalRequest`, register their kind with
`recovery.registry.register_approval_kind`, and are approved on the workflow recovery keeps for
that kind (recovery.services.approvals).

The request is edited by its maker as Wagtail drafts (revisions); the amount the approvers see
and route by is the one of the revision under review, never the live row's."""

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin, Task, TaskState, WorkflowMixin

from recovery.models.docket import MONEY


class ApprovalRequest(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
    """Abstract: a request a lawyer prepares and managers approve by amount.

    Subclasses declare `approval_kind` (a registered approval kind), `approval_service` (the
    dotted path of their `<noun>_approve` service) and `approval_amount()`, and have a `case`
    foreign key (or override `approval_case()`) which scopes who may approve."""

    approval_kind: ClassVar[str]
    approval_service: ClassVar[str]

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approval_reference = models.CharField(_("approval reference"), max_length=40, blank=True, editable=False)

    class Meta:
        abstract = True

    def approval_amount(self) -> Decimal:
        """The amount the approval is routed by (the head approves above the kind's limit)."""
        raise NotImplementedError

    def approval_case(self) -> Any:
        return self.case  # type: ignore[attr-defined]

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    def get_lock(self) -> Any:
        if self.approved_at is not None:
            return ApprovedLock(self)
        return super().get_lock()

    def get_workflow(self) -> Any:
        from recovery.services.approvals import approval_workflow

        return approval_workflow(self.approval_kind)


class ApprovedLock:
    """Wagtail's lock for an approved request: nobody edits what managers approved (its
    outcomes are recorded through their own services)."""

    def __init__(self, instance: ApprovalRequest) -> None:
        from wagtail.locks import BaseLock

        self._base = BaseLock(instance)
        self.object = instance

    def for_user(self, user: Any) -> bool:
        return True

    def get_message(self, user: Any) -> str:
        return str(
            _("Approved on %(day)s (%(reference)s): it can no longer be edited.")
            % {
                "day": timezone.localtime(self.object.approved_at).date().isoformat(),
                "reference": self.object.approval_reference,
            }
        )

    def get_icon(self, user: Any) -> str:
        return "lock"

    def get_locked_by(self, user: Any) -> str:
        return str(_("Approved"))

    def get_description(self, user: Any) -> str:
        return str(_("An approved request is locked."))

    def get_context_for_user(self, user: Any, parent_context: Any = None) -> dict[str, Any]:
        return {
            "locked": True,
            "message": self.get_message(user),
            "icon": "lock",
            "locked_by": self.get_locked_by(user),
            "description": self.get_description(user),
        }


class ApprovalLevel(models.TextChoices):
    MANAGER = "manager", _("Branch manager")
    HEAD = "head", _("Head of recovery")


class ApprovalLimit(models.Model):
    """Per approval kind: the branch manager approves up to this amount, the head above it.
    One row per registered kind (kept by recovery.services.approvals); the head changes them."""

    kind = models.CharField(_("kind"), max_length=30, unique=True, editable=False)
    manager_limit = models.DecimalField(
        _("branch manager approves up to"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("approval limit")
        verbose_name_plural = _("approval limits")
        ordering = ["kind"]

    def __str__(self) -> str:
        return str(self.kind_label)

    @property
    def kind_label(self) -> Any:
        from recovery.registry import approval_kind_choices

        return dict(approval_kind_choices()).get(self.kind, self.kind)


class AmountApprovalTask(Task):
    """A step of an approval workflow: the branch manager's (always) or the head's (above the
    kind's limit, skipped below it). Who may act, and what acting does, is in
    recovery.services.approvals; Wagtail calls these methods."""

    level = models.CharField(_("level"), max_length=10, choices=ApprovalLevel.choices)

    admin_form_fields = [*Task.admin_form_fields, "level"]
    admin_form_readonly_on_edit_fields = [*Task.admin_form_readonly_on_edit_fields, "level"]

    class Meta:
        verbose_name = _("approval by amount")
        verbose_name_plural = _("approvals by amount")

    def start(self, workflow_state: Any, user: Any = None) -> Any:
        from recovery.services.approvals import approval_task_start

        return approval_task_start(task=self, workflow_state=workflow_state, user=user)

    def on_action(self, task_state: Any, user: Any, action_name: str, **kwargs: Any) -> Any:
        from recovery.services.approvals import approval_task_act

        return approval_task_act(task=self, task_state=task_state, user=user, action=action_name, **kwargs)

    def get_actions(self, obj: Any, user: Any) -> list[tuple[str, Any, bool]]:
        from recovery.services.approvals import approval_actions

        return approval_actions(task=self, instance=obj, user=user)

    def get_form_for_action(self, action: str) -> Any:
        from recovery.admin.approvals import approval_action_form

        return approval_action_form(action)

    def user_can_access_editor(self, obj: Any, user: Any) -> bool:
        return bool(self.get_actions(obj, user))

    def get_task_states_user_can_moderate(self, user: Any, **kwargs: Any) -> Any:
        from recovery.selectors.approvals import task_states_awaiting

        return task_states_awaiting(user=user, task=self)

    @classmethod
    def get_description(cls) -> Any:
        return _("The branch manager approves; the head too above the kind's limit. Never the requester.")


class NoticeEvent(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting your approval")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes", _("Changes requested")
    REJECTED = "rejected", _("Rejected")


class ApprovalNotice(models.Model):
    """One e-mail about one approval step to one person, sent once (after commit, by Celery)."""

    task_state = models.ForeignKey(TaskState, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=10, choices=NoticeEvent.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("approval notice")
        verbose_name_plural = _("approval notices")
        constraints = [
            models.UniqueConstraint(fields=["task_state", "recipient", "event"], name="approval_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.recipient_id}"
