"""Assets in the admin (资产保全): assets, security interests, preservation measures and files,
scoped to the user's cases; the asset page; the case page's assets section."""

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from assets import file_services, services
from assets.admin.disposal import DisposalPlanFileViewSet, DisposalPlanViewSet
from assets.admin.forms import AssetFileForm, AssetScopedForm, MeasureForm
from assets.admin.views import (
    AssetInspectView,
    MeasureEndView,
    MeasureRenewView,
    asset_file_download,
    asset_url,
    collateral_convert,
    measure_url,
)
from assets.models import Asset, AssetFile, AssetKind, MeasureStatus, PreservationMeasure, SecurityInterest
from assets.selectors import (
    asset_listing,
    assets_editable_by,
    assets_made_of,
    assets_visible_to,
    case_assets,
    case_expected_recovery,
    collateral_expected_for_claims,
    filter_expiring,
    filter_first_seizure_ours,
    our_interests_by_loan,
    position_label,
)
from recovery.admin.base import (
    ScopedFilterSet,
    ScopedIndexView,
    ScopedSnippetViewSet,
    ServiceCreateView,
    ServiceEditView,
)
from recovery.models import Branch, Case
from recovery.selectors.access import cases_editable_by

# --- shared ----------------------------------------------------------------------------------


class AssetChildCreateView(ServiceCreateView):
    """Creating a record on an asset: ?asset=<id> preselects it; back to the asset page after."""

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if "asset" in self.request.GET:
            initial["asset"] = self.request.GET["asset"]
        return initial

    def get_success_url(self) -> str:
        return asset_url(self.object.asset_id)


class AssetChildEditView(ServiceEditView):
    def get_success_url(self) -> str:
        return asset_url(self.object.asset_id)


class AssetChildViewSet(ScopedSnippetViewSet):
    case_path = "asset__case"
    add_view_class = AssetChildCreateView
    edit_view_class = AssetChildEditView
    base_form_class = AssetScopedForm


def _staff_users(request: Any = None) -> Any:
    return get_user_model().objects.filter(staff_profile__isnull=False).order_by("username")


def _iso(name: str) -> Any:
    def value(instance: Any) -> str:
        day = getattr(instance, name)
        return day.isoformat() if day else "—"

    return value


# --- assets ----------------------------------------------------------------------------------


class AssetFilterSet(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=AssetKind.choices)
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"), field_name="case__assignee", queryset=_staff_users
    )
    branch = django_filters.ModelChoiceFilter(
        label=_("Branch"), field_name="case__branch", queryset=Branch.objects.all()
    )
    first_seizure = django_filters.ChoiceFilter(
        label=_("First seizure (首封)"),
        method="filter_first_seizure",
        choices=[("ours", _("We hold the first seizure")), ("others", _("We do not"))],
    )
    # EXPIRY_WINDOW_DAYS days; active measures already past their expiry are included.
    expiring = django_filters.BooleanFilter(label=_("Expiring within 30 days"), method="filter_expiring")

    class Meta:
        model = Asset
        fields = ["kind", "assignee", "branch", "first_seizure", "expiring"]

    def filter_first_seizure(self, queryset: Any, name: str, value: str) -> Any:
        if value not in ("ours", "others"):
            return queryset
        return filter_first_seizure_ours(queryset, value == "ours")

    def filter_expiring(self, queryset: Any, name: str, value: bool | None) -> Any:
        if not value:
            return queryset
        return filter_expiring(queryset, today=timezone.localdate())


def _first_seizure(asset: Asset) -> str:
    holder = getattr(asset, "first_seizure_holder", None)
    if not holder:
        return "—"
    return f"{holder} ({_('ours')})" if asset.first_seizure_ours else holder


class AssetIndexView(ScopedIndexView):
    def _get_title_column(self, field_name: str, column_class: Any = TitleColumn, **kwargs: Any) -> Any:
        # The description opens the asset page; editing is one click further.
        column_class = self._get_title_column_class(column_class)
        return self._get_custom_column(field_name, column_class, get_url=self.get_inspect_url, **kwargs)

    # Newest first, by primary key: the first page reads 50 rows off the index instead of
    # sorting every visible asset (50,000 for the head of recovery; see bench/asset_listing.py).
    default_ordering = "-id"

    def get_base_queryset(self) -> Any:
        return asset_listing(super().get_base_queryset())

    def get_list_buttons(self, instance: Any) -> list:
        # The description opens the asset page, which holds every action on the asset (and a
        # dropdown per row costs a third of the page's time on 50 rows).
        return []

    def get_valid_orderings(self) -> list:
        return [*super().get_valid_orderings(), "id", "-id"]

    def order_queryset(self, queryset: Any) -> Any:
        # A stable order for pages: ties (same case, same value) by primary key.
        ordering = self.ordering
        if ordering in ("id", "-id"):
            return queryset.order_by(ordering)
        if ordering in ("next_expiry", "-next_expiry", "our_best_position", "-our_best_position"):
            # Assets without an active measure have no value here: always last.
            name = ordering.lstrip("-")
            direction = F(name).desc if ordering.startswith("-") else F(name).asc
            return queryset.order_by(direction(nulls_last=True), "-id")
        return super().order_queryset(queryset).order_by(ordering, "-id")


class AssetViewSet(ScopedSnippetViewSet):
    model = Asset
    record_keyword = "asset"
    create_service = staticmethod(services.asset_record)
    update_service = staticmethod(services.asset_update)
    delete_service = staticmethod(services.asset_delete)

    def scope(self, user: Any, *, write: bool) -> Any:
        return assets_editable_by(user) if write else assets_visible_to(user)

    icon = "home"
    menu_label = _("Assets")
    index_view_class = AssetIndexView
    inspect_view_class = AssetInspectView
    filterset_class = AssetFilterSet
    base_form_class = AssetScopedForm
    list_per_page = 50
    list_display = [
        "description",
        Column("case", label=_("Case"), accessor=lambda a: a.case.number, sort_key="case_id"),
        Column("owner", label=_("Owner"), accessor=lambda a: a.owner.name),
        Column("kind", label=_("Kind"), accessor="get_kind_display", sort_key="kind"),
        Column("estimated_value", label=_("Estimated value"), sort_key="estimated_value"),
        Column("active_measures", label=_("Active measures"), sort_key="active_measures"),
        Column(
            "our_best_position",
            label=_("Our position"),
            accessor=lambda a: position_label(a.our_best_position),
            sort_key="our_best_position",
        ),
        Column("first_seizure_holder", label=_("First seizure held by"), accessor=_first_seizure),
        Column("next_expiry", label=_("Next expiry"), accessor=_iso("next_expiry"), sort_key="next_expiry"),
    ]
    search_fields = ["description", "certificate_number", "plate", "vin", "account_number"]
    list_export = [
        "case.number",
        "owner.name",
        "get_kind_display",
        "description",
        "estimated_value",
        "valued_on",
        "active_measures",
        "our_best_position",
        "first_seizure_holder",
        "next_expiry",
    ]
    export_headings = {
        "case.number": _("Case number"),
        "owner.name": _("Owner"),
        "get_kind_display": _("Kind"),
        "description": _("Description"),
        "estimated_value": _("Estimated value"),
        "valued_on": _("Valued on"),
        "active_measures": _("Active measures"),
        "our_best_position": _("Our position"),
        "first_seizure_holder": _("First seizure held by"),
        "next_expiry": _("Next expiry"),
    }
    export_filename = "assets"
    panels = [
        FieldRowPanel([FieldPanel("case"), FieldPanel("owner"), FieldPanel("kind")]),
        FieldPanel("description"),
        MultiFieldPanel(
            [
                FieldPanel("address"),
                FieldRowPanel([FieldPanel("certificate_number"), FieldPanel("area")]),
            ],
            heading=_("Real estate"),
        ),
        MultiFieldPanel([FieldRowPanel([FieldPanel("plate"), FieldPanel("vin")])], heading=_("Vehicle")),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("bank"), FieldPanel("account_number"), FieldPanel("frozen_amount")])],
            heading=_("Bank deposit"),
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("company"), FieldPanel("share_percent")]), FieldPanel("counterparty")],
            heading=_("Equity or receivable"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("estimated_value"), FieldPanel("valued_on"), FieldPanel("value_source")]
                )
            ],
            heading=_("Value"),
        ),
        FieldPanel("collateral"),
        FieldPanel("notes"),
    ]


# --- security interests ----------------------------------------------------------------------


class SecurityInterestViewSet(AssetChildViewSet):
    model = SecurityInterest
    record_keyword = "interest"
    create_service = staticmethod(services.security_interest_record)
    update_service = staticmethod(services.security_interest_update)
    delete_service = staticmethod(services.security_interest_delete)
    icon = "key"
    menu_label = _("Security interests")
    list_display = [
        "asset",
        Column("kind", label=_("Kind"), accessor="get_kind_display", sort_key="kind"),
        "creditor",
        "ours",
        "secured_amount",
        DateColumn("registered_on", label=_("registered on")),
    ]
    list_filter = ["kind", "ours"]
    search_fields = ["creditor", "registration_number", "asset__description"]
    panels = [
        FieldRowPanel([FieldPanel("asset"), FieldPanel("kind")]),
        FieldRowPanel([FieldPanel("ours"), FieldPanel("creditor"), FieldPanel("loan")]),
        FieldRowPanel([FieldPanel("secured_amount"), FieldPanel("maximum_amount")]),
        FieldRowPanel([FieldPanel("registered_on"), FieldPanel("registration_number")]),
        FieldPanel("notes"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("asset")


# --- preservation measures -------------------------------------------------------------------


class MeasureIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance: Any) -> list:
        buttons = super().get_list_more_buttons(instance)
        if instance.status == MeasureStatus.ACTIVE and self.user_has_permission("change"):
            buttons += [
                Button(_("Renew"), url=measure_url("renew", instance.pk), icon_name="history", priority=15),
                Button(
                    _("Lift or lapse"), url=measure_url("end", instance.pk), icon_name="cross", priority=16
                ),
            ]
        return buttons


class PreservationMeasureViewSet(AssetChildViewSet):
    """Recorded through measure_record (which ranks it); edited only in the fields that do not
    rank it; renewed and ended through their own forms; never deleted (it ends instead)."""

    model = PreservationMeasure
    # measure_record ranks a new measure and, for an edit, keeps position and status as stored.
    record_keyword = "measure"
    create_service = staticmethod(services.measure_record)
    update_service = staticmethod(services.measure_record)
    delete_view_enabled = False
    icon = "lock"
    menu_label = _("Preservation measures")
    index_view_class = MeasureIndexView
    base_form_class = MeasureForm
    list_display = [
        "asset",
        "applicant",
        "ours",
        Column("kind", label=_("Measure"), accessor="get_kind_display", sort_key="kind"),
        Column("position", label=_("Position"), accessor=lambda m: position_label(m.position)),
        Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        Column("expires_on", label=_("Expires on"), accessor=_iso("expires_on"), sort_key="expires_on"),
    ]
    list_filter = ["status", "ours", "kind", "stage"]
    search_fields = ["applicant", "court", "ruling_number", "asset__description"]
    panels = [
        FieldRowPanel([FieldPanel("asset"), FieldPanel("ours"), FieldPanel("applicant")]),
        FieldRowPanel([FieldPanel("court"), FieldPanel("ruling_number")]),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("stage"), FieldPanel("claim_amount")]),
        FieldRowPanel([FieldPanel("measured_on"), FieldPanel("registered_at"), FieldPanel("expires_on")]),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("asset")

    def get_common_view_kwargs(self, **kwargs: Any) -> dict:
        return super().get_common_view_kwargs(**{"delete_url_name": None, **kwargs})

    def get_urlpatterns(self) -> list:
        patterns = [p for p in super().get_urlpatterns() if p.name != "delete"]
        extra = [
            path("renew/<str:pk>/", MeasureRenewView.as_view(), name="renew"),
            path("end/<str:pk>/", MeasureEndView.as_view(), name="end"),
        ]
        for pattern in extra:
            pattern.callback = self._guard(pattern.callback, write=True)
        return patterns + extra


# --- files -----------------------------------------------------------------------------------


class FileLinkColumn(Column):
    cell_template_name = "assets/file_link_cell.html"

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        context["url"] = reverse("assets_file_download", args=[instance.pk])
        return context


class AssetFileViewSet(AssetChildViewSet):
    model = AssetFile
    record_keyword = "upload"
    create_service = staticmethod(file_services.asset_file_upload)
    update_service = staticmethod(file_services.asset_file_update)
    delete_service = staticmethod(file_services.asset_file_delete)
    icon = "doc-empty"
    menu_label = _("Asset files")
    base_form_class = AssetFileForm
    inspect_view_enabled = False
    list_display = [
        "asset",
        Column("kind", label=_("Kind"), accessor="get_kind_display", sort_key="kind"),
        "caption",
        # The uploaded name: the stored one is random (recovery.lib.files).
        FileLinkColumn(
            "file", label=_("File"), accessor=lambda f: f.original_name or f.file.name.rsplit("/", 1)[-1]
        ),
        DateColumn("uploaded_at", label=_("uploaded at")),
    ]
    list_filter = ["kind"]
    search_fields = ["caption", "asset__description"]
    panels = [
        FieldRowPanel([FieldPanel("asset"), FieldPanel("kind")]),
        FieldPanel("file"),
        FieldPanel("caption"),
    ]

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("asset")


class AssetsGroup(SnippetViewSetGroup):
    menu_label = pgettext_lazy("menu", "Assets")
    menu_icon = "home"
    menu_order = 120
    items = (
        AssetViewSet,
        SecurityInterestViewSet,
        PreservationMeasureViewSet,
        AssetFileViewSet,
        DisposalPlanViewSet,
        DisposalPlanFileViewSet,
    )


def register_asset_file_urls() -> list:
    return [
        path("assets/file/<int:pk>/", asset_file_download, name="assets_file_download"),
        path("assets/collateral/<int:pk>/convert/", collateral_convert, name="assets_collateral_convert"),
    ]


# --- the case page ---------------------------------------------------------------------------


def assets_section(case: Case, request: Any) -> str:
    assets = case_assets(case)
    recovery = case_expected_recovery(case=case, assets=assets)
    expected = {waterfall.asset.pk: waterfall.expected_for_us for waterfall in recovery.assets}
    problems = {asset.pk: message for asset, message in recovery.problems}
    rows = [
        {
            "asset": asset,
            "url": asset_url(asset.pk),
            "position": position_label(asset.our_best_position),
            "first_seizure": _first_seizure(asset),
            "expected": expected.get(asset.pk),
            "problem": problems.get(asset.pk, ""),
        }
        for asset in assets
    ]
    return render_to_string(
        "assets/case_section.html",
        {
            "case": case,
            "rows": rows,
            "recovery": recovery,
            "not_valued": ", ".join(asset.description for asset in recovery.not_valued),
            "can_edit": cases_editable_by(request.user).filter(pk=case.pk).exists(),
        },
        request=request,
    )


# --- per loan, on the case and loan pages (recovery.services.loan_parties' hooks) ----------------------


def collateral_actions(items: list, request: Any) -> dict[int, str]:
    """Each item of hand-over collateral: a link to the asset made of it, or the one-step
    button that makes it (for those who may change the case and add assets)."""
    if not items:
        return {}
    converted = assets_made_of([item.pk for item in items])
    editable = set(
        cases_editable_by(request.user)
        .filter(pk__in={item.case_id for item in items})
        .values_list("pk", flat=True)
    )
    may_add = request.user.has_perm("assets.add_asset") and request.user.has_perm(
        "recovery.change_collateral"
    )
    return {
        item.pk: render_to_string(
            "assets/collateral_action.html",
            {
                "item": item,
                "asset": converted.get(item.pk),
                "asset_url": asset_url(converted[item.pk][0]) if item.pk in converted else "",
                "can_convert": may_add and item.case_id in editable,
            },
            request=request,
        )
        for item in items
    }


def loan_security_interests(loans: list, request: Any) -> dict[int, list[str]]:
    """Our security interests over assets, per secured loan."""
    lines: dict[int, list[str]] = {}
    for interest in our_interests_by_loan([loan.pk for loan in loans]):
        lines.setdefault(interest.loan_id, []).append(
            render_to_string(
                "assets/loan_interest_line.html",
                {"interest": interest, "asset_url": asset_url(interest.asset_id)},
                request=request,
            )
        )
    return lines


def liability_collateral(claims: list, request: Any) -> dict[int, tuple[Any, str]]:
    """For the liability matrix: what each mortgagor's or pledgor's collateral is expected to
    fetch for us on that loan (its waterfall at the estimated value), with the assets named."""
    found: dict[int, tuple[Any, str]] = {}
    for claim_id, (expected, assets) in collateral_expected_for_claims(claims).items():
        found[claim_id] = (
            expected,
            render_to_string(
                "assets/liability_collateral.html",
                {"assets": [(asset, asset_url(asset.pk)) for asset in assets]},
                request=request,
            ),
        )
    return found
