"""The audit trail: who changed what, when, old → new, kept as Wagtail log entries so every
object's history page shows it.

Every entry carries a domain action code, `<app>.<noun>.<verb>` ("litigation.hearing.scheduled"),
declared once with `audit_action` by the app whose service writes it, with the labels the
history views show in the reader's language. The generic codes below were written before the
domain codes existed: entries stored with them must still render, so they stay registered."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.db import models
from django.utils.functional import Promise
from wagtail.log_actions import log

CREATE = "recovery.create"
CHANGE = "recovery.change"
DELETE = "recovery.delete"


class AuditKind(StrEnum):
    """What an entry records, which decides how its message is shown: the values of a record
    created, the old → new of a change, a deletion."""

    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"


@dataclass(frozen=True)
class AuditAction:
    code: str
    kind: AuditKind
    label: Promise  # what the user does ("Schedule a hearing"): the history's filter choice
    past_label: Promise  # what happened ("Hearing scheduled"): the entry's message


_DOMAIN_CODE = re.compile(r"^[a-z]+\.[a-z_]+\.[a-z_]+$")
_ACTIONS: dict[str, AuditAction] = {}


def audit_action(code: str, *, kind: AuditKind, label: Promise, past_label: Promise) -> str:
    """Declare a domain action code with its translatable labels; returns the code. Declared at
    import of the service module that writes it, so it is known before any entry is shown."""
    if not _DOMAIN_CODE.match(code):
        raise ValueError(f"audit action {code!r} is not <app>.<noun>.<verb>")
    declared = AuditAction(code, kind, label, past_label)
    if _ACTIONS.setdefault(code, declared) != declared:
        raise ValueError(f"audit action {code!r} is declared twice, differently")
    return code


def audit_actions() -> list[AuditAction]:
    """Every declared domain action, in the order declared (the history filter's order)."""
    return list(_ACTIONS.values())


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
    # The common values (text, numbers, None) are taken as they are, and dates and related
    # records converted directly, without a call to _plain: an import snapshots some 500,000.
    return {
        name: value
        if (kind := type(value)) in _AS_IS
        else (_PLAIN_BY_TYPE.get(kind) or _plain_of_type(kind))(value)
        for name, attribute in _snapshot_fields(type(instance))
        for value in (getattr(instance, attribute, None),)
    }


_PLAIN_BY_TYPE: dict[type, Any] = {}


def _plain_of_type(kind: type) -> Any:
    """What `_plain` does to every value of exactly this type, as one callable."""
    if kind is datetime.date or kind is datetime.datetime:
        convert = kind.isoformat
    elif issubclass(kind, models.Model):
        convert = str
    else:
        convert = _plain
    _PLAIN_BY_TYPE[kind] = convert
    return convert


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


def audit_create(
    instance: models.Model, *, user: Any, source: str = "", action: str = CREATE, case_id: int | None = None
) -> None:
    """Log a record created, with its values. `case_id`, when the caller knows it, saves the
    lookup along the record's case path."""
    data = {"case": case_id or case_id_of(instance), "values": snapshot(instance), "source": source}
    log(instance, action, user=_real_user(user), data=data, content_changed=True)


def audit_change(
    instance: models.Model,
    *,
    user: Any,
    before: dict[str, Any],
    source: str = "",
    action: str = CHANGE,
    case_id: int | None = None,
) -> dict:
    """Log what changed since `before` (a snapshot); log nothing when nothing changed."""
    changes = diff(before, snapshot(instance))
    if changes:
        audit_changes(instance, user=user, changes=changes, source=source, action=action, case_id=case_id)
    return changes


def audit_changes(
    instance: models.Model,
    *,
    user: Any,
    changes: dict[str, list[Any]],
    source: str = "",
    action: str = CHANGE,
    case_id: int | None = None,
) -> None:
    """Log changes already worked out (old → new per field), e.g. a measure's new position."""
    data = {"case": case_id or case_id_of(instance), "changes": changes, "source": source}
    log(instance, action, user=_real_user(user), data=data, content_changed=True)


def audit_delete(
    instance: models.Model, *, user: Any, source: str = "", action: str = DELETE, case_id: int | None = None
) -> None:
    data = {"case": case_id or case_id_of(instance), "values": snapshot(instance), "source": source}
    log(instance, action, user=_real_user(user), data=data, deleted=True)


def audit_note(instance: models.Model, *, user: Any, action: str, data: dict[str, Any]) -> None:
    """A domain event that is not a field change (e.g. reassignment, sharing)."""
    log(instance, action, user=_real_user(user), data={"case": case_id_of(instance), **data})


def _real_user(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# The columns of Wagtail's log entry table that `log_entry_row` fills, in the table's order
# (all but the id, which the bulk writer allocates). A Wagtail upgrade that adds one must be
# seen here first: tests/recovery/lib/test_audit_codes.py compares this with the table.
LOG_ENTRY_COLUMNS = (
    "content_type_id",
    "label",
    "action",
    "data",
    "timestamp",
    "uuid",
    "user_id",
    "revision_id",
    "content_changed",
    "deleted",
    "object_id",
)


@dataclass(frozen=True)
class LogBatch:
    """What the entries of one bulk write share: who, when, from where, and one uuid (Wagtail
    groups entries of one uuid as one action)."""

    user_id: int | None
    source: str
    timestamp: datetime.datetime
    uuid: UUID


def log_entry_row(
    instance: models.Model,
    *,
    action: str,
    batch: LogBatch,
    content_type_id: int,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The values of one log entry, the same record `audit_create`/`audit_changes` write, as a
    row for a bulk COPY into the log table (recovery.lib.bulk.bulk_insert_values): a created
    record when `data` is None (its values taken now), else `data` ({"changes": …}). No query:
    the caller looks the content type up once per model."""
    if data is None:
        data = {"values": snapshot(instance)}
    return {
        "content_type_id": content_type_id,
        "label": str(instance),
        "action": action,
        "data": {"case": case_id_of(instance), **data, "source": batch.source},
        "timestamp": batch.timestamp,
        "uuid": batch.uuid,
        "user_id": batch.user_id,
        "revision_id": None,
        "content_changed": True,
        "deleted": False,
        "object_id": str(instance.pk),
    }
