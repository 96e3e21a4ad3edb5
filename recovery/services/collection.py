"""Collection actions: what was done to collect, recorded through one audited service."""

from typing import Any

from django.db import transaction

from recovery.models import (
    CollectionAction,
)
from recovery.services.cases import record_create


@transaction.atomic
def collection_action_record(*, action: CollectionAction, user: Any, source: str = "") -> CollectionAction:
    """Record what was done to collect; the recorder is kept apart from who did it."""
    action.recorded_by = user if getattr(user, "is_authenticated", False) else None
    if action.performed_by is None and action.recorded_by is not None:
        action.performed_by = action.recorded_by
    return record_create(instance=action, user=user, source=source)
