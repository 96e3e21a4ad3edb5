"""The calculator's one entry point for JSON-shaped input (contract: deadline-calculator.md).

`compute_from_json(item)` validates one input object, runs its rule and returns the output
object. The management command, the web "what if" form and the HTTP API all call it. Bad input
raises `InputProblems` listing every problem found, each naming its field.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from recovery.checks.dates import EARLIEST_SUPPORTED_DATE, LATEST_SUPPORTED_DATE
from recovery.checks.problems import InputProblem, InputProblems

from .calendar import RestDayCalendar
from .model import DeadlineResult, Event, EventKind
from .periods import UnsupportedDate
from .rules import MAX_GUARANTEE_MONTHS, RULES, compute_deadline

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The product's one supported range (recovery.lib.validators): the models refuse anything else,
# so the calculator does too, and no period computed from it can overflow the calendar.
_FIRST, _LAST = EARLIEST_SUPPORTED_DATE.isoformat(), LATEST_SUPPORTED_DATE.isoformat()
# China has kept UTC+8 without daylight saving since 1991, so no tz database is needed.
_SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
_EVENT_KINDS = {kind.value: kind for kind in EventKind}


def today_in_shanghai() -> date:
    return datetime.now(_SHANGHAI).date()


@dataclass(frozen=True, slots=True)
class DeadlineRequest:
    rule: str
    trigger: date
    events: tuple[Event, ...]
    months: int | None
    as_of: date


def _parse_date(value: Any, field: str, problems: list[InputProblem]) -> date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        problems.append(
            InputProblem(
                field,
                f"日期应写作 YYYY-MM-DD，收到 {value!r}（expected an ISO date YYYY-MM-DD, got {value!r}）",
            )
        )
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        problems.append(
            InputProblem(field, f"{value!r} 不是真实存在的日期（{value!r} is not a real calendar date）")
        )
        return None
    if not EARLIEST_SUPPORTED_DATE <= parsed <= LATEST_SUPPORTED_DATE:
        problems.append(
            InputProblem(
                field,
                f"{value!r} 不在支持的日期范围 {_FIRST} 至 {_LAST} 之内"
                f"（{value!r} is outside the supported dates {_FIRST} to {_LAST}）",
            )
        )
        return None
    return parsed


def _parse_events(value: Any, problems: list[InputProblem]) -> tuple[Event, ...]:
    if not isinstance(value, list):
        problems.append(
            InputProblem("events", f"事件应为列表（expected a list of events, got {type(value).__name__}）")
        )
        return ()
    events = []
    for index, raw_event in enumerate(value):
        field = f"events[{index}]"
        if not isinstance(raw_event, dict):
            problems.append(
                InputProblem(field, f"每个事件应为对象（expected an object, got {type(raw_event).__name__}）")
            )
            continue
        written = raw_event.get("type")
        kind = _EVENT_KINDS.get(written) if isinstance(written, str) else None
        if kind is None:
            known = ", ".join(_EVENT_KINDS)
            problems.append(
                InputProblem(
                    f"{field}.type",
                    f"未知的事件类型 {written!r}（unknown event type {written!r}; known: {known}）",
                )
            )
        day = _parse_date(raw_event.get("date"), f"{field}.date", problems)
        if kind is not None and day is not None:
            events.append(Event(kind, day))
    return tuple(events)


def parse_request(item: dict[str, Any], *, today: date | None = None) -> DeadlineRequest:
    """Validate one input object; raise InputProblems naming every bad field."""
    problems: list[InputProblem] = []
    rule = item.get("rule")
    if "rule" not in item:
        problems.append(InputProblem("rule", f"缺少期间规则（missing; one of {', '.join(RULES)}）"))
    elif not isinstance(rule, str) or rule not in RULES:
        problems.append(
            InputProblem(
                "rule", f"未知的期间规则 {rule!r}（unknown rule {rule!r}; one of {', '.join(RULES)}）"
            )
        )
    if "trigger" not in item:
        problems.append(InputProblem("trigger", "缺少起算日（missing; expected an ISO date YYYY-MM-DD）"))
        trigger = None
    else:
        trigger = _parse_date(item["trigger"], "trigger", problems)
    events = _parse_events(item["events"], problems) if "events" in item else ()
    months = item.get("months")
    if "months" in item and (
        isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_GUARANTEE_MONTHS
    ):
        problems.append(
            InputProblem(
                "months",
                f"月数应为 1 至 {MAX_GUARANTEE_MONTHS} 的整数，收到 {months!r}"
                f"（expected a whole number of months from 1 to {MAX_GUARANTEE_MONTHS}, got {months!r}）",
            )
        )
    as_of = _parse_date(item["as_of"], "as_of", problems) if "as_of" in item else today or today_in_shanghai()
    if problems:
        raise InputProblems(problems)
    # Narrows the types once the problems check has passed; never the validation itself.
    assert isinstance(rule, str) and trigger is not None and as_of is not None  # noqa: S101
    return DeadlineRequest(rule, trigger, events, months, as_of)


def result_as_json(result: DeadlineResult) -> dict[str, Any]:
    return {
        "rule": result.rule,
        "raw_end": result.raw_end.isoformat() if result.raw_end else None,
        "legal_end": result.legal_end.isoformat() if result.legal_end else None,
        "safe_end": result.safe_end.isoformat() if result.safe_end else None,
        "status": result.status.value,
        "calendar_provisional": result.calendar_provisional,
        "steps": [step.as_json() for step in result.steps],
    }


def compute_from_json(
    item: dict[str, Any], *, calendar: RestDayCalendar | None = None, today: date | None = None
) -> dict[str, Any]:
    """One contract input object in, one output object out (`id` echoed when given)."""
    request = parse_request(item, today=today)
    try:
        result = compute_deadline(
            request.rule,
            request.trigger,
            request.events,
            as_of=request.as_of,
            months=request.months,
            calendar=calendar,
        )
    except UnsupportedDate as exc:  # parse_request checks the same bounds; a last line of defence
        raise InputProblems([InputProblem("input", str(exc))]) from None
    output = {"id": item["id"]} if "id" in item else {}
    output.update(result_as_json(result))
    return output
