"""Shared plumbing of the JSON calculators (`deadline`, `waterfall`): read one object or an
array from a file or standard input, compute each, print JSON, exit 2 on bad input."""

import json
import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand


class InputProblem(Exception):
    """One thing wrong with one input object; `field` names the key (dotted for nested ones)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InputProblems(Exception):
    """Every problem found in one input object, so the user can fix them all at once."""

    def __init__(self, problems: list[InputProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


def run_calculator(
    raw_text: str,
    compute: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    parse_float: Callable[[str], Any] | None = None,
) -> tuple[Any, list[str]]:
    """Parse `raw_text`, compute each object; return (output, problem lines).

    The output mirrors the input: one object in, one object out; an array in, an array out.
    When any problem is found the output is None and nothing should be printed on stdout.
    """
    try:
        document = json.loads(raw_text, parse_float=parse_float)
    except json.JSONDecodeError as exc:
        return None, [f"input: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"]
    single = not isinstance(document, list)
    items = [document] if single else document
    results: list[dict[str, Any]] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        label = f"input[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{label}: expected a JSON object, got {type(item).__name__}")
            continue
        if "id" in item:
            label += f" (id {item['id']!r})"
        try:
            results.append(compute(item))
        except InputProblems as exc:
            problems.extend(f"{label}: field '{p.field}': {p.message}" for p in exc.problems)
        except InputProblem as exc:
            problems.append(f"{label}: field '{exc.field}': {exc.message}")
    if problems:
        return None, problems
    return (results[0] if single else results), []


class JsonCalculatorCommand(BaseCommand):
    """A management command `NAME FILE|-` around one pure compute function."""

    #: How JSON numbers with a fraction or exponent are read (None: Python floats). Money
    #: calculators set `decimal.Decimal`, so that 0.1 stays exactly 0.1.
    json_parse_float: Callable[[str], Any] | None = None

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a JSON file with one object or an array of objects, or - for stdin")

    def compute(self, item: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            if path == "-":
                raw_text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8-sig") as handle:
                    raw_text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            self.stderr.write(f"input: cannot read {path}: {exc}")
            sys.exit(2)
        output, problems = run_calculator(raw_text, self.compute, parse_float=self.json_parse_float)
        if problems:
            for line in problems:
                self.stderr.write(line)
            sys.exit(2)
        self.stdout.write(json.dumps(output, ensure_ascii=False))
