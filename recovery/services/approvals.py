"""Approvals of workflow-managed snippets (disposal plans and write-offs come next).

Wagtail finishes an approved workflow by publishing the latest revision itself: an approved
write-off would then change no deadline and write no domain audit entry. Instead, the setting
`WAGTAIL_FINISH_WORKFLOW_ACTION` points at `workflow_finish`, which hands the approved revision
to the approval service its model names:

    class DisposalPlan(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
        approval_service = "<app>.services.disposal_plan_approve"

    @transaction.atomic
    def disposal_plan_approve(*, plan: DisposalPlan, revision: Revision, user: Any) -> None:
        ...check, refuse with RecoveryError...
        approved_revision_publish(revision=revision, user=user)
        ...its own writes, audited under its own action code...

The service gets the object as the revision under review has it (`revision.as_object()`, never
the live row: the amounts a reviewer approved are the revision's) as the keyword named by the
model (`approval_object_keyword`, default the model's name in snake case), the revision and
the approver. Publishing is the service's to do, through `approved_revision_publish`, which
skips the model's publish permission: makers hold none, so no "Publish" button bypasses review.

A refusal must undo the approval of the task as well (Wagtail has saved it by the time the
workflow finishes). Wagtail 8 runs `Task.on_action` in a transaction, and our callers hold their
own so the guarantee does not rest on that detail: `workflow_task_act` from code, and
`recovery.admin.approvals` in the admin, where the refusal becomes the reviewer's message.
Wagtail's notification mails are sent inside that transaction (before the finish), so a
refused approval has already mailed "approved": moving them onto our mail machinery after
commit is for the issue that brings the first real approval (workflows.md).

Imported while Wagtail's models load (the setting is read then): nothing here imports a model
at module level."""

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recovery.lib.approval_routing import ApprovalRoute, approval_route
from recovery.lib.audit import AuditKind, audit_action, audit_change, case_id_of, snapshot
from recovery.registry import approval_kind as registry_approval_kind
from recovery.registry import approval_kinds as registry_approval_kinds
from recovery.services import RecoveryError

APPROVAL_SERVICE_ATTRIBUTE = "approval_service"
WAGTAIL_FINISH_ACTION = "wagtail.workflows.publish_workflow_state"


def approval_service_of(model: type) -> Callable[..., Any] | None:
    """The approval service `model` names, or None when it names none."""
    path = getattr(model, APPROVAL_SERVICE_ATTRIBUTE, None)
    return import_string(path) if path else None


def approval_object_keyword(model: type) -> str:
    """The keyword the approval service receives the object as: `approval_object_keyword` on
    the model, else its name in snake case (DisposalPlan → disposal_plan)."""
    declared = getattr(model, "approval_object_keyword", None)
    if declared:
        return declared
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def approval_workflow(kind: str) -> Any:
    """The workflow requests of approval kind `kind` go through (kept by recovery for each kind
    registered, `approval_workflows_sync`); None before the first migrate has created it."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import WorkflowContentType

    model = apps.get_model(registry_approval_kind(kind).model)
    assigned = (
        WorkflowContentType.objects.filter(
            content_type=ContentType.objects.get_for_model(model), workflow__active=True
        )
        .select_related("workflow")
        .first()
    )
    return assigned.workflow if assigned else None


def approved_revision_publish(*, revision: Any, user: Any) -> None:
    """Publish `revision` as approved by `user`: only an approval service calls this, after its
    checks, so the model's publish permission (which makers must not hold) is not asked for."""
    revision.publish(user=user, skip_permission_checks=True)


APPROVAL_REQUEST_APPROVED = audit_action(
    "recovery.approval.approved",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Approve a request"),
    past_label=gettext_lazy("Request approved"),
)


def approval_reference_of(instance: Any) -> str:
    """The reference an approved request is known by in the books: kind, year, number
    ("disposal_plan-2026-000042")."""
    return f"{instance.approval_kind}-{timezone.localdate().year}-{instance.pk:06d}"


def approval_mark_approved(*, instance: Any, user: Any) -> str:
    """Called by an approval service after `approved_revision_publish`: the request is approved
    (and from now on locked against edits) by `user`; returns its approval reference. Runs in
    the approval service's transaction."""
    model = type(instance)
    live = model.objects.select_for_update().get(pk=instance.pk)
    if live.approved_at is not None:
        raise RecoveryError(_("This request was approved already."))
    before = snapshot(live)
    live.approved_at = timezone.now()
    live.approved_by = user
    live.approval_reference = approval_reference_of(live)
    model.objects.filter(pk=live.pk).update(
        approved_at=live.approved_at, approved_by=user, approval_reference=live.approval_reference
    )
    audit_change(live, user=user, before=before, source="approval", action=APPROVAL_REQUEST_APPROVED)
    return live.approval_reference


def workflow_finish(workflow_state: Any, user: Any = None) -> None:
    """WAGTAIL_FINISH_WORKFLOW_ACTION: the approved revision goes to its model's approval
    service. Models that name none (Wagtail's pages; this project has no page workflow) are
    published as Wagtail would; every workflow-managed snippet must name one (a system check
    says so: check_approval_services)."""
    instance = workflow_state.content_object
    revision = instance.get_latest_revision()
    service = approval_service_of(type(instance))
    if service is None:
        import_string(WAGTAIL_FINISH_ACTION)(workflow_state, user=user)
        return
    service(**{approval_object_keyword(type(instance)): revision.as_object()}, revision=revision, user=user)


@transaction.atomic
def workflow_task_act(*, instance: Any, user: Any, action: str, **data: Any) -> None:
    """Take `action` ("approve", "reject", …) on the task `instance` awaits, as `user`, in one
    transaction: a refusal by the approval service (RecoveryError) leaves the task, the
    workflow and the object as they were. Wagtail's `Task.on_action` checks nothing, so this
    checks that the action is one the task offers `user` (code paths outside the admin views:
    a task, an API)."""
    task_state = instance.current_workflow_task_state
    if task_state is None:
        raise RecoveryError(_("This record is not awaiting review."))
    task = task_state.task.specific
    offered = {name for name, _label, _modal in task.get_actions(instance, user)}
    if action not in offered:
        raise RecoveryError(
            _(
                "You may not take this action on this review: a request is never decided by its "
                "requester, nor by anyone outside its approvers."
            )
        )
    task.on_action(task_state.specific, user, action, **data)


# --- the amount-routed approval task -----------------------------------------------------

APPROVAL_ROUTED = "recovery.approval.routed"  # its message is formatted by recovery.admin.approvals
APPROVAL_LIMIT_UPDATED = audit_action(
    "recovery.approval_limit.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Change an approval limit"),
    past_label=gettext_lazy("Approval limit changed"),
)
# What an approver may do: approve; ask for changes (back to the maker, who resubmits to the
# same step); reject (back to the maker, the request's review ends and starts over).
APPROVE, REQUEST_CHANGES, REJECT = "approve", "request_changes", "reject"


def approval_limit_of(kind: str) -> Decimal:
    """The amount up to which the branch manager's approval suffices for `kind`."""
    from recovery.models import ApprovalLimit

    row = ApprovalLimit.objects.filter(kind=kind).values_list("manager_limit", flat=True).first()
    return row if row is not None else registry_approval_kind(kind).default_limit


def approval_route_of(instance: Any) -> ApprovalRoute:
    return approval_route(instance.approval_amount(), manager_limit=approval_limit_of(instance.approval_kind))


def _under_review(workflow_state: Any) -> tuple[Any, Any]:
    """The request as the revision under review has it, and that revision."""
    revision = workflow_state.content_object.get_latest_revision()
    return revision.as_object(), revision


def approval_task_start(*, task: Any, workflow_state: Any, user: Any) -> Any:
    """Start `task` on the request: the head's step is skipped at or under the kind's limit. The
    routing decision is written into the request's history either way (Wagtail logs no skip)."""
    from wagtail.models import Task, TaskState

    from recovery.models import ApprovalLevel

    request, revision = _under_review(workflow_state)
    route = approval_route_of(request)
    if task.level == ApprovalLevel.HEAD:
        _log_route(workflow_state.content_object, route=route, revision=revision, user=user)
        if not route.head_needed:
            task_state = TaskState(
                workflow_state=workflow_state,
                status=TaskState.STATUS_SKIPPED,
                revision=revision,
                task=task,
                finished_at=timezone.now(),
            )
            task_state.save()
            return task_state
    return Task.start(task, workflow_state, user=user)


def _log_route(instance: Any, *, route: ApprovalRoute, revision: Any, user: Any) -> None:
    from wagtail.log_actions import log

    log(
        instance,
        APPROVAL_ROUTED,
        user=user if getattr(user, "is_authenticated", False) else None,
        revision=revision,
        data={
            "case": case_id_of(instance),
            "head_needed": route.head_needed,
            "amount": str(route.amount),
            "limit": str(route.manager_limit),
            "comparison": route.comparison,
        },
    )


def _not_approvers(task_state: Any, instance: Any) -> set[int]:
    """Who may not approve this step: the requester (also when in the approving group), whoever
    wrote the revision under review, and whoever approved an earlier step of the same review
    (two steps are two people)."""
    from wagtail.models import TaskState

    workflow_state = task_state.workflow_state
    excluded = {workflow_state.requested_by_id, getattr(instance, "requested_by_id", None)}
    excluded.add(task_state.revision.user_id if task_state.revision_id else None)
    excluded.update(
        TaskState.objects.filter(workflow_state=workflow_state, status=TaskState.STATUS_APPROVED)
        .exclude(pk=task_state.pk)
        .values_list("finished_by_id", flat=True)
    )
    excluded.discard(None)
    return excluded


def approver_may_act(*, user: Any, task: Any, task_state: Any, instance: Any) -> bool:
    """`user` may decide `task_state`: the head (any step), or the manager of the request's
    case's branch (the manager's step), and never one of `_not_approvers`."""
    from recovery.models import ApprovalLevel, Role
    from recovery.selectors.access import role_of

    role = role_of(user)
    if role not in (Role.MANAGER, Role.HEAD) or user.pk in _not_approvers(task_state, instance):
        return False
    if role == Role.HEAD:
        return True
    branch_id = getattr(getattr(user, "staff_profile", None), "branch_id", None)
    case = instance.approval_case()
    return task.level == ApprovalLevel.MANAGER and branch_id is not None and case.branch_id == branch_id


def approval_actions(*, task: Any, instance: Any, user: Any) -> list[tuple[str, Any, bool]]:
    task_state = instance.current_workflow_task_state
    if task_state is None or task_state.task_id != task.pk:
        return []
    if not approver_may_act(user=user, task=task, task_state=task_state, instance=instance):
        return []
    return [
        (APPROVE, gettext_lazy("Approve"), True),
        (REQUEST_CHANGES, gettext_lazy("Ask for changes"), True),
        (REJECT, gettext_lazy("Reject"), True),
    ]


def approval_task_act(
    *, task: Any, task_state: Any, user: Any, action: str, comment: str = "", **_ignored: Any
) -> None:
    """Decide the step, as `user`: the same checks whether from the admin, a command or a task.
    Two approvers deciding at once: the step's row is locked, the second is told it is decided."""
    from wagtail.models import TaskState

    with transaction.atomic():
        current = TaskState.objects.select_for_update().get(pk=task_state.pk)
        if current.status != TaskState.STATUS_IN_PROGRESS:
            raise RecoveryError(_("This step was already decided by someone else."))
        current = current.specific
        instance = current.workflow_state.content_object
        if action not in {
            name for name, _label, _form in approval_actions(task=task, instance=instance, user=user)
        }:
            raise RecoveryError(
                _(
                    "You may not decide this request: a request is never approved by its requester, "
                    "and each step by its own approver."
                )
            )
        if action in (REQUEST_CHANGES, REJECT) and not comment.strip():
            raise RecoveryError(_("Say why in the comment."), field="comment")
        if action == APPROVE:
            latest = instance.get_latest_revision()
            if latest is not None and not _same_request(latest, current.revision):
                raise RecoveryError(
                    _(
                        "The request was edited after it was submitted: what you reviewed is not what would "
                        "be approved. Ask for changes, or let the requester cancel the review and submit it "
                        "again."
                    )
                )
            current.approve(user=user, comment=comment)
            return
        current.reject(user=user, comment=comment)
        workflow_state = current.workflow_state
        if action == REJECT:
            workflow_state.refresh_from_db()
            workflow_state.cancel(user=user)
        _tell_requester(current, rejected=action == REJECT)


def _same_request(latest: Any, reviewed: Any) -> bool:
    """Whether the latest revision holds what was reviewed. Approving from the edit form saves
    the form once more (Wagtail's own step) as a revision of the approver's: that is no edit
    unless a field the maker fills in changed."""
    if reviewed is None or latest.pk == reviewed.pk:
        return True
    return _editable_values(latest.as_object()) == _editable_values(reviewed.as_object())


def _editable_values(instance: Any) -> dict[str, Any]:
    return {
        field.attname: field.value_from_object(instance)
        for field in instance._meta.concrete_fields
        if field.editable and not field.primary_key
    }


def _tell_requester(task_state: Any, *, rejected: bool) -> None:
    from recovery.models import NoticeEvent
    from recovery.services.approval_notices import approval_notices_record

    requester_id = task_state.workflow_state.requested_by_id
    if requester_id is not None:
        event = NoticeEvent.REJECTED if rejected else NoticeEvent.CHANGES_REQUESTED
        approval_notices_record(task_state=task_state, event=event, recipient_ids=[requester_id])


@transaction.atomic
def approval_limit_update(*, limit: Any, manager_limit: Decimal, user: Any) -> Any:
    """The head changes a kind's limit (audited, old → new)."""
    from recovery.models import ApprovalLimit, Role
    from recovery.selectors.access import role_of

    if role_of(user) != Role.HEAD:
        raise RecoveryError(_("Only the head of recovery changes approval limits."))
    if manager_limit is None or manager_limit < 0:
        raise RecoveryError(_("A limit is an amount of zero or more."), field="manager_limit")
    locked = ApprovalLimit.objects.select_for_update().get(pk=limit.pk)
    before = snapshot(locked)
    locked.manager_limit = manager_limit
    locked.save(update_fields=["manager_limit", "updated_at"])
    audit_change(locked, user=user, before=before, source="settings", action=APPROVAL_LIMIT_UPDATED)
    return locked


def approval_workflows_sync(**_kwargs: Any) -> None:
    """After every migrate: each registered approval kind has its limit row and its workflow
    (the manager's step, then the head's), assigned to its model (idempotent)."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Workflow, WorkflowContentType, WorkflowTask

    from recovery.models import AmountApprovalTask, ApprovalLevel, ApprovalLimit

    # A flush (transactional tests) recreates the content types under new ids: the cache of the
    # old ones would point the new tasks at rows that no longer exist.
    ContentType.objects.clear_cache()
    for spec in registry_approval_kinds():
        ApprovalLimit.objects.get_or_create(kind=spec.value, defaults={"manager_limit": spec.default_limit})
        model = apps.get_model(spec.model)
        content_type = ContentType.objects.get_for_model(model)
        if WorkflowContentType.objects.filter(content_type=content_type).exists():
            continue
        # Workflow and task names are data, shown as stored: written in the site's language.
        with translation.override(settings.LANGUAGE_CODE):
            name = _("%(kind)s approval") % {"kind": spec.label}
            task_names = {
                level: _("%(kind)s: %(level)s") % {"kind": spec.label, "level": level.label}
                for level in ApprovalLevel
            }
        workflow = Workflow.objects.create(name=name)
        for order, level in enumerate((ApprovalLevel.MANAGER, ApprovalLevel.HEAD)):
            task = AmountApprovalTask.objects.create(name=task_names[level], level=level)
            WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=order)
        WorkflowContentType.objects.create(workflow=workflow, content_type=content_type)


# Registered on import: Wagtail imports this module for the setting while models load, so the
# check runs wherever the hook is in force.
@checks.register(checks.Tags.models)
def check_approval_services(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every workflow-managed snippet names an approval service that can be imported."""
    from django.apps import apps
    from wagtail.models import Page, WorkflowMixin

    models = (
        [model for config in app_configs for model in config.get_models()]
        if app_configs
        else apps.get_models()
    )
    errors: list[checks.CheckMessage] = []
    for model in models:
        if not issubclass(model, WorkflowMixin) or issubclass(model, Page):
            continue
        path = getattr(model, APPROVAL_SERVICE_ATTRIBUTE, None)
        if not path:
            errors.append(
                checks.Error(
                    f"{model._meta.label} is managed by workflows but names no approval service.",
                    hint=f'Declare {APPROVAL_SERVICE_ATTRIBUTE} = "<app>.services.<noun>_approve".',
                    obj=model,
                    id="recovery.E001",
                )
            )
            continue
        try:
            import_string(path)
        except ImportError as error:
            errors.append(
                checks.Error(
                    f"{model._meta.label}.{APPROVAL_SERVICE_ATTRIBUTE} cannot be imported: {error}",
                    obj=model,
                    id="recovery.E002",
                )
            )
    return errors
