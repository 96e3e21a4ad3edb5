from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recovery"
    verbose_name = _("Recovery")

    def ready(self) -> None:
        from recovery.roles import roles_sync_permissions

        # After every migrate the role groups get exactly the permissions of the current models.
        post_migrate.connect(roles_sync_permissions, dispatch_uid="recovery.roles_sync_permissions")
