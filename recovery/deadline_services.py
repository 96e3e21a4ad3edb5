"""Writes of the deadline pages that `recovery.docket_deadlines` does not offer itself."""

from typing import Any

from django.db import transaction

from recovery.docket_deadlines import deadlines_recompute
from recovery.models import Deadline, HolidayYear
from recovery.services import record_delete


@transaction.atomic
def holiday_year_delete(*, instance: HolidayYear, user: Any) -> None:
    """Remove a year's holiday notice (audited) and recompute every deadline with a date in
    that year: they fall back to weekends only and are flagged provisional again."""
    year = instance.year
    affected = (
        Deadline.objects.filter(raw_end__year=year)
        | Deadline.objects.filter(legal_end__year=year)
        | Deadline.objects.filter(safe_end__year=year)
    )
    case_ids = set(affected.values_list("case_id", flat=True))
    record_delete(instance=instance, user=user, source="holiday notice")
    # The calendar is rebuilt on its own: deadline_calendar() notices the changed row count.
    deadlines_recompute(case_ids=case_ids)
