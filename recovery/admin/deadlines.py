"""Deadlines in the admin: the listing across cases, the "what if" page of one deadline, the
standalone calculator, the holiday calendar years; and the calculator's HTTP API.

Deadlines are computed, never edited: the listing has no add, edit or delete view. Every
computation goes through `deadline_compute` (the contract's `compute_from_json`).
"""

from datetime import date
from typing import Any

import django_filters
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from recovery.admin.base import (
    ReadOnlyListingMixin,
    ScopedFilterSet,
    ServiceViewSetMixin,
)
from recovery.admin.deadline_forms import (
    EVENT_LABELS,
    RULE_LABELS,
    STATUS_LABELS,
    CalculatorForm,
    LapseDecisionForm,
    WhatIfForm,
)
from recovery.admin.imports import DOCKET_MENU_HOOK
from recovery.checks.problems import InputProblems
from recovery.lib.deadline_display import may_upload_proof, once_proven_html
from recovery.lib.links import case_path
from recovery.lib.masking import SafeExportMixin
from recovery.models import Branch, Deadline, DeadlineStatus, HolidayYear, LapseDecision
from recovery.registry import deadline_kind_choices
from recovery.selectors.access import cases_editable_by, role_of
from recovery.selectors.deadlines import (
    DUE_WINDOWS,
    LAPSED,
    LAPSED_UNDECIDED,
    OVERDUE,
    deadline_compute,
    deadline_listing,
    deadline_stored_inputs,
    deadlines_visible_to,
    filter_due,
)
from recovery.services import RecoveryError
from recovery.services.deadlines import holiday_year_delete, holiday_year_save
from recovery.services.lapses import deadline_lapse_decide, lapse_notice

NAMESPACE = "recovery_deadlines"


def _url(name: str, *args: Any) -> str:
    return reverse(f"{NAMESPACE}:{name}", args=args)


def case_deadline_url(deadline: Deadline) -> str:
    """The case page, scrolled to this deadline's row."""
    return case_path(deadline.case_id) + f"#deadline-{deadline.pk}"


def _require_role(user: Any) -> None:
    if role_of(user) is None:
        raise PermissionDenied


def _result_view(result: dict[str, Any]) -> dict[str, Any]:
    """A calculator output object, with the labels the templates show."""
    return {**result, "status_label": STATUS_LABELS.get(result["status"], result["status"])}


def _with_act_by(
    result: dict[str, Any], proven_only: dict[str, Any], unproven: list[dict[str, Any]], *, link: bool
) -> dict[str, Any]:
    """A what-if result with the docket's act-by date: the one that holds without the stored
    facts that have no proof, where they move it, and the date once they are proven."""
    safe_end, without = result["safe_end"], proven_only["safe_end"]
    if not safe_end or not without or without == safe_end:
        return result
    # Shown as the stored deadline is (recovery.lib.deadline_display), from an unsaved one.
    shown = Deadline(
        act_by=date.fromisoformat(min(without, safe_end)),
        safe_end=date.fromisoformat(safe_end),
        facts=[{"label": e["label"], "proven": False, "action": e.get("action")} for e in unproven],
    )
    return {**result, "act_by": shown.act_by.isoformat(), "once_proven": once_proven_html(shown, link=link)}


# --- the listing ---------------------------------------------------------------------------


def _staff_users(request: Any = None) -> Any:
    return get_user_model().objects.filter(staff_profile__isnull=False).order_by("username")


class DeadlineFilterSet(ScopedFilterSet):
    due = django_filters.ChoiceFilter(
        label=gettext_lazy("Due"),
        method="filter_due",
        choices=[
            ("7", gettext_lazy("within 7 days")),
            ("30", gettext_lazy("within 30 days")),
            ("90", gettext_lazy("within 90 days")),
            (LAPSED, gettext_lazy("lapsed")),
            (LAPSED_UNDECIDED, gettext_lazy("lapsed, no decision yet")),
            (OVERDUE, gettext_lazy("overdue (lapsed)")),
        ],
    )
    lapse_decision = django_filters.ChoiceFilter(
        label=gettext_lazy("Decision on the lapse"), choices=LapseDecision.choices
    )
    kind = django_filters.ChoiceFilter(label=gettext_lazy("Kind"), choices=deadline_kind_choices)
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=DeadlineStatus.choices)
    at_risk = django_filters.BooleanFilter(label=gettext_lazy("At risk"))
    done = django_filters.ChoiceFilter(
        label=gettext_lazy("Done"),
        method="filter_done",
        empty_label=gettext_lazy("Not done"),
        choices=[("yes", gettext_lazy("Done")), ("all", gettext_lazy("All"))],
    )
    assignee = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Assignee"), field_name="case__assignee", queryset=_staff_users
    )
    branch = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Branch"), field_name="case__branch", queryset=Branch.objects.all()
    )

    class Meta:
        model = Deadline
        fields = ["due", "kind", "status", "at_risk", "done", "lapse_decision", "assignee", "branch"]

    def filter_due(self, queryset: Any, name: str, value: str) -> Any:
        if value not in DUE_WINDOWS and value not in (LAPSED, LAPSED_UNDECIDED, OVERDUE):
            return queryset
        return filter_due(queryset, value, today=timezone.localdate())

    def filter_done(self, queryset: Any, name: str, value: str) -> Any:
        # No value (the default) keeps only open deadlines: see filter_queryset.
        return queryset.filter(done=True) if value == "yes" else queryset

    def filter_queryset(self, queryset: Any) -> Any:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("done"):
            queryset = queryset.filter(done=False)
        return queryset


class FlagColumn(Column):
    """A tag shown when the row's boolean `name` is set."""

    cell_template_name = "recovery/deadlines/flag_cell.html"

    def __init__(self, name: str, *, tag: Any, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.tag = tag

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        context["tag"] = self.tag if context["value"] else ""
        context["title"] = getattr(instance, "at_risk_note", "") if self.name == "at_risk" else ""
        return context


def _lapse_state(deadline: Deadline) -> str:
    """ "lapsed", with the decision once there is one; "—" for a live deadline."""
    if not deadline.lapsed:
        return "—"
    decision = deadline.get_lapse_decision_display() if deadline.lapse_decision else _("no decision yet")
    return _("lapsed") + ": " + decision


class ActByColumn(Column):
    """The act-by date and, where an unproven fact moves it, the date once the proof is recorded."""

    cell_template_name = "recovery/deadlines/act_by_cell.html"

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        link = request is not None and may_upload_proof(request.user)
        context["once_proven"] = once_proven_html(instance, link=link)
        return context


class WhatIfColumn(Column):
    cell_template_name = "recovery/deadlines/what_if_cell.html"

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        context["url"] = _url("what_if", instance.pk)
        return context


def _iso(name: str) -> Any:
    def value(deadline: Deadline) -> str:
        day = getattr(deadline, name)
        return day.isoformat() if day else "—"

    return value


class DeadlineIndexView(SafeExportMixin, IndexView):
    default_ordering = "act_by"

    def get_base_queryset(self) -> Any:
        return deadline_listing(deadlines_visible_to(self.request.user))

    def order_queryset(self, queryset: Any) -> Any:
        # Deadlines without a date yet (proceedings pending) come last, on every database.
        ordering = self.ordering
        if ordering in ("act_by", "-act_by", "legal_end", "-legal_end"):
            name = ordering.lstrip("-")
            direction = F(name).desc if ordering.startswith("-") else F(name).asc
            return queryset.order_by(direction(nulls_last=True), "pk")
        return super().order_queryset(queryset)

    def get_list_buttons(self, instance: Any) -> list:
        return []


class DeadlineViewSet(ReadOnlyListingMixin, ModelViewSet):
    """The deadlines of every case the user sees, soonest first; read-only."""

    model = Deadline
    name = NAMESPACE
    url_prefix = "recovery/deadlines"
    icon = "date"
    menu_label = gettext_lazy("Deadlines")
    menu_order = 5
    menu_hook = DOCKET_MENU_HOOK
    index_view_class = DeadlineIndexView
    filterset_class = DeadlineFilterSet
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50
    list_display = [
        TitleColumn(
            "case",
            label=gettext_lazy("Case"),
            accessor=lambda d: d.case.number,
            get_url=case_deadline_url,
            sort_key="case__number",
        ),
        Column("party", label=gettext_lazy("Against"), accessor=lambda d: d.party.name if d.party else "—"),
        Column("kind", label=gettext_lazy("Kind"), accessor="get_kind_display", sort_key="kind"),
        Column("subject", label=gettext_lazy("Concerning")),
        ActByColumn("act_by", label=gettext_lazy("Act by"), accessor=_iso("act_by"), sort_key="act_by"),
        Column(
            "legal_end", label=gettext_lazy("Legal end"), accessor=_iso("legal_end"), sort_key="legal_end"
        ),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display", sort_key="status"),
        FlagColumn("lapsed", label=gettext_lazy("Lapsed"), tag=gettext_lazy("lapsed")),
        Column("lapse_decision", label=gettext_lazy("Decision"), accessor=_lapse_state),
        FlagColumn("at_risk", label=gettext_lazy("Risk"), tag=gettext_lazy("at risk")),
        FlagColumn(
            "calendar_provisional", label=gettext_lazy("Calendar"), tag=gettext_lazy("provisional calendar")
        ),
        WhatIfColumn("what_if", label=gettext_lazy("Explain")),
    ]
    list_export = [
        "case.number",
        "party",
        "get_kind_display",
        "subject",
        "trigger",
        "raw_end",
        "legal_end",
        "act_by",
        "safe_end",
        "get_status_display",
        "at_risk",
        "at_risk_note",
        "calendar_provisional",
        "done_note",
        "get_lapse_decision_display",
        "lapse_reason",
        "done_once_proven",
    ]
    export_headings = {
        "case.number": gettext_lazy("Case number"),
        "party": gettext_lazy("Against"),
        "get_kind_display": gettext_lazy("Kind"),
        "subject": gettext_lazy("Concerning"),
        "trigger": gettext_lazy("Runs from"),
        "raw_end": gettext_lazy("Raw end"),
        "legal_end": gettext_lazy("Legal end"),
        "act_by": gettext_lazy("Act by"),
        "safe_end": gettext_lazy("Act by, once every fact is proven"),
        "get_status_display": gettext_lazy("Status"),
        "at_risk": gettext_lazy("At risk"),
        "at_risk_note": gettext_lazy("Risk"),
        "calendar_provisional": gettext_lazy("Provisional calendar"),
        "done_note": gettext_lazy("Done because"),
        "done_once_proven": gettext_lazy("Done once proven"),
    }
    export_filename = "deadlines"

    @property
    def url_finder_class(self) -> type:
        finder = super().url_finder_class
        finder.edit_url_name = self.get_url_name("what_if")
        return finder

    def get_urlpatterns(self) -> list:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("what-if/<int:pk>/", WhatIfView.as_view(), name="what_if"),
            path("lapse/<int:pk>/", LapseDecideView.as_view(), name="lapse_decide"),
            path("calculator/", CalculatorView.as_view(), name="calculator"),
        ]


# --- what if, on one deadline ----------------------------------------------------------------


class OneDeadlinePageMixin(WagtailAdminTemplateMixin):
    """A page about one deadline (`self.deadline`): its case and subject as the subtitle, and
    the breadcrumbs Deadlines › case › `crumb_label`."""

    crumb_label: Any = ""

    def get_page_subtitle(self) -> str:
        return f"{self.deadline.case.number} {self.deadline.subject}"

    def get_breadcrumbs_items(self) -> list:
        return [
            *self.breadcrumbs_items,
            {"url": _url("index"), "label": _("Deadlines")},
            {"url": case_deadline_url(self.deadline), "label": self.deadline.case.number},
            {"url": "", "label": self.crumb_label},
        ]


class WhatIfView(OneDeadlinePageMixin, TemplateView):
    """A stored deadline's inputs, recomputed with hypothetical events or another as-of day.
    Nothing is written."""

    template_name = "recovery/deadlines/what_if.html"
    header_icon = "date"
    crumb_label = gettext_lazy("What if")

    @cached_property
    def deadline(self) -> Deadline:
        return get_object_or_404(
            deadlines_visible_to(self.request.user).select_related("case", "party"), pk=self.kwargs["pk"]
        )

    def get_page_title(self) -> str:
        return _("What if: %(kind)s") % {"kind": self.deadline.get_kind_display()}

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        deadline = self.deadline
        stored = deadline_stored_inputs(deadline)
        submitted = any(key == "as_of" or key.startswith("event_") for key in self.request.GET)
        form = WhatIfForm(
            self.request.GET if submitted else None, initial={"event_type_0": "demand_delivered"}
        )
        # Facts stored before the supported range was enforced (a collection action dated
        # 0001-01-01) cannot be computed: say which, rather than fail the page for everyone.
        stored_problems: list[str] = []
        link = may_upload_proof(self.request.user)
        unproven = stored.unproven
        try:
            current = _result_view(deadline_compute(stored.as_item()))
            if unproven:
                current = _with_act_by(
                    current, deadline_compute(stored.as_item(proven_only=True)), unproven, link=link
                )
        except InputProblems as problems:
            current = None
            stored_problems = [f"{p.field}: {p.message}" for p in problems.problems]
        hypothetical = None
        extra: list[dict[str, str]] = []
        if submitted and form.is_valid() and not stored_problems:
            extra, rows = form.events()
            as_of = form.as_of_value()
            if extra or as_of:
                try:
                    hypothetical = _result_view(
                        deadline_compute(stored.as_item(extra_events=extra, as_of=as_of))
                    )
                except InputProblems as problems:
                    offset = len(stored.events) if stored.events_apply else 0
                    form.add_problems(problems.problems, event_rows=rows, event_offset=offset)
                else:
                    if unproven:  # the same hypothesis, without the stored facts that lack proof
                        proven_only = stored.as_item(extra_events=extra, as_of=as_of, proven_only=True)
                        hypothetical = _with_act_by(
                            hypothetical, deadline_compute(proven_only), unproven, link=link
                        )
        context.update(
            deadline=deadline,
            stored=stored,
            rule_label=RULE_LABELS.get(stored.rule, stored.rule),
            stored_events=[
                {**e, "type_label": EVENT_LABELS.get(e["type"], e["type"])} for e in stored.events
            ],
            form=form,
            current=current,
            stored_problems=stored_problems,
            hypothetical=hypothetical,
            extra=[
                {**event, "label": EVENT_LABELS.get(event.get("type"), event.get("type"))} for event in extra
            ],
            case_url=case_deadline_url(deadline),
        )
        return context


# --- the decision on a lapsed deadline ---------------------------------------------------------


def lapse_decide_url(deadline: Deadline) -> str:
    return _url("lapse_decide", deadline.pk)


class LapseDecideView(OneDeadlinePageMixin, TemplateView):
    """What the lapse of one deadline means, and the lawyer's decision on it (POST, through
    `deadline_lapse_decide`). Out of the user's editable scope (auditors included): 404."""

    template_name = "recovery/deadlines/lapse_decide.html"
    header_icon = "warning"
    crumb_label = gettext_lazy("Decision")

    @cached_property
    def deadline(self) -> Deadline:
        return get_object_or_404(
            deadlines_visible_to(self.request.user)
            .filter(case__in=cases_editable_by(self.request.user).order_by().values("pk"))
            .select_related("case", "party", "lapse_decided_by"),
            pk=self.kwargs["pk"],
        )

    def get_page_title(self) -> str:
        return _("Decision on a lapsed deadline: %(kind)s") % {"kind": self.deadline.get_kind_display()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = LapseDecisionForm(request.POST)
        if form.is_valid():
            try:
                deadline_lapse_decide(
                    deadline=self.deadline,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                )
            except RecoveryError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect(case_deadline_url(self.deadline))
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        deadline = self.deadline
        initial = {"decision": deadline.lapse_decision, "reason": deadline.lapse_reason}
        context.update(
            deadline=deadline,
            lapsed=deadline.lapsed,
            notice=lapse_notice(deadline, language=get_language() or settings.LANGUAGE_CODE),
            form=kwargs.get("form") or LapseDecisionForm(initial=initial),
            case_url=case_deadline_url(deadline),
        )
        return context


# --- the standalone calculator ----------------------------------------------------------------


class CalculatorView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "recovery/deadlines/calculator.html"
    header_icon = "calendar-alt"
    page_title = gettext_lazy("Deadline calculator")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        _require_role(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        submitted = "rule" in self.request.GET
        form = CalculatorForm(self.request.GET if submitted else None, initial={"rule": "limitation"})
        result = None
        if submitted and form.is_valid():
            item, rows = form.to_item()
            try:
                result = _result_view(deadline_compute(item))
            except InputProblems as problems:
                form.add_problems(problems.problems, event_rows=rows)
        context.update(form=form, result=result, api_url=reverse("deadline_compute_api"))
        return context


class CalculatorMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return role_of(request.user) is not None


def calculator_menu_item() -> MenuItem:
    return CalculatorMenuItem(
        gettext_lazy("Deadline calculator"),
        _url("calculator"),
        name="deadline-calculator",
        icon_name="calendar-alt",
        order=105,
    )


# --- holiday calendar years ------------------------------------------------------------------


class HolidayYearForm(WagtailAdminModelForm):
    """The year of a saved notice is fixed: enter a new year rather than move one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "year" in self.fields:
            self.fields["year"].disabled = True


HOLIDAYS_HELP = gettext_lazy(
    "The rest days (放假) of the State Council's notice for this year, one day or range per line, "
    "e.g. 2027-01-01, or 2027-10-01..2027-10-07 for a block; text after # is a comment (e.g. # 国庆节)."
)
WORKING_DAYS_HELP = gettext_lazy(
    "The Saturdays and Sundays the notice makes working days (调休上班), one date per line, e.g. "
    "2027-09-26. Leave empty if there are none."
)


class HolidayYearViewSet(ServiceViewSetMixin, SnippetViewSet):
    """The head of recovery enters each year's holiday notice; saving recomputes the deadlines
    whose dates fall in that year (or were computed on a provisional calendar)."""

    model = HolidayYear
    icon = "calendar-alt"
    menu_label = gettext_lazy("Holiday calendar")
    menu_order = 900
    add_to_settings_menu = True
    # Saving or deleting a notice recomputes the deadlines it affects.
    record_keyword = "holiday_year"
    create_service = staticmethod(holiday_year_save)
    update_service = staticmethod(holiday_year_save)
    delete_service = staticmethod(holiday_year_delete)
    copy_view_enabled = False
    base_form_class = HolidayYearForm
    list_display = ["year", "notice", "updated_at"]
    ordering = ["-year"]
    panels = [
        FieldPanel("year"),
        FieldPanel("notice"),
        FieldPanel("holidays", help_text=HOLIDAYS_HELP),
        FieldPanel("make_up_working_days", help_text=WORKING_DAYS_HELP),
    ]

    def get_edit_handler(self) -> Any:
        return ObjectList(self.panels, base_form_class=self.base_form_class).bind_to_model(self.model)

    def register_chooser_viewset(self) -> None:
        return None
