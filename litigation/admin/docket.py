"""Lawsuits, hearings, judgments and enforcement in the admin, and on the case page."""

from datetime import date, timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.ui.tables import DateColumn
from wagtail.log_actions import LogFormatter
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from litigation import services
from litigation.admin import writeoff
from litigation.models import Enforcement, Hearing, Judgment, Lawsuit, Stage
from litigation.selectors import case_lawsuits, hearings_ahead, hearings_since, performance_deadlines_ahead
from recovery.admin.base import ScopedSnippetViewSet, ServiceCreateView
from recovery.models import Case
from recovery.selectors.access import cases_editable_by
from recovery.selectors.docket import TimelineEvent


def _scoped_id(request: Any, name: str, queryset: Any) -> int | None:
    """The `?name=<id>` of the request when it names a row of `queryset`; anything else
    (missing, not a number, another user's case) is ignored, not an error."""
    value = request.GET.get(name, "")
    if not value.isdigit():
        return None
    return queryset.filter(pk=int(value)).values_list("pk", flat=True).first()


class LawsuitChildCreateView(ServiceCreateView):
    """A hearing, judgment or enforcement belongs to the suit it is opened from: `?lawsuit=<id>`
    preselects it; `?case=<id>` offers only that case's suits and preselects the only one."""

    def _opened_from(self) -> tuple[int | None, int | None]:
        if not hasattr(self, "_opened_from_ids"):
            editable = cases_editable_by(self.request.user)
            suits = Lawsuit.objects.filter(case__in=editable.order_by().values("pk"))
            lawsuit_id = _scoped_id(self.request, "lawsuit", suits)
            case_id = (
                suits.filter(pk=lawsuit_id).values_list("case_id", flat=True).first()
                if lawsuit_id
                else _scoped_id(self.request, "case", editable)
            )
            if lawsuit_id is None and case_id is not None:
                only = list(suits.filter(case_id=case_id).values_list("pk", flat=True)[:2])
                lawsuit_id = only[0] if len(only) == 1 else None
            self._opened_from_ids = (case_id, lawsuit_id)
        return self._opened_from_ids

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        initial.pop("case", None)
        initial.pop("lawsuit", None)
        _case_id, lawsuit_id = self._opened_from()
        if lawsuit_id is not None:
            initial["lawsuit"] = lawsuit_id
        return initial

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        case_id, _lawsuit_id = self._opened_from()
        if case_id is not None and not form.is_bound and "lawsuit" in form.fields:
            form.fields["lawsuit"].queryset = form.fields["lawsuit"].queryset.filter(case_id=case_id)
        return form


class LawsuitViewSet(ScopedSnippetViewSet):
    # Every write goes through litigation.services, which moves the suit's and the case's stage.
    record_keyword = "lawsuit"
    create_service = staticmethod(services.lawsuit_file)
    update_service = staticmethod(services.lawsuit_update)
    delete_service = staticmethod(services.lawsuit_delete)
    model = Lawsuit
    icon = "doc-full"
    menu_label = gettext_lazy("Lawsuits")
    list_display = [
        "court_case_number",
        "case",
        "court",
        "stage",
        DateColumn("filed_on", label=gettext_lazy("filed on")),
    ]
    list_filter = ["stage"]
    search_fields = ["court_case_number", "court", "case__debtor__name"]
    list_export = [
        "case.number",
        "court",
        "court_case_number",
        "cause_of_action",
        "claim_amount",
        "filed_on",
        "stage",
    ]
    export_filename = "lawsuits"
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("stage")]),
        FieldRowPanel([FieldPanel("court"), FieldPanel("court_case_number")]),
        FieldRowPanel([FieldPanel("cause_of_action"), FieldPanel("claim_amount")]),
        FieldRowPanel([FieldPanel("filed_on"), FieldPanel("accepted_on"), FieldPanel("ended_on")]),
        FieldPanel("notes"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("case__debtor")


class HearingViewSet(ScopedSnippetViewSet):
    # Every write goes through litigation.services, which moves the suit's and the case's stage.
    record_keyword = "hearing"
    create_service = staticmethod(services.hearing_schedule)
    update_service = staticmethod(services.hearing_update)
    delete_service = staticmethod(services.hearing_delete)
    add_view_class = LawsuitChildCreateView
    model = Hearing
    case_path = "lawsuit__case"
    icon = "date"
    menu_label = gettext_lazy("Hearings")
    list_display = ["date", "time", "lawsuit", "courtroom"]
    panels = [
        FieldPanel("lawsuit"),
        FieldRowPanel([FieldPanel("date"), FieldPanel("time"), FieldPanel("courtroom")]),
        FieldPanel("notes"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("lawsuit")


class JudgmentViewSet(ScopedSnippetViewSet):
    # Every write goes through litigation.services, which moves the suit's and the case's stage.
    record_keyword = "judgment"
    create_service = staticmethod(services.judgment_record)
    update_service = staticmethod(services.judgment_update)
    delete_service = staticmethod(services.judgment_delete)
    add_view_class = LawsuitChildCreateView
    model = Judgment
    case_path = "lawsuit__case"
    icon = "doc-full-inverse"
    menu_label = gettext_lazy("Judgments")
    list_display = [
        "lawsuit",
        "kind",
        DateColumn("served_on", label=gettext_lazy("served on")),
        "amount_awarded",
    ]
    panels = [
        FieldRowPanel([FieldPanel("lawsuit"), FieldPanel("kind")]),
        FieldRowPanel(
            [FieldPanel("served_on"), FieldPanel("effective_on"), FieldPanel("performance_deadline")]
        ),
        FieldPanel("amount_awarded"),
        FieldPanel("notes"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("lawsuit")


class EnforcementViewSet(ScopedSnippetViewSet):
    # Every write goes through litigation.services, which moves the suit's and the case's stage.
    record_keyword = "enforcement"
    create_service = staticmethod(services.enforcement_open)
    update_service = staticmethod(services.enforcement_update)
    delete_service = staticmethod(services.enforcement_delete)
    add_view_class = LawsuitChildCreateView
    model = Enforcement
    case_path = "lawsuit__case"
    icon = "lock"
    menu_label = gettext_lazy("Enforcement")
    list_display = [
        "enforcement_case_number",
        "lawsuit",
        DateColumn("applied_on", label=gettext_lazy("applied on")),
    ]
    panels = [
        FieldRowPanel([FieldPanel("lawsuit"), FieldPanel("enforcement_case_number")]),
        FieldRowPanel([FieldPanel("applied_on"), FieldPanel("round_closed_on"), FieldPanel("concluded_on")]),
        FieldPanel("notes"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("lawsuit")


class LitigationGroup(SnippetViewSetGroup):
    menu_label = gettext_lazy("Litigation")
    menu_icon = "doc-full"
    menu_order = 110
    items = (
        LawsuitViewSet,
        HearingViewSet,
        JudgmentViewSet,
        EnforcementViewSet,
        writeoff.WriteOffViewSet,
        writeoff.CompleteTerminationViewSet,
        writeoff.WriteOffEvidenceViewSet,
        writeoff.CompleteTerminationEvidenceViewSet,
        writeoff.WriteOffGroundViewSet,
    )


def register_litigation_log_actions(actions: Any) -> None:
    @actions.register_action(services.LAWSUIT_STAGE_ADVANCED)
    class LawsuitStageAdvanced(LogFormatter):
        label = gettext_lazy("Stage advanced")

        def format_message(self, log_entry: Any) -> str:
            before, after = log_entry.data.get("changes", {}).get("stage", ["", ""])
            labels = dict(Stage.choices)
            reason = log_entry.data.get("reason")
            text = f"{_('Stage advanced')}: {labels.get(before, before)} → {labels.get(after, after)}"
            return text + (f" ({reason})" if reason else "")


def lawsuits_section(case: Case, request: Any) -> str:
    return render_to_string(
        "litigation/case_section.html", {"case": case, "lawsuits": case_lawsuits(case)}, request=request
    )


def lawsuit_events(case: Case) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for suit in case_lawsuits(case):
        label = suit.court_case_number or suit.court
        events.append(
            TimelineEvent(suit.filed_on, "lawsuit", _("Suit filed at %(c)s") % {"c": suit.court}, label)
        )
        if suit.accepted_on:
            events.append(TimelineEvent(suit.accepted_on, "lawsuit", _("Suit accepted"), label))
        if suit.ended_on:
            events.append(TimelineEvent(suit.ended_on, "lawsuit", _("Proceedings ended"), label))
        for hearing in suit.hearings.all():
            events.append(
                TimelineEvent(hearing.date, "hearing", _("Hearing"), f"{label} {hearing.courtroom}".strip())
            )
        for judgment in suit.judgments.all():
            events.append(
                TimelineEvent(
                    judgment.served_on,
                    "judgment",
                    _("%(k)s served") % {"k": judgment.get_kind_display()},
                    _("Awarded %(a)s") % {"a": judgment.amount_awarded},
                )
            )
        for enforcement in suit.enforcements.all():
            events.append(
                TimelineEvent(
                    enforcement.applied_on,
                    "enforcement",
                    _("Enforcement applied for"),
                    enforcement.enforcement_case_number,
                )
            )
            if enforcement.round_closed_on:
                events.append(
                    TimelineEvent(
                        enforcement.round_closed_on,
                        "enforcement",
                        _("Enforcement round closed (终本)"),
                        enforcement.enforcement_case_number,
                    )
                )
    return events


def upcoming_hearings(*, user: Any, cases: Any, today: date) -> list[dict]:
    hearings = hearings_ahead(cases, today=today)
    judgments = performance_deadlines_ahead(cases, today=today)
    items = [
        {
            "on": h.date,
            "what": _("Hearing %(n)s %(r)s") % {"n": h.lawsuit, "r": h.courtroom},
            "case": h.lawsuit.case,
        }
        for h in hearings
    ]
    items += [
        {
            "on": j.performance_deadline,
            "what": _("Performance deadline of %(n)s") % {"n": j.lawsuit},
            "case": j.lawsuit.case,
        }
        for j in judgments
    ]
    return items


def seed_demo_lawsuits(*, today: date, user: Any) -> None:
    """Demo suits for the cases in litigation or enforcement, with hearings in the coming weeks;
    recorded through the services, so the suits' stages follow from what was recorded."""
    from decimal import Decimal

    from recovery.models import CaseStatus

    for index, case in enumerate(
        Case.objects.filter(status__in=[CaseStatus.LITIGATION, CaseStatus.ENFORCEMENT], lawsuits__isnull=True)
    ):
        suit = services.lawsuit_file(
            lawsuit=Lawsuit(
                case=case,
                court="上海市浦东新区人民法院" if case.branch.name == "上海分行" else "杭州市西湖区人民法院",
                court_case_number=f"({today.year})沪0115民初{12345 + index}号",
                cause_of_action="金融借款合同纠纷",
                claim_amount=Decimal("650000.00"),
                filed_on=today - timedelta(days=60),
                accepted_on=today - timedelta(days=53),
            ),
            user=user,
            source="demo",
        )
        services.hearing_schedule(
            hearing=Hearing(lawsuit=suit, date=today + timedelta(days=9 + index), courtroom="第12法庭"),
            user=user,
            source="demo",
        )
        if case.status == CaseStatus.ENFORCEMENT:
            services.judgment_record(
                judgment=Judgment(
                    lawsuit=suit,
                    served_on=today - timedelta(days=40),
                    effective_on=today - timedelta(days=24),
                    amount_awarded=Decimal("612000.00"),
                    performance_deadline=today - timedelta(days=14),
                ),
                user=user,
                source="demo",
            )
            services.enforcement_open(
                enforcement=Enforcement(
                    lawsuit=suit,
                    applied_on=today - timedelta(days=7),
                    enforcement_case_number=f"({today.year})浙0106执{800 + index}号",
                ),
                user=user,
                source="demo",
            )


def hearing_calendar_events(user: Any) -> list:
    """The hearings of the user's calendar-feed cases, from 90 days back on (one query)."""
    from django.utils import timezone

    from recovery.services.alerts import case_url
    from recovery.views.calendar import CalendarEvent, event_uid, feed_cases

    since = timezone.localdate() - timedelta(days=90)
    hearings = hearings_since(feed_cases(user), since=since)
    events = []
    for hearing in hearings:
        suit = hearing.lawsuit
        case = suit.case
        url = case_url(case.pk)
        place = " ".join(part for part in (suit.court, hearing.courtroom) if part)
        lines = [_("Hearing of %(suit)s") % {"suit": suit}, place, hearing.notes, url]
        events.append(
            CalendarEvent(
                uid=event_uid("hearing", hearing.pk),
                on=hearing.date,
                at=hearing.time,
                summary=f"[{_('Hearing')}] {case.number} {case.debtor.name} {suit}",
                description="\n".join(line for line in lines if line),
                location=place,
                url=url,
            )
        )
    return events
