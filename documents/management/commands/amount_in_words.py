"""`manage.py amount_in_words FILE|-`: amounts in Chinese capitals (contract: amount-in-words.md;
output and errors as deadline-calculator.md). The writing is documents.amount_words."""

from decimal import Decimal
from typing import Any

from documents.amount_words import AmountWordsError, amount_in_words, parse_amount
from recovery.checks.problems import InputProblem
from recovery.lib.jsoncli import JsonCalculatorCommand, run_value_calculator


def _words(raw: Any) -> str:
    try:
        return amount_in_words(parse_amount(raw))
    except AmountWordsError as exc:
        raise InputProblem("", str(exc)) from None


class Command(JsonCalculatorCommand):
    help = (
        "Write amounts in Chinese capitals (人民币大写, without the currency word). FILE holds a JSON "
        "array of amounts (strings or numbers); - reads standard input. Prints an array of strings."
    )
    # 0.1 must stay exactly 0.1, and 2.675 must be refused, not read as 2.67499999…
    json_parse_float = Decimal

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a JSON file with an array of amounts, or - for stdin")

    def run(self, raw_text: str) -> tuple[Any, list[str]]:
        return run_value_calculator(raw_text, _words, parse_float=self.json_parse_float)
