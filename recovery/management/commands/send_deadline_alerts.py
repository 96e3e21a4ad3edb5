"""`manage.py send_deadline_alerts [--today YYYY-MM-DD] [--dry-run]`: the daily alert job, run
synchronously (the same service the Celery beat job runs), for operators and for checking."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recovery.services.alerts import alerts_run


class Command(BaseCommand):
    help = "Plan today's deadline alerts and send every waiting digest now; prints how many mails went out."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", metavar="YYYY-MM-DD", help="run as if it were this day (Shanghai)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be sent, send nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else timezone.localdate()
        except ValueError as bad:
            raise CommandError(f"--today: {options['today']!r} is not a date like 2026-11-23") from bad
        summary = alerts_run(today=today, dry_run=options["dry_run"])
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run for {today}: would send {summary.mails} mails ({summary.alerts_sent} alerts)."
            )
            return
        self.stdout.write(f"{today}: sent {summary.mails} mails ({summary.alerts_sent} alerts).")
        for failure in summary.failures:
            self.stderr.write(f"not sent, will retry: {failure}")
        if summary.failures:
            raise CommandError(f"{len(summary.failures)} recipient(s) could not be mailed")
