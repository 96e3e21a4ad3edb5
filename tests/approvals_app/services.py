"""The approval service of the test proposal, shaped as disposal plans' and write-offs' will be."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from wagtail.log_actions import log

from recovery.services import RecoveryError
from recovery.services.approvals import approval_mark_approved, approved_revision_publish
from tests.approvals_app.models import Proposal, Request

APPROVAL_LIMIT = Decimal("1000000.00")
PROPOSAL_APPROVED = "approvals_app.proposal.approved"


@transaction.atomic
def proposal_approve(*, proposal: Proposal, revision: Any, user: Any) -> None:
    if proposal.amount > APPROVAL_LIMIT:
        raise RecoveryError(f"{proposal.amount} is above the approval limit of {APPROVAL_LIMIT}.")
    approved_revision_publish(revision=revision, user=user)
    # The service's own write, from the revision's amount: what the reviewer approved.
    Proposal.objects.filter(pk=proposal.pk).update(approved_amount=proposal.amount)
    log(instance=Proposal.objects.get(pk=proposal.pk), action=PROPOSAL_APPROVED, user=user)


REFUSED_AMOUNT = Decimal("13.00")


@transaction.atomic
def request_approve(*, request: Request, revision: Any, user: Any) -> None:
    """Refuses the amount REFUSED_AMOUNT (a rule the approval re-checks), else approves."""
    if request.amount == REFUSED_AMOUNT:
        raise RecoveryError("13.00 is refused by the request's own rules.", field="amount")
    approved_revision_publish(revision=revision, user=user)
    approval_mark_approved(instance=request, user=user)
    Request.objects.filter(pk=request.pk).update(approved_amount=request.amount)
