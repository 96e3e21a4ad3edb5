from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recovery"
    verbose_name = _("Recovery")

    def ready(self) -> None:
        from django.utils.translation import gettext

        from recovery.checks.i18n import set_translator

        # The pure packages' messages (an ID's failed checksum, a date out of range) are
        # translated into the reader's language when they are made, like every other message.
        set_translator(gettext)

        self.register_own()

        from recovery.services.cases import register_case_fact_listener
        from recovery.services.deadlines import deadlines_on_facts_changed, register_deadline_date_listener
        from recovery.services.liability import liability_claims_on_facts_changed
        from recovery.services.staff import roles_sync_permissions
        from recovery.tasks import alerts_on_deadline_dates

        # Every change to a case's facts recomputes its deadlines in the same transaction.
        register_case_fact_listener(deadlines_on_facts_changed)
        # ... and keeps the liability matrix's rows in step with the loans, links and estates.
        register_case_fact_listener(liability_claims_on_facts_changed)
        # A deadline that newly falls within three days is mailed at once.
        register_deadline_date_listener(alerts_on_deadline_dates)

        # Django's get_full_name puts the given name first ("明 赵"); every page, mail and
        # history entry shows a user through it, so it writes the name as it is written.
        from django.contrib.auth.models import User

        from recovery.admin.accounts import user_full_name

        User.get_full_name = user_full_name  # type: ignore[method-assign]

        # After every migrate the role groups get exactly the permissions of the current models,
        # and each approval kind its limit and its workflow.
        post_migrate.connect(roles_sync_permissions, dispatch_uid="recovery.roles_sync_permissions")
        from recovery.services.alerts import alert_policies_sync
        from recovery.services.approvals import approval_workflows_sync

        post_migrate.connect(alert_policies_sync, dispatch_uid="recovery.alert_policies_sync")

        post_migrate.connect(approval_workflows_sync, dispatch_uid="recovery.approval_workflows_sync")
        self.connect_approval_mail()

    def connect_approval_mail(self) -> None:
        """Approval mails go through our machinery (their reader's language, Celery, once). Our
        receivers are connected under the dispatch uids Wagtail's notifiers use: recovery's
        ready() runs before wagtail.admin's (INSTALLED_APPS order), and a signal ignores a
        second receiver with the same uid and sender, so Wagtail's synchronous mails never
        connect (tests/recovery/services/test_approval_workflow.py checks)."""
        from wagtail.models import TaskState, WorkflowState
        from wagtail.signals import task_submitted, workflow_approved, workflow_rejected, workflow_submitted

        from recovery.services import approval_notices as notices

        task_submitted.connect(
            notices.on_task_submitted, sender=TaskState, dispatch_uid=notices.WAGTAIL_TASK_SUBMITTED_UID
        )
        workflow_approved.connect(
            notices.on_workflow_approved,
            sender=WorkflowState,
            dispatch_uid=notices.WAGTAIL_WORKFLOW_APPROVED_UID,
        )
        for signal, uid in (
            (workflow_submitted, notices.WAGTAIL_WORKFLOW_SUBMITTED_UID),
            (workflow_rejected, notices.WAGTAIL_WORKFLOW_REJECTED_UID),
        ):
            signal.connect(notices.on_workflow_submitted_or_rejected, sender=WorkflowState, dispatch_uid=uid)

    def register_own(self) -> None:
        """recovery's entries in its own registry, first of all (INSTALLED_APPS order)."""
        from recovery.alerting.thresholds import LONG_PERIOD_THRESHOLDS
        from recovery.models import DeadlineKind
        from recovery.registry import register_deadline_kind, register_docket_app

        tags = {
            DeadlineKind.LIMITATION: _("Limitation"),
            DeadlineKind.GUARANTEE_PERIOD: _("Guarantee period"),
            DeadlineKind.GUARANTOR_LIMITATION: _("Guarantor limitation"),
            DeadlineKind.MORTGAGE: _("Mortgage"),
        }
        for kind in DeadlineKind:
            register_deadline_kind(
                kind.value, kind.label, app=self.label, thresholds=LONG_PERIOD_THRESHOLDS, tag=tags[kind]
            )
        # Lawyers may correct what they recorded, but not delete cases, loans or parties; a
        # link to a loan the party has nothing to do with is theirs to remove.
        register_docket_app(
            self.label, lawyer_may_delete=("collectionaction", "caseparty", "loanparty", "instalment")
        )
