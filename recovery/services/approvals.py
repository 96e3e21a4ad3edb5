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
from typing import Any

from django.core import checks
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recovery.lib.audit import AuditKind, audit_action, audit_change, snapshot
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
    from wagtail.models import Workflow

    return Workflow.objects.filter(name=approval_workflow_name(kind), active=True).first()


def approval_workflow_name(kind: str) -> str:
    return f"recovery:{kind}"


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
        raise RecoveryError(_("You may not take this action on this review."))
    task.on_action(task_state.specific, user, action, **data)


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
