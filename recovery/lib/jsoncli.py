"""Shared plumbing of the JSON calculators (`deadline`, `waterfall`, `amount_in_words`): read one
object, one value or an array from a file or standard input, compute each, print JSON, exit 2 on
bad input."""

import json
import re
import sys
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from recovery.checks.problems import InputProblem, InputProblems


class TooManyDigits:
    """Stands in for a JSON number longer than the limit, so that the problem can be reported
    on the field that holds it (Python refuses to read integers over 4,300 digits anyway)."""

    __slots__ = ("digits",)

    def __init__(self, text: str) -> None:
        self.digits = sum(char.isdigit() for char in text)

    def __repr__(self) -> str:
        return f"<a number of {self.digits} digits>"


# Strings are taken out before counting brackets: a "[" inside a string nests nothing. The
# closing quote is optional so that an unterminated string never makes the search backtrack
# (which would cost quadratic time on crafted input).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\[\s\S])*"?')
_BRACKETS = re.compile(r"[\[\]{}]")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(raw_text: str) -> int:
    """How deeply arrays and objects nest in `raw_text`, counted without parsing it: Python's
    json module recurses once per level and fails with RecursionError around 1,000."""
    brackets = _BRACKETS.findall(_JSON_STRING.sub("", raw_text))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets), initial=0))


# JSON may escape half of a UTF-16 pair (\ud800) on its own; Python then holds a string that
# cannot be encoded, and echoing it (an id, a creditor) failed while writing the answer.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _unusable_values(value: Any, path: str, max_digits: int) -> Iterator[tuple[str, str]]:
    """(dotted path, message) of every over-long number and every string holding a lone
    surrogate inside `value` (paths as the calculators name fields: events[0].date)."""
    if isinstance(value, TooManyDigits):
        yield (
            path,
            f"数字有 {value.digits} 位，最多 {max_digits} 位"
            f"（a number of {value.digits} digits; at most {max_digits} are accepted）",
        )
    elif isinstance(value, str):
        if _LONE_SURROGATE.search(value):
            yield (
                path,
                "文本含有不成对的代理字符（text with an unpaired surrogate, not valid Unicode）",
            )
    elif isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            if _LONE_SURROGATE.search(key):
                yield (
                    child_path.encode("utf-8", "backslashreplace").decode(),
                    "键名含有不成对的代理字符（a key with an unpaired surrogate）",
                )
                continue
            yield from _unusable_values(child, child_path, max_digits)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _unusable_values(child, f"{path}[{index}]", max_digits)


def run_calculator(
    raw_text: str,
    compute: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    parse_float: Callable[[str], Any] | None = None,
    max_items: int | None = None,
) -> tuple[Any, list[str]]:
    """Parse `raw_text`, compute each object; return (output, problem lines).

    The output mirrors the input: one object in, one object out; an array in, an array out.
    When any problem is found the output is None and nothing should be printed on stdout.

    Bounded input: nesting deeper than JSON_MAX_DEPTH and numbers longer than
    JSON_MAX_NUMBER_DIGITS are refused with a message, never a traceback; `max_items` (the
    API's limit) caps the number of objects in one array.
    """
    return _run(raw_text, compute, _compute_item, parse_float, max_items)


def run_value_calculator(
    raw_text: str,
    compute: Callable[[Any], Any],
    *,
    parse_float: Callable[[str], Any] | None = None,
    max_items: int | None = None,
) -> tuple[Any, list[str]]:
    """`run_calculator` for inputs that are plain JSON values (amounts), not objects: `compute`
    gets each value as parsed and raises InputProblem (its field may be "") for a bad one."""
    return _run(raw_text, compute, _compute_value, parse_float, max_items)


_ItemComputer = Callable[[str, Any, Any, bool, int, list[Any], list[str]], None]


def _run(
    raw_text: str,
    compute: Any,
    compute_item: _ItemComputer,
    parse_float: Callable[[str], Any] | None,
    max_items: int | None,
) -> tuple[Any, list[str]]:
    max_digits = settings.JSON_MAX_NUMBER_DIGITS
    parsed = _parse_bounded(raw_text, parse_float, max_digits)
    if isinstance(parsed, str):
        return None, [parsed]
    document, oversized = parsed
    single = not isinstance(document, list)
    items = [document] if single else document
    if max_items is not None and len(items) > max_items:
        return None, [
            f"input: 一次提交 {len(items)} 个对象，最多 {max_items} 个"
            f"（{len(items)} objects in one call; at most {max_items} are accepted）"
        ]
    # Walking every value costs time: only when the parse made a placeholder or the text
    # escapes a surrogate.
    check_values = oversized or _SURROGATE_ESCAPE.search(raw_text) is not None
    results: list[Any] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        compute_item(f"input[{index}]", item, compute, check_values, max_digits, results, problems)
    if problems:
        return None, problems
    return (results[0] if single else results), []


def _parse_bounded(
    raw_text: str, parse_float: Callable[[str], Any] | None, max_digits: int
) -> tuple[Any, bool] | str:
    """(the parsed document, whether a number was too long), or the one problem line."""
    max_depth = settings.JSON_MAX_DEPTH
    depth = nesting_depth(raw_text)
    if depth > max_depth:
        return (
            f"input: 嵌套 {depth} 层，最多 {max_depth} 层"
            f"（input nested {depth} levels deep; at most {max_depth} are accepted）"
        )
    oversized = 0

    def bounded(convert: Callable[[str], Any]) -> Callable[[str], Any]:
        def parse(text: str) -> Any:
            nonlocal oversized
            if len(text) > max_digits:
                oversized += 1
                return TooManyDigits(text)
            return convert(text)

        return parse

    try:
        document = json.loads(raw_text, parse_int=bounded(int), parse_float=bounded(parse_float or float))
    except json.JSONDecodeError as exc:
        return f"input: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except RecursionError:  # the depth scan makes this unreachable; never let it become a 500
        return f"input: nested too deeply (at most {max_depth} levels are accepted)"
    return document, bool(oversized)


def _compute_item(
    label: str,
    item: Any,
    compute: Callable[[dict[str, Any]], dict[str, Any]],
    check_values: bool,
    max_digits: int,
    results: list[dict[str, Any]],
    problems: list[str],
) -> None:
    """Compute one input object into `results`, or append its problems."""
    if not isinstance(item, dict):
        kind = "a number" if isinstance(item, TooManyDigits) else type(item).__name__
        problems.append(f"{label}: expected a JSON object, got {kind}")
        return
    if check_values:
        unusable = list(_unusable_values(item, "", max_digits))
        if unusable:
            problems.extend(f"{label}: field '{field}': {message}" for field, message in unusable)
            return
    if "id" in item:
        label += f" (id {item['id']!r})"
    try:
        results.append(compute(item))
    except InputProblems as exc:
        problems.extend(f"{label}: field '{p.field}': {p.message}" for p in exc.problems)
    except InputProblem as exc:
        problems.append(f"{label}: field '{exc.field}': {exc.message}")


def _problem_line(label: str, problem: InputProblem) -> str:
    if problem.field:
        return f"{label}: field '{problem.field}': {problem.message}"
    return f"{label}: {problem.message}"


def _value_path(label: str, path: str) -> str:
    """input[2] for the value itself, input[2][0] or input[2].key for one inside it."""
    if not path or path.startswith("["):
        return label + path
    return f"{label}.{path}"


def _compute_value(
    label: str,
    item: Any,
    compute: Callable[[Any], Any],
    check_values: bool,
    max_digits: int,
    results: list[Any],
    problems: list[str],
) -> None:
    """Compute one input value into `results`, or append its problems."""
    if check_values:
        unusable = list(_unusable_values(item, "", max_digits))
        if unusable:
            problems.extend(f"{_value_path(label, field)}: {message}" for field, message in unusable)
            return
    try:
        results.append(compute(item))
    except InputProblems as exc:
        problems.extend(_problem_line(label, p) for p in exc.problems)
    except InputProblem as exc:
        problems.append(_problem_line(label, exc))


class JsonCalculatorCommand(BaseCommand):
    """A management command `NAME FILE|-` around one pure compute function."""

    #: How JSON numbers with a fraction or exponent are read (None: Python floats). Money
    #: calculators set `decimal.Decimal`, so that 0.1 stays exactly 0.1.
    json_parse_float: Callable[[str], Any] | None = None

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a JSON file with one object or an array of objects, or - for stdin")

    def compute(self, item: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def run(self, raw_text: str) -> tuple[Any, list[str]]:
        """(output, problem lines) for the whole input."""
        return run_calculator(raw_text, self.compute, parse_float=self.json_parse_float)

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
        output, problems = self.run(raw_text)
        if problems:
            for line in problems:
                self.stderr.write(line)
            sys.exit(2)
        self.stdout.write(json.dumps(output, ensure_ascii=False))
