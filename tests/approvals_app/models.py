from decimal import Decimal

from django.db import models
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin, WorkflowMixin

from recovery.models import ApprovalRequest, Case


class Proposal(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
    """A proposal a manager approves, like a disposal plan: approved through its service."""

    approval_service = "tests.approvals_app.services.proposal_approve"

    title = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    approved_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    def __str__(self) -> str:
        return self.title


class Request(ApprovalRequest):
    """A request approved on recovery's amount-routed workflow (the approval kind "test_request"),
    like a disposal plan or a write-off."""

    approval_kind = "test_request"
    approval_service = "tests.approvals_app.services.request_approve"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    approved_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    def __str__(self) -> str:
        return self.title

    def approval_amount(self) -> Decimal:
        return self.amount
