"""Disposal plans in the admin: the plan's form (the auction rules' problems as field errors),
its page (rounds, projection, outcome buttons), the outcome forms (a failed round, the sale, a
withdrawal), the plans' listing by status, amount and age with its export, and the plan's
attachments served only by an access-checked download. Writes go through assets.disposal and
assets.file_services; reads through assets.selectors."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import AdminDateInput

from assets import disposal, file_services
from assets.admin.forms import MONEY_FIELD, AssetScopedForm
from assets.auction import AuctionFactsError
from assets.models import DisposalPlan, DisposalPlanFile, DisposalRoute, DisposalStage
from assets.selectors import (
    disposal_plan_files_visible_to,
    disposal_plan_projection,
    disposal_plans_editable_by,
    disposal_plans_visible_to,
)
from recovery.admin.approvals import ApprovalEditViewMixin, ApprovalSnippetViewSetMixin
from recovery.admin.base import (
    ScopedFilterSet,
    ScopedIndexView,
    ScopedSnippetViewSet,
    ServiceCreateView,
    ServiceEditView,
    _add_form_error,
)
from recovery.lib.files import PrivateFileInput, record_file_download
from recovery.lib.links import case_path
from recovery.lib.masking import MaskedInspectView
from recovery.selectors.approvals import ReviewStatus, review_status_label, with_review_status
from recovery.services import RecoveryError
from recovery.templatetags.recovery_money import yuan

PLAN_URL_PREFIX = "wagtailsnippets_assets_disposalplan"


def plan_url(name: str, plan_id: int) -> str:
    return reverse(f"{PLAN_URL_PREFIX}:{name}", args=[plan_id])


# --- the plan's form -------------------------------------------------------------------------


class DisposalPlanForm(AssetScopedForm):
    """The plan's own fields, scoped like every case record; every auction rule the plan breaks
    is an error on its field, shown before anyone approves."""

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        plan = self.instance
        for name, value in data.items():
            if hasattr(plan, name):
                setattr(plan, name, value)
        for field, message in disposal.disposal_plan_problems(plan).items():
            self.add_error(field if field in self.fields else None, message)
        return data


class PlanSaveMixin:
    """Saved through disposal_plan_save, which also saves the revision the workflow reviews."""

    def save_instance(self) -> Any:
        instance = self.form.save(commit=False)  # type: ignore[attr-defined]
        self.call_service(instance)  # type: ignore[attr-defined]
        self.new_revision = instance.latest_revision
        return instance

    def get_success_url(self) -> str:
        return plan_url("inspect", self.object.pk)  # type: ignore[attr-defined]


class DisposalPlanCreateView(PlanSaveMixin, ServiceCreateView):
    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if "asset" in self.request.GET:
            initial["asset"] = self.request.GET["asset"]
        return initial


class DisposalPlanEditView(PlanSaveMixin, ApprovalEditViewMixin, ServiceEditView):
    def get_form(self, *args: Any, **kwargs: Any) -> Any:
        form = super().get_form(*args, **kwargs)
        if not form.is_bound and self.object.pk:
            # What the approvers review: the rules the stored plan breaks, on their fields.
            for field, message in disposal.disposal_plan_problems(self.object).items():
                if field in form.fields:
                    form.fields[field].help_text = f"⚠ {message}"
        return form


# --- the plan's page -------------------------------------------------------------------------


class DisposalPlanInspectView(MaskedInspectView):
    template_name = "assets/disposal_plan_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        plan = self.object
        user = self.request.user
        context["review_status"] = review_status_label(
            with_review_status(DisposalPlan.objects.filter(pk=plan.pk)).get()
        )
        try:
            auction = disposal.disposal_plan_auction(plan)
        except (AuctionFactsError, ValueError):
            auction = None
        projection = disposal_plan_projection(plan)
        may_act = (
            plan.approved_at is not None
            and not plan.is_closed
            and user.has_perm("assets.change_disposalplan")
            and disposal_plans_editable_by(user).filter(pk=plan.pk).exists()
        )
        context.update(
            plan=plan,
            auction=auction,
            problems=disposal.disposal_plan_problems(plan),
            projection=projection,
            rows=[_waterfall_row(*row) for row in projection.waterfall.rows()]
            if projection.waterfall
            else [],
            files=list(plan.files.select_related("uploaded_by")),
            case_url=case_path(plan.case_id),
            can_fail=may_act
            and plan.is_auction
            and plan.stage in (DisposalStage.PLANNED, DisposalStage.FIRST_FAILED),
            can_schedule=may_act and plan.stage == DisposalStage.FIRST_FAILED,
            can_act=may_act,
            can_upload=user.has_perm("assets.add_disposalplanfile")
            and disposal_plans_editable_by(user).filter(pk=plan.pk).exists(),
            fail_url=plan_url("fail", plan.pk),
            second_round_url=plan_url("second_round", plan.pk),
            sale_url=plan_url("sale", plan.pk),
            withdraw_url=plan_url("withdraw", plan.pk),
        )
        return context


def _waterfall_row(allocation: Any, source: Any, ours: bool) -> dict[str, Any]:
    return {
        "rank": allocation.rank,
        "creditor": allocation.claim.creditor,
        "amount": allocation.claim.amount,
        "paid": allocation.paid,
        "ours": ours,
    }


# --- outcomes ----------------------------------------------------------------------------------


class RoundFailForm(forms.Form):
    failed_on = forms.DateField(label=gettext_lazy("Failed on (流拍)"), widget=AdminDateInput())
    second_starting_price = forms.DecimalField(
        label=gettext_lazy("Second starting price"),
        required=False,
        help_text=gettext_lazy("After round 1, when the court has set it. Empty: the minimum."),
        **MONEY_FIELD,
    )
    second_auction_on = forms.DateField(
        label=gettext_lazy("Second auction on"), required=False, widget=AdminDateInput()
    )


class SecondRoundForm(forms.Form):
    second_starting_price = forms.DecimalField(
        label=gettext_lazy("Second starting price"),
        required=False,
        help_text=gettext_lazy("Empty: the minimum."),
        **MONEY_FIELD,
    )
    second_auction_on = forms.DateField(label=gettext_lazy("Second auction on"), widget=AdminDateInput())


class SaleForm(forms.Form):
    price = forms.DecimalField(label=gettext_lazy("Sale price (yuan)"), **MONEY_FIELD)
    buyer = forms.CharField(label=gettext_lazy("Buyer"), max_length=200)
    ruling_on = forms.DateField(
        label=gettext_lazy("Confirmation ruling (成交裁定) on"), widget=AdminDateInput()
    )


class WithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=gettext_lazy("Withdrawn on"), widget=AdminDateInput())
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class PlanOutcomeView(WagtailAdminTemplateMixin, FormView):
    """A form on one approved, open plan, for users who may change it; the viewset's URL guard
    has already given 404 for a plan outside the user's cases."""

    template_name = "assets/disposal_plan_action.html"
    header_icon = "resubmit"
    page_title = ""
    submit_label = ""
    success_message = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm("assets.change_disposalplan"):
            raise PermissionDenied
        if not disposal_plans_editable_by(request.user).filter(pk=self.plan.pk).exists():
            raise PermissionDenied
        if self.plan.approved_at is None or self.plan.is_closed:
            messages.error(request, _("Only an approved plan that is still open takes outcomes."))
            return HttpResponseRedirect(plan_url("inspect", self.plan.pk))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def plan(self) -> DisposalPlan:
        return get_object_or_404(
            disposal_plans_visible_to(self.request.user).select_related("asset", "case"), pk=self.kwargs["pk"]
        )

    def get_page_subtitle(self) -> str:
        return str(self.plan)

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        context.update(
            plan=self.plan, cancel_url=plan_url("inspect", self.plan.pk), submit_label=self.submit_label
        )
        return context

    def perform(self, form: Any) -> None:
        raise NotImplementedError

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.perform(form)
        except (ValidationError, RecoveryError) as error:
            _add_form_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(plan_url("inspect", self.plan.pk))


class RoundFailView(PlanOutcomeView):
    form_class = RoundFailForm
    page_title = gettext_lazy("Record a failed round (流拍)")
    submit_label = gettext_lazy("Record the failure")
    success_message = gettext_lazy("The failed round is recorded; the plan moved to its next round.")

    @property
    def round(self) -> int:
        return 1 if self.plan.stage == DisposalStage.PLANNED else 2

    def get_context_data(self, **kwargs: Any) -> dict:
        return {**super().get_context_data(**kwargs), "round": self.round}

    def perform(self, form: RoundFailForm) -> None:
        data = form.cleaned_data
        disposal.disposal_plan_round_fail(
            plan=self.plan,
            round=self.round,
            failed_on=data["failed_on"],
            second_starting_price=data.get("second_starting_price"),
            second_auction_on=data.get("second_auction_on"),
            user=self.request.user,
        )


class SecondRoundView(PlanOutcomeView):
    form_class = SecondRoundForm
    page_title = gettext_lazy("Schedule the second auction")
    submit_label = gettext_lazy("Record the schedule")
    success_message = gettext_lazy("The second auction is recorded; its notice date is on the docket.")

    def get_initial(self) -> dict[str, Any]:
        return {
            "second_starting_price": self.plan.second_starting_price,
            "second_auction_on": self.plan.second_auction_on,
        }

    def perform(self, form: SecondRoundForm) -> None:
        data = form.cleaned_data
        disposal.disposal_plan_second_round_schedule(
            plan=self.plan,
            second_starting_price=data.get("second_starting_price"),
            second_auction_on=data["second_auction_on"],
            user=self.request.user,
        )


class SaleView(PlanOutcomeView):
    form_class = SaleForm
    page_title = gettext_lazy("Record the sale")
    submit_label = gettext_lazy("Record the sale")
    success_message = gettext_lazy("The sale is recorded and our share credited to the loans.")

    def perform(self, form: SaleForm) -> None:
        data = form.cleaned_data
        disposal.disposal_plan_sale_record(
            plan=self.plan,
            price=data["price"],
            buyer=data["buyer"],
            ruling_on=data["ruling_on"],
            user=self.request.user,
        )


class WithdrawView(PlanOutcomeView):
    form_class = WithdrawForm
    page_title = gettext_lazy("Withdraw the plan")
    submit_label = gettext_lazy("Withdraw")
    success_message = gettext_lazy("The plan is withdrawn.")

    def perform(self, form: WithdrawForm) -> None:
        data = form.cleaned_data
        disposal.disposal_plan_withdraw(
            plan=self.plan, withdrawn_on=data["withdrawn_on"], reason=data["reason"], user=self.request.user
        )


# --- the listing -------------------------------------------------------------------------------


class DisposalPlanFilterSet(ScopedFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), field_name="review_status", choices=ReviewStatus.choices
    )
    stage = django_filters.ChoiceFilter(label=gettext_lazy("Stage"), choices=DisposalStage.choices)
    route = django_filters.ChoiceFilter(label=gettext_lazy("Route"), choices=DisposalRoute.choices)
    min_amount = django_filters.NumberFilter(
        label=gettext_lazy("Reference price at least"), field_name="reference_price", lookup_expr="gte"
    )
    max_amount = django_filters.NumberFilter(
        label=gettext_lazy("Reference price at most"), field_name="reference_price", lookup_expr="lte"
    )
    older_than = django_filters.NumberFilter(label=gettext_lazy("Older than (days)"), method="filter_age")

    class Meta:
        model = DisposalPlan
        fields = ["status", "stage", "route", "min_amount", "max_amount", "older_than"]

    def filter_age(self, queryset: Any, name: str, value: Decimal | None) -> Any:
        if value is None or value < 0 or value > 36500:
            return queryset
        return queryset.filter(created_at__lte=timezone.now() - timedelta(days=int(value)))


def _status(plan: DisposalPlan) -> str:
    """Where the plan's review stands; once approved, where its disposal stands."""
    if plan.approved_at is None:
        return review_status_label(plan)
    return plan.get_stage_display()


def _age_days(plan: DisposalPlan) -> int:
    return (timezone.now() - plan.created_at).days


class DisposalPlanIndexView(ScopedIndexView):
    default_ordering = "-id"

    def get_base_queryset(self) -> Any:
        return with_review_status(super().get_base_queryset().select_related("case", "asset"))


class DisposalPlanViewSet(ApprovalSnippetViewSetMixin, ScopedSnippetViewSet):
    model = DisposalPlan
    record_keyword = "disposal_plan"
    create_service = staticmethod(disposal.disposal_plan_save)
    update_service = staticmethod(disposal.disposal_plan_save)
    delete_service = staticmethod(disposal.disposal_plan_delete)
    add_view_class = DisposalPlanCreateView
    edit_view_class = DisposalPlanEditView
    inspect_view_class = DisposalPlanInspectView
    index_view_class = DisposalPlanIndexView
    base_form_class = DisposalPlanForm
    filterset_class = DisposalPlanFilterSet
    icon = "resubmit"
    menu_label = gettext_lazy("Disposal plans")

    def scope(self, user: Any, *, write: bool) -> Any:
        return disposal_plans_editable_by(user) if write else disposal_plans_visible_to(user)

    list_display = [
        "__str__",
        Column("case", label=gettext_lazy("Case"), accessor=lambda p: p.case.number, sort_key="case_id"),
        Column("status", label=gettext_lazy("Status"), accessor=_status),
        Column(
            "reference_price",
            label=gettext_lazy("Reference price"),
            accessor=lambda plan: yuan(plan.reference_price),
            sort_key="reference_price",
        ),
        DateColumn("created_at", label=gettext_lazy("Drafted on")),
        Column("age", label=gettext_lazy("Age (days)"), accessor=_age_days),
    ]
    search_fields = ["asset__description", "buyer", "notes"]
    list_export = [
        "case.number",
        "get_route_display",
        "asset.description",
        "reference_price",
        "get_reference_source_display",
        "approval_reference",
        "get_stage_display",
        "approved_at",
        "created_at",
        "sold_price",
        "buyer",
        "ruling_on",
    ]
    export_headings = {
        "case.number": gettext_lazy("Case number"),
        "get_route_display": gettext_lazy("Route"),
        "asset.description": gettext_lazy("Asset"),
        "reference_price": gettext_lazy("Reference price"),
        "get_reference_source_display": gettext_lazy("Reference price source"),
        "approval_reference": gettext_lazy("Approval reference"),
        "get_stage_display": gettext_lazy("Stage"),
        "approved_at": gettext_lazy("Approved at"),
        "created_at": gettext_lazy("Drafted on"),
        "sold_price": gettext_lazy("Sale price"),
        "buyer": gettext_lazy("Buyer"),
        "ruling_on": gettext_lazy("Confirmation ruling on"),
    }
    export_filename = "disposal-plans"
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("asset"), FieldPanel("route")]),
        FieldRowPanel([FieldPanel("reference_price"), FieldPanel("reference_source")]),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("first_starting_price"), FieldPanel("first_auction_on")])],
            heading=gettext_lazy("Online auction: the first round"),
        ),
        FieldRowPanel([FieldPanel("costs"), FieldPanel("expected_price")]),
        FieldPanel("timeline"),
        FieldPanel("notes"),
    ]

    def get_urlpatterns(self) -> list:
        extra = [
            path("fail/<str:pk>/", RoundFailView.as_view(), name="fail"),
            path("second-round/<str:pk>/", SecondRoundView.as_view(), name="second_round"),
            path("sale/<str:pk>/", SaleView.as_view(), name="sale"),
            path("withdraw/<str:pk>/", WithdrawView.as_view(), name="withdraw"),
        ]
        for pattern in extra:
            pattern.callback = self._guard(pattern.callback, write=True)
        return super().get_urlpatterns() + extra


# --- attachments -------------------------------------------------------------------------------


class DisposalPlanFileForm(AssetScopedForm):
    """An uploaded file is kept as uploaded: editing changes its caption only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "file" in self.fields:
            self.fields["file"].widget = PrivateFileInput(
                url_name="assets_disposal_file_download", name_field="original_name"
            )
        if self.instance.pk:
            for name in ("plan", "file"):
                if name in self.fields:
                    self.fields[name].disabled = True


class DisposalFileCreateView(ServiceCreateView):
    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if "plan" in self.request.GET:
            initial["plan"] = self.request.GET["plan"]
        return initial

    def get_success_url(self) -> str:
        return plan_url("inspect", self.object.plan_id)


class DisposalFileEditView(ServiceEditView):
    def get_success_url(self) -> str:
        return plan_url("inspect", self.object.plan_id)


class DisposalPlanFileViewSet(ScopedSnippetViewSet):
    model = DisposalPlanFile
    case_path = "plan__case"
    record_keyword = "upload"
    create_service = staticmethod(file_services.disposal_plan_file_upload)
    update_service = staticmethod(file_services.disposal_plan_file_update)
    delete_service = staticmethod(file_services.disposal_plan_file_delete)
    add_view_class = DisposalFileCreateView
    edit_view_class = DisposalFileEditView
    base_form_class = DisposalPlanFileForm
    inspect_view_enabled = False
    icon = "doc-empty"
    menu_label = gettext_lazy("Disposal plan files")
    list_display = ["plan", "caption", DateColumn("uploaded_at", label=gettext_lazy("uploaded at"))]
    search_fields = ["caption"]
    panels = [FieldPanel("plan"), FieldPanel("file"), FieldPanel("caption")]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("plan__asset")


def disposal_file_download(request: HttpRequest, pk: int) -> FileResponse:
    """A plan's attachment, only to users who may see its case (never plain media)."""
    return record_file_download(
        disposal_plan_files_visible_to(request.user), pk, field="file", name_field="original_name"
    )


def register_disposal_urls() -> list:
    return [
        path("assets/disposal-file/<int:pk>/", disposal_file_download, name="assets_disposal_file_download")
    ]
