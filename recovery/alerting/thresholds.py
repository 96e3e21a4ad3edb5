"""Which alert a deadline is due for today. Pure: dates and integers only.

Thresholds are whole days before `act_by` (0 = on the day). A deadline is due for the
*nearest* threshold it has reached, so that after downtime each still-relevant alert is sent
once — the nearest one, never every missed one. Past `act_by` the deadline is lapsed: it is
due for the lapse notice (LAPSED), once, and for nothing after it.
"""

from collections.abc import Iterable
from datetime import date

OVERDUE = -1  # the "N days overdue" alert of earlier versions; rows of it are no longer planned
LAPSED = -2  # the lapse notice: what was lost and what follows, said once
IMMEDIATE_WITHIN_DAYS = 3  # a deadline that newly falls this close is mailed at once
ESCALATE_WITHIN_DAYS = 7  # ... and, with no action since its last alert, to the manager too

# The default thresholds of a period of years (limitation, guarantee): from three months ahead.
# Each kind's defaults are registered with the kind (recovery.registry.default_thresholds).
LONG_PERIOD_THRESHOLDS = (90, 60, 30, 14, 7, 3, 1, 0)


def parse_thresholds(text: str) -> tuple[int, ...]:
    """ "90, 60, 30" → (90, 60, 30); raises ValueError naming the bad item."""
    values = set()
    for item in text.replace("，", ",").split(","):
        item = item.strip()
        if not item:
            continue
        if not item.isdigit() or int(item) > 3650:
            raise ValueError(f"“{item}”不是 0–3650 之间的天数（not a number of days between 0 and 3650）")
        values.add(int(item))
    if not values:
        raise ValueError("至少填写一个天数（give at least one number of days）")
    return tuple(sorted(values, reverse=True))


def days_left(act_by: date, today: date) -> int:
    return (act_by - today).days


def due_threshold(act_by: date, today: date, thresholds: Iterable[int]) -> int | None:
    """The nearest threshold reached today: the smallest threshold >= days left; LAPSED once
    `act_by` has passed; None while no threshold is reached yet."""
    left = days_left(act_by, today)
    if left < 0:
        return LAPSED
    reached = [threshold for threshold in thresholds if threshold >= left]
    return min(reached) if reached else None


def urgency(left: int) -> str:
    """The digest's grouping: overdue, today, this week, this month, later."""
    if left < 0:
        return "overdue"
    if left == 0:
        return "today"
    if left <= 7:
        return "week"
    if left <= 30:
        return "month"
    return "later"


def newly_urgent(old_act_by: date | None, new_act_by: date | None, today: date) -> bool:
    """A deadline that now falls within IMMEDIATE_WITHIN_DAYS and did not before (a new one,
    or a corrected fact that brought it forward) is mailed at once, not at the next digest."""
    if new_act_by is None or days_left(new_act_by, today) > IMMEDIATE_WITHIN_DAYS:
        return False
    if old_act_by is None:
        # A deadline that arrives already overdue (an old loan imported, a first computation)
        # goes to the next digest's overdue alerts, with escalation: not one mail per record.
        return days_left(new_act_by, today) >= 0
    if days_left(old_act_by, today) < 0:
        return False  # it was overdue before; the change tells nobody anything new
    return days_left(old_act_by, today) > IMMEDIATE_WITHIN_DAYS or days_left(new_act_by, today) < 0


def should_escalate(left: int, action_since_last_alert: bool) -> bool:
    """Within a week and nobody acted since the last alert, or overdue: tell the manager too."""
    return left < 0 or (left <= ESCALATE_WITHIN_DAYS and not action_since_last_alert)
