"""`manage.py auction_plan FILE|-`: the floors and dates of a judicial auction's rounds (contract:
auction-plan.md). The computation is assets.auction; this file only supplies the calendar."""

from decimal import Decimal
from typing import Any

from django.db import DatabaseError

from assets.auction import auction_plan_json
from recovery.deadlines.calendar import RestDayCalendar, default_calendar
from recovery.lib.jsoncli import JsonCalculatorCommand
from recovery.services.deadlines import deadline_calendar


class Command(JsonCalculatorCommand):
    help = (
        "Plan a judicial online auction: minimum starting prices, notice dates and the deadline of "
        "the second round (网拍规定 10, 12, 26). FILE holds one JSON object or an array; - reads "
        "standard input."
    )
    # Prices must never pass through a binary float: read 700000.10 as Decimal("700000.10").
    json_parse_float = Decimal

    def handle(self, *args: Any, **options: Any) -> None:
        # The rest days the docket uses (with the administrator-entered years), read once per run.
        self.calendar: RestDayCalendar
        try:
            self.calendar = deadline_calendar()
        except DatabaseError as exc:
            # Like `deadline`, the calculator must answer without a database: the packaged
            # notices then, and the steps mark any later year as provisional.
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            self.stderr.write(
                f"warning: holiday years not read from the database ({reason}); packaged calendar used"
            )
            self.calendar = default_calendar()
        super().handle(*args, **options)

    def compute(self, item: dict[str, Any]) -> dict[str, Any]:
        return auction_plan_json(item, calendar=self.calendar)
