"""The test proposal's audit action (no admin views: the URL matrix covers the product's only)."""

from wagtail import hooks

from tests.approvals_app.services import PROPOSAL_APPROVED


@hooks.register("register_log_actions")
def register_proposal_actions(actions):
    actions.register_action(PROPOSAL_APPROVED, "Proposal approved", "Proposal approved")
