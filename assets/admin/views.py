"""Views of the assets admin outside the generic snippet views: the asset page (encumbrances in
legal order and the waterfall form), renewing and ending a measure, and the access-checked
download of an asset's files. Reads go through assets.selectors, writes through assets.services."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.snippets.views.snippets import InspectView

from assets import services
from assets.admin.forms import MeasureEndForm, MeasureRenewForm, WaterfallForm
from assets.models import Asset, MeasureStatus, PreservationMeasure
from assets.selectors import (
    asset_files_visible_to,
    asset_page_data,
    assets_editable_by,
    assets_visible_to,
    position_label,
)
from recovery.admin.base import _add_form_error
from recovery.lib.files import record_file_download
from recovery.lib.links import case_path
from recovery.models import Collateral, PartyKind
from recovery.selectors.access import cases_editable_by, cases_visible_to
from recovery.services import RecoveryError

ASSET_URL_NAME = "wagtailsnippets_assets_asset:inspect"
MEASURE_URL_PREFIX = "wagtailsnippets_assets_preservationmeasure"

# The asset's own fields shown on its page, in this order, when they hold a value.
ASSET_DETAIL_FIELDS = (
    "kind",
    "owner",
    "case",
    "address",
    "certificate_number",
    "area",
    "plate",
    "vin",
    "bank",
    "account_number",
    "frozen_amount",
    "company",
    "share_percent",
    "counterparty",
    "estimated_value",
    "valued_on",
    "value_source",
    "collateral",
    "notes",
)


def asset_url(asset_id: int) -> str:
    return reverse(ASSET_URL_NAME, args=[asset_id])


def measure_url(name: str, measure_id: int) -> str:
    return reverse(f"{MEASURE_URL_PREFIX}:{name}", args=[measure_id])


def _user_may_change(user: Any, model: type) -> bool:
    return user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}")


# --- the asset page ------------------------------------------------------------------------


class AssetInspectView(InspectView):
    template_name = "assets/asset_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        data = asset_page_data(self.object)
        asset = data.asset
        user = self.request.user
        can_edit = assets_editable_by(user).filter(pk=asset.pk).exists()
        context.update(
            page=data,
            asset=asset,
            details=self._details(asset),
            can_edit=can_edit,
            can_change_measures=can_edit and _user_may_change(user, PreservationMeasure),
            case_url=case_path(asset.case_id),
            waterfall=self._waterfall(asset),
            today=timezone.localdate(),
        )
        return context

    def _details(self, asset: Asset) -> list[tuple[str, Any]]:
        rows = []
        for name in ASSET_DETAIL_FIELDS:
            field = Asset._meta.get_field(name)
            value = getattr(asset, name)
            if value in (None, ""):
                continue
            display = getattr(asset, f"get_{name}_display", None)
            rows.append((field.verbose_name, display() if display else value))
        return rows

    def _waterfall(self, asset: Asset) -> dict[str, Any]:
        """The waterfall form (GET: it writes nothing) and, once submitted, its result."""
        submitted = "proceeds" in self.request.GET
        initial = {"proceeds": asset.estimated_value, "costs": Decimal("0.00")}
        form = WaterfallForm(self.request.GET if submitted else None, initial=initial)
        context: dict[str, Any] = {
            "form": form,
            "legal_person": asset.owner.kind == PartyKind.COMPANY,
            "result": None,
        }
        if submitted and form.is_valid():
            try:
                result = services.asset_waterfall(
                    asset=asset, proceeds=form.cleaned_data["proceeds"], costs=form.cleaned_costs()
                )
            except RecoveryError as error:
                _add_form_error(form, error)
            else:
                context.update(result=result, rows=[_waterfall_row(*row) for row in result.rows()])
        return context


def _waterfall_row(allocation: Any, source: Any, ours: bool) -> dict[str, Any]:
    """One creditor's line of the waterfall table, with what gives it its rank."""
    if isinstance(source, PreservationMeasure):
        if source.status == MeasureStatus.ACTIVE:
            right = f"{source.get_kind_display()}, {position_label(source.position)}"
        else:
            right = _("%(kind)s, %(status)s: no rank") % {
                "kind": source.get_kind_display(),
                "status": source.get_status_display(),
            }
    elif source.registered_on:
        right = _("%(kind)s registered %(day)s") % {
            "kind": source.get_kind_display(),
            "day": source.registered_on.isoformat(),
        }
    else:
        right = _("%(kind)s, unregistered") % {"kind": source.get_kind_display()}
    return {
        "rank": allocation.rank,
        "creditor": allocation.claim.creditor,
        "right": right,
        "amount": allocation.claim.amount,
        "paid": allocation.paid,
        "shortfall": allocation.shortfall,
        "ours": ours,
    }


# --- renewing and ending a measure ---------------------------------------------------------


class MeasureActionView(WagtailAdminTemplateMixin, FormView):
    """A form on one active measure, for users who may change it; the viewset's URL guard has
    already given 404 for a measure outside the user's cases."""

    template_name = "assets/measure_action.html"
    header_icon = "lock"
    success_message = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _user_may_change(request.user, PreservationMeasure):
            raise PermissionDenied
        if not assets_editable_by(request.user).filter(pk=self.measure.asset_id).exists():
            raise PermissionDenied
        if self.measure.status != MeasureStatus.ACTIVE:
            messages.error(request, _("This measure has already ended."))
            return HttpResponseRedirect(asset_url(self.measure.asset_id))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def measure(self) -> PreservationMeasure:
        return get_object_or_404(
            PreservationMeasure.objects.filter(
                asset__in=assets_visible_to(self.request.user).values("pk")
            ).select_related("asset__case"),
            pk=self.kwargs["pk"],
        )

    def get_page_subtitle(self) -> str:
        return str(self.measure)

    def get_breadcrumbs_items(self) -> list:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(f"{MEASURE_URL_PREFIX}:list"), "label": _("Preservation measures")},
            {"url": asset_url(self.measure.asset_id), "label": str(self.measure.asset)},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_form_kwargs(self) -> dict:
        return super().get_form_kwargs()

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        context.update(
            measure=self.measure,
            position=position_label(self.measure.position),
            cancel_url=asset_url(self.measure.asset_id),
            submit_label=self.submit_label,
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
        messages.success(self.request, self.success_message % {"m": self.measure})
        return HttpResponseRedirect(asset_url(self.measure.asset_id))


class MeasureRenewView(MeasureActionView):
    form_class = MeasureRenewForm

    @property
    def page_title(self) -> str:
        return _("Renew measure")

    @property
    def submit_label(self) -> str:
        return _("Record renewal")

    @property
    def success_message(self) -> str:
        return _("Renewal of %(m)s recorded.")

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "measure": self.measure}

    def perform(self, form: MeasureRenewForm) -> None:
        data = form.cleaned_data
        services.measure_renew(
            measure=self.measure,
            renewed_on=data["renewed_on"],
            new_expires_on=data["new_expires_on"],
            ruling_number=data["ruling_number"],
            user=self.request.user,
        )


class MeasureEndView(MeasureActionView):
    form_class = MeasureEndForm

    @property
    def page_title(self) -> str:
        return _("Lift or lapse measure")

    @property
    def submit_label(self) -> str:
        return _("Record the end")

    @property
    def success_message(self) -> str:
        return _("The end of %(m)s is recorded; the waiting list moved up.")

    def perform(self, form: MeasureEndForm) -> None:
        data = form.cleaned_data
        services.measure_end(
            measure=self.measure,
            status=data["status"],
            ended_on=data["ended_on"],
            reason=data["reason"],
            user=self.request.user,
        )


# --- files ---------------------------------------------------------------------------------


def asset_file_download(request: HttpRequest, pk: int) -> FileResponse:
    """An asset's photo or document, only to users who may see its case (never plain media),
    as an attachment under the name it was uploaded with."""
    return record_file_download(
        asset_files_visible_to(request.user), pk, field="file", name_field="original_name"
    )


# --- hand-over collateral into an asset -------------------------------------------------------


def collateral_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: make the collateral an asset with our security interest (once), then open it.
    Collateral outside the user's cases is a 404 whatever the method."""
    item = get_object_or_404(Collateral, pk=pk, case__in=cases_visible_to(request.user).values("pk"))
    if not (
        request.user.has_perm("assets.add_asset") and request.user.has_perm("recovery.change_collateral")
    ):
        raise PermissionDenied
    if not cases_editable_by(request.user).filter(pk=item.case_id).exists():
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        asset = services.collateral_convert_to_asset(collateral=item, user=request.user)
    except (RecoveryError, ValidationError) as error:
        messages.error(request, getattr(error, "message", None) or "; ".join(error.messages))
        return HttpResponseRedirect(case_path(item.case_id))
    messages.success(
        request, _("Asset recorded from the hand-over collateral: %(d)s") % {"d": asset.description}
    )
    return HttpResponseRedirect(asset_url(asset.pk))
