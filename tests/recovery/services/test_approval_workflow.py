"""The amount-routed approval workflow (recovery.services.approvals): the branch manager
approves, the head as well above the kind's limit; never the requester, never one person for
both steps; an edited request is not approved unseen; approved means locked; every step is in
the history; the mails go once, through Celery, in each reader's language. Run on the tests'
Request (tests.approvals_app), an ApprovalRequest like disposal plans and write-offs."""

from decimal import Decimal

import pytest
from wagtail.models import ModelLogEntry, TaskState, WorkflowState
from wagtail.signals import task_submitted, workflow_approved

from recovery.lib.approval_routing import approval_route, yuan
from recovery.models import ApprovalLimit, ApprovalNotice, Role
from recovery.selectors.approvals import approvals_pending_for
from recovery.services import RecoveryError
from recovery.services.approvals import (
    APPROVAL_LIMIT_UPDATED,
    APPROVAL_ROUTED,
    approval_limit_update,
    workflow_task_act,
)
from tests.approvals_app.models import Request


def _submit(case, maker, amount: str, title: str = "处置方案") -> Request:
    request = Request.objects.create(
        case=case, title=title, amount=Decimal(amount), requested_by=maker, live=False
    )
    request.save_revision(user=maker)
    request.get_workflow().start(request, maker)
    return Request.objects.get(pk=request.pk)


def _act(request: Request, user, action: str = "approve", comment: str = "") -> Request:
    workflow_task_act(instance=Request.objects.get(pk=request.pk), user=user, action=action, comment=comment)
    return Request.objects.get(pk=request.pk)


@pytest.fixture(autouse=True)
def _in_english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def case(make_case, staff):
    return make_case(assignee=staff["lawyer"])


@pytest.mark.parametrize(
    ("amount", "limit", "head_needed", "comparison"),
    [
        ("500000", "1000000", False, "¥500,000 ≤ ¥1,000,000"),
        ("1000000", "1000000", False, "¥1,000,000 ≤ ¥1,000,000"),
        ("1000000.01", "1000000", True, "¥1,000,000.01 > ¥1,000,000"),
        ("0", "0", False, "¥0 ≤ ¥0"),
    ],
)
def test_the_head_approves_only_above_the_limit(amount, limit, head_needed, comparison):
    route = approval_route(Decimal(amount), manager_limit=Decimal(limit))
    assert route.head_needed is head_needed
    assert route.comparison == comparison
    assert yuan(Decimal("1234.5")) == "¥1,234.50"


def test_under_the_limit_the_branch_manager_approves_and_the_heads_step_is_skipped_with_a_note(case, staff):
    request = _submit(case, staff["lawyer"], "500000.00")
    assert request.get_workflow() is not None
    approved = _act(request, staff["manager"], comment="同意")
    assert approved.live and approved.approved_by == staff["manager"]
    assert approved.approved_amount == Decimal("500000.00")
    assert approved.approval_reference.startswith("test_request-")
    state = WorkflowState.objects.get(object_id=str(request.pk))
    assert state.status == WorkflowState.STATUS_APPROVED
    statuses = list(state.task_states.order_by("id").values_list("task__amountapprovaltask__level", "status"))
    assert statuses == [("manager", TaskState.STATUS_APPROVED), ("head", TaskState.STATUS_SKIPPED)]
    entry = ModelLogEntry.objects.get(object_id=str(request.pk), action=APPROVAL_ROUTED)
    assert entry.data["comparison"] == "¥500,000 ≤ ¥1,000,000" and entry.data["head_needed"] is False
    assert entry.message == "Head approval not needed: ¥500,000 ≤ ¥1,000,000"


def test_over_the_limit_the_head_approves_after_the_manager(case, staff):
    request = _submit(case, staff["lawyer"], "1500000.00")
    request = _act(request, staff["manager"])
    assert not request.live and request.approved_at is None
    # The manager cannot take the head's step, nor can another branch's manager.
    for user in (staff["manager"], staff["other_manager"], staff["lawyer"]):
        with pytest.raises(RecoveryError):
            _act(request, user)
    approved = _act(request, staff["head"])
    assert approved.approved_by == staff["head"] and approved.live
    entry = ModelLogEntry.objects.get(object_id=str(request.pk), action=APPROVAL_ROUTED)
    assert entry.data["head_needed"] is True


def test_the_requester_never_approves_their_own_request_even_in_the_approving_group(case, staff, make_user):
    # A manager who prepares the request; the head is the only other approver here.
    request = _submit(case, staff["manager"], "10000.00")
    with pytest.raises(RecoveryError, match="requester"):
        _act(request, staff["manager"])
    assert approvals_pending_for(user=staff["manager"]) == []
    head_requested = _submit(case, staff["head"], "2000000.00", title="核销")
    approved_by_manager = _act(head_requested, staff["manager"])
    with pytest.raises(RecoveryError):
        _act(approved_by_manager, staff["head"])


def test_one_person_never_approves_both_steps(case, staff, make_user):
    request = _submit(case, staff["lawyer"], "2000000.00")
    # The head took the manager's step (a branch without a manager): another head takes the next.
    request = _act(request, staff["head"])
    with pytest.raises(RecoveryError):
        _act(request, staff["head"])
    second_head = make_user("second_head", Role.HEAD, None)
    assert _act(request, second_head).live


def test_other_branches_and_lawyers_cannot_decide_and_nothing_awaits_them(case, staff):
    request = _submit(case, staff["lawyer"], "10000.00")
    for user in (staff["other_manager"], staff["other_lawyer"], staff["auditor"]):
        with pytest.raises(RecoveryError):
            _act(request, user)
        assert approvals_pending_for(user=user) == []
    pending = approvals_pending_for(user=staff["manager"])
    assert [row.instance.pk for row in pending] == [request.pk]
    assert pending[0].amount == Decimal("10000.00") and pending[0].age_days == 0


def test_asking_for_changes_sends_it_back_and_a_resubmission_returns_to_the_same_step(case, staff):
    request = _submit(case, staff["lawyer"], "10000.00")
    with pytest.raises(RecoveryError, match="comment"):
        _act(request, staff["manager"], "request_changes", comment=" ")
    request = _act(request, staff["manager"], "request_changes", comment="补充评估报告")
    state = WorkflowState.objects.get(object_id=str(request.pk))
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    request.amount = Decimal("12000.00")
    request.save_revision(user=staff["lawyer"])
    state.resume(staff["lawyer"])
    approved = _act(request, staff["manager"])
    assert approved.approved_amount == Decimal("12000.00")


def test_a_rejection_ends_the_review_and_a_new_submission_starts_over(case, staff):
    request = _submit(case, staff["lawyer"], "10000.00")
    request = _act(request, staff["manager"], "reject", comment="不符合处置条件")
    state = WorkflowState.objects.filter(object_id=str(request.pk)).get()
    assert state.status == WorkflowState.STATUS_CANCELLED
    assert request.current_workflow_state is None
    request.get_workflow().start(request, staff["lawyer"])
    assert _act(request, staff["manager"]).live


def test_a_request_edited_after_it_was_submitted_is_not_approved_unseen(case, staff):
    request = _submit(case, staff["lawyer"], "10000.00")
    request.amount = Decimal("900000.00")
    request.save_revision(user=staff["lawyer"])
    with pytest.raises(RecoveryError, match="edited after it was submitted"):
        _act(request, staff["manager"])
    stored = Request.objects.get(pk=request.pk)
    assert stored.approved_at is None and not stored.live
    assert stored.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS


def test_a_refusal_of_the_approval_service_leaves_the_step_undecided(case, staff):
    request = _submit(case, staff["lawyer"], "13.00")
    with pytest.raises(RecoveryError, match="refused"):
        _act(request, staff["manager"])
    stored = Request.objects.get(pk=request.pk)
    assert stored.approved_at is None
    assert stored.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS


def test_an_approved_request_is_locked_for_everyone(case, staff):
    approved = _act(_submit(case, staff["lawyer"], "10000.00"), staff["manager"])
    lock = approved.get_lock()
    assert lock is not None
    for user in (staff["lawyer"], staff["manager"], staff["head"]):
        assert lock.for_user(user)
    assert approved.approval_reference in lock.get_message(staff["lawyer"])


def test_the_second_of_two_simultaneous_decisions_is_told_it_was_decided(case, staff):
    request = _submit(case, staff["lawyer"], "10000.00")
    stale_state = request.current_workflow_task_state
    task = stale_state.task.specific
    task.on_action(stale_state.specific, staff["manager"], "approve", comment="")
    with pytest.raises(RecoveryError, match="already decided"):
        task.on_action(stale_state.specific, staff["head"], "approve", comment="")


def test_limits_are_changed_by_the_head_only_and_audited(case, staff):
    limit = ApprovalLimit.objects.get(kind="test_request")
    assert limit.manager_limit == Decimal("1000000.00")
    with pytest.raises(RecoveryError):
        approval_limit_update(limit=limit, manager_limit=Decimal("5"), user=staff["manager"])
    approval_limit_update(limit=limit, manager_limit=Decimal("5000.00"), user=staff["head"])
    entry = ModelLogEntry.objects.get(action=APPROVAL_LIMIT_UPDATED)
    assert entry.data["changes"]["manager_limit"] == ["1000000.00", "5000.00"]
    # Now 10,000 needs the head.
    request = _act(_submit(case, staff["lawyer"], "10000.00"), staff["manager"])
    assert request.approved_at is None


def test_wagtails_own_workflow_mails_are_not_connected():
    from recovery.services import approval_notices

    for signal, ours in (
        (task_submitted, approval_notices.on_task_submitted),
        (workflow_approved, approval_notices.on_workflow_approved),
    ):
        receivers = [ref() for _key, ref, *_rest in signal.receivers]
        assert ours in receivers
        assert not any(type(receiver).__module__ == "wagtail.admin.mail" for receiver in receivers)


def test_approvers_and_the_requester_are_mailed_once_in_their_language(
    case, staff, smtp_sink, django_capture_on_commit_callbacks
):
    from wagtail.users.models import UserProfile

    UserProfile.get_for_user(staff["lawyer"]).__class__.objects.filter(user=staff["lawyer"]).update(
        preferred_language="en"
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = _submit(case, staff["lawyer"], "10000.00", title="房产拍卖")
    # The branch's manager only (the head is not bothered with a manager's step).
    assert [message["To"] for message in smtp_sink.messages] == ["manager@example.com"]
    assert "待您审批" in smtp_sink.messages[0]["Subject"] and "¥10,000" in smtp_sink.messages[0]["Subject"]
    with django_capture_on_commit_callbacks(execute=True):
        _act(request, staff["manager"], comment="同意")
    assert [message["To"] for message in smtp_sink.messages][1:] == ["lawyer@example.com"]
    assert str(smtp_sink.messages[1]["Subject"]).strip().startswith("Approved:")
    # Sent once: the notices are marked, a second delivery sends nothing.
    from recovery.services.approval_notices import approval_notice_send

    assert all(notice.sent_at for notice in ApprovalNotice.objects.all())
    assert not any(approval_notice_send(notice_id=notice.pk) for notice in ApprovalNotice.objects.all())
    assert len(smtp_sink.messages) == 2


def test_the_command_decides_with_the_same_checks_as_the_admin(case, staff):
    from django.core.management import CommandError, call_command

    request = _submit(case, staff["lawyer"], "10000.00")
    with pytest.raises(CommandError, match="requester") as refused:
        call_command("approval_decide", "test_request", str(request.pk), user="lawyer", action="approve")
    assert refused.value.returncode == 2
    assert Request.objects.get(pk=request.pk).approved_at is None
    with pytest.raises(CommandError, match="No test_request"):
        call_command("approval_decide", "test_request", "999999", user="manager", action="approve")
    call_command("approval_decide", "test_request", str(request.pk), user="manager", action="approve")
    assert Request.objects.get(pk=request.pk).approved_by == staff["manager"]


def test_listings_read_where_each_request_stands_in_one_query(case, staff, django_assert_num_queries):
    from recovery.selectors.approvals import ReviewStatus, with_review_status

    draft = Request.objects.create(case=case, title="草稿", amount=Decimal("1.00"), live=False)
    with_manager = _submit(case, staff["lawyer"], "10.00", title="待主管")
    with_head = _act(_submit(case, staff["lawyer"], "2000000.00", title="待负责人"), staff["manager"])
    sent_back = _act(
        _submit(case, staff["lawyer"], "10.00", title="退回"), staff["manager"], "request_changes", "补"
    )
    approved = _act(_submit(case, staff["lawyer"], "10.00", title="已批"), staff["manager"])
    with django_assert_num_queries(1):  # the content type is cached
        statuses = dict(with_review_status(Request.objects.all()).values_list("pk", "review_status"))
    assert statuses == {
        draft.pk: ReviewStatus.DRAFT,
        with_manager.pk: ReviewStatus.WITH_MANAGER,
        with_head.pk: ReviewStatus.WITH_HEAD,
        sent_back.pk: ReviewStatus.CHANGES_REQUESTED,
        approved.pk: ReviewStatus.APPROVED,
    }


def test_a_managers_step_awaits_the_head_only_where_the_branch_has_no_manager(case, make_case, staff):
    in_shanghai = _submit(case, staff["lawyer"], "10.00")
    assert approvals_pending_for(user=staff["head"]) == []
    type(staff["manager"]).objects.filter(pk=staff["manager"].pk).update(is_active=False)
    assert [row.instance.pk for row in approvals_pending_for(user=staff["head"])] == [in_shanghai.pk]


def test_no_role_holds_a_publish_permission_that_would_bypass_the_review(staff):
    from django.contrib.auth.models import Permission

    from recovery.services.staff import ROLE_GROUP_NAMES

    held = Permission.objects.filter(
        group__name__in=ROLE_GROUP_NAMES.values(), codename__startswith="publish_"
    ).values_list("codename", flat=True)
    assert list(held) == []
    for role in ("lawyer", "manager", "head"):
        assert not staff[role].has_perm("assets.publish_disposalplan")
        assert not staff[role].has_perm("litigation.publish_writeoff")


def test_a_step_decided_before_its_mail_went_is_not_announced(
    case, staff, smtp_sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = _submit(case, staff["lawyer"], "10.00")
        _act(request, staff["manager"], comment="同意")
    subjects = [str(message["Subject"]).strip() for message in smtp_sink.messages]
    assert len(subjects) == 1 and subjects[0].startswith("已批准")
    assert ApprovalNotice.objects.filter(event="submitted", last_error="already decided").count() == 1
