from django.apps import AppConfig


class ApprovalsAppConfig(AppConfig):
    """A workflow-managed snippet for the tests of the approval hook (recovery.services.approvals),
    until disposal plans and write-offs bring real ones. Installed only when RECOVERY_TESTING is
    set (config.settings); the product's INSTALLED_APPS never list it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "tests.approvals_app"
    label = "approvals_app"

    def ready(self) -> None:
        from decimal import Decimal

        from recovery.registry import register_approval_kind

        register_approval_kind(
            "test_request",
            "Test request",
            app=self.label,
            model="approvals_app.Request",
            default_limit=Decimal("1000000.00"),
        )
