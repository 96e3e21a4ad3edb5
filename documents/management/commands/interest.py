"""`manage.py interest FILE|-`: interest, penalty and compound interest, and the doubled interest
for late performance of a judgment, as a table of rows (contract: interest-calculator.md). The
computation is documents.interest; this file only reads and writes JSON."""

from decimal import Decimal
from typing import Any

from documents.interest import interest_json
from recovery.lib.jsoncli import JsonCalculatorCommand


class Command(JsonCalculatorCommand):
    help = (
        "Compute interest to a date: kind 'simple' (contract, penalty or compound interest, 民法典 "
        "674, 676) or 'delay' (迟延履行 doubled interest, 法释〔2014〕8号). FILE holds one JSON object "
        "or an array; - reads standard input."
    )
    # Amounts and rates must never pass through a binary float: read 7.2 as Decimal("7.2").
    json_parse_float = Decimal

    def compute(self, item: dict[str, Any]) -> dict[str, Any]:
        return interest_json(item)
