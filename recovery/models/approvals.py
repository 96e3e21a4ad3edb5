"""What a request that managers approve is made of (a disposal plan, a write-off, a complete
termination): the sibling apps' models subclass `ApprovalRequest`, register their kind with
`recovery.registry.register_approval_kind`, and are approved on the workflow recovery keeps for
that kind (recovery.services.approvals).

The request is edited by its maker as Wagtail drafts (revisions); the amount the approvers see
and route by is the one of the revision under review, never the live row's."""

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin, WorkflowMixin


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

    def get_workflow(self) -> Any:
        from recovery.services.approvals import approval_workflow

        return approval_workflow(self.approval_kind)
