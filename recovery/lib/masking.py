"""Personal data (ID and phone numbers) is a property of the data, not of each page: this module
knows which fields of which models are personal, and every surface that shows, exports, logs or
searches data asks it — inspect pages, listing columns, exports, history messages, search.

Without `recovery.view_personal_data` a user sees masked values and cannot search by them.
Nothing here keeps the request or the user on an object that outlives the request (columns and
log formatters are declared once and shared between threads): the viewer is always passed in."""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.utils.text import capfirst
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.snippets.views.snippets import HistoryView as SnippetHistoryView
from wagtail.snippets.views.snippets import InspectView

from recovery.checks.cells import inert_cell
from recovery.selectors.access import can_view_personal_data, mask_id_number, mask_phones

Masker = Callable[[str], str]

# Model label → personal field → how to mask it. Add a model's fields here and every page,
# export, history message and search masks or skips them.
PERSONAL_FIELDS: dict[str, dict[str, Masker]] = {
    "recovery.Party": {"id_number": mask_id_number, "phones": mask_phones},
}


def personal_masker(model: type[Model] | None, field_name: str) -> Masker | None:
    """The masker of `model.field_name` when that field is personal data, else None."""
    if model is None:
        return None
    return PERSONAL_FIELDS.get(model._meta.label, {}).get(field_name)


def masker_for_path(model: type[Model], path: str, *, separator: str) -> Masker | None:
    """The masker of the field a dotted export path ("debtor.id_number") or a lookup
    ("case__debtor__id_number__icontains") ends on, when that field is personal data."""
    current: type[Model] = model
    for part in path.split(separator):
        masker = personal_masker(current, part)
        if masker is not None:
            return masker
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None  # a method, property or lookup: not a stored personal field
        if not field.is_relation or field.related_model is None:
            return None
        current = field.related_model
    return None


def mask_value(masker: Masker, value: Any) -> str:
    return masker("" if value is None else str(value))


def shown_value(user: Any, instance: Model, field_name: str) -> Any:
    """`instance.field_name` as `user` may see it."""
    value = getattr(instance, field_name)
    masker = personal_masker(type(instance), field_name)
    if masker is None or can_view_personal_data(user):
        return value
    return mask_value(masker, value)


def searchable_lookups(model: type[Model], lookups: Iterable[str], user: Any) -> list[str]:
    """The search lookups (or search fields) `user` may search by: without the permission, none
    that reads personal data, so that search cannot confirm or recover masked digits."""
    if can_view_personal_data(user):
        return list(lookups)
    return [lookup for lookup in lookups if masker_for_path(model, lookup, separator="__") is None]


# ---- audit history -------------------------------------------------------------------------


def masked_changes(model: type[Model] | None, changes: dict) -> dict:
    """An audit entry's {field: [old, new]} with personal fields masked."""
    masked = {}
    for field, (old, new) in changes.items():
        masker = personal_masker(model, field)
        masked[field] = [mask_value(masker, old), mask_value(masker, new)] if masker else [old, new]
    return masked


def reveal_log_messages(entries: Iterable[Any], user: Any) -> list[Any]:
    """Log formatters have no request, so they always write personal data masked; for a viewer
    with the permission, entries whose formatter can say the unmasked message say it instead.
    The entries are this request's own instances: nothing shared is changed."""
    entries = list(entries)
    if not can_view_personal_data(user):
        return entries
    for entry in entries:
        reveal = getattr(entry.formatter, "format_unmasked_message", None)
        if reveal is not None:
            # `message` is a cached_property: this sets it on this instance only.
            entry.__dict__["message"] = capfirst(reveal(entry))
    return entries


class RevealingHistoryMixin:
    """A history listing whose messages are unmasked for viewers with the permission."""

    def get_table(self, object_list: Any) -> Any:
        return super().get_table(reveal_log_messages(object_list, self.request.user))


class MaskedSnippetHistoryView(RevealingHistoryMixin, SnippetHistoryView):
    pass


# ---- admin views -----------------------------------------------------------------------------


class MaskedColumn(Column):
    """A listing column of personal data: the viewer comes from the rendering context of each
    cell, never from the column (one column object serves every request)."""

    def __init__(self, name: str, *, masker: Masker, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.masker = masker

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        if not can_view_personal_data(getattr(request, "user", None)):
            context["raw_value"] = mask_value(self.masker, context["raw_value"])
            context["value"] = context["raw_value"] or self.empty_value_display
        return context


class MaskedInspectView(InspectView):
    """Wagtail's generic inspect page, with personal fields masked for viewers without the
    permission (whatever the model: the fields come from PERSONAL_FIELDS)."""

    def get_field_display_value(self, field_name: str, field: Any) -> Any:
        value = super().get_field_display_value(field_name, field)
        masker = personal_masker(self.model, field_name)
        if masker is None or can_view_personal_data(self.request.user):
            return value
        return mask_value(masker, value)


class SafeExportMixin:
    """For every listing with `list_export` (CSV and XLSX): personal data masked for viewers
    without the permission, and every text cell inert (never a live formula)."""

    def to_row_dict(self, item: Any) -> dict:
        row = super().to_row_dict(item)
        if self.model is None or can_view_personal_data(self.request.user):
            return row
        for path in row:
            masker = masker_for_path(self.model, path, separator=".")
            if masker is not None:
                row[path] = mask_value(masker, row[path])
        return row

    def preprocess_field_value(self, field: str, value: Any, export_format: str) -> Any:
        return inert_cell(super().preprocess_field_value(field, value, export_format))


class MaskedSearchMixin:
    """Listing search by the model's search fields, minus personal ones for viewers without the
    permission. (Docket viewsets search the database, never a search index.)"""

    def search_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.is_searching:
            return queryset
        fields = self.search_fields or []
        allowed = searchable_lookups(queryset.model, fields, self.request.user)
        if allowed == list(fields):
            return super().search_queryset(queryset)
        if not allowed:
            return queryset.none()
        query = Q()
        for field in allowed:
            query |= Q(**{f"{field}__icontains": self.search_query})
        return queryset.filter(query)


class MaskedLogEntriesView(SafeExportMixin, LogEntriesView):
    """The site history: messages unmasked for those allowed, exports inert."""

    def decorate_paginated_queryset(self, queryset: Any) -> list:
        return reveal_log_messages(super().decorate_paginated_queryset(queryset), self.request.user)
