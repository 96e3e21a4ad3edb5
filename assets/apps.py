from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assets"
    verbose_name = _("Assets")

    def ready(self) -> None:
        from assets.deadlines import asset_deadlines
        from assets.lapse import ASSET_LAPSES
        from recovery.deadlines.lapse import register_lapse_consequence
        from recovery.services.deadlines import register_deadline_provider

        # After litigation's provider (INSTALLED_APPS order): pre-suit measures need its suits.
        register_deadline_provider(asset_deadlines)
        for kind, consequence in ASSET_LAPSES.items():
            register_lapse_consequence(kind, consequence)
