"""`manage.py approval_decide KIND ID --user NAME --action approve|request_changes|reject
[--comment TEXT]`: decide a request's current approval step outside the admin (a batch of
approvals a manager signed on paper, a script). The same checks as in the admin: the user must
be one of the step's approvers, never the requester; a refusal exits 2 with the reason."""

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recovery.registry import approval_kinds
from recovery.services import RecoveryError
from recovery.services.approvals import APPROVE, REJECT, REQUEST_CHANGES, workflow_task_act


class Command(BaseCommand):
    help = "Decide the current approval step of a request, as a named user (checked as in the admin)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "kind", help="approval kind: " + ", ".join(spec.value for spec in approval_kinds())
        )
        parser.add_argument("id", type=int, help="the request's id")
        parser.add_argument("--user", required=True, help="the deciding user's username")
        parser.add_argument("--action", required=True, choices=[APPROVE, REQUEST_CHANGES, REJECT])
        parser.add_argument("--comment", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        specs = {spec.value: spec for spec in approval_kinds()}
        spec = specs.get(options["kind"])
        if spec is None:
            raise CommandError(
                f"Unknown approval kind {options['kind']!r}: one of {', '.join(specs)}", returncode=2
            )
        instance = apps.get_model(spec.model).objects.filter(pk=options["id"]).first()
        if instance is None:
            raise CommandError(f"No {spec.value} with id {options['id']}", returncode=2)
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['user']!r}", returncode=2)
        try:
            workflow_task_act(
                instance=instance, user=user, action=options["action"], comment=options["comment"]
            )
        except RecoveryError as refusal:
            raise CommandError(str(refusal.message), returncode=2) from refusal
        instance.refresh_from_db()
        state = "approved " + instance.approval_reference if instance.approved_at else "decided"
        self.stdout.write(
            f"{spec.value} {instance.pk}: {options['action']} by {user.get_username()} — {state}"
        )
