"""`manage.py deadline FILE|-`: the deadline calculator (contract: deadline-calculator.md)."""

from typing import Any

from recovery.deadlines.calculator import compute_from_json
from recovery.lib.jsoncli import JsonCalculatorCommand


class Command(JsonCalculatorCommand):
    help = (
        "Compute legal deadlines (limitation, guarantee period, enforcement, appeals, preservation…) "
        "from a JSON object or array in FILE, or on standard input with '-'."
    )

    def compute(self, item: dict[str, Any]) -> dict[str, Any]:
        return compute_from_json(item)
