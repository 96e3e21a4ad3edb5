"""Collection actions: what was done to collect, recorded, corrected and deleted through audited
services."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from recovery.lib.audit import AuditKind, audit_action
from recovery.models import (
    CollectionAction,
)
from recovery.services.cases import record_create, record_delete, record_scope_check, record_update

COLLECTION_ACTION_RECORDED = audit_action(
    "recovery.collection_action.recorded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Record a collection action"),
    past_label=gettext_lazy("Collection action recorded"),
)
COLLECTION_ACTION_UPDATED = audit_action(
    "recovery.collection_action.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Correct a collection action"),
    past_label=gettext_lazy("Collection action corrected"),
)
COLLECTION_ACTION_DELETED = audit_action(
    "recovery.collection_action.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a collection action"),
    past_label=gettext_lazy("Collection action deleted"),
)


@transaction.atomic
def collection_action_record(*, action: CollectionAction, user: Any, source: str = "") -> CollectionAction:
    """Record what was done to collect; the recorder is kept apart from who did it."""
    action.recorded_by = user if getattr(user, "is_authenticated", False) else None
    if action.performed_by is None and action.recorded_by is not None:
        action.performed_by = action.recorded_by
    return record_create(instance=action, user=user, source=source, action=COLLECTION_ACTION_RECORDED)


@transaction.atomic
def collection_action_update(*, action: CollectionAction, user: Any, source: str = "") -> dict:
    """Correct a recorded action (a delivery date, its proof…); who recorded it stays."""
    return record_update(instance=action, user=user, source=source, action=COLLECTION_ACTION_UPDATED)


@transaction.atomic
def collection_action_delete(*, action: CollectionAction, user: Any, source: str = "") -> None:
    record_scope_check(instance=action, user=user)
    record_delete(instance=action, user=user, source=source, action=COLLECTION_ACTION_DELETED)
