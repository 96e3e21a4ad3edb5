"""The liability matrix on the case page, the lawyer's moves on it, and the portfolio listing
of every claim the user may see ("joint guarantors not yet demanded, guarantee period ending
within 60 days"), which exports."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet

from recovery.admin.base import ReadOnlyListingMixin, ScopedFilterSet
from recovery.admin.imports import DOCKET_MENU_HOOK
from recovery.lib.bulk import chunks
from recovery.lib.links import case_path
from recovery.lib.masking import SafeExportMixin
from recovery.lib.validators import validate_supported_date
from recovery.models import (
    MONEY,
    Branch,
    Case,
    ClaimStatus,
    LiabilityClaim,
    MarriageRecord,
    ObligorBasis,
)
from recovery.selectors.access import cases_editable_by, cases_visible_to
from recovery.selectors.liability import (
    case_liability,
    claim_listing,
    claims_visible_to,
    co_guarantor_release_apply,
)
from recovery.services import RecoveryError
from recovery.services.liability import (
    liability_claim_estimate,
    liability_claim_move,
    obligor_loans,
    spouse_claims_open,
)

NAMESPACE = "recovery_liability"
EXPORT_CHUNK = 2000  # rows read, and released, at a time
SECTION_ANCHOR = "#liability"


class ClaimMoveForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("New status"), choices=ClaimStatus.choices)
    on = forms.DateField(
        label=gettext_lazy("Since"),
        required=False,
        validators=[validate_supported_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)


class ClaimEstimateForm(forms.Form):
    expected_recovery = forms.DecimalField(
        label=gettext_lazy("Expected recovery"),
        required=False,
        min_value=Decimal("0"),
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
    )


def liability_section(case: Case, request: Any) -> str:
    data = case_liability(case, request)
    can_edit = cases_editable_by(request.user).filter(pk=case.pk).exists()
    return render_to_string(
        "recovery/liability/case_section.html",
        {
            "case": case,
            "data": data,
            "can_edit": can_edit,
            "statuses": ClaimStatus.choices,
            "today": timezone.localdate().isoformat(),
        },
        request=request,
    )


def _editable_claim(request: Any, pk: int) -> LiabilityClaim:
    """A claim of a case the user sees (else 404) and may edit (else 403)."""
    claim = get_object_or_404(
        LiabilityClaim, pk=pk, case__in=cases_visible_to(request.user).order_by().values("pk")
    )
    if not cases_editable_by(request.user).filter(pk=claim.case_id).exists():
        raise PermissionDenied
    return claim


def _back(case_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(case_path(case_id) + SECTION_ANCHOR)


def _refusal(request: Any, form: forms.Form | None = None, error: RecoveryError | None = None) -> None:
    if error is not None:
        field = (
            f" ({form.fields[error.field].label})" if form is not None and error.field in form.fields else ""
        )
        messages.error(request, f"{error.message}{field}")
        return
    assert form is not None  # noqa: S101  one of the two is always given
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


def claim_move_view(request: Any, pk: int) -> Any:
    claim = _editable_claim(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ClaimMoveForm(request.POST)
    if not form.is_valid():
        _refusal(request, form)
        return _back(claim.case_id)
    try:
        moved = liability_claim_move(
            claim=claim,
            status=form.cleaned_data["status"],
            on=form.cleaned_data["on"],
            note=form.cleaned_data["note"],
            user=request.user,
        )
    except RecoveryError as error:
        _refusal(request, form, error)
    else:
        messages.success(
            request,
            _("%(party)s: now %(status)s.")
            % {"party": moved.party.name, "status": moved.get_status_display()},
        )
    return _back(claim.case_id)


def claim_estimate_view(request: Any, pk: int) -> Any:
    claim = _editable_claim(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ClaimEstimateForm(request.POST)
    if not form.is_valid():
        _refusal(request, form)
        return _back(claim.case_id)
    try:
        liability_claim_estimate(
            claim=claim, expected_recovery=form.cleaned_data["expected_recovery"], user=request.user
        )
    except RecoveryError as error:
        _refusal(request, form, error)
    else:
        messages.success(request, _("Expected recovery saved."))
    return _back(claim.case_id)


def spouse_pursue_view(request: Any, pk: int) -> Any:
    marriage = get_object_or_404(
        MarriageRecord.objects.select_related("case"),
        pk=pk,
        case__in=cases_visible_to(request.user).order_by().values("pk"),
    )
    if not cases_editable_by(request.user).filter(pk=marriage.case_id).exists():
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    allowed = {loan.pk: loan for loan in obligor_loans(marriage)}
    try:
        wanted = [int(value) for value in request.POST.getlist("loans")]
    except ValueError:
        wanted = []
    unknown = [pk for pk in wanted if pk not in allowed]
    try:
        if unknown:
            raise RecoveryError(_("Pick loans of this case the obligor owes or guarantees."), field="loans")
        data = case_liability(marriage.case, request)
        classifications = {
            row.loan.pk: row.assessment.classification
            for row in data.spousal
            if row.marriage.pk == marriage.pk
        }
        opened = spouse_claims_open(
            marriage=marriage,
            loans=[allowed[pk] for pk in wanted],
            classifications=classifications,
            user=request.user,
        )
    except RecoveryError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Spouse pursued on %(n)d loan(s): see the liability matrix.") % {"n": len(opened)}
        )
    return _back(marriage.case_id)


def register_liability_urls() -> list:
    return [
        path("recovery/liability/claim/<int:pk>/move/", claim_move_view, name="recovery_claim_move"),
        path(
            "recovery/liability/claim/<int:pk>/estimate/", claim_estimate_view, name="recovery_claim_estimate"
        ),
        path("recovery/liability/spouse/<int:pk>/pursue/", spouse_pursue_view, name="recovery_spouse_pursue"),
    ]


# --- the portfolio listing ------------------------------------------------------------------

WINDOWS = [
    ("30", gettext_lazy("within 30 days")),
    ("60", gettext_lazy("within 60 days")),
    ("90", gettext_lazy("within 90 days")),
    ("180", gettext_lazy("within 180 days")),
]


def _window_filter(field_name: str):
    def method(self: Any, queryset: Any, name: str, value: str) -> Any:
        if value not in dict(WINDOWS):
            return queryset
        today = timezone.localdate()
        return queryset.filter(
            **{f"{field_name}__gte": today, f"{field_name}__lte": today + timedelta(days=int(value))}
        )

    return method


class ClaimFilterSet(ScopedFilterSet):
    basis = django_filters.ChoiceFilter(label=gettext_lazy("Liable as"), choices=ObligorBasis.choices)
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=ClaimStatus.choices)
    guarantee_period = django_filters.ChoiceFilter(
        label=gettext_lazy("Guarantee period ends"), method="filter_guarantee_period", choices=WINDOWS
    )
    next_deadline = django_filters.ChoiceFilter(
        label=gettext_lazy("Next deadline"), method="filter_next_deadline", choices=WINDOWS
    )
    branch = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Branch"), field_name="case__branch", queryset=Branch.objects.all()
    )

    filter_guarantee_period = _window_filter("guarantee_period_act_by")
    filter_next_deadline = _window_filter("next_act_by")

    class Meta:
        model = LiabilityClaim
        fields = ["basis", "status", "guarantee_period", "next_deadline", "branch"]


class _ReleasedRows:
    """The export's rows with the co-guarantors' releases applied a chunk at a time; keeps the
    queryset's model for the headings."""

    def __init__(self, queryset: Any) -> None:
        self.model = queryset.model
        self.queryset = queryset

    def __iter__(self) -> Any:
        for chunk in chunks(self.queryset.iterator(chunk_size=EXPORT_CHUNK), EXPORT_CHUNK):
            yield from co_guarantor_release_apply(list(chunk))


def _yes_or_blank(value: Any) -> str:
    return str(_("Yes")) if value else ""


class ClaimIndexView(SafeExportMixin, IndexView):
    default_ordering = "case__number"
    custom_field_preprocess = {
        "released": {IndexView.FORMAT_CSV: _yes_or_blank, IndexView.FORMAT_XLSX: _yes_or_blank}
    }

    def get_base_queryset(self) -> Any:
        return claim_listing(claims_visible_to(self.request.user))

    def paginate_queryset(self, queryset: Any, page_size: int) -> Any:
        # What the matrix shows: a guarantor released by a lapsed period owes nothing, his
        # co-guarantors with recourse less (担保解释 13, 29); two queries a page.
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = co_guarantor_release_apply(list(object_list))
        return paginator, page, page.object_list, is_paginated

    def as_spreadsheet(self, queryset: Any, spreadsheet_format: str) -> Any:
        return super().as_spreadsheet(_ReleasedRows(queryset), spreadsheet_format)

    def get_list_buttons(self, instance: Any) -> list:
        return []


def _iso(name: str) -> Any:
    def value(claim: LiabilityClaim) -> str:
        day = getattr(claim, name, None)
        return day.isoformat() if day else "—"

    return value


def _status(claim: LiabilityClaim) -> str:
    status = str(claim.get_status_display())
    if getattr(claim, "released", False):
        return f"{status} · {_('Released: the guarantee period lapsed')}"
    return status


def _claim_url(claim: LiabilityClaim) -> str:
    return case_path(claim.case_id) + SECTION_ANCHOR


class LiabilityClaimViewSet(ReadOnlyListingMixin, ModelViewSet):
    """Every obligor the user may pursue, filterable by basis, status and approaching guarantee
    period; the rows are those of the case pages' matrices."""

    model = LiabilityClaim
    name = NAMESPACE
    url_prefix = "recovery/liability"
    icon = "group"
    menu_label = gettext_lazy("Liability claims")
    menu_order = 6
    menu_hook = DOCKET_MENU_HOOK
    index_view_class = ClaimIndexView
    filterset_class = ClaimFilterSet
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50
    list_display = [
        TitleColumn(
            "case",
            label=gettext_lazy("Case"),
            accessor=lambda claim: claim.case.number,
            get_url=_claim_url,
            sort_key="case__number",
        ),
        Column("party", label=gettext_lazy("Obligor"), accessor=lambda claim: claim.party.name),
        Column("basis", label=gettext_lazy("Liable as"), accessor="get_basis_display", sort_key="basis"),
        Column(
            "loan",
            label=gettext_lazy("Loan"),
            accessor=lambda claim: claim.loan.contract_no if claim.loan_id else "—",
        ),
        Column(
            "owed",
            label=gettext_lazy("Owed (or cap)"),
            # Quantized: the embedded database returns the sum without its trailing zeros.
            accessor=lambda claim: claim.owed.quantize(Decimal("0.01")) if claim.owed is not None else "—",
            sort_key="owed",
        ),
        Column(
            "guarantee_period_act_by",
            label=gettext_lazy("Guarantee period: act by"),
            accessor=_iso("guarantee_period_act_by"),
            sort_key="guarantee_period_act_by",
        ),
        Column(
            "next_act_by",
            label=gettext_lazy("Next act-by date"),
            accessor=_iso("next_act_by"),
            sort_key="next_act_by",
        ),
        Column("status", label=gettext_lazy("Status"), accessor=_status, sort_key="status"),
        Column("status_on", label=gettext_lazy("Since"), accessor=_iso("status_on"), sort_key="status_on"),
    ]
    list_export = [
        "case.number",
        "case.branch",
        "party",
        "get_basis_display",
        "loan",
        "owed",
        "guarantee_period_act_by",
        "next_act_by",
        "get_status_display",
        "released",
        "status_on",
        "status_note",
        "expected_recovery",
    ]
    export_headings = {
        "case.number": gettext_lazy("Case number"),
        "case.branch": gettext_lazy("Branch"),
        "party": gettext_lazy("Obligor"),
        "get_basis_display": gettext_lazy("Liable as"),
        "loan": gettext_lazy("Loan"),
        "owed": gettext_lazy("Owed (or cap)"),
        "guarantee_period_act_by": gettext_lazy("Guarantee period: act by"),
        "next_act_by": gettext_lazy("Next act-by date"),
        "get_status_display": gettext_lazy("Status"),
        "released": gettext_lazy("Released: the guarantee period lapsed"),
        "status_on": gettext_lazy("Since"),
        "status_note": gettext_lazy("Note"),
        "expected_recovery": gettext_lazy("Expected recovery"),
    }
    export_filename = "liability-claims"

    def get_urlpatterns(self) -> list:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]


def register_claim_viewset() -> LiabilityClaimViewSet:
    return LiabilityClaimViewSet()


def listing_url(**filters: str) -> str:
    from urllib.parse import urlencode

    return reverse(f"{NAMESPACE}:index") + (f"?{urlencode(filters)}" if filters else "")
