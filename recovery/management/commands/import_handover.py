"""`manage.py import_handover FILE [--dry-run] [--strict] [--json] [--errors OUT.csv]`
(contract: handover-import.md). Exit 0 all rows accepted, 3 some rejected, 2 unusable file or
another import of the same file running (one sentence on standard error, never a traceback)."""

import csv
import json
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recovery.checks.cells import inert_row
from recovery.services import RecoveryError
from recovery.services.handover_import import (
    HandoverFileError,
    ImportBusyError,
    ImportOutcome,
    handover_import,
)

EXIT_UNUSABLE_FILE = 2


class Command(BaseCommand):
    help = "Import a bank's hand-over file (不良贷款移交清单, .xlsx or .csv) into the docket."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help=".xlsx (first sheet) or .csv (UTF-8, UTF-8 with BOM, GB18030)")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--strict", action="store_true", help="write nothing if any row is rejected")
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
        parser.add_argument("--errors", metavar="OUT.csv", help="write one line per problem to this CSV file")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="import as this user (audited as theirs, limited to what they may import)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options.get("user"))
        try:
            outcome = handover_import(
                source=options["file"], user=user, dry_run=options["dry_run"], strict=options["strict"]
            )
        except HandoverFileError as problem:
            self.stderr.write(f"{options['file']}: {problem}")
            sys.exit(EXIT_UNUSABLE_FILE)
        except ImportBusyError as problem:
            self.stderr.write(f"{options['file']}: {problem.message}")
            sys.exit(EXIT_UNUSABLE_FILE)
        except RecoveryError as problem:
            raise CommandError(problem.message) from problem
        if options["errors"]:
            _write_errors(options["errors"], outcome)
        if options["json"]:
            self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
        else:
            self._print_summary(outcome, dry_run=options["dry_run"], strict=options["strict"])
        sys.exit(outcome.exit_code)

    def _user(self, username: str | None) -> Any:
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist as missing:
            raise CommandError(f"No active user {username!r}") from missing

    def _print_summary(self, outcome: ImportOutcome, *, dry_run: bool, strict: bool) -> None:
        summary = outcome.as_json()
        self.stdout.write(
            f"{summary['file']}: {summary['rows']} rows, {summary['accepted']} accepted "
            f"({summary['created']} new, {summary['updated']} updated, {summary['unchanged']} unchanged), "
            f"{summary['rejected']} rejected; {summary['cases_created']} new cases"
        )
        if summary["unknown_columns"]:
            self.stdout.write("Ignored columns: " + ", ".join(summary["unknown_columns"]))
        for error in outcome.errors[:20]:
            self.stdout.write(f"  row {error.row}, {error.column} “{error.value}”: {error.message}")
        if len(outcome.errors) > 20:
            self.stdout.write(f"  … and {len(outcome.errors) - 20} more (use --errors OUT.csv)")
        if outcome.error_total > len(outcome.errors):
            self.stdout.write(
                f"  {outcome.error_total:,} problems in all; only the first {len(outcome.errors):,} are kept "
                "(HANDOVER_MAX_ERRORS)"
            )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif strict and outcome.rejected:
            self.stdout.write("Strict: rows were rejected, so nothing was written.")
        elif outcome.written:
            self.stdout.write(f"Written as import #{outcome.run_id}.")


def _write_errors(path: str, outcome: ImportOutcome) -> None:
    """The contract's four columns first (row, column, value, message), then the rejected
    row's original cells under the file's own column names, repeated on each of its lines so
    that every line can be read (and sorted or filtered) on its own."""
    # UTF-8 with BOM so that Excel on a Chinese Windows opens it without mojibake.
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(inert_row(["row", "column", "value", "message", *outcome.cell_columns]))
        # Inert: a rejected value is whatever the file held, =HYPERLINK(…) included.
        for error in sorted(outcome.errors, key=lambda error: error.row):
            writer.writerow(
                inert_row([error.row, error.column, error.value, error.message, *outcome.cells_of(error.row)])
            )
