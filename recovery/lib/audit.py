"""The audit trail: who changed what, when, old → new, kept as Wagtail log entries so every
object's history page shows it."""

import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from wagtail.log_actions import log

CREATE = "recovery.create"
CHANGE = "recovery.change"
DELETE = "recovery.delete"


_CENT = Decimal("0.01")
_AS_IS = frozenset({type(None), bool, int, str})  # the common case, checked first: bulk imports


def _plain(value: Any) -> Any:
    """A JSON-safe, human-readable form of a field value."""
    if type(value) in _AS_IS or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(_CENT) else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "name"):  # FieldFile
        return value.name or None
    return str(value)


_SNAPSHOT_FIELDS: dict[type, list[tuple[str, str]]] = {}


def _snapshot_fields(model: type) -> list[tuple[str, str]]:
    """(key, attribute) per audited field: relations by their object (shown by name)."""
    fields = _SNAPSHOT_FIELDS.get(model)
    if fields is None:
        fields = _SNAPSHOT_FIELDS[model] = [
            (field.name, field.name if field.is_relation else field.attname)
            for field in model._meta.concrete_fields
            if field.name not in {"id", "created_at", "updated_at"}
        ]
    return fields


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The instance's concrete field values, as they would be written to the audit trail."""
    return {
        name: _plain(getattr(instance, attribute, None))
        for name, attribute in _snapshot_fields(type(instance))
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def case_id_of(instance: models.Model) -> int | None:
    """The case a docket record belongs to (itself for a case), or None for shared records."""
    if instance._meta.label == "recovery.Case":
        return instance.pk
    case_id = getattr(instance, "case_id", None)
    # A record under a parent of its case declares the foreign key to that parent (recovery.registry).
    via = getattr(type(instance), "case_via", None)
    if case_id is None and via and getattr(instance, f"{via}_id", None):
        case_id = getattr(instance, via).case_id
    if case_id is None and getattr(instance, "loan_id", None):
        case_id = instance.loan.case_id
    return case_id


def audit_create(instance: models.Model, *, user: Any, source: str = "") -> None:
    data = {"case": case_id_of(instance), "values": snapshot(instance), "source": source}
    log(instance, CREATE, user=_real_user(user), data=data, content_changed=True)


def audit_change(instance: models.Model, *, user: Any, before: dict[str, Any], source: str = "") -> dict:
    """Log what changed since `before` (a snapshot); log nothing when nothing changed."""
    changes = diff(before, snapshot(instance))
    if changes:
        data = {"case": case_id_of(instance), "changes": changes, "source": source}
        log(instance, CHANGE, user=_real_user(user), data=data, content_changed=True)
    return changes


def audit_delete(instance: models.Model, *, user: Any, source: str = "") -> None:
    data = {"case": case_id_of(instance), "values": snapshot(instance), "source": source}
    log(instance, DELETE, user=_real_user(user), data=data, deleted=True)


def audit_note(instance: models.Model, *, user: Any, action: str, data: dict[str, Any]) -> None:
    """A domain event that is not a field change (e.g. reassignment, sharing)."""
    log(instance, action, user=_real_user(user), data={"case": case_id_of(instance), **data})


def _real_user(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None
