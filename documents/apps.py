from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from recovery.registry import register_docket_app

        # Templates are the firm's formats: managers and the head keep them, lawyers use them.
        # A generated document is kept as it was made: whoever may change its case generates it.
        register_docket_app(
            self.label,
            lawyer_read_only=("documenttemplate", "documenttemplateversion"),
            service_written=("generateddocument",),
        )
