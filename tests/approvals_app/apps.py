from django.apps import AppConfig


class ApprovalsAppConfig(AppConfig):
    """A workflow-managed snippet for the tests of the approval hook (recovery.services.approvals),
    until disposal plans and write-offs bring real ones. Installed only when RECOVERY_TESTING is
    set (config.settings); the product's INSTALLED_APPS never list it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "tests.approvals_app"
    label = "approvals_app"
