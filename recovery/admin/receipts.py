"""Money received on loans: the "Recoveries" listing of every receipt in the user's cases (with
the recoveries after write-off apart, for the bank's 账销案存 reporting), which exports, and the
small form a lawyer records a receipt with. The receipt is written, and applied to the debt, by
recovery.services.receipts.loan_receipt_record only."""

from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import AdminDateInput

from recovery.admin.base import ReadOnlyListingMixin, ScopedFilterSet
from recovery.admin.imports import DOCKET_MENU_HOOK
from recovery.lib.links import case_path
from recovery.lib.masking import SafeExportMixin
from recovery.models import MONEY, Branch, Loan, LoanReceipt, ReceiptSource
from recovery.selectors.access import cases_editable_by
from recovery.selectors.receipts import receipts_visible_to
from recovery.services import RecoveryError
from recovery.services.receipts import loan_receipt_record

NAMESPACE = "recovery_receipts"
# Recording a receipt lowers the loan's balances: whoever may change loans may record one (the
# receipt itself is service-written, recovery.services.staff.SERVICE_WRITTEN_MODELS).
RECORD_PERMISSION = "recovery.change_loan"


# --- the listing ----------------------------------------------------------------------------


class ReceiptFilterSet(ScopedFilterSet):
    after_write_off = django_filters.BooleanFilter(label=gettext_lazy("After write-off"))
    received_on = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Received on"), widget=DateRangePickerWidget
    )
    source = django_filters.ChoiceFilter(label=gettext_lazy("Source"), choices=ReceiptSource.choices)
    branch = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Branch"), field_name="loan__case__branch", queryset=Branch.objects.all()
    )

    class Meta:
        model = LoanReceipt
        fields = ["after_write_off", "received_on", "source", "branch"]


def _yes_or_blank(value: Any) -> str:
    return str(_("Yes")) if value else ""


class ReceiptIndexView(SafeExportMixin, IndexView):
    default_ordering = "-received_on"
    custom_field_preprocess = {
        "after_write_off": {IndexView.FORMAT_CSV: _yes_or_blank, IndexView.FORMAT_XLSX: _yes_or_blank}
    }

    def get_base_queryset(self) -> Any:
        return receipts_visible_to(self.request.user)

    def get_add_url(self) -> str | None:
        # Nobody "adds" a receipt through a model form; those who may change loans record one.
        if self.request.user.has_perm(RECORD_PERMISSION):
            return reverse(f"{NAMESPACE}:record")
        return None

    def get_list_buttons(self, instance: Any) -> list:
        return []


def _receipt_case_url(receipt: LoanReceipt) -> str:
    return case_path(receipt.loan.case_id)


MONEY_COLUMNS = [
    ("amount", gettext_lazy("Amount")),
    ("costs", gettext_lazy("To costs")),
    ("interest", gettext_lazy("To interest")),
    ("penalty_interest", gettext_lazy("To penalty interest")),
    ("principal", gettext_lazy("To principal")),
    ("surplus", gettext_lazy("Surplus")),
]


class LoanReceiptViewSet(ReadOnlyListingMixin, ModelViewSet):
    """Every receipt on the loans of the user's cases; filter "after write-off" for the
    recoveries on written-off claims."""

    add_view_name = "record"
    model = LoanReceipt
    name = NAMESPACE
    url_prefix = "recovery/receipts"
    icon = "doc-full"
    menu_label = gettext_lazy("Recoveries")
    menu_order = 7
    menu_hook = DOCKET_MENU_HOOK
    index_view_class = ReceiptIndexView
    filterset_class = ReceiptFilterSet
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50
    list_display = [
        TitleColumn(
            "case",
            label=gettext_lazy("Case"),
            accessor=lambda receipt: receipt.loan.case.number,
            get_url=_receipt_case_url,
            sort_key="loan__case__number",
        ),
        Column("loan", label=gettext_lazy("Loan"), accessor=lambda receipt: receipt.loan.contract_no),
        DateColumn("received_on", label=gettext_lazy("Received on"), sort_key="received_on"),
        Column("source", label=gettext_lazy("Source"), accessor="get_source_display", sort_key="source"),
        *[Column(name, label=label, sort_key=name) for name, label in MONEY_COLUMNS],
        BooleanColumn("after_write_off", label=gettext_lazy("After write-off"), sort_key="after_write_off"),
        Column("reference", label=gettext_lazy("Reference")),
    ]
    list_export = [
        "loan.case.number",
        "loan.contract_no",
        "received_on",
        "get_source_display",
        *[name for name, _label in MONEY_COLUMNS],
        "after_write_off",
        "reference",
    ]
    export_headings = {
        "loan.case.number": gettext_lazy("Case number"),
        "loan.contract_no": gettext_lazy("Loan"),
        "received_on": gettext_lazy("Received on"),
        "get_source_display": gettext_lazy("Source"),
        **dict(MONEY_COLUMNS),
        "after_write_off": gettext_lazy("After write-off"),
        "reference": gettext_lazy("Reference"),
    }
    export_filename = "recoveries"

    def get_urlpatterns(self) -> list:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("record/", ReceiptRecordView.as_view(), name="record"),
        ]


def register_receipt_viewset() -> LoanReceiptViewSet:
    return LoanReceiptViewSet()


# --- recording a receipt ---------------------------------------------------------------------


class LoanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Loan) -> str:
        return f"{obj.case.number} · {obj.contract_no}"


class ReceiptForm(forms.Form):
    loan = LoanChoiceField(label=gettext_lazy("Loan"), queryset=Loan.objects.none())
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=AdminDateInput)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        min_value=Decimal("0.01"),
        decimal_places=2,
        max_digits=MONEY["max_digits"],
    )
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=ReceiptSource.choices)
    costs = forms.DecimalField(
        label=gettext_lazy("Realisation costs to cover first"),
        min_value=Decimal("0"),
        decimal_places=2,
        max_digits=MONEY["max_digits"],
        initial=Decimal("0.00"),
        required=False,
        help_text=gettext_lazy(
            "What realising the claim cost (auction, appraisal, court fees) and this sum pays first "
            "(民法典第561条): then interest, penalty interest and principal."
        ),
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("E.g. the disposal plan's approval reference or the ruling's number."),
    )

    def __init__(self, *args: Any, loans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loan"].queryset = loans


class ReceiptRecordView(WagtailAdminTemplateMixin, FormView):
    """Record money received on a loan of one of the user's editable cases (one case's loans
    when opened from its page: ?case=<id>)."""

    template_name = "recovery/receipts/record.html"
    form_class = ReceiptForm
    header_icon = "doc-full"

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.user.has_perm(RECORD_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def loans(self) -> Any:
        cases = cases_editable_by(self.request.user)
        case_id = self.request.GET.get("case")
        if case_id:
            if not case_id.isdigit() or not cases.filter(pk=case_id).exists():
                raise Http404
            cases = cases.filter(pk=case_id)
        return (
            Loan.objects.filter(case__in=cases.order_by().values("pk"), terminated_on__isnull=True)
            .select_related("case")
            .order_by("case__number", "contract_no")
        )

    def get_form_kwargs(self) -> dict:
        return super().get_form_kwargs() | {"loans": self.loans}

    def get_page_title(self) -> str:
        return _("Record money received")

    def get_breadcrumbs_items(self) -> list:
        return [
            {"url": reverse("wagtailadmin_home"), "label": _("Home")},
            {"url": reverse(f"{NAMESPACE}:index"), "label": _("Recoveries")},
            {"url": "", "label": self.get_page_title()},
        ]

    def form_valid(self, form: ReceiptForm) -> Any:
        data = form.cleaned_data
        try:
            receipt = loan_receipt_record(
                loan=data["loan"],
                amount=data["amount"],
                received_on=data["received_on"],
                source=data["source"],
                costs=data["costs"] if data["costs"] is not None else Decimal("0.00"),
                reference=data["reference"],
                user=self.request.user,
            )
        except RecoveryError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _(
                "%(amount)s received on loan %(loan)s: %(costs)s to costs, %(interest)s to interest, "
                "%(penalty)s to penalty interest, %(principal)s to principal, %(surplus)s surplus."
            )
            % {
                "amount": receipt.amount,
                "loan": receipt.loan.contract_no,
                "costs": receipt.costs,
                "interest": receipt.interest,
                "penalty": receipt.penalty_interest,
                "principal": receipt.principal,
                "surplus": receipt.surplus,
            },
        )
        return HttpResponseRedirect(case_path(receipt.loan.case_id))
