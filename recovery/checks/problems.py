"""What is wrong with a calculator's input, each problem naming its field, and how a bad JSON
value is named in the message."""

from decimal import Decimal
from typing import Any


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
