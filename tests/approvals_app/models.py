from decimal import Decimal

from django.db import models
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin, WorkflowMixin


class Proposal(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
    """A proposal a manager approves, like a disposal plan: approved through its service."""

    approval_service = "tests.approvals_app.services.proposal_approve"

    title = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    approved_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    def __str__(self) -> str:
        return self.title
