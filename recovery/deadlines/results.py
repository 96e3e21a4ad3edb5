"""Turn a period's raw last day into the three dates, the status and the closing steps."""

from datetime import date

from recovery.validators import LATEST_SUPPORTED_DATE

from .calendar import RestDayCalendar
from .model import CalendarText, DeadlineResult, Status, TraceEntry

SOURCE_CALENDAR = "国务院节假日安排"
SOURCE_SAFE_END = "审慎办理日（法律参考§0.2(7)）"
SOURCE_RANGE = "系统日期范围"

ROLLED_FORWARD = CalendarText(
    "期间最后一日{0}是休息日（法定休假日），以休假日结束的次日{1}为期间的最后一日。"
)
ROLLED_BACK = CalendarText(
    "{0}为休息日；倒数计算的期限不得顺延，提前至此前最后一个工作日{1}"
    "（法律参考§0.2(8)；是否可顺延无定论，取较早日期，未经核实）。"
)
MAKE_UP_WORKING_DAY = CalendarText(
    "{0}虽是周末，但为国务院安排的调休上班日，不是休息日，可在当日办理"
    "（“法定休假日”含义无明确条文，按实务理解，未经核实；为稳妥可提前一个工作日办理）。"
)
SAFE_END = CalendarText("为稳妥起见，台账和提醒以{0}当日或之前最后一个工作日{1}为准。")
BEYOND_RANGE = CalendarText(
    "期间最后一日{0}晚于系统支持的最后日期{1}：结果照常计算，但该日期不能作为事实录入，"
    "节假日按暂定规则计算，请临近时重新核对。"
)
PROVISIONAL_YEAR = CalendarText(
    "{0}年国务院放假安排尚未载入，暂只按周六、周日计算休息日；结果为暂定，公布后须重新计算。"
)


def conclude(
    rule: str,
    raw_end: date,
    trace: list[TraceEntry],
    *,
    as_of: date,
    calendar: RestDayCalendar,
    rollover_source: str,
    backward: bool = False,
) -> DeadlineResult:
    """Roll `raw_end` over rest days, judge the status on `as_of`, and explain both.

    Forward periods roll forward (CC 203; CPL 85). A backward deadline ("N days before") is
    never rolled forward: it moves back to the previous working day (law.md §0.2(8)).
    """
    safe_end = calendar.roll_back(raw_end)
    legal_end = safe_end if backward else calendar.roll_forward(raw_end)
    if legal_end != raw_end:
        template = ROLLED_BACK if backward else ROLLED_FORWARD
        trace.append((legal_end, rollover_source, template, (raw_end, legal_end)))
    if not backward and safe_end != raw_end:
        trace.append((safe_end, SOURCE_SAFE_END, SAFE_END, (raw_end, safe_end)))
    for day in (legal_end,) if legal_end == safe_end else (safe_end, legal_end):
        if calendar.is_make_up_working_day(day):
            trace.append((day, SOURCE_CALENDAR, MAKE_UP_WORKING_DAY, (day,)))

    provisional = False
    years = (
        (raw_end.year,)
        if raw_end.year == legal_end.year == safe_end.year
        else sorted({raw_end.year, legal_end.year, safe_end.year})
    )
    for year in years:
        if calendar.is_provisional(year):
            provisional = True
            trace.append((raw_end, SOURCE_CALENDAR, PROVISIONAL_YEAR, (year,)))
    if legal_end > LATEST_SUPPORTED_DATE:  # inputs are inside the range, a result may lie past it
        trace.append((raw_end, SOURCE_RANGE, BEYOND_RANGE, (legal_end, LATEST_SUPPORTED_DATE)))
    status = Status.EXPIRED if as_of > legal_end else Status.RUNNING
    return DeadlineResult(rule, raw_end, legal_end, safe_end, status, provisional, tuple(trace))


def open_ended(rule: str, status: Status, trace: list[TraceEntry]) -> DeadlineResult:
    """No end date yet: proceedings pending or an obstacle not yet removed."""
    return DeadlineResult(rule, None, None, None, status, False, tuple(trace))
