from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assets"
    verbose_name = _("Assets")

    def ready(self) -> None:
        from decimal import Decimal

        from assets.deadlines import asset_deadlines, disposal_plan_deadlines, register_asset_deadline_kinds
        from assets.lapse import ASSET_LAPSES
        from recovery.deadlines.lapse import register_lapse_consequence
        from recovery.registry import (
            ProviderPhase,
            register_approval_kind,
            register_deadline_provider,
            register_docket_app,
        )

        register_docket_app(self.label)
        register_asset_deadline_kinds()
        # It only reads the events (pre-suit measures need the suits litigation adds).
        register_deadline_provider(asset_deadlines, phase=ProviderPhase.SPECS)
        register_deadline_provider(disposal_plan_deadlines, phase=ProviderPhase.SPECS)
        register_approval_kind(
            "disposal_plan",
            _("Disposal plan"),
            app="assets",
            model="assets.DisposalPlan",
            default_limit=Decimal("1000000.00"),
        )
        for kind, consequence in ASSET_LAPSES.items():
            register_lapse_consequence(kind, consequence)
