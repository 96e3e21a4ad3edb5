"""A disposal plan's approval through the admin, as each role: the lawyer drafts and submits,
the branch manager approves up to the limit, the head above it; the requester never approves
(also a manager who drafted it); asking for changes and rejecting send it back; a plan edited
while in review is not approved unseen; an approved plan is locked; every step is in the
plan's history."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry, TaskState, WorkflowState

from assets.models import DisposalPlan, DisposalRoute
from recovery.services.approvals import APPROVAL_ROUTED
from tests.assets.preservation_helpers import make_asset

PLANS = "wagtailsnippets_assets_disposalplan"
TODAY = timezone.localdate()


@pytest.fixture
def flat(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    return make_asset(case, user=staff["lawyer"], description="浦东新区XX路1号房产", value="1000000.00")


def _form(asset, reference: str = "1000000.00", **fields) -> dict:
    floor = (Decimal(reference) * Decimal("0.7")).quantize(Decimal("0.01"))
    return {
        "case": asset.case_id,
        "asset": asset.pk,
        "route": DisposalRoute.ONLINE_AUCTION,
        "reference_price": reference,
        "reference_source": "appraisal",
        "first_starting_price": str(floor),
        "first_auction_on": (TODAY + timedelta(days=60)).isoformat(),
        "costs": "20000.00",
        "expected_price": "",
        "timeline": "评估后网拍",
        "notes": "",
    } | fields


def _submit(client, user, asset, **fields) -> DisposalPlan:
    client.force_login(user)
    response = client.post(reverse(f"{PLANS}:add"), {**_form(asset, **fields), "action-submit": "1"})
    assert response.status_code == 302, getattr(response, "context", {}) and response.context["form"].errors
    plan = DisposalPlan.objects.latest("pk")
    assert plan.current_workflow_state is not None and plan.requested_by == user
    return plan


def _decide(client, user, plan: DisposalPlan, action: str, comment: str = "") -> None:
    """The approver's modal: approve, ask for changes or reject, with a comment."""
    plan = DisposalPlan.objects.get(pk=plan.pk)
    state = plan.current_workflow_task_state
    client.force_login(user)
    url = reverse(f"{PLANS}:workflow_action", args=[plan.pk, action, state.pk])
    client.post(url, {"comment": comment}, headers={"x-requested-with": "XMLHttpRequest"})


def _messages(client, plan) -> str:
    return client.get(reverse(f"{PLANS}:edit", args=[plan.pk])).content.decode()


@pytest.mark.django_db
def test_lawyer_submits_and_the_branch_manager_approves_under_the_limit(client, staff, flat):
    plan = _submit(client, staff["lawyer"], flat)
    # The lawyer sees no decision to take; deciding anyway is refused.
    _decide(client, staff["lawyer"], plan, "approve")
    assert DisposalPlan.objects.get(pk=plan.pk).approved_at is None
    # Another branch's manager neither sees nor decides it.
    _decide(client, staff["other_manager"], plan, "approve")
    assert DisposalPlan.objects.get(pk=plan.pk).approved_at is None

    _decide(client, staff["manager"], plan, "approve", comment="同意按评估价七折起拍")
    plan = DisposalPlan.objects.get(pk=plan.pk)
    assert plan.approved_by == staff["manager"] and plan.live
    assert WorkflowState.objects.get(object_id=str(plan.pk)).status == WorkflowState.STATUS_APPROVED
    # The history says who approved, with the comment, and why the head did not.
    client.force_login(staff["lawyer"])
    history = client.get(reverse(f"{PLANS}:history", args=[plan.pk])).content.decode()
    assert "无需清收负责人审批：¥1,000,000 ≤ ¥1,000,000" in history
    state = TaskState.objects.get(workflow_state__object_id=str(plan.pk), status=TaskState.STATUS_APPROVED)
    assert state.finished_by == staff["manager"] and state.comment == "同意按评估价七折起拍"


@pytest.mark.django_db
def test_over_the_limit_the_head_approves_after_the_manager(client, staff, flat):
    plan = _submit(client, staff["lawyer"], flat, reference="1500000.00")
    _decide(client, staff["manager"], plan, "approve")
    plan = DisposalPlan.objects.get(pk=plan.pk)
    assert plan.approved_at is None
    assert plan.current_workflow_task.specific.level == "head"
    # The same manager cannot take the head's step.
    _decide(client, staff["manager"], plan, "approve")
    assert DisposalPlan.objects.get(pk=plan.pk).approved_at is None
    _decide(client, staff["head"], plan, "approve")
    assert DisposalPlan.objects.get(pk=plan.pk).approved_by == staff["head"]
    entry = ModelLogEntry.objects.get(object_id=str(plan.pk), action=APPROVAL_ROUTED)
    assert entry.data["comparison"] == "¥1,500,000 > ¥1,000,000"


@pytest.mark.django_db
def test_a_manager_who_drafted_the_plan_cannot_approve_it(client, staff, flat):
    plan = _submit(client, staff["manager"], flat)
    _decide(client, staff["manager"], plan, "approve")
    assert DisposalPlan.objects.get(pk=plan.pk).approved_at is None
    client.force_login(staff["manager"])
    page = client.get(reverse(f"{PLANS}:edit", args=[plan.pk])).content.decode()
    assert "workflow-action-name" not in page or 'value="approve"' not in page
    _decide(client, staff["head"], plan, "approve")
    assert DisposalPlan.objects.get(pk=plan.pk).approved_by == staff["head"]


@pytest.mark.django_db
def test_changes_requested_then_resubmitted_and_a_rejection_starts_over(client, staff, flat):
    plan = _submit(client, staff["lawyer"], flat)
    _decide(client, staff["manager"], plan, "request_changes", comment="补充询价结果")
    assert WorkflowState.objects.get(object_id=str(plan.pk)).status == WorkflowState.STATUS_NEEDS_CHANGES
    client.force_login(staff["lawyer"])
    response = client.post(
        reverse(f"{PLANS}:edit", args=[plan.pk]),
        {**_form(flat, costs="25000.00"), "action-submit": "1"},
    )
    assert response.status_code == 302
    assert (
        DisposalPlan.objects.get(pk=plan.pk).current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    )
    _decide(client, staff["manager"], plan, "reject", comment="先行和解")
    plan = DisposalPlan.objects.get(pk=plan.pk)
    assert plan.current_workflow_state is None and plan.approved_at is None
    assert WorkflowState.objects.filter(
        object_id=str(plan.pk), status=WorkflowState.STATUS_CANCELLED
    ).exists()


@pytest.mark.django_db
def test_a_plan_edited_in_review_is_not_approved_unseen_and_an_approved_plan_is_locked(client, staff, flat):
    plan = _submit(client, staff["lawyer"], flat)
    client.force_login(staff["lawyer"])
    client.post(reverse(f"{PLANS}:edit", args=[plan.pk]), _form(flat, costs="90000.00"))
    _decide(client, staff["manager"], plan, "approve")
    assert DisposalPlan.objects.get(pk=plan.pk).approved_at is None
    assert "提交后又被修改" in _messages(client, plan)
    # The lawyer cancels the review and submits again: it is approved as edited, then locked.
    client.force_login(staff["lawyer"])
    for action in ("action-cancel-workflow", "action-submit"):
        client.post(reverse(f"{PLANS}:edit", args=[plan.pk]), {**_form(flat, costs="90000.00"), action: "1"})
    _decide(client, staff["manager"], plan, "approve")
    plan = DisposalPlan.objects.get(pk=plan.pk)
    assert plan.approved_at is not None and plan.costs == Decimal("90000.00")
    client.force_login(staff["lawyer"])
    response = client.post(reverse(f"{PLANS}:edit", args=[plan.pk]), _form(flat, costs="1.00"))
    assert DisposalPlan.objects.get(pk=plan.pk).costs == Decimal("90000.00")
    assert response.status_code in (200, 302, 403)
    assert "不能再修改" in _messages(client, plan)


def _approve_from_the_form(client, user, plan, asset, **fields):
    """The approve button of the edit form: Wagtail saves the form, then takes the action."""
    client.force_login(user)
    return client.post(
        reverse(f"{PLANS}:edit", args=[plan.pk]),
        {
            **_form(asset, **fields),
            "action-workflow-action": "1",
            "workflow-action-name": "approve",
            "workflow-action-extra-data": json.dumps({"comment": "同意"}),
        },
    )


@pytest.mark.django_db
def test_approving_from_the_edit_form_approves_what_was_submitted(client, staff, flat):
    plan = _submit(client, staff["lawyer"], flat)
    _approve_from_the_form(client, staff["manager"], plan, flat)
    plan = DisposalPlan.objects.get(pk=plan.pk)
    assert plan.approved_by == staff["manager"] and plan.costs == Decimal("20000.00")


@pytest.mark.django_db
def test_an_approver_who_changes_the_plan_on_the_form_does_not_approve_it(client, staff, flat):
    plan = _submit(client, staff["lawyer"], flat)
    _approve_from_the_form(client, staff["manager"], plan, flat, costs="1.00")
    assert DisposalPlan.objects.get(pk=plan.pk).approved_at is None
