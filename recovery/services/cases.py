"""Cases: opening, editing, reassigning and moving them through their stages; the generic audited
writes of the docket records without a service of their own."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recovery.checks.identity import normalize_id_number
from recovery.lib.audit import audit_change, audit_create, audit_delete, audit_note, case_id_of, snapshot
from recovery.models import (
    CASE_STAGE_ORDER,
    Case,
    CaseStatus,
    Party,
    Role,
)
from recovery.services import RecoveryError

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
    *, instance: models.Model, user: Any, source: str = "", m2m: dict | None = None
) -> models.Model:
    """Validate and insert `instance`, audit it, and tell listeners its case changed."""
    record_scope_check(instance=instance, user=user, m2m=m2m)
    instance.full_clean()
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    audit_create(instance, user=user, source=source)
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
) -> dict:
    """Validate and save an edited `instance`; audit old → new against `before` (a snapshot of
    the stored row, taken before the edit was applied). Returns the changes."""
    record_scope_check(instance=instance, user=user, m2m=m2m)
    if before is None:
        before = snapshot(type(instance).objects.get(pk=instance.pk))
    instance.full_clean()
    instance.save()
    changes = audit_change(instance, user=user, before=before, source=source)
    for name, values in (m2m or {}).items():
        manager = getattr(instance, name)
        old = sorted(str(v) for v in manager.all())
        manager.set(values)
        new = sorted(str(v) for v in manager.all())
        if old != new:
            audit_note(instance, user=user, action="recovery.change", data={"changes": {name: [old, new]}})
            changes[name] = [old, new]
    if changes:
        case_facts_changed(case_ids=_case_ids(instance), user=user)
    return changes


@transaction.atomic
def record_delete(*, instance: models.Model, user: Any, source: str = "") -> None:
    case_id = case_id_of(instance)
    audit_delete(instance, user=user, source=source)
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
    return record_create(instance=case, user=user, source=source, m2m={"shared_with": shared_with or []})


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
def case_update(*, instance: Case, user: Any, m2m: dict | None = None, source: str = "") -> dict:
    """Save an edited case; reassigning it or moving it to another branch is a manager's call."""
    from recovery.selectors.access import role_of

    stored = Case.objects.get(pk=instance.pk)
    if role_of(user) not in (Role.MANAGER, Role.HEAD):
        for name in CASE_ASSIGNMENT_FIELDS:
            if getattr(stored, f"{name}_id") != getattr(instance, f"{name}_id"):
                raise RecoveryError(
                    _("Only a manager or the head of recovery may reassign a case."), field=name
                )
    _check_case_assignment(case=instance, stored=stored, user=user)
    changes = record_update(instance=instance, user=user, before=snapshot(stored), source=source, m2m=m2m)
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
    before = snapshot(case)
    case.assignee = assignee
    record_update(instance=case, user=user, before=before, source="reassign")
    return case


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
    record_create(instance=party, user=user, source=source)
    return party, True


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
