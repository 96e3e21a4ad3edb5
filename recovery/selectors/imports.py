"""Reads of the hand-over imports for the admin: who sees which runs, and the listing."""

from typing import Any

from django.db.models import QuerySet
from django.db.models.fields.json import KT

from recovery.models import ImportRun, Role
from recovery.selectors.access import role_of

# The counts the listing shows, read out of the JSON in the query (the JSON itself is not
# loaded: a run's preview can hold thousands of ignored column names).
COUNT_KEYS = ("created", "updated", "unchanged", "rejected")


def import_runs_visible_to(user: Any) -> QuerySet[ImportRun]:
    """Managers see the runs they started; the head and auditors see every run."""
    role = role_of(user)
    runs = ImportRun.objects.select_related("started_by")
    if role in (Role.HEAD, Role.AUDITOR):
        return runs
    if role == Role.MANAGER:
        return runs.filter(started_by=user)
    return runs.none()


def import_runs_listed_for(user: Any) -> QuerySet[ImportRun]:
    """The listing's query: the runs `user` may see without their errors, preview or summary
    JSON (a run may keep a thousand problems); only the counts shown, as annotations."""
    annotations = {}
    for key in COUNT_KEYS:
        annotations[f"summary_{key}"] = KT(f"summary__{key}")
        annotations[f"preview_{key}"] = KT(f"preview__{key}")
    return import_runs_visible_to(user).defer("errors", "preview", "summary").annotate(**annotations)
