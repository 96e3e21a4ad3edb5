"""The deadline engine: pure functions over dates, no Django ORM.

Typical use from a service::

    from recovery.deadlines import Event, EventKind, RestDayCalendar, compute_deadline, limitation

    result = limitation(date(2021, 3, 15), [Event(EventKind.DEMAND_DELIVERED, date(2022, 10, 1))],
                        as_of=date.today(), calendar=RestDayCalendar({2027: (holidays, workdays)}))
    result.raw_end, result.legal_end, result.safe_end, result.status, result.steps
"""

from .calendar import RestDayCalendar, default_calendar
from .model import DeadlineResult, Event, EventKind, Status, Step
from .rules import EVENT_RULES, RULES, compute_deadline, enforcement, guarantee_period, limitation

__all__ = [
    "EVENT_RULES",
    "RULES",
    "DeadlineResult",
    "Event",
    "EventKind",
    "RestDayCalendar",
    "Status",
    "Step",
    "compute_deadline",
    "default_calendar",
    "enforcement",
    "guarantee_period",
    "limitation",
]
