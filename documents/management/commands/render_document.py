"""`manage.py render_document TEMPLATE.docx --case CASE [--as-of YYYY-MM-DD] [--court NAME]
--out OUT.docx`: fill a .docx template with a case's records (contract: document-templates.md).

CASE is a case number (RD…) or the contract number of one of its loans. The command runs as the
system, so the document carries full personal data. Any problem (missing template, not a .docx,
unknown case, an unknown name or bad syntax in the template, with where it stands) exits 2 with
one line and writes no file."""

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from documents.context import case_document_context, find_case_id
from documents.engine import TemplateProblem, compile_template


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def _as_of(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _fail(f"--as-of {raw!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Fill a .docx template with a case's records and write the document."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("template", help="the .docx template")
        parser.add_argument("--case", required=True, help="case number (RD…) or a loan's contract number")
        parser.add_argument("--as-of", help="the date amounts are stated at, YYYY-MM-DD (default today)")
        parser.add_argument("--court", default="", help="the court's name (court.name)")
        parser.add_argument("--out", required=True, help="where to write the document (.docx)")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = _as_of(options["as_of"])
        template_path = Path(options["template"])
        try:
            data = template_path.read_bytes()
        except OSError as error:
            raise _fail(f"cannot read the template {template_path}: {error.strerror}") from None
        case_id = find_case_id(options["case"])
        if case_id is None:
            raise _fail(f"no case with the number or loan contract number {options['case']!r}")
        try:
            template = compile_template(data)
            document = template.render(
                case_document_context(case_id, user=None, as_of=as_of, court=options["court"])
            )
        except TemplateProblem as problem:
            raise _fail(f"{template_path}: {problem}") from None
        out = Path(options["out"])
        # Written beside the target and renamed: a failed write leaves no partial document.
        try:
            handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".render-", suffix=".docx")
            with os.fdopen(handle, "wb") as file:
                file.write(document)
            os.replace(temporary, out)
        except OSError as error:
            raise _fail(f"cannot write {out}: {error.strerror}") from None
        self.stdout.write(f"{out}: {len(document):,} bytes, case {options['case']}")
