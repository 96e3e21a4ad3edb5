"""Every write to the docket goes through here: validated, audited, in one transaction."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from recovery.audit import audit_change, audit_create, audit_delete, audit_note, case_id_of, snapshot
from recovery.models import Branch, Case, CollectionAction, Party, Role, StaffProfile
from recovery.validators import normalize_id_number


class RecoveryError(Exception):
    """A business rule refused the write; `field` names the input at fault when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


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


@transaction.atomic
def record_create(
    *, instance: models.Model, user: Any, source: str = "", m2m: dict | None = None
) -> models.Model:
    """Validate and insert `instance`, audit it, and tell listeners its case changed."""
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
    """Open a new case: give it the next number of its year and audit it."""
    if case.opened_on is None:
        case.opened_on = today()
    case.number = _next_case_number(case.opened_on)
    return record_create(instance=case, user=user, source=source, m2m={"shared_with": shared_with or []})


# Fields of a case that only a manager or the head of recovery may change.
CASE_ASSIGNMENT_FIELDS = ("assignee", "branch")


@transaction.atomic
def case_update(*, instance: Case, user: Any, m2m: dict | None = None, source: str = "") -> dict:
    """Save an edited case; reassigning it or moving it to another branch is a manager's call."""
    from recovery.access import role_of

    stored = Case.objects.get(pk=instance.pk)
    if role_of(user) not in (Role.MANAGER, Role.HEAD):
        for name in CASE_ASSIGNMENT_FIELDS:
            if getattr(stored, f"{name}_id") != getattr(instance, f"{name}_id"):
                raise RecoveryError("Only a manager or the head of recovery may reassign a case.", field=name)
    return record_update(instance=instance, user=user, before=snapshot(stored), source=source, m2m=m2m)


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


@transaction.atomic
def collection_action_record(*, action: CollectionAction, user: Any, source: str = "") -> CollectionAction:
    """Record what was done to collect; the recorder is kept apart from who did it."""
    action.recorded_by = user if getattr(user, "is_authenticated", False) else None
    if action.performed_by is None and action.recorded_by is not None:
        action.performed_by = action.recorded_by
    return record_create(instance=action, user=user, source=source)


ROLE_GROUP_NAMES = {
    Role.LAWYER: "承办律师",
    Role.MANAGER: "主管",
    Role.HEAD: "清收负责人",
    Role.AUDITOR: "审计",
}


@transaction.atomic
def staff_set_role(*, user: Any, role: str, branch: Branch | None, acting_user: Any = None) -> StaffProfile:
    """Give `user` a role (and branch): the profile scopes cases, the group grants permissions."""
    if role not in Role.values:
        raise RecoveryError(f"Unknown role {role!r}", field="role")
    if role == Role.MANAGER and branch is None:
        raise RecoveryError("A manager needs a branch.", field="branch")
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    before = snapshot(profile)
    profile.role = role
    profile.branch = branch
    profile.save()
    groups = Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[role]))
    audit_change(profile, user=acting_user, before=before, source="role")
    return profile


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
