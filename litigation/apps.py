from decimal import Decimal

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LitigationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "litigation"
    verbose_name = _("Litigation")

    def ready(self) -> None:
        from litigation.deadlines import litigation_deadlines, register_litigation_deadline_kinds
        from litigation.lapse import LITIGATION_LAPSES
        from litigation.writeoff_deadlines import write_off_deadlines
        from recovery.deadlines.lapse import register_lapse_consequence
        from recovery.registry import (
            ProviderPhase,
            register_approval_kind,
            register_deadline_provider,
            register_docket_app,
        )
        from recovery.selectors.search import register_case_search_lookup

        register_docket_app(
            self.label,
            lawyer_may_delete=("hearing", "writeoffevidence", "completeterminationevidence"),
        )
        register_litigation_deadline_kinds()
        # Suits and judgments are events other providers' rules read (a pre-suit measure is
        # done once a suit was filed): they are added before any provider reads them.
        register_deadline_provider(litigation_deadlines, phase=ProviderPhase.EVENTS)
        register_deadline_provider(write_off_deadlines, phase=ProviderPhase.SPECS)
        for kind, consequence in LITIGATION_LAPSES.items():
            register_lapse_consequence(kind, consequence)

        register_case_search_lookup("lawsuits__court_case_number__icontains")
        register_case_search_lookup("lawsuits__enforcements__enforcement_case_number__icontains")

        register_approval_kind(
            "write_off",
            _("Write-off"),
            app=self.label,
            model="litigation.WriteOff",
            default_limit=Decimal("1000000.00"),
        )
        register_approval_kind(
            "complete_termination",
            _("Complete termination"),
            app=self.label,
            model="litigation.CompleteTermination",
            default_limit=Decimal("1000000.00"),
        )
