"""`manage.py estate FILE|-`: contract estate-liability.md; the rules are recovery.liability."""

from decimal import Decimal
from typing import Any

from recovery.checks.problems import InputProblem, InputProblems
from recovery.liability.jsonio import CalculatorInputError, estate_json
from recovery.lib.jsoncli import JsonCalculatorCommand


class Command(JsonCalculatorCommand):
    help = (
        "Who pays a deceased debtor's debts, and how much (CC 1159, 1161-1163). "
        "FILE holds one JSON object or an array; - reads standard input."
    )
    json_parse_float = Decimal

    def compute(self, item: dict[str, Any]) -> dict[str, Any]:
        try:
            return estate_json(item)
        except CalculatorInputError as exc:
            raise InputProblems([InputProblem(field, message) for field, message in exc.problems]) from None
