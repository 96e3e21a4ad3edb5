"""Turn a period's raw last day into the three dates, the status and the closing steps."""

from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from functools import cache

from recovery.checks.dates import LATEST_SUPPORTED_DATE

from .calendar import RestDayCalendar, statutory_holidays
from .model import CalendarText, DeadlineResult, Status, TraceEntry, cn_date

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
# law.md §0.3: a year without a notice counts the measures' statutory holidays; {1} lists them.
PROVISIONAL_YEAR = CalendarText(
    "{0}年未载入国务院放假通知，按《全国年节及纪念日放假办法》推定法定节假日：{1}；"
    "调休安排未知（不计调休上班日和补休），本期间的日期为暂定，通知公布后须重新计算。"
)
PROVISIONAL_YEAR_SKIPPED = CalendarText(PROVISIONAL_YEAR + "其中{2}按推定的法定节假日作为休息日计算。")
PROVISIONAL_YEAR_NO_HOLIDAYS = CalendarText(
    "{0}年未载入国务院放假通知，且超出法定节假日的推算范围，暂只按周六、周日计算休息日；"
    "结果为暂定，公布后须重新计算。"
)
_ONE_DAY = timedelta(days=1)


def _runs(
    days: list[date], same: Callable[[date, date], bool] = lambda previous, day: True
) -> list[tuple[date, date]]:
    """Consecutive days (for which `same` holds pairwise) as (first, last) pairs."""
    runs: list[list[date]] = []
    for day in days:
        if runs and runs[-1][-1] + _ONE_DAY == day and same(runs[-1][-1], day):
            runs[-1].append(day)
        else:
            runs.append([day])
    return [(run[0], run[-1]) for run in runs]


def _span_text(first: date, last: date, *, with_year: bool) -> str:
    """4月4日, 2月13日至15日, 1月31日至2月2日 (with_year: 2027年10月1日至3日)."""
    head = cn_date(first) if with_year else f"{first.month}月{first.day}日"
    if first == last:
        return head
    return f"{head}至{last.day}日" if last.month == first.month else f"{head}至{last.month}月{last.day}日"


@cache
def statutory_holidays_text(year: int) -> str:
    """A year's assumed statutory holidays, festival by festival: 元旦1月1日，除夕2月12日，…"""
    festivals: dict[str, list[date]] = {}
    for day, names in statutory_holidays(year).items():
        for name in names:
            festivals.setdefault(name, []).append(day)
    ordered = sorted(festivals.items(), key=lambda festival: festival[1][0])
    return "，".join(
        name + "、".join(_span_text(first, last, with_year=False) for first, last in _runs(days))
        for name, days in ordered
    )


def provisional_steps(
    calendar: RestDayCalendar, years: tuple[int, ...] | list[int], first: date, last: date, on: date
) -> list[TraceEntry]:
    """One step per provisional year among `years`, listing the statutory holidays assumed in it
    and naming those between `first` and `last` (the days the dates were rolled over)."""
    entries: list[TraceEntry] = []
    for year in years:
        if not calendar.is_provisional(year):
            continue
        assumed = calendar.assumed_holidays(year)
        if not assumed:
            entries.append((on, SOURCE_CALENDAR, PROVISIONAL_YEAR_NO_HOLIDAYS, (year,)))
            continue
        crossed = [
            day
            for day in _days(max(first, date(year, 1, 1)), min(last, date(year, 12, 31)))
            if day in assumed
        ]
        if crossed:
            args = (year, statutory_holidays_text(year), _crossed_text(crossed, assumed))
            entries.append((on, SOURCE_CALENDAR, PROVISIONAL_YEAR_SKIPPED, args))
        else:
            entries.append((on, SOURCE_CALENDAR, PROVISIONAL_YEAR, (year, statutory_holidays_text(year))))
    return entries


def _crossed_text(days: list[date], assumed: Mapping[date, tuple[str, ...]]) -> str:
    """The holidays a date was rolled over, festival by festival: 2027年10月1日至3日（国庆节）."""
    runs = _runs(days, lambda previous, day: assumed[previous] == assumed[day])
    return "、".join(
        f"{_span_text(first, last, with_year=True)}（{'、'.join(assumed[first])}）" for first, last in runs
    )


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


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

    years = (
        (raw_end.year,)
        if raw_end.year == legal_end.year == safe_end.year
        else sorted({raw_end.year, legal_end.year, safe_end.year})
    )
    provisional = any(calendar.is_provisional(year) for year in years)
    if provisional:  # safe_end..legal_end spans every rest day the dates were rolled over
        trace += provisional_steps(calendar, years, safe_end, max(legal_end, raw_end), raw_end)
    if legal_end > LATEST_SUPPORTED_DATE:  # inputs are inside the range, a result may lie past it
        trace.append((raw_end, SOURCE_RANGE, BEYOND_RANGE, (legal_end, LATEST_SUPPORTED_DATE)))
    status = Status.EXPIRED if as_of > legal_end else Status.RUNNING
    return DeadlineResult(rule, raw_end, legal_end, safe_end, status, provisional, tuple(trace))


def open_ended(rule: str, status: Status, trace: list[TraceEntry]) -> DeadlineResult:
    """No end date yet: proceedings pending or an obstacle not yet removed."""
    return DeadlineResult(rule, None, None, None, status, False, tuple(trace))
