from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LitigationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "litigation"
    verbose_name = _("Litigation")

    def ready(self) -> None:
        from litigation.deadlines import litigation_deadlines
        from litigation.lapse import LITIGATION_LAPSES
        from recovery.deadlines.lapse import register_lapse_consequence
        from recovery.selectors.search import register_case_search_lookup
        from recovery.services.deadlines import register_deadline_provider

        register_deadline_provider(litigation_deadlines)
        for kind, consequence in LITIGATION_LAPSES.items():
            register_lapse_consequence(kind, consequence)

        register_case_search_lookup("lawsuits__court_case_number__icontains")
        register_case_search_lookup("lawsuits__enforcements__enforcement_case_number__icontains")
