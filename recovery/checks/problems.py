"""What is wrong with a calculator's input, each problem naming its field, and how a bad JSON
value is named in the message."""

import re
from datetime import date
from decimal import Decimal
from typing import Any

from recovery.checks.dates import EARLIEST_SUPPORTED_DATE, LATEST_SUPPORTED_DATE


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


def json_type(raw: Any) -> str:
    """The JSON name of a parsed value's type, for error messages ("a string", "null")."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float | Decimal):
        return "a number"
    if isinstance(raw, str):
        return "a string"
    if isinstance(raw, list):
        return "an array"
    if isinstance(raw, dict):
        return "an object"
    return type(raw).__name__


def shown(raw: Any) -> str:
    """A bad value as the user wrote it (a JSON number read as Decimal shows as 1.005)."""
    return str(raw) if isinstance(raw, Decimal) else repr(raw)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FIRST_DAY, _LAST_DAY = EARLIEST_SUPPORTED_DATE.isoformat(), LATEST_SUPPORTED_DATE.isoformat()


def iso_date(raw: Any, field: str, problems: list[InputProblem]) -> date | None:
    """A calculator's ISO date within the product's supported dates, or None with the reason
    appended to `problems` (in Chinese, then English)."""
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
        problems.append(
            InputProblem(
                field, f"日期应写作 YYYY-MM-DD，收到 {shown(raw)}（expected an ISO date YYYY-MM-DD）"
            )
        )
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        problems.append(InputProblem(field, f"{raw!r} 不是真实存在的日期（not a real calendar date）"))
        return None
    if not EARLIEST_SUPPORTED_DATE <= day <= LATEST_SUPPORTED_DATE:
        problems.append(
            InputProblem(
                field,
                f"{raw!r} 不在支持的日期范围 {_FIRST_DAY} 至 {_LAST_DAY} 之内"
                f"（outside the supported dates {_FIRST_DAY} to {_LAST_DAY}）",
            )
        )
        return None
    return day
