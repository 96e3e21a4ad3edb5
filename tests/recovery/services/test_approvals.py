"""The approval hook (recovery.services.approvals): a revision of a workflow-managed snippet
that its workflow approves is published by the model's approval service, never by Wagtail on
its own; a refusal of the service leaves nothing written and says why. The snippet is the
tests' Proposal (tests.approvals_app), shaped as disposal plans and write-offs will be."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core import checks
from django.test import RequestFactory
from wagtail.models import (
    GroupApprovalTask,
    ModelLogEntry,
    TaskState,
    Workflow,
    WorkflowContentType,
    WorkflowState,
    WorkflowTask,
)

from recovery.admin.approvals import (
    ApprovalEditViewMixin,
    ApprovalSnippetViewSetMixin,
    ApprovalWorkflowActionView,
)
from recovery.services import RecoveryError
from recovery.services.approvals import check_approval_services, workflow_task_act
from tests.approvals_app.models import Proposal
from tests.approvals_app.services import PROPOSAL_APPROVED


@pytest.fixture
def people(db):
    users = get_user_model().objects
    maker = users.create_user(username="maker", password="pw-maker")
    checker = users.create_user(username="checker", password="pw-checker")
    approvers = Group.objects.create(name="审批人")
    checker.groups.add(approvers)
    task = GroupApprovalTask.objects.create(name="经理审批")
    task.groups.set([approvers])
    workflow = Workflow.objects.create(name="处置审批")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowContentType.objects.create(
        content_type=ContentType.objects.get_for_model(Proposal), workflow=workflow
    )
    return {"maker": maker, "checker": checker}


def _submitted(maker, amount: str) -> Proposal:
    """A live proposal of 1.00 whose new revision (of `amount`) awaits review."""
    proposal = Proposal.objects.create(title="处置计划", amount=Decimal("1.00"), live=True)
    proposal.amount = Decimal(amount)
    proposal.save_revision(user=maker)
    proposal.get_workflow().start(proposal, maker)
    return Proposal.objects.get(pk=proposal.pk)


def _nothing_written(proposal: Proposal) -> None:
    stored = Proposal.objects.get(pk=proposal.pk)
    assert stored.amount == Decimal("1.00") and stored.approved_amount is None
    assert stored.live_revision is None
    state = WorkflowState.objects.get(object_id=str(proposal.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.status == TaskState.STATUS_IN_PROGRESS
    actions = set(ModelLogEntry.objects.filter(object_id=str(proposal.pk)).values_list("action", flat=True))
    assert not actions & {PROPOSAL_APPROVED, "wagtail.publish", "wagtail.workflow.approve"}


def test_an_approved_revision_is_published_by_the_models_approval_service(people):
    proposal = _submitted(people["maker"], "500000.00")
    workflow_task_act(instance=proposal, user=people["checker"], action="approve", comment="同意")
    stored = Proposal.objects.get(pk=proposal.pk)
    # The service's own write, of the amount the reviewer saw in the revision (not the live 1.00).
    assert stored.approved_amount == Decimal("500000.00")
    assert stored.amount == Decimal("500000.00") and stored.live_revision_id is not None
    entry = ModelLogEntry.objects.get(object_id=str(proposal.pk), action=PROPOSAL_APPROVED)
    assert entry.user == people["checker"]
    state = WorkflowState.objects.get(object_id=str(proposal.pk))
    assert state.status == WorkflowState.STATUS_APPROVED


def test_a_refusal_of_the_approval_service_writes_nothing_and_says_why(people):
    proposal = _submitted(people["maker"], "2000000.00")
    with pytest.raises(RecoveryError, match="above the approval limit"):
        workflow_task_act(instance=proposal, user=people["checker"], action="approve", comment="")
    _nothing_written(proposal)


def test_only_those_the_task_offers_the_action_may_take_it(people):
    proposal = _submitted(people["maker"], "500000.00")
    with pytest.raises(RecoveryError):
        workflow_task_act(instance=proposal, user=people["maker"], action="approve")
    _nothing_written(proposal)


def _post_action(proposal: Proposal, user, action: str = "approve"):
    request = RequestFactory().post("/?next=/admin/", {"comment": ""})
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    state = WorkflowState.objects.get(object_id=str(proposal.pk))
    view = ApprovalWorkflowActionView.as_view(model=Proposal, redirect_url_name="wagtailadmin_home")
    response = view(
        request, pk=str(proposal.pk), action_name=action, task_state_id=state.current_task_state_id
    )
    return response, [str(message) for message in get_messages(request)]


def test_the_admins_workflow_action_refuses_with_the_services_message(people):
    proposal = _submitted(people["maker"], "2000000.00")
    response, shown = _post_action(proposal, people["checker"])
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert any("above the approval limit" in message for message in shown)
    _nothing_written(proposal)


def test_the_admins_workflow_action_approves_through_the_service(people):
    proposal = _submitted(people["maker"], "500000.00")
    response, _shown = _post_action(proposal, people["checker"])
    assert response.status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).approved_amount == Decimal("500000.00")


@pytest.mark.django_db
def test_a_workflow_managed_snippet_must_name_an_approval_service(monkeypatch):
    assert [error for error in check_approval_services() if error.id.startswith("recovery.")] == []
    monkeypatch.setattr(Proposal, "approval_service", None)
    assert [error.id for error in check_approval_services()] == ["recovery.E001"]
    monkeypatch.setattr(Proposal, "approval_service", "tests.approvals_app.services.no_such_service")
    assert [error.id for error in check_approval_services()] == ["recovery.E002"]
    assert all(isinstance(error, checks.Error) for error in check_approval_services())


class _RefusingEditView:
    """Stands for Wagtail's edit view at the point where its workflow action runs."""

    def __init__(self, request, error=None):
        self.request = request
        self.error = error

    def workflow_action_action(self):
        if self.error:
            raise self.error
        return None

    def get_edit_url(self):
        return "/admin/snippets/approvals_app/proposal/edit/1/"


@pytest.mark.django_db
def test_the_edit_forms_workflow_action_shows_the_refusal_and_stays_on_the_form():
    class EditView(ApprovalEditViewMixin, _RefusingEditView):
        pass

    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    response = EditView(request, RecoveryError("超出审批权限")).workflow_action_action()
    assert response.status_code == 302 and response["Location"].endswith("/proposal/edit/1/")
    assert [str(message).strip() for message in get_messages(request)] == ["超出审批权限"]
    assert EditView(request).workflow_action_action() is None  # no refusal: Wagtail goes on
    assert ApprovalSnippetViewSetMixin.workflow_action_view_class is ApprovalWorkflowActionView
