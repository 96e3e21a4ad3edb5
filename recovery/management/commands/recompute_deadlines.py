"""`manage.py recompute_deadlines [--case ID ...]`: recompute stored deadlines (for repairs,
after a rules update, and nightly so that statuses follow the calendar)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from recovery.models import Case
from recovery.services.deadlines import deadlines_recompute


class Command(BaseCommand):
    help = "Recompute the deadlines of every case, or of the cases given with --case."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--case", action="append", metavar="ID", help="case id or number (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        case_ids = None
        if options["case"]:
            case_ids = set()
            for given in options["case"]:
                found = Case.objects.filter(number=given).values_list("pk", flat=True).first()
                if found is None and given.isdigit():
                    found = Case.objects.filter(pk=int(given)).values_list("pk", flat=True).first()
                if found is None:
                    raise CommandError(f"No case {given!r}")
                case_ids.add(found)
        summary = deadlines_recompute(case_ids=case_ids)
        self.stdout.write(
            f"{summary.cases} cases: {summary.created} deadlines new, {summary.updated} changed, "
            f"{summary.unchanged} unchanged, {summary.deleted} removed"
        )
