"""The docket in the Wagtail admin: cases, parties, loans, roles, collection actions."""

from typing import Any

import django_filters
from django.conf import settings
from django.contrib.admin.utils import unquote
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import DateColumn, TitleColumn
from wagtail.log_actions import LogFormatter
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from recovery.admin.base import (
    ScopedFilterSet,
    ScopedIndexView,
    ScopedSnippetViewSet,
    ServiceCreateView,
    ServiceViewSetMixin,
)
from recovery.admin.columns import InlineColumn, InlineMaskedColumn
from recovery.admin.deadline_forms import LapseDecisionForm
from recovery.admin.deadlines import (
    DeadlineViewSet,
    case_deadline_url,
    lapse_decide_url,
)
from recovery.admin.imports import DOCKET_MENU_HOOK, ImportRunViewSet
from recovery.admin.loan_parties import (
    CasePartyCreateView,
    CasePartyEditView,
    CasePartyForm,
    LoanInspectView,
    loan_party_confirm_view,
    loan_party_remove_view,
)
from recovery.lib import audit
from recovery.lib.deadline_display import may_upload_proof
from recovery.lib.files import PrivateFileInput
from recovery.lib.masking import MaskedColumn, MaskedInspectView, masked_changes, shown_value
from recovery.models import (
    Branch,
    Case,
    CaseParty,
    CaseStatus,
    CollectionAction,
    DefaultCause,
    Instalment,
    LapseDecision,
    Loan,
    Party,
)
from recovery.selectors.access import (
    assignable_users,
    can_see_all_cases,
    cases_editable_by,
    cases_visible_to,
    mask_id_number,
    mask_phones,
    openable_branches,
    parties_in_scope,
)
from recovery.selectors.deadlines import case_deadlines, dashboard_deadlines
from recovery.selectors.docket import (
    OVERDUE_BUCKETS,
    case_listing,
    case_page_queryset,
    case_timeline,
    case_totals,
    filter_overdue_bucket,
    recent_activity,
    recent_collection_actions,
    upcoming_loan_due_dates,
)
from recovery.selectors.search import case_search
from recovery.services.cases import (
    CASE_STAGE_ADVANCED,
    CASE_STAGE_CORRECTED,
    branch_add,
    branch_delete,
    branch_update,
    case_delete,
    case_open,
    case_update,
    default_cause_add,
    default_cause_delete,
    default_cause_update,
    instalment_delete,
    instalment_record,
    instalment_update,
    loan_delete,
    loan_record,
    loan_update,
    party_add,
    party_delete,
    party_update,
)
from recovery.services.collection import (
    collection_action_delete,
    collection_action_record,
    collection_action_update,
)
from recovery.services.lapses import LAPSE_DECIDED, LAPSE_DECISION_CLEARED, lapse_notice
from recovery.services.loan_parties import case_party_remove, case_party_save
from recovery.views.downloads import collection_action_proof

# ---- Cases -------------------------------------------------------------------------------


class CaseFilterSet(ScopedFilterSet):
    """Assignee and branch offer only the people and branches of the user's scope."""

    overdue = django_filters.ChoiceFilter(
        label=_("Overdue"),
        method="filter_overdue",
        choices=[
            ("m0_3", _("up to 90 days")),
            ("m4_6", _("91–180 days")),
            ("m7_12", _("181–365 days")),
            ("y1_3", _("1–3 years")),
            ("y3_plus", _("over 3 years")),
        ],
    )

    class Meta:
        model = Case
        fields = ["status", "assignee", "branch", "default_cause"]

    def filter_overdue(self, queryset: Any, name: str, value: str) -> Any:
        if value not in OVERDUE_BUCKETS:
            return queryset
        return filter_overdue_bucket(queryset, value, today=timezone.localdate())


class CaseIndexView(ScopedIndexView):
    def _get_title_column(self, field_name: str, column_class: Any = TitleColumn, **kwargs: Any) -> Any:
        # A case's number opens the case page, where the lawyer works; editing is one click further.
        column_class = self._get_title_column_class(column_class)
        return self._get_custom_column(field_name, column_class, get_url=self.get_inspect_url, **kwargs)

    def get_base_queryset(self) -> Any:
        return case_listing(super().get_base_queryset())

    def search_queryset(self, queryset: Any) -> Any:
        if not self.is_searching:
            return queryset
        return case_search(queryset, self.search_query, user=self.request.user)


class CaseInspectView(MaskedInspectView):
    template_name = "recovery/case_inspect.html"

    def get_object(self, queryset: Any = None) -> Case:
        # The case as its page shows it, loans, parties and actions included, read once and
        # only among the cases the user may see (the viewset's guard has checked already).
        return get_object_or_404(
            case_page_queryset(cases_visible_to(self.request.user)), pk=unquote(str(self.pk))
        )

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        case = self.object
        user = self.request.user
        context.update(
            case=case,
            debtor_id_number=shown_value(user, case.debtor, "id_number"),
            debtor_phones=shown_value(user, case.debtor, "phones"),
            timeline=case_timeline(case),
            can_edit=cases_editable_by(user).filter(pk=case.pk).exists(),
            sections=[section(case, self.request) for section in hooks.get_hooks("recovery_case_sections")],
            totals=case_totals(case),
        )
        return context


class CaseCreateView(ServiceCreateView):
    def get_initial(self) -> dict[str, Any]:
        # Where a field has one choice only (a lawyer's branch and themself), it is filled in.
        initial = super().get_initial()
        for name, choices in (
            ("branch", openable_branches(self.request.user)),
            ("assignee", assignable_users(self.request.user)),
        ):
            only = list(choices.values_list("pk", flat=True)[:2])
            if name not in initial and len(only) == 1:
                initial[name] = only[0]
        return initial


class CaseViewSet(ScopedSnippetViewSet):
    model = Case
    case_path = ""
    record_keyword = "case"
    create_service = staticmethod(case_open)
    update_service = staticmethod(case_update)
    delete_service = staticmethod(case_delete)
    add_view_class = CaseCreateView
    icon = "folder-open-inverse"
    menu_label = _("Cases")
    menu_order = 100
    add_to_admin_menu = False
    index_view_class = CaseIndexView
    inspect_view_enabled = True
    inspect_view_class = CaseInspectView
    filterset_class = CaseFilterSet
    list_per_page = 50
    ordering = ["-opened_on", "-id"]
    list_display = [
        "number",
        # Cells rendered in Python, not a template each (recovery/admin/columns.py).
        InlineColumn("debtor", label=_("Debtor"), accessor="debtor.name"),
        InlineMaskedColumn(
            "debtor_id", label=_("ID number"), accessor="debtor.id_number", masker=mask_id_number
        ),
        InlineColumn("branch", label=_("Branch"), sort_key="branch__name"),
        InlineColumn("assignee", label=_("Assignee"), sort_key="assignee__username"),
        InlineColumn("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        InlineColumn("principal_total", label=_("Outstanding principal"), sort_key="principal_total"),
        DateColumn("first_due_on", label=_("First due"), sort_key="first_due_on"),
        InlineColumn("default_cause", label=_("Default cause")),
    ]
    list_export = [
        "number",
        "debtor.name",
        "debtor.id_number",
        "debtor.phones",
        "branch.name",
        "assignee",
        "get_status_display",
        "principal_total",
        "first_due_on",
        "default_cause",
        "opened_on",
    ]
    export_headings = {
        "number": _("Case number"),
        "debtor.name": _("Debtor"),
        "debtor.id_number": _("ID number"),
        "debtor.phones": _("Phones"),
        "branch.name": _("Branch"),
        "assignee": _("Assignee"),
        "get_status_display": _("Status"),
        "principal_total": _("Outstanding principal"),
        "first_due_on": _("First due"),
        "default_cause": _("Default cause"),
        "opened_on": _("Opened on"),
    }
    export_filename = "cases"
    search_fields = ["debtor__name"]
    panels = [
        FieldPanel("debtor"),
        FieldRowPanel([FieldPanel("branch"), FieldPanel("assignee")]),
        FieldPanel("shared_with"),
        FieldRowPanel([FieldPanel("status"), FieldPanel("default_cause")]),
        FieldRowPanel([FieldPanel("opened_on"), FieldPanel("closed_on")]),
        FieldPanel("summary"),
    ]


# ---- Parties -----------------------------------------------------------------------------


class PartyCreateView(ServiceCreateView):
    def get_success_url(self) -> str:
        # A new party is on no case: visible only to who added it until a case names it. The
        # next step is the case form with it as the debtor (or a party role on a case).
        if not self.object.cases.exists() and not self.object.case_roles.exists():
            return f"{reverse('wagtailsnippets_recovery_case:add')}?debtor={self.object.pk}"
        return super().get_success_url()


class PartyViewSet(ScopedSnippetViewSet):
    model = Party
    record_keyword = "party"
    create_service = staticmethod(party_add)
    update_service = staticmethod(party_update)
    delete_service = staticmethod(party_delete)
    icon = "user"
    menu_label = _("Parties")
    add_view_class = PartyCreateView
    inspect_view_enabled = True
    list_display = [
        "name",
        "kind",
        MaskedColumn("id_masked", label=_("ID number"), accessor="id_number", masker=mask_id_number),
        MaskedColumn("phones_masked", label=_("Phones"), accessor="phones", masker=mask_phones),
    ]
    list_filter = ["kind", "marital_status"]
    list_export = ["name", "kind", "id_number", "phones", "address", "marital_status"]
    export_filename = "parties"
    search_fields = ["name", "id_number"]
    panels = [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("name")]),
        FieldPanel("id_number"),
        FieldRowPanel([FieldPanel("phones"), FieldPanel("marital_status")]),
        FieldPanel("address"),
        FieldPanel("legal_representative"),
        FieldPanel("notes"),
    ]

    def scope(self, user: Any, *, write: bool) -> Any:
        # The parties of the user's cases, and the ones they added that are on no case yet.
        return parties_in_scope(user, write=write)


# ---- Loans, roles, collection actions -------------------------------------------------------


class LoanViewSet(ScopedSnippetViewSet):
    model = Loan
    record_keyword = "loan"
    create_service = staticmethod(loan_record)
    update_service = staticmethod(loan_update)
    delete_service = staticmethod(loan_delete)
    icon = "table"
    inspect_view_class = LoanInspectView
    menu_label = _("Loans")
    list_display = [
        "contract_no",
        "case",
        "amount",
        "principal_outstanding",
        DateColumn("due_on", label=_("due on")),
    ]
    list_filter = ["branch"]
    list_export = [
        "contract_no",
        "case.number",
        "amount",
        "principal_outstanding",
        "interest_outstanding",
        "penalty_interest",
        "disbursed_on",
        "due_on",
        "last_payment_on",
        "handed_over_on",
    ]
    export_filename = "loans"
    search_fields = ["contract_no", "case__debtor__name"]
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("contract_no"), FieldPanel("branch")]),
        FieldRowPanel([FieldPanel("amount"), FieldPanel("principal_outstanding")]),
        FieldRowPanel([FieldPanel("interest_outstanding"), FieldPanel("penalty_interest")]),
        FieldRowPanel([FieldPanel("disbursed_on"), FieldPanel("due_on"), FieldPanel("last_payment_on")]),
        FieldRowPanel([FieldPanel("handed_over_on"), FieldPanel("security_types")]),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("case__debtor")


class InstalmentViewSet(ScopedSnippetViewSet):
    model = Instalment
    record_keyword = "instalment"
    create_service = staticmethod(instalment_record)
    update_service = staticmethod(instalment_update)
    delete_service = staticmethod(instalment_delete)
    case_path = "loan__case"
    icon = "list-ul"
    menu_label = _("Instalments")
    list_display = ["loan", DateColumn("due_on", label=_("due on")), "amount"]
    panels = [FieldRowPanel([FieldPanel("loan"), FieldPanel("due_on"), FieldPanel("amount")])]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("loan")


class CasePartyViewSet(ScopedSnippetViewSet):
    model = CaseParty
    # The views give the service the loans and guarantee terms of the form (loan_parties).
    record_keyword = "case_party"
    create_service = staticmethod(case_party_save)
    update_service = staticmethod(case_party_save)
    delete_service = staticmethod(case_party_remove)
    icon = "group"
    menu_label = _("Party roles")
    add_view_class = CasePartyCreateView
    edit_view_class = CasePartyEditView
    base_form_class = CasePartyForm
    list_display = ["party", "role", "case"]
    list_filter = ["role"]
    search_fields = ["party__name", "case__number"]
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("party"), FieldPanel("role")]),
        FieldPanel("loans"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("guarantee_type"), FieldPanel("guarantee_months")]),
                FieldRowPanel([FieldPanel("max_amount"), FieldPanel("signed_on")]),
                FieldPanel("co_guarantor_recourse"),
            ],
            heading=_("Guarantee (for the loans picked above)"),
        ),
        FieldPanel("notes"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("party", "case__debtor")


class CollectionActionViewSet(ScopedSnippetViewSet):
    model = CollectionAction
    record_keyword = "action"
    create_service = staticmethod(collection_action_record)
    update_service = staticmethod(collection_action_update)
    delete_service = staticmethod(collection_action_delete)
    icon = "mail"
    menu_label = _("Collection actions")
    list_display = [
        "kind",
        "case",
        DateColumn("acted_on", label=_("date sent / done")),
        "addressed_to",
        "reached",
        DateColumn("delivered_on", label=_("delivered on")),
    ]
    list_filter = ["kind", "reached"]
    search_fields = ["case__number", "case__debtor__name", "tracking_number"]
    list_export = [
        "case.number",
        "kind",
        "acted_on",
        "addressed_to",
        "reached",
        "delivered_on",
        "tracking_number",
    ]
    export_filename = "collection-actions"
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("kind")]),
        FieldRowPanel([FieldPanel("acted_on"), FieldPanel("performed_by"), FieldPanel("addressed_to")]),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("reached"), FieldPanel("delivered_on")]),
                FieldRowPanel([FieldPanel("tracking_number"), FieldPanel("signed_on")]),
                FieldPanel(
                    "proof_file",
                    widget=PrivateFileInput(
                        url_name="recovery_collection_action_proof", name_field="proof_original_name"
                    ),
                ),
            ],
            heading=_("Proof of delivery"),
        ),
        FieldPanel("amount"),
        FieldPanel("outcome"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("case__debtor", "addressed_to")


class DefaultCauseViewSet(ServiceViewSetMixin, SnippetViewSet):
    model = DefaultCause
    record_keyword = "default_cause"
    create_service = staticmethod(default_cause_add)
    update_service = staticmethod(default_cause_update)
    delete_service = staticmethod(default_cause_delete)
    icon = "help"
    menu_label = _("Default causes")
    list_display = ["name", "code", "sort_order"]
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("code"), FieldPanel("sort_order")]),
        FieldPanel("strategy"),
    ]


class BranchViewSet(ServiceViewSetMixin, SnippetViewSet):
    model = Branch
    record_keyword = "branch"
    create_service = staticmethod(branch_add)
    update_service = staticmethod(branch_update)
    delete_service = staticmethod(branch_delete)
    icon = "site"
    menu_label = _("Branches")
    list_display = ["name"]


class DocketGroup(SnippetViewSetGroup):
    menu_label = _("Docket")
    menu_icon = "folder-open-inverse"
    menu_order = 100
    # Non-snippet views (the hand-over import) add their items to this menu through this hook.
    submenu_hook = DOCKET_MENU_HOOK
    items = (
        CaseViewSet,
        PartyViewSet,
        LoanViewSet,
        InstalmentViewSet,
        CasePartyViewSet,
        CollectionActionViewSet,
        DefaultCauseViewSet,
        BranchViewSet,
    )


# ---- Hand-over imports ---------------------------------------------------------------------


def register_import_viewset() -> ImportRunViewSet:
    return ImportRunViewSet()


# ---- Deadlines -----------------------------------------------------------------------------


def register_deadline_viewset() -> DeadlineViewSet:
    return DeadlineViewSet()


# Who owes, guarantees and secures each loan, and the links awaiting a lawyer's review.


def deadlines_section(case: Case, request: Any) -> str:
    deadlines = case_deadlines(case)
    lapsed = [deadline for deadline in deadlines if deadline.lapsed]
    if lapsed:
        # Said on the case page until decided, with the form for those who may decide.
        may_decide = cases_editable_by(request.user).filter(pk=case.pk).exists()
        language = translation.get_language() or settings.LANGUAGE_CODE
        for deadline in lapsed:
            deadline.lapse_notice = lapse_notice(deadline, language=language)
            deadline.lapse_decide_url = lapse_decide_url(deadline) if may_decide else ""
            deadline.lapse_form = LapseDecisionForm(
                initial={"decision": deadline.lapse_decision, "reason": deadline.lapse_reason},
                auto_id=f"id_lapse_{deadline.pk}_%s",
            )
    return render_to_string(
        "recovery/deadlines/case_section.html",
        {
            "case": case,
            "rows": [(d, reverse("recovery_deadlines:what_if", args=[d.pk])) for d in deadlines],
            "calculator_url": reverse("recovery_deadlines:calculator"),
        },
        request=request,
    )


# ---- Proof files: served only to users who may see the case (recovery.views.downloads) ---------------


def register_proof_urls() -> list:
    return [
        path("recovery/proof/<int:pk>/", collection_action_proof, name="recovery_collection_action_proof"),
        path(
            "recovery/loan-link/<int:pk>/confirm/",
            loan_party_confirm_view,
            name="recovery_loan_party_confirm",
        ),
        path(
            "recovery/loan-link/<int:pk>/remove/", loan_party_remove_view, name="recovery_loan_party_remove"
        ),
    ]


# ---- Dashboard -----------------------------------------------------------------------------


class MyDocketPanel(Component):
    name = "my_docket"
    order = 50
    template_name = "recovery/dashboard_panel.html"

    def __init__(self, request: Any) -> None:
        self.request = request

    def get_context_data(self, parent_context: Any) -> dict:
        user = self.request.user
        today = timezone.localdate()
        mine = cases_visible_to(user).open()
        my_cases = case_listing(mine.filter(assignee=user)).order_by("first_due_on")[:20]
        upcoming = []
        for contribute in hooks.get_hooks("recovery_dashboard_dates"):
            upcoming.extend(contribute(user=user, cases=mine, today=today))
        for loan in upcoming_loan_due_dates(mine, today=today):
            upcoming.append(
                {
                    "on": loan.due_on,
                    "what": _("Loan %(c)s due") % {"c": loan.contract_no},
                    "case": loan.case,
                }
            )
        upcoming.sort(key=lambda item: item["on"])
        return {
            "my_cases": my_cases,
            "upcoming": upcoming[:20],
            "activity": recent_activity(mine.values_list("pk", flat=True), viewer=user),
            "recent_actions": recent_collection_actions(mine),
            "case_url_name": "wagtailsnippets_recovery_case:inspect",
            "today": today,
        }


class MyDeadlinesPanel(Component):
    """我的期限: the user's open deadlines by urgency, and the next ones to act on."""

    name = "my_deadlines"
    order = 40
    template_name = "recovery/deadlines/dashboard_panel.html"

    def __init__(self, request: Any) -> None:
        self.request = request

    def get_context_data(self, parent_context: Any) -> dict:
        today = timezone.localdate()
        data = dashboard_deadlines(self.request.user, today=today)
        listing = reverse("recovery_deadlines:index")
        return {
            "data": data,
            "today": today,
            "rows": [(deadline, case_deadline_url(deadline)) for deadline in data.upcoming],
            "mine_url": f"{listing}?assignee={self.request.user.pk}",
            "can_upload_proof": may_upload_proof(self.request.user),
            "listing_url": listing,
        }


def add_docket_panel(request: Any, panels: list) -> None:
    panels[:] = [
        p
        for p in panels
        if getattr(p, "name", "")
        not in {
            "site_summary",
            "workflow_pages_to_moderate",
            "pages_for_moderation",
            "locked_pages",
            "recent_edits",
            "user_pages_in_workflow_moderation",
        }
    ]
    panels.append(MyDeadlinesPanel(request))
    panels.append(MyDocketPanel(request))


# ---- Audit trail messages --------------------------------------------------------------------


def _describe_changes(changes: dict) -> str:
    return "; ".join(f"{field}: {old or '—'} → {new or '—'}" for field, (old, new) in changes.items())


def _describe_change_entry(log_entry: Any, *, masked: bool, what: Any = None) -> str:
    source = log_entry.data.get("source")
    changes = log_entry.data.get("changes", {})
    if masked:
        changes = masked_changes(log_entry.content_type.model_class(), changes)
    return f"{what or _('Changed')}: {_describe_changes(changes)}" + (f" ({source})" if source else "")


def _domain_formatter(declared: audit.AuditAction) -> type[LogFormatter]:
    """How an entry of a domain code reads: "Hearing scheduled (source)"; a change also says
    what changed, old → new, personal data masked as for the generic change entries."""
    if declared.kind == audit.AuditKind.CHANGED:

        class DomainChange(LogFormatter):
            label = declared.label

            def format_message(self, log_entry: Any) -> str:
                return _describe_change_entry(log_entry, masked=True, what=declared.past_label)

            def format_unmasked_message(self, log_entry: Any) -> str:
                return _describe_change_entry(log_entry, masked=False, what=declared.past_label)

        return DomainChange

    class DomainRecord(LogFormatter):
        label = declared.label

        def format_message(self, log_entry: Any) -> str:
            source = log_entry.data.get("source")
            return str(declared.past_label) + (f" ({source})" if source else "")

    return DomainRecord


def register_audit_actions(actions: Any) -> None:
    # The domain codes every app's services declared (recovery.lib.audit.audit_action).
    for declared in audit.audit_actions():
        actions.register_action(declared.code)(_domain_formatter(declared))

    # The generic codes of entries written before the domain codes: they must still render.
    @actions.register_action(audit.CREATE)
    class Created(LogFormatter):
        label = _("Created")

        def format_message(self, log_entry: Any) -> str:
            source = log_entry.data.get("source")
            return str(_("Created")) + (f" ({source})" if source else "")

    @actions.register_action(audit.CHANGE)
    class Changed(LogFormatter):
        label = _("Changed")

        def format_message(self, log_entry: Any) -> str:
            # A formatter has no request: personal data is masked for every reader here, and
            # history views unmask it for those allowed (recovery.lib.masking.reveal_log_messages).
            return _describe_change_entry(log_entry, masked=True)

        def format_unmasked_message(self, log_entry: Any) -> str:
            return _describe_change_entry(log_entry, masked=False)

    @actions.register_action(audit.DELETE)
    class Deleted(LogFormatter):
        label = _("Deleted")
        message = _("Deleted")

    @actions.register_action(CASE_STAGE_ADVANCED)
    class StageAdvanced(LogFormatter):
        label = _("Stage advanced")

        def format_message(self, log_entry: Any) -> str:
            return _stage_message(_("Stage advanced"), log_entry)

    @actions.register_action(CASE_STAGE_CORRECTED)
    class StageCorrected(LogFormatter):
        label = _("Stage corrected by hand")

        def format_message(self, log_entry: Any) -> str:
            return _stage_message(_("Stage corrected by hand"), log_entry)

    @actions.register_action(LAPSE_DECIDED)
    class LapseDecided(LogFormatter):
        label = _("Decision on a lapsed deadline")

        def format_message(self, log_entry: Any) -> str:
            data = log_entry.data
            labels = dict(LapseDecision.choices)
            return _("Decision on the lapse of %(act_by)s: %(decision)s — %(reason)s") % {
                "act_by": data.get("act_by", "—"),
                "decision": labels.get(data.get("decision"), data.get("decision")),
                "reason": data.get("reason", ""),
            }

    @actions.register_action(LAPSE_DECISION_CLEARED)
    class LapseDecisionCleared(LogFormatter):
        label = _("Decision on a lapse cleared")

        def format_message(self, log_entry: Any) -> str:
            data = log_entry.data
            return _(
                "The act-by date moved from %(old)s to %(new)s: the decision on the lapse no longer applies"
            ) % {"old": data.get("old_act_by") or "—", "new": data.get("act_by") or "—"}


def _stage_message(what: str, log_entry: Any) -> str:
    """ "Stage advanced: In litigation → Judgment given (judgment served 2026-11-02)"."""
    before, after = log_entry.data.get("changes", {}).get("status", ["", ""])
    labels = dict(CaseStatus.choices)
    reason = log_entry.data.get("reason")
    text = f"{what}: {labels.get(before, before)} → {labels.get(after, after)}"
    return text + (f" ({reason})" if reason else "")


def hide_site_history_from_scoped_users(request: Any, menu_items: list) -> None:
    if not can_see_all_cases(request.user):
        menu_items[:] = [item for item in menu_items if item.name != "site-history"]
