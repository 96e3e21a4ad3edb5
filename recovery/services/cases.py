"""Cases: opening, editing, reassigning and moving them through their stages; the parties, loans
and instalments of the docket; and the audited writes (`record_create`, `record_update`,
`record_delete`) every named service of every app builds on."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recovery.checks.identity import normalize_id_number
from recovery.lib.audit import (
    CHANGE,
    CREATE,
    DELETE,
    AuditKind,
    audit_action,
    audit_change,
    audit_create,
    audit_delete,
    audit_note,
    case_id_of,
    snapshot,
)
from recovery.models import (
    CASE_STAGE_ORDER,
    Branch,
    Case,
    CaseStatus,
    DefaultCause,
    Instalment,
    Loan,
    Party,
    Role,
)
from recovery.services import RecoveryError

CASE_OPENED = audit_action(
    "recovery.case.opened",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Open a case"),
    past_label=gettext_lazy("Case opened"),
)
CASE_UPDATED = audit_action(
    "recovery.case.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a case"),
    past_label=gettext_lazy("Case edited"),
)
CASE_REASSIGNED = audit_action(
    "recovery.case.reassigned",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Reassign a case"),
    past_label=gettext_lazy("Case reassigned"),
)
CASE_DELETED = audit_action(
    "recovery.case.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a case"),
    past_label=gettext_lazy("Case deleted"),
)
PARTY_ADDED = audit_action(
    "recovery.party.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Add a party"),
    past_label=gettext_lazy("Party added"),
)
PARTY_UPDATED = audit_action(
    "recovery.party.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a party"),
    past_label=gettext_lazy("Party edited"),
)
PARTY_DELETED = audit_action(
    "recovery.party.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a party"),
    past_label=gettext_lazy("Party deleted"),
)
LOAN_RECORDED = audit_action(
    "recovery.loan.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record a loan"),
    past_label=gettext_lazy("Loan recorded"),
)
LOAN_UPDATED = audit_action(
    "recovery.loan.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a loan"),
    past_label=gettext_lazy("Loan edited"),
)
LOAN_DELETED = audit_action(
    "recovery.loan.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a loan"),
    past_label=gettext_lazy("Loan deleted"),
)
INSTALMENT_RECORDED = audit_action(
    "recovery.instalment.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record an instalment"),
    past_label=gettext_lazy("Instalment recorded"),
)
INSTALMENT_UPDATED = audit_action(
    "recovery.instalment.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit an instalment"),
    past_label=gettext_lazy("Instalment edited"),
)
INSTALMENT_DELETED = audit_action(
    "recovery.instalment.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete an instalment"),
    past_label=gettext_lazy("Instalment deleted"),
)
BRANCH_ADDED = audit_action(
    "recovery.branch.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Add a branch"),
    past_label=gettext_lazy("Branch added"),
)
BRANCH_UPDATED = audit_action(
    "recovery.branch.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Rename a branch"),
    past_label=gettext_lazy("Branch renamed"),
)
BRANCH_DELETED = audit_action(
    "recovery.branch.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a branch"),
    past_label=gettext_lazy("Branch deleted"),
)
DEFAULT_CAUSE_ADDED = audit_action(
    "recovery.default_cause.added",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Add a default cause"),
    past_label=gettext_lazy("Default cause added"),
)
DEFAULT_CAUSE_UPDATED = audit_action(
    "recovery.default_cause.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a default cause"),
    past_label=gettext_lazy("Default cause edited"),
)
DEFAULT_CAUSE_DELETED = audit_action(
    "recovery.default_cause.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a default cause"),
    past_label=gettext_lazy("Default cause deleted"),
)

# Services of other apps (e.g. the deadline engine) register here to hear that a case's facts
# changed; recovery calls them inside the same transaction, so they stay consistent.
_case_fact_listeners: list[Callable[..., None]] = []


def register_case_fact_listener(listener: Callable[..., None]) -> None:
    if listener not in _case_fact_listeners:
        _case_fact_listeners.append(listener)


def case_facts_changed(*, case_ids: set[int], user: Any = None) -> None:
    """Tell every listener that the facts of these cases changed (deadlines recompute)."""
    if not case_ids:
        return
    for listener in _case_fact_listeners:
        listener(case_ids=case_ids, user=user)


def _case_ids(instance: models.Model) -> set[int]:
    case_id = case_id_of(instance)
    return {case_id} if case_id else set()


def today() -> date:
    return timezone.localdate()


def _out_of_scope(field_name: str) -> RecoveryError:
    # The same message whether the record exists or not: a refusal must not confirm an id.
    return RecoveryError(
        _("Select a valid choice: this one is not among the records you may use."), field=field_name
    )


def record_case_id(instance: models.Model) -> int | None:
    """The case `instance` belongs to, read along its case path (None when it has none)."""
    from recovery.selectors.access import anchor_of, case_id_through

    model = type(instance)
    if model._meta.label == "recovery.Case":
        return instance.pk
    anchor = anchor_of(model)
    if anchor is None:
        return None
    return case_id_through(model, anchor, getattr(instance, model._meta.get_field(anchor).attname))


def record_scope_check(*, instance: models.Model, user: Any, m2m: dict | None = None) -> None:
    """Refuse a write that reaches outside the user's scope, even when no form stood in the way:
    the stored record must be one the user may change, and every foreign key and many-to-many
    value that the write sets (new or changed) must be one the user may choose, on the record's
    own case where the choice depends on it. Writes without a user (import, demo, commands)
    are the system's own and are not scoped."""
    from recovery.selectors.access import allowed_choices, cases_editable_by, parties_in_scope

    if user is None:
        return
    model = type(instance)
    stored = model.objects.filter(pk=instance.pk).first() if instance.pk else None
    if stored is not None:
        if model._meta.label == "recovery.Party":
            editable = parties_in_scope(user, write=True).filter(pk=stored.pk).exists()
        else:
            case_id = record_case_id(stored)
            editable = case_id is None or cases_editable_by(user).filter(pk=case_id).exists()
        if not editable:
            raise RecoveryError(_("You may not change this record."))
    case_id = record_case_id(instance)
    # A record moved to another case keeps no choice of its old one: an unchanged addressee,
    # loan or lawsuit must then be one of the new case's too.
    moved = stored is not None and record_case_id(stored) != case_id
    for field in model._meta.concrete_fields:
        if not (field.many_to_one or field.one_to_one) or field.related_model is None:
            continue
        value = getattr(instance, field.attname)
        if value is None or (stored is not None and not moved and getattr(stored, field.attname) == value):
            continue
        allowed = allowed_choices(model, field.name, user, case_id=case_id)
        if allowed is not None and not allowed.filter(pk=value).exists():
            raise _out_of_scope(field.name)
    for name, values in (m2m or {}).items():
        old = set(getattr(stored, name).values_list("pk", flat=True)) if stored is not None else set()
        added = {getattr(value, "pk", value) for value in values} - old
        allowed = allowed_choices(model, name, user, case_id=case_id) if added else None
        if allowed is not None and allowed.filter(pk__in=added).count() != len(added):
            raise _out_of_scope(name)


@transaction.atomic
def record_create(
    *, instance: models.Model, user: Any, source: str = "", m2m: dict | None = None, action: str = CREATE
) -> models.Model:
    """Validate and insert `instance`, audit it under `action` (the calling service's domain
    code), and tell listeners its case changed."""
    record_scope_check(instance=instance, user=user, m2m=m2m)
    instance.full_clean()
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    audit_create(instance, user=user, source=source, action=action)
    case_facts_changed(case_ids=_case_ids(instance), user=user)
    return instance


@transaction.atomic
def record_update(
    *,
    instance: models.Model,
    user: Any,
    before: dict[str, Any] | None = None,
    source: str = "",
    m2m: dict | None = None,
    action: str = CHANGE,
) -> dict:
    """Validate and save an edited `instance`; audit old → new against `before` (a snapshot of
    the stored row, taken before the edit was applied) under `action`. Returns the changes."""
    record_scope_check(instance=instance, user=user, m2m=m2m)
    if before is None:
        before = snapshot(type(instance).objects.get(pk=instance.pk))
    instance.full_clean()
    instance.save()
    changes = audit_change(instance, user=user, before=before, source=source, action=action)
    for name, values in (m2m or {}).items():
        manager = getattr(instance, name)
        old = sorted(str(v) for v in manager.all())
        manager.set(values)
        new = sorted(str(v) for v in manager.all())
        if old != new:
            audit_note(instance, user=user, action=action, data={"changes": {name: [old, new]}})
            changes[name] = [old, new]
    if changes:
        case_facts_changed(case_ids=_case_ids(instance), user=user)
    return changes


@transaction.atomic
def record_delete(*, instance: models.Model, user: Any, source: str = "", action: str = DELETE) -> None:
    """Audit and delete `instance`; a record others still refer to is refused, not deleted."""
    case_id = case_id_of(instance)
    audit_delete(instance, user=user, source=source, action=action)
    try:
        instance.delete()
    except models.ProtectedError as exc:
        raise RecoveryError(
            f"{instance} is still referenced by {len(exc.protected_objects)} record(s) and cannot be deleted."
        ) from exc
    if case_id and not isinstance(instance, Case):
        case_facts_changed(case_ids={case_id}, user=user)


def case_numbers_next(year: int, count: int = 1) -> list[str]:
    """The next `count` case numbers of `year` (RD{year}{6 digits}); the latest number of the
    year is locked, so concurrent openings queue rather than collide."""
    prefix = f"RD{year}"
    last = (
        Case.objects.select_for_update()
        .filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    start = int(last[len(prefix) :]) + 1 if last else 1
    return [f"{prefix}{sequence:06d}" for sequence in range(start, start + count)]


def _next_case_number(opened_on: date) -> str:
    return case_numbers_next(opened_on.year)[0]


@transaction.atomic
def case_open(*, case: Case, user: Any, source: str = "", shared_with: list | None = None) -> Case:
    """Open a new case: give it the next number of its year and audit it. A lawyer opens cases
    in their own branch, assigned to themself; a manager in their own branch, for its staff;
    only the head of recovery anywhere, for anyone."""
    from recovery.selectors.access import role_of

    if user is not None and role_of(user) == Role.LAWYER and case.assignee_id is None:
        case.assignee = user
    _check_case_assignment(case=case, stored=None, user=user)
    if case.opened_on is None:
        case.opened_on = today()
    case.number = _next_case_number(case.opened_on)
    return record_create(
        instance=case, user=user, source=source, m2m={"shared_with": shared_with or []}, action=CASE_OPENED
    )


# Fields of a case that only a manager or the head of recovery may change.
CASE_ASSIGNMENT_FIELDS = ("assignee", "branch")


def _check_case_assignment(*, case: Case, stored: Case | None, user: Any) -> None:
    """The branch and assignee a case gets must be ones the user may give (see case_open)."""
    from recovery.selectors.access import assignable_users, openable_branches

    if user is None:
        return
    if case.branch_id is not None and (stored is None or stored.branch_id != case.branch_id):
        if not openable_branches(user).filter(pk=case.branch_id).exists():
            raise RecoveryError(
                _("You may open or move cases only in your own branch; the head of recovery decides others."),
                field="branch",
            )
    if case.assignee_id is not None and (stored is None or stored.assignee_id != case.assignee_id):
        if not assignable_users(user).filter(pk=case.assignee_id).exists():
            raise RecoveryError(
                _(
                    "You may not assign a case to this person: a lawyer's cases are their own, "
                    "a manager assigns within their branch."
                ),
                field="assignee",
            )


@transaction.atomic
def case_update(*, case: Case, user: Any, shared_with: list | None = None, source: str = "") -> dict:
    """Save an edited case; reassigning it or moving it to another branch is a manager's call.
    `shared_with`, when given, replaces the colleagues the case is shared with."""
    from recovery.selectors.access import role_of

    instance = case
    m2m = None if shared_with is None else {"shared_with": list(shared_with)}
    stored = Case.objects.get(pk=instance.pk)
    if role_of(user) not in (Role.MANAGER, Role.HEAD):
        for name in CASE_ASSIGNMENT_FIELDS:
            if getattr(stored, f"{name}_id") != getattr(instance, f"{name}_id"):
                raise RecoveryError(
                    _("Only a manager or the head of recovery may reassign a case."), field=name
                )
    _check_case_assignment(case=instance, stored=stored, user=user)
    reassigned = any(
        getattr(stored, f"{name}_id") != getattr(instance, f"{name}_id") for name in CASE_ASSIGNMENT_FIELDS
    )
    changes = record_update(
        instance=instance,
        user=user,
        before=snapshot(stored),
        source=source,
        m2m=m2m,
        action=CASE_REASSIGNED if reassigned else CASE_UPDATED,
    )
    if stored.status != instance.status:
        # Setting the stage by hand is a correction of what the services decided: said as such.
        audit_note(
            instance,
            user=user,
            action=CASE_STAGE_CORRECTED,
            data={"changes": {"status": [stored.status, instance.status]}, "reason": source or "edit"},
        )
    return changes


CASE_STAGE_ADVANCED = "recovery.case_stage_advance"
CASE_STAGE_CORRECTED = "recovery.case_stage_correct"


def case_stage_rank(status: str) -> int | None:
    """Where `status` lies on the case's way (CASE_STAGE_ORDER); None for a suspended or
    written-off case, which only a person moves."""
    return CASE_STAGE_ORDER.index(status) if status in CASE_STAGE_ORDER else None


@transaction.atomic
def case_stage_advance(*, case: Case, to: str, user: Any, reason: str, on: date | None = None) -> bool:
    """Move the case forward to stage `to` because of `reason` (a suit filed, a judgment, an
    enforcement); audited. Never backwards and never out of a suspended or written-off case:
    then nothing changes and False is returned. Closing sets closed_on (`on`, else today)."""
    if to not in CASE_STAGE_ORDER:
        raise RecoveryError(_("Unknown case stage %(s)s.") % {"s": to}, field="status")
    stored = Case.objects.select_for_update().get(pk=case.pk)
    current = case_stage_rank(stored.status)
    if current is None or current >= CASE_STAGE_ORDER.index(to):
        return False
    updates: dict[str, Any] = {"status": to, "updated_at": timezone.now()}
    if to == CaseStatus.CLOSED and stored.closed_on is None:
        # Never before the case was opened here (Case.clean would refuse every later edit).
        updates["closed_on"] = max(on or today(), stored.opened_on)
    Case.objects.filter(pk=stored.pk).update(**updates)
    audit_note(
        stored,
        user=user,
        action=CASE_STAGE_ADVANCED,
        data={"changes": {"status": [stored.status, to]}, "reason": reason},
    )
    for name, value in updates.items():
        setattr(case, name, value)
    return True


@transaction.atomic
def case_stage_correct(*, case: Case, to: str, user: Any, reason: str) -> bool:
    """Set the case's stage by hand, forwards or backwards (a mistaken filing, a suit
    withdrawn): a correction with its reason, audited as such."""
    if to not in CaseStatus.values:
        raise RecoveryError(_("Unknown case stage %(s)s.") % {"s": to}, field="status")
    if not reason.strip():
        raise RecoveryError(_("Say why the stage is corrected."), field="reason")
    record_scope_check(instance=case, user=user)
    stored = Case.objects.select_for_update().get(pk=case.pk)
    if stored.status == to:
        return False
    Case.objects.filter(pk=stored.pk).update(status=to, updated_at=timezone.now())
    audit_note(
        stored,
        user=user,
        action=CASE_STAGE_CORRECTED,
        data={"changes": {"status": [stored.status, to]}, "reason": reason},
    )
    case.status = to
    return True


@transaction.atomic
def case_reassign(*, case: Case, assignee: Any, user: Any) -> Case:
    """Give the case to another lawyer (a manager's call, see case_update)."""
    before = snapshot(case)
    case.assignee = assignee
    record_update(instance=case, user=user, before=before, source="reassign", action=CASE_REASSIGNED)
    return case


@transaction.atomic
def case_delete(*, case: Case, user: Any, source: str = "") -> None:
    """Delete a case opened by mistake; one with records still on it is refused."""
    record_scope_check(instance=case, user=user)
    record_delete(instance=case, user=user, source=source, action=CASE_DELETED)


@transaction.atomic
def party_add(*, party: Party, user: Any, source: str = "") -> Party:
    """Add a person or company to the docket (a debtor, guarantor, contact…)."""
    return record_create(instance=party, user=user, source=source, action=PARTY_ADDED)


@transaction.atomic
def party_update(*, party: Party, user: Any, source: str = "") -> dict:
    """Save an edited party; the one who may change it is one of its cases' (record_scope_check)."""
    return record_update(instance=party, user=user, source=source, action=PARTY_UPDATED)


@transaction.atomic
def party_delete(*, party: Party, user: Any, source: str = "") -> None:
    record_scope_check(instance=party, user=user)
    record_delete(instance=party, user=user, source=source, action=PARTY_DELETED)


@transaction.atomic
def loan_record(*, loan: Loan, user: Any, source: str = "") -> Loan:
    """Record a loan of a case (its deadlines are computed from it)."""
    return record_create(instance=loan, user=user, source=source, action=LOAN_RECORDED)


@transaction.atomic
def loan_update(*, loan: Loan, user: Any, source: str = "") -> dict:
    return record_update(instance=loan, user=user, source=source, action=LOAN_UPDATED)


@transaction.atomic
def loan_delete(*, loan: Loan, user: Any, source: str = "") -> None:
    record_scope_check(instance=loan, user=user)
    record_delete(instance=loan, user=user, source=source, action=LOAN_DELETED)


@transaction.atomic
def instalment_record(*, instalment: Instalment, user: Any, source: str = "") -> Instalment:
    """Record an instalment due under a loan's schedule."""
    return record_create(instance=instalment, user=user, source=source, action=INSTALMENT_RECORDED)


@transaction.atomic
def instalment_update(*, instalment: Instalment, user: Any, source: str = "") -> dict:
    return record_update(instance=instalment, user=user, source=source, action=INSTALMENT_UPDATED)


@transaction.atomic
def instalment_delete(*, instalment: Instalment, user: Any, source: str = "") -> None:
    record_scope_check(instance=instalment, user=user)
    record_delete(instance=instalment, user=user, source=source, action=INSTALMENT_DELETED)


@transaction.atomic
def party_find_or_create(
    *, kind: str, name: str, id_number: str, user: Any, source: str = "", **details: Any
) -> tuple[Party, bool]:
    """The party with this ID number, created when new (one person, many roles and cases)."""
    number = normalize_id_number(id_number)
    party = Party.objects.filter(id_number=number).first()
    if party is not None:
        return party, False
    party = Party(kind=kind, name=name, id_number=number, **details)
    party_add(party=party, user=user, source=source)
    return party, True


# Branches and default causes are reference data, changed by the head of recovery (the admin's
# permissions); a branch or cause cases still name is refused, not deleted.


@transaction.atomic
def branch_add(*, branch: Branch, user: Any, source: str = "") -> Branch:
    return record_create(instance=branch, user=user, source=source, action=BRANCH_ADDED)


@transaction.atomic
def branch_update(*, branch: Branch, user: Any, source: str = "") -> dict:
    return record_update(instance=branch, user=user, source=source, action=BRANCH_UPDATED)


@transaction.atomic
def branch_delete(*, branch: Branch, user: Any, source: str = "") -> None:
    record_delete(instance=branch, user=user, source=source, action=BRANCH_DELETED)


@transaction.atomic
def default_cause_add(*, default_cause: DefaultCause, user: Any, source: str = "") -> DefaultCause:
    return record_create(instance=default_cause, user=user, source=source, action=DEFAULT_CAUSE_ADDED)


@transaction.atomic
def default_cause_update(*, default_cause: DefaultCause, user: Any, source: str = "") -> dict:
    return record_update(instance=default_cause, user=user, source=source, action=DEFAULT_CAUSE_UPDATED)


@transaction.atomic
def default_cause_delete(*, default_cause: DefaultCause, user: Any, source: str = "") -> None:
    record_delete(instance=default_cause, user=user, source=source, action=DEFAULT_CAUSE_DELETED)


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
