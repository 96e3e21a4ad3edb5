"""The facts behind the liability matrix in the Wagtail admin: estates (with their heirs and
legatees, inventory and other creditors), marriage records, loan changes with the guarantors'
consent, the exceptions to a general guarantor's first-recourse defence, and the daily-needs
thresholds the head of recovery sets; and the case page's section that lists them.

Every form offers only what the user may use (CaseScopedForm) and writes through the named
services of recovery.services.estates, which check the same rules again."""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import DateColumn
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from recovery.admin.base import (
    CaseScopedForm,
    ScopedSnippetViewSet,
    ServiceCreateView,
    ServiceEditView,
    ServiceViewSetMixin,
)
from recovery.lib.files import PrivateFileInput
from recovery.models import (
    Case,
    DailyNeedsLimit,
    Estate,
    EstateCreditor,
    EstateItem,
    EstateRecipient,
    FirstRecourseException,
    FirstRecourseExceptionKind,
    GuaranteeType,
    LoanChange,
    LoanParty,
    MarriageRecord,
    PartyRole,
    Role,
)
from recovery.selectors.access import cases_editable_by, role_of
from recovery.services.estates import (
    daily_needs_limit_delete,
    daily_needs_limit_set,
    daily_needs_limit_update,
    estate_creditor_add,
    estate_creditor_remove,
    estate_creditor_update,
    estate_delete,
    estate_item_add,
    estate_item_remove,
    estate_item_update,
    estate_recipient_add,
    estate_recipient_remove,
    estate_recipient_update,
    estate_record,
    estate_update,
    first_recourse_exception_add,
    first_recourse_exception_remove,
    first_recourse_exception_update,
    loan_change_delete,
    loan_change_record,
    loan_change_update,
    marriage_record_add,
    marriage_record_delete,
    marriage_record_update,
)
from recovery.views.downloads import first_recourse_evidence

EVIDENCE_URL_NAME = "recovery_first_recourse_evidence"

# ---- forms -----------------------------------------------------------------------------------


class LoanChangeForm(CaseScopedForm):
    """The consenting guarantors offered are the guarantors of the loan (of the case already,
    by CaseScopedForm); the service refuses any other link."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = self.fields.get("consenting_guarantors")
        if choices is None:
            return
        links = choices.queryset.filter(case_party__role=PartyRole.GUARANTOR).select_related(
            "case_party__party", "loan"
        )
        loan_id = self._loan_id()
        if loan_id is not None:
            links = links.filter(loan_id=loan_id)
        choices.queryset = links
        choices.label_from_instance = lambda link: f"{link.case_party.party.name} — {link.loan}"

    def _loan_id(self) -> int | None:
        if self.is_bound and self.data.get("loan"):
            value: Any = self.data.get("loan")
        elif self.instance.pk:
            value = self.instance.loan_id
        else:
            value = self.initial.get("loan")
        try:
            return int(getattr(value, "pk", value))
        except (TypeError, ValueError):
            return None


class FirstRecourseExceptionForm(CaseScopedForm):
    """Only a general guarantor's links are offered (CC 687); the model refuses any other."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = self.fields.get("link")
        if choices is None:
            return
        choices.queryset = choices.queryset.filter(
            case_party__role=PartyRole.GUARANTOR, guarantee_type=GuaranteeType.GENERAL
        ).select_related("case_party__party", "loan")
        choices.label_from_instance = lambda link: f"{link.case_party.party.name} — {link.loan}"


class _RefusalShownMixin:
    # Wagtail sets it only when the form itself is invalid; a refusal by the service shows the
    # form again through the same path (as recovery.admin.loan_parties does).
    produced_error_message = None


class FactCreateView(_RefusalShownMixin, ServiceCreateView):
    pass


class FactEditView(_RefusalShownMixin, ServiceEditView):
    pass


class FirstRecourseExceptionCreateView(FactCreateView):
    def get_initial(self) -> dict[str, Any]:
        # The case section's checklist opens the form on one guarantor and one exception.
        initial = super().get_initial()
        if self.request.GET.get("kind") in FirstRecourseExceptionKind.values:
            initial["kind"] = self.request.GET["kind"]
        return initial


class LoanChangeCreateView(FactCreateView):
    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.request.GET.get("kind"):
            initial["kind"] = self.request.GET["kind"]
        return initial


# ---- viewsets --------------------------------------------------------------------------------


class FactViewSet(ScopedSnippetViewSet):
    add_view_class = FactCreateView
    edit_view_class = FactEditView


class EstateViewSet(FactViewSet):
    model = Estate
    record_keyword = "estate"
    create_service = staticmethod(estate_record)
    update_service = staticmethod(estate_update)
    delete_service = staticmethod(estate_delete)
    icon = "doc-full"
    menu_label = _("Estates")
    list_display = ["deceased", "case", DateColumn("died_on", label=_("died on")), "administrator"]
    list_filter = ["administrator_kind"]
    search_fields = ["deceased__name", "case__number"]
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("deceased"), FieldPanel("died_on")]),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("administrator_kind"), FieldPanel("administrator")]),
                FieldPanel("administrator_known_on"),
            ],
            heading=_("Estate administrator (CC 1145)"),
        ),
        FieldRowPanel([FieldPanel("distributed_on"), FieldPanel("taxes"), FieldPanel("our_claim")]),
        FieldPanel("notes"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("deceased", "administrator", "case")


class EstateRecipientViewSet(FactViewSet):
    model = EstateRecipient
    case_path = "estate__case"
    record_keyword = "recipient"
    create_service = staticmethod(estate_recipient_add)
    update_service = staticmethod(estate_recipient_update)
    delete_service = staticmethod(estate_recipient_remove)
    icon = "group"
    menu_label = _("Heirs and legatees")
    list_display = ["party", "kind", "estate", "renounced", "received"]
    list_filter = ["kind", "renounced"]
    search_fields = ["party__name", "estate__case__number"]
    panels = [
        FieldRowPanel([FieldPanel("estate"), FieldPanel("party"), FieldPanel("kind")]),
        FieldPanel("accepted_on"),
        FieldRowPanel([FieldPanel("renounced"), FieldPanel("renounced_on")]),
        FieldRowPanel([FieldPanel("received"), FieldPanel("protected")]),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("party", "estate__deceased")


class EstateItemViewSet(FactViewSet):
    model = EstateItem
    case_path = "estate__case"
    record_keyword = "item"
    create_service = staticmethod(estate_item_add)
    update_service = staticmethod(estate_item_update)
    delete_service = staticmethod(estate_item_remove)
    icon = "list-ul"
    menu_label = _("Estate inventory")
    list_display = ["description", "estate", "value"]
    search_fields = ["description", "estate__case__number"]
    panels = [FieldPanel("estate"), FieldRowPanel([FieldPanel("description"), FieldPanel("value")])]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("estate__deceased")


class EstateCreditorViewSet(FactViewSet):
    model = EstateCreditor
    case_path = "estate__case"
    record_keyword = "creditor"
    create_service = staticmethod(estate_creditor_add)
    update_service = staticmethod(estate_creditor_update)
    delete_service = staticmethod(estate_creditor_remove)
    icon = "user"
    menu_label = _("Other creditors of estates")
    list_display = ["creditor", "estate", "amount"]
    search_fields = ["creditor", "estate__case__number"]
    panels = [FieldPanel("estate"), FieldRowPanel([FieldPanel("creditor"), FieldPanel("amount")])]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("estate__deceased")


class MarriageRecordViewSet(FactViewSet):
    model = MarriageRecord
    record_keyword = "marriage"
    create_service = staticmethod(marriage_record_add)
    update_service = staticmethod(marriage_record_update)
    delete_service = staticmethod(marriage_record_delete)
    icon = "group"
    menu_label = _("Marriage records")
    list_display = ["party", "spouse", "case", DateColumn("married_on", label=_("married on"))]
    list_filter = ["spouse_signed", "spouse_ratified"]
    search_fields = ["party__name", "spouse__name", "case__number"]
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("party"), FieldPanel("spouse")]),
        FieldRowPanel([FieldPanel("married_on"), FieldPanel("divorced_on"), FieldPanel("spouse_died_on")]),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("spouse_signed"), FieldPanel("spouse_ratified")]),
                FieldPanel("joint_intent_evidence"),
                FieldRowPanel([FieldPanel("used_for_joint_living"), FieldPanel("used_for_joint_business")]),
                FieldPanel("used_for_family_after_marriage"),
            ],
            heading=_("What makes it a joint debt (CC 1064; 婚姻家庭编解释一 33)"),
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("fictitious"), FieldPanel("illegal_purpose")])],
            heading=_("What excludes it (婚姻家庭编解释一 34)"),
        ),
        FieldPanel("evidence_note"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("party", "spouse", "case")


class LoanChangeViewSet(FactViewSet):
    model = LoanChange
    case_path = "loan__case"
    record_keyword = "change"
    create_service = staticmethod(loan_change_record)
    update_service = staticmethod(loan_change_update)
    delete_service = staticmethod(loan_change_delete)
    add_view_class = LoanChangeCreateView
    base_form_class = LoanChangeForm
    icon = "date"
    menu_label = _("Loan changes")
    list_display = [
        "loan",
        "kind",
        DateColumn("agreed_on", label=_("agreed on")),
        DateColumn("new_due_on", label=_("new due date")),
        "amount",
    ]
    list_filter = ["kind"]
    search_fields = ["loan__contract_no", "loan__case__number"]
    panels = [
        FieldRowPanel([FieldPanel("loan"), FieldPanel("kind"), FieldPanel("agreed_on")]),
        FieldRowPanel([FieldPanel("new_due_on"), FieldPanel("amount")]),
        FieldPanel("consenting_guarantors", widget=forms.CheckboxSelectMultiple),
        FieldPanel("note"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("loan")


class FirstRecourseExceptionViewSet(FactViewSet):
    model = FirstRecourseException
    case_path = "link__case_party__case"
    record_keyword = "exception"
    create_service = staticmethod(first_recourse_exception_add)
    update_service = staticmethod(first_recourse_exception_update)
    delete_service = staticmethod(first_recourse_exception_remove)
    add_view_class = FirstRecourseExceptionCreateView
    base_form_class = FirstRecourseExceptionForm
    icon = "warning"
    menu_label = _("First-recourse exceptions")
    list_display = ["kind", "link", DateColumn("known_on", label=_("known since"))]
    list_filter = ["kind"]
    search_fields = ["link__case_party__party__name", "link__case_party__case__number"]
    panels = [
        FieldRowPanel([FieldPanel("link"), FieldPanel("kind"), FieldPanel("known_on")]),
        FieldPanel("evidence"),
        FieldPanel(
            "evidence_file",
            widget=PrivateFileInput(url_name=EVIDENCE_URL_NAME, name_field="evidence_original_name"),
        ),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("link__case_party__party", "link__loan")


class HeadOnlyPermissionPolicy(ModelPermissionPolicy):
    """The head of recovery's settings: no other role sees or changes them, whatever its model
    permissions (the services refuse others too)."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return role_of(user) == Role.HEAD and super().user_has_permission(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return role_of(user) == Role.HEAD and super().user_has_any_permission(user, actions)


class DailyNeedsLimitViewSet(ServiceViewSetMixin, SnippetViewSet):
    model = DailyNeedsLimit
    add_view_class = FactCreateView
    edit_view_class = FactEditView
    record_keyword = "limit"
    create_service = staticmethod(daily_needs_limit_set)
    update_service = staticmethod(daily_needs_limit_update)
    delete_service = staticmethod(daily_needs_limit_delete)
    copy_view_enabled = False
    icon = "cog"
    menu_label = _("Daily-needs thresholds")
    list_display = ["branch", "amount", "basis"]
    panels = [FieldRowPanel([FieldPanel("branch"), FieldPanel("amount")]), FieldPanel("basis")]

    def register_chooser_viewset(self) -> None:
        # Nothing chooses a threshold; a chooser would list them to every role.
        return None


class LiabilityFactsGroup(SnippetViewSetGroup):
    menu_label = _("Estates and marriages")
    menu_icon = "doc-full"
    menu_order = 110
    items = (
        EstateViewSet,
        EstateRecipientViewSet,
        EstateItemViewSet,
        EstateCreditorViewSet,
        MarriageRecordViewSet,
        LoanChangeViewSet,
        FirstRecourseExceptionViewSet,
        DailyNeedsLimitViewSet,
    )


def register_estate_urls() -> list:
    # Served only to users who see the case (recovery.views.downloads).
    return [
        path("recovery/first-recourse/<int:pk>/evidence/", first_recourse_evidence, name=EVIDENCE_URL_NAME)
    ]


# ---- the case section ------------------------------------------------------------------------


@dataclass
class GuarantorExceptions:
    """A general guarantor's link with the CC 687 para 2 checklist: each exception ticked (with
    its record) or not."""

    link: LoanParty
    checklist: list[tuple[str, Any, FirstRecourseException | None]] = field(default_factory=list)

    @property
    def exceptions(self) -> list[FirstRecourseException]:
        return [record for _kind, _label, record in self.checklist if record is not None]

    @property
    def defence_lost_on(self) -> Any:
        dates = [record.known_on for record in self.exceptions]
        return min(dates) if dates else None


@dataclass
class ChangeConsents:
    change: LoanChange
    consents: list[tuple[LoanParty, bool]]  # each guarantor of the loan, and whether he consented


@dataclass
class EstateFacts:
    marriages: list[MarriageRecord]
    estates: list[Estate]
    changes: list[ChangeConsents]
    general_guarantors: list[GuarantorExceptions]
    loans: list[Any]


def case_estate_facts(case: Case) -> EstateFacts:
    """What the section shows, in a fixed number of queries whatever the case holds: `case`
    comes with its loans prefetched (recovery.selectors.docket.case_page_queryset)."""
    marriages = list(
        MarriageRecord.objects.filter(case=case).select_related("party", "spouse").order_by("pk")
    )
    estates = list(
        Estate.objects.filter(case=case)
        .select_related("deceased", "administrator")
        .prefetch_related(
            Prefetch("recipients", EstateRecipient.objects.select_related("party").order_by("kind", "pk")),
            Prefetch("items", EstateItem.objects.order_by("pk")),
            Prefetch("other_creditors", EstateCreditor.objects.order_by("pk")),
        )
        .order_by("died_on", "pk")
    )
    for estate in estates:
        items = list(estate.items.all())
        estate.inventory_total = sum((item.value for item in items), start=0) if items else None
        estate.received_total = sum((r.received for r in estate.recipients.all()), start=0)
        estate.creditors_total = sum((c.amount for c in estate.other_creditors.all()), start=0)
    guarantor_links = list(
        LoanParty.objects.filter(loan__case=case, case_party__role=PartyRole.GUARANTOR)
        .select_related("case_party__party", "loan")
        .order_by("loan_id", "case_party__party__name", "pk")
    )
    by_loan: dict[int, list[LoanParty]] = {}
    for link in guarantor_links:
        by_loan.setdefault(link.loan_id, []).append(link)
    changes = []
    for change in (
        LoanChange.objects.filter(loan__case=case)
        .select_related("loan")
        .prefetch_related(Prefetch("consenting_guarantors", LoanParty.objects.only("pk")))
        .order_by("loan_id", "agreed_on", "pk")
    ):
        consented = {link.pk for link in change.consenting_guarantors.all()}
        changes.append(
            ChangeConsents(
                change=change,
                consents=[(link, link.pk in consented) for link in by_loan.get(change.loan_id, [])],
            )
        )
    general = [link for link in guarantor_links if link.guarantee_type == GuaranteeType.GENERAL]
    recorded: dict[tuple[int, str], FirstRecourseException] = {
        (record.link_id, record.kind): record
        for record in FirstRecourseException.objects.filter(link__in=[link.pk for link in general])
    }
    guarantors = [
        GuarantorExceptions(
            link=link,
            checklist=[
                (kind.value, kind.label, recorded.get((link.pk, kind.value)))
                for kind in FirstRecourseExceptionKind
            ],
        )
        for link in general
    ]
    return EstateFacts(
        marriages=marriages,
        estates=estates,
        changes=changes,
        general_guarantors=guarantors,
        loans=list(case.loans.all()),
    )


def estate_facts_section(case: Case, request: Any) -> str:
    # Only names of parties are shown here: no ID or phone number to mask (recovery.lib.masking).
    return render_to_string(
        "recovery/estate_facts_section.html",
        {
            "case": case,
            "facts": case_estate_facts(case),
            "can_edit": cases_editable_by(request.user).filter(pk=case.pk).exists(),
            "evidence_url_name": EVIDENCE_URL_NAME,
        },
        request=request,
    )
