"""`manage.py waterfall FILE|-`: who is paid how much from a sold asset (contract:
waterfall-calculator.md). The computation is assets.waterfall; this file only adapts errors."""

from decimal import Decimal
from typing import Any

from assets.waterfall import WaterfallInputError, waterfall_json
from recovery.checks.problems import InputProblem, InputProblems
from recovery.lib.jsoncli import JsonCalculatorCommand


class Command(JsonCalculatorCommand):
    help = (
        "Distribute an asset's sale proceeds among its claims (costs, priority, security interests, "
        "seizures or pro rata). FILE holds one JSON object or an array; - reads standard input."
    )
    # Money must never pass through a binary float: read 1200000.10 as Decimal("1200000.10").
    json_parse_float = Decimal

    def compute(self, item: dict[str, Any]) -> dict[str, Any]:
        try:
            return waterfall_json(item)
        except WaterfallInputError as exc:
            raise InputProblems([InputProblem(field, message) for field, message in exc.problems]) from None
