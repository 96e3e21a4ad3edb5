"""The engine's vocabulary: events in, explained results out. Plain frozen dataclasses."""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """Facts that interrupt or suspend a limitation-type period (contract: event types)."""

    DEMAND_DELIVERED = "demand_delivered"  # CC 195(1); 时效规定 8(1)(2)
    ANNOUNCEMENT = "announcement"  # 时效规定 8(4)
    ACCOUNT_DEBIT = "account_debit"  # 时效规定 8(3)
    PARTIAL_PAYMENT = "partial_payment"  # 时效规定 14
    DEBTOR_ACKNOWLEDGED = "debtor_acknowledged"  # CC 195(2); 时效规定 14
    SUIT_FILED = "suit_filed"  # CC 195(3); 时效规定 10, 11
    PROCEEDINGS_ENDED = "proceedings_ended"  # CC 195: restart when the proceedings end
    OBSTACLE_STARTED = "obstacle_started"  # CC 194
    OBSTACLE_ENDED = "obstacle_ended"  # CC 194


class Status(StrEnum):
    RUNNING = "running"
    EXPIRED = "expired"
    PENDING_PROCEEDINGS = "pending_proceedings"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class Event:
    """One dated fact; `kind` accepts an EventKind or its string value."""

    kind: EventKind
    on: date


class StepKind(StrEnum):
    """What a step of the explanation did to the dates (not part of the calculator's output)."""

    PERIOD = "period"  # set (or set anew) the period's last day: the rule the date comes from
    EVENT = "event"  # a fact weighed that left the last day where it was
    CALENDAR = "calendar"  # rest days, the working-day act-by date, provisional years, the range


class PeriodText(str):
    """A step template whose step sets the period's last day (start, interruption, suspension…)."""


class CalendarText(str):
    """A step template about the calendar only: rolling over rest days, the working day to act by."""


def template_kind(template: str) -> StepKind:
    if isinstance(template, PeriodText):
        return StepKind.PERIOD
    if isinstance(template, CalendarText):
        return StepKind.CALENDAR
    return StepKind.EVENT


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the explanation: what happened on `on`, under which article (`source`)."""

    on: date
    source: str
    text: str
    kind: StepKind = field(default=StepKind.EVENT, compare=False)

    def as_json(self) -> dict[str, str]:
        """The calculator contract's step: date, source and text (nothing else)."""
        return {"date": self.on.isoformat(), "source": self.source, "text": self.text}

    def as_stored(self) -> dict[str, str]:
        """As the docket stores it: the contract's step plus its kind, so that a digest can quote
        the step that set the date rather than the last one (usually the working-day rounding)."""
        return {**self.as_json(), "kind": self.kind.value}


TraceEntry = tuple[date, str, str, tuple[Any, ...]]
"""A step not yet worded: (date, source, str.format template, arguments; dates get Chinese form).

The engine records these and words them only when `steps` is read: formatting text is most of
the cost of a computation, and the docket recomputes every claim but displays few."""


def cn_date(day: date) -> str:
    """2025年10月1日: how dates read in a Chinese legal text."""
    return f"{day.year}年{day.month}月{day.day}日"


def word_step(entry: TraceEntry) -> Step:
    on, source, template, args = entry
    text = template.format(*(cn_date(a) if isinstance(a, date) else a for a in args))
    return Step(on, source, text, template_kind(template))


@dataclass(frozen=True, slots=True)
class DeadlineResult:
    """The three dates of law.md §0.2(7); all None while proceedings are pending or suspended.

    raw_end: last day by counting alone; legal_end: rolled over rest days (forward, or back for
    a backward deadline); safe_end: last working day on or before raw_end (docket and alerts).
    `steps` explains them, in order.
    """

    rule: str
    raw_end: date | None
    legal_end: date | None
    safe_end: date | None
    status: Status
    calendar_provisional: bool
    trace: tuple[TraceEntry, ...] = field(repr=False)

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(map(word_step, self.trace))
