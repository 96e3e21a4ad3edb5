"""Wagtail admin plumbing shared by every docket model: row-level scoping of every view,
and create/edit/delete routed through the named services each viewset declares."""

from collections.abc import Callable
from functools import cached_property, wraps
from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django_filters.filters import QuerySetRequestMixin
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn
from wagtail.snippets.views.snippets import CreateView, DeleteView, EditView, IndexView, SnippetViewSet

from recovery.lib.audit import case_id_of
from recovery.lib.links import case_path
from recovery.lib.masking import (
    MaskedInspectView,
    MaskedSearchMixin,
    MaskedSnippetHistoryView,
    SafeExportMixin,
)
from recovery.selectors.access import (
    allowed_choices,
    anchor_of,
    case_id_through,
    cases_editable_by,
    cases_visible_to,
    parties_of_cases,  # noqa: F401 - re-exported: the docket hooks import it from here
    visible_choices,
)
from recovery.services import RecoveryError

# URL names of the snippet views that only read the object; every other view with a pk writes.
READ_ONLY_VIEW_NAMES = {"inspect", "history", "history_results", "usage"}


class CaseScopedForm(WagtailAdminModelForm):
    """Limits every choice (case, party, loan, lawsuit, asset, user, branch…) to what the user
    may use, by the rules the services enforce (recovery.selectors.access.allowed_choices); choices that
    depend on the case (addressed_to, loan, …) to those of this record's case: the instance's
    on edit, the `?case=` (or its parent's) one on add, the posted one on submit.
    The value already stored stays a choice, so an edit never fails on what it did not change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model = self._meta.model
        case_id = self._case_id()
        for name, field in self.fields.items():
            if getattr(field, "queryset", None) is None:
                continue
            try:
                allowed = allowed_choices(model, name, self.for_user, case_id=case_id)
            except FieldDoesNotExist:
                continue
            if allowed is None:
                continue
            current = self._stored_values(name)
            if current:
                allowed = allowed.model.objects.filter(Q(pk__in=allowed.values("pk")) | Q(pk__in=current))
            field.queryset = field.queryset.filter(pk__in=allowed.values("pk"))

    def _stored_values(self, name: str) -> list:
        if not self.instance.pk:
            return []
        field = self._meta.model._meta.get_field(name)
        if field.many_to_many:
            return list(getattr(self.instance, name).values_list("pk", flat=True))
        value = getattr(self.instance, field.attname, None)
        return [value] if value is not None else []

    def _case_id(self) -> int | None:
        model = self._meta.model
        if model._meta.label == "recovery.Case":
            return self.instance.pk
        anchor = anchor_of(model)
        if anchor is None:
            return None
        posted = self.is_bound and anchor in self.fields and not self.fields[anchor].disabled
        if posted and anchor in self.data:
            value = self.data.get(anchor)
        elif self.instance.pk:
            value = getattr(self.instance, model._meta.get_field(anchor).attname)
        else:
            value = self.initial.get(anchor)
        value = getattr(value, "pk", value)
        case_id = case_id_through(model, anchor, value)
        # The case of a posted value counts only if the user may write to it; otherwise the
        # anchor field itself is refused and nothing else is offered from that case.
        if case_id is not None and not cases_editable_by(self.for_user).filter(pk=case_id).exists():
            return -1
        return case_id


class ScopedFilterSet(WagtailFilterSet):
    """A listing filter whose model choices (assignee, branch, case, party…) are limited to
    what the user may see; the filters are the instance's own copies, never shared."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        for model_filter in self.filters.values():
            if not isinstance(model_filter, QuerySetRequestMixin):
                continue
            queryset = model_filter.get_queryset(self.request)
            visible = visible_choices(queryset.model, user)
            if visible is not None:
                model_filter.queryset = queryset.filter(pk__in=visible.values("pk"))


def _add_form_error(form: Any, error: Exception) -> None:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, error.messages)
    elif isinstance(error, RecoveryError):
        form.add_error(error.field if error.field in form.fields else None, error.message)


def _m2m_values(form: Any) -> dict[str, Any]:
    names = [f.name for f in form._meta.model._meta.many_to_many if f.name in form.cleaned_data]
    return {name: form.cleaned_data[name] for name in names}


class ServiceViewMixin:
    """A view that writes through the named service its viewset gives it (ServiceViewSetMixin):
    called as `service(<record_keyword>=instance, user=…, <many-to-many field>=values…)`."""

    service: Callable[..., Any] | None = None
    record_keyword: str = ""

    def call_service(self, instance: Any, **values: Any) -> Any:
        if self.service is None or not self.record_keyword:
            raise ImproperlyConfigured(f"{type(self).__name__} was given no service by its viewset.")
        return self.service(**{self.record_keyword: instance}, user=self.request.user, **values)


class ServiceFormMixin(ServiceViewMixin):
    """A refused service call shows the form again with the message on the field."""

    def form_valid(self, form: Any) -> Any:
        try:
            return super().form_valid(form)
        except (ValidationError, RecoveryError) as error:
            _add_form_error(form, error)
            return self.form_invalid(form)

    def get_success_url(self) -> str:
        return _back_to_case(self.object) or super().get_success_url()


class ServiceCreateView(ServiceFormMixin, CreateView):
    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        # A record under a parent of its case is added from that parent: `?<case_via>=<pk>`.
        parent = getattr(self.model, "case_via", None)
        for name in ("case", "loan", "party", "addressed_to", "debtor", *([parent] if parent else [])):
            if name in self.request.GET:
                initial[name] = self.request.GET[name]
        return initial

    def save_instance(self) -> Any:
        instance = self.form.save(commit=False)
        self.call_service(instance, **_m2m_values(self.form))
        return instance


class ServiceEditView(ServiceFormMixin, EditView):
    def save_instance(self) -> Any:
        instance = self.form.save(commit=False)
        self.call_service(instance, **_m2m_values(self.form))
        return instance


class ServiceDeleteView(ServiceViewMixin, DeleteView):
    def delete_action(self) -> None:
        self.call_service(self.object)


class ServiceViewSetMixin:
    """A viewset names the services its add, edit and delete views call, e.g.

        record_keyword = "hearing"
        create_service = staticmethod(hearing_schedule)
        update_service = staticmethod(hearing_update)
        delete_service = staticmethod(hearing_delete)

    Each is called with the record under `record_keyword` and `user=` (plus the form's
    many-to-many values by field name). A view that is enabled without its service is a
    configuration error, raised when the URLs are built, not on the first save. A viewset
    whose records are never deleted sets `delete_view_enabled = False` (and routes no delete
    view)."""

    add_view_class: type = ServiceCreateView
    edit_view_class: type = ServiceEditView
    delete_view_class: type = ServiceDeleteView
    record_keyword: str = ""
    create_service: Callable[..., Any] | None = None
    update_service: Callable[..., Any] | None = None
    delete_service: Callable[..., Any] | None = None
    delete_view_enabled: bool = True

    def _service_kwargs(self, service: Callable[..., Any] | None, view: str) -> dict[str, Any]:
        if service is None or not self.record_keyword:
            raise ImproperlyConfigured(
                f"{type(self).__name__} names no {view} service (ServiceViewSetMixin)."
            )
        return {"service": service, "record_keyword": self.record_keyword}

    def get_add_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_add_view_kwargs(**self._service_kwargs(self.create_service, "create"), **kwargs)

    def get_edit_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_edit_view_kwargs(**self._service_kwargs(self.update_service, "update"), **kwargs)

    def get_delete_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        if not self.delete_view_enabled:
            return super().get_delete_view_kwargs(**kwargs)
        return super().get_delete_view_kwargs(**self._service_kwargs(self.delete_service, "delete"), **kwargs)


def _back_to_case(instance: Any) -> str | None:
    """After recording something on a case, the lawyer returns to the case page."""
    case_id = case_id_of(instance)
    if case_id is None or instance._meta.label == "recovery.Case":
        return None
    return case_path(case_id)


class ScopedIndexView(SafeExportMixin, MaskedSearchMixin, IndexView):
    # Exports are masked and inert, search skips personal fields for those who may not see
    # them (recovery.lib.masking): every docket listing inherits both.
    """No bulk-action checkboxes: Wagtail's bulk actions are neither scoped by case nor routed
    through the services, so their URLs are refused for docket apps (config/urls.py). Filters
    built from `list_filter` offer only what the user may see."""

    base_filterset_class = ScopedFilterSet

    @cached_property
    def columns(self) -> list:
        return [column for column in super().columns if not isinstance(column, BulkActionsCheckboxColumn)]


class ScopedSnippetViewSet(ServiceViewSetMixin, SnippetViewSet):
    """A snippet viewset whose every view sees only the rows `scope()` returns for the user,
    and writes only through the services it names (ServiceViewSetMixin).

    Subclasses set `case_path`: the lookup from the model to its case ("" for Case itself).
    """

    case_path: str = "case"
    index_view_class = ScopedIndexView
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = MaskedInspectView
    history_view_class = MaskedSnippetHistoryView
    base_form_class = CaseScopedForm
    search_backend_name = None

    def scope(self, user: Any, *, write: bool) -> QuerySet:
        cases = cases_editable_by(user) if write else cases_visible_to(user)
        if not self.case_path:
            return self.model.objects.filter(pk__in=cases.values("pk"))
        return self.model.objects.filter(**{f"{self.case_path}__in": cases.values("pk")})

    def get_queryset(self, request: Any) -> QuerySet:
        return self.scope(request.user, write=False)

    def get_edit_handler(self) -> Any:
        # The form must be CaseScopedForm so that its choices are limited to the user's cases.
        return ObjectList(self.panels, base_form_class=self.base_form_class).bind_to_model(self.model)

    def register_chooser_viewset(self) -> None:
        # A chooser would list every row of the model, unscoped: forms use plain selects instead.
        return None

    def get_urlpatterns(self) -> list:
        patterns = super().get_urlpatterns()
        for pattern in patterns:
            pattern.callback = self._guard(pattern.callback, write=pattern.name not in READ_ONLY_VIEW_NAMES)
        return patterns

    def _guard(self, view: Callable, *, write: bool) -> Callable:
        viewset = self

        @wraps(view)
        def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
            pk = kwargs.get("pk")
            if pk is not None:
                pk = unquote(str(pk))
                try:
                    visible = viewset.scope(request.user, write=False).filter(pk=pk).exists()
                except (ValueError, ValidationError):
                    visible = False
                if not visible:
                    raise Http404
                if write and not viewset.scope(request.user, write=True).filter(pk=pk).exists():
                    raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded


class ReadOnlyListingMixin:
    """For a viewset of records that only services write (computed deadlines, sent alerts,
    import runs): no generic add, edit, delete, history or usage views. `add_view_name`, when
    set, names the viewset's own view that the listing's "add" button opens instead."""

    add_view_name: str | None = None

    def get_common_view_kwargs(self, **kwargs: Any) -> dict:
        add_url_name = self.get_url_name(self.add_view_name) if self.add_view_name else None
        return super().get_common_view_kwargs(
            **{
                "add_url_name": add_url_name,
                "edit_url_name": None,
                "delete_url_name": None,
                "history_url_name": None,
                "usage_url_name": None,
                **kwargs,
            }
        )
