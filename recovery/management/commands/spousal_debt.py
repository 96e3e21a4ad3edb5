"""`manage.py spousal_debt FILE|-`: contract spousal-debt.md; the rules are recovery.liability."""

from decimal import Decimal
from typing import Any

from recovery.checks.problems import InputProblem, InputProblems
from recovery.liability.jsonio import CalculatorInputError, spousal_json
from recovery.lib.jsoncli import JsonCalculatorCommand


class Command(JsonCalculatorCommand):
    help = (
        "Whether the borrower's spouse is liable for the debt (CC 1064). "
        "FILE holds one JSON object or an array; - reads standard input."
    )
    json_parse_float = Decimal

    def compute(self, item: dict[str, Any]) -> dict[str, Any]:
        try:
            return spousal_json(item)
        except CalculatorInputError as exc:
            raise InputProblems([InputProblem(field, message) for field, message in exc.problems]) from None
