"""Which days are rest days (法定休假日) for rolling deadlines over (CC 203; CPL 85).

Rest days are Saturdays, Sundays and the State Council's announced holidays, except the
announced make-up working days (调休上班日): law.md §0.2(6), §0.3. The official notices come
from the `chinese_calendar` package for the years it covers; an administrator can enter
further years (or correct a packaged one). In any other year the rest days are the weekends
and the statutory holidays of 全国年节及纪念日放假办法 computed for that year (law.md §0.3,
"years without a notice"): the 调休 arrangement is unknown, so every date computed in such a
year is marked provisional, to be recomputed once the notice is out.
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from typing import cast

from chinese_calendar.constants import holidays as _PACKAGE_HOLIDAYS
from chinese_calendar.constants import workdays as _PACKAGE_WORKDAYS
from holidays.calendars.chinese import _ChineseLunisolar

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5

# The package raises NotImplementedError outside these years; we never call into it per day,
# we only read its two tables once per year.
PACKAGE_FIRST_YEAR = min(day.year for day in _PACKAGE_HOLIDAYS)
PACKAGE_LAST_YEAR = max(day.year for day in _PACKAGE_HOLIDAYS)

YearNotice = tuple[Iterable[date], Iterable[date]]
"""One year's State Council notice: (holiday dates, make-up working dates)."""


_LUNAR = _ChineseLunisolar()


def _lunar(day_and_estimated: tuple[date | None, bool]) -> date | None:
    # The package's second value says whether the date is astronomically computed rather than
    # confirmed by a notice: for the festivals' own days both are the same day.
    return day_and_estimated[0]


@cache
def statutory_holidays(year: int) -> Mapping[date, tuple[str, ...]]:
    """The statutory holidays of 全国年节及纪念日放假办法 (2025 text) in `year`, each day with its
    festival name(s), in date order; empty where the lunar calendar is not known (after 2100).

    元旦 1 Jan; 除夕 and the first three days of the lunar year (春节); 清明; 劳动节 1-2 May; 端午;
    中秋; 国庆节 1-3 Oct: 13 days. The lunar and solar-term days come from the `holidays`
    package's Chinese calendar; nothing else of it is used (no 补假, no 调休, no one-off days).
    The contract (deadline-calculator.md, calendar_provisional) applies the 2025 text to every
    year without a notice."""
    lunar = [
        _lunar(_LUNAR.lunar_new_year_date(year)),
        _lunar(_LUNAR.qingming_date(year)),
        _lunar(_LUNAR.dragon_boat_date(year)),
        _lunar(_LUNAR.mid_autumn_date(year)),
    ]
    if any(day is None for day in lunar):
        return MappingProxyType({})
    new_year, qingming, dragon_boat, mid_autumn = cast(list[date], lunar)
    listed: list[tuple[date, str]] = [
        (date(year, 1, 1), "元旦"),
        (new_year - _ONE_DAY, "除夕"),
        *((new_year + timedelta(days=offset), "春节") for offset in range(3)),
        (qingming, "清明节"),
        (date(year, 5, 1), "劳动节"),
        (date(year, 5, 2), "劳动节"),
        (dragon_boat, "端午节"),
        (mid_autumn, "中秋节"),
        *((date(year, 10, day), "国庆节") for day in (1, 2, 3)),
    ]
    days: dict[date, tuple[str, ...]] = {}
    for day, name in sorted(listed):
        days[day] = (*days.get(day, ()), name)
    return MappingProxyType(days)


def _weekend_days(year: int) -> set[date]:
    day = date(year, 1, 1)
    end = date(year + 1, 1, 1)
    weekend = set()
    while day < end:
        if day.weekday() >= _SATURDAY:
            weekend.add(day)
        day += _ONE_DAY
    return weekend


class RestDayCalendar:
    """Rest days of the packaged years plus any administrator-entered ones.

    `extra_years` maps a year to (holiday dates, make-up working dates) as printed in that
    year's State Council notice, e.g. for a DB-held 2027 notice::

        RestDayCalendar({2027: ({date(2027, 1, 1), ...}, {date(2027, 2, 6), ...})})

    Entered years take precedence over the package's table for the same year; a year with
    neither counts the statutory holidays (`statutory_holidays`) and is provisional. Instances are
    immutable after construction and cache per year, so share one across computations.
    """

    def __init__(self, extra_years: Mapping[int, YearNotice] | None = None, *, use_package: bool = True):
        self._notices: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        if use_package:
            for year in range(PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR + 1):
                self._notices[year] = (
                    frozenset(d for d in _PACKAGE_HOLIDAYS if d.year == year),
                    frozenset(d for d in _PACKAGE_WORKDAYS if d.year == year),
                )
        for year, (holiday_dates, working_dates) in (extra_years or {}).items():
            self._notices[year] = (frozenset(holiday_dates), frozenset(working_dates))
        self._rest_days_by_year: dict[int, frozenset[date]] = {}
        self._forward: dict[date, date] = {}
        self._back: dict[date, date] = {}

    def is_provisional(self, year: int) -> bool:
        """True when no official notice is loaded for `year`: its rest days are the weekends and
        the assumed statutory holidays (`assumed_holidays`), without make-up working days."""
        return year not in self._notices

    def assumed_holidays(self, year: int) -> Mapping[date, tuple[str, ...]]:
        """The statutory holidays counted as rest days in a year without a notice; empty otherwise."""
        return MappingProxyType({}) if year in self._notices else statutory_holidays(year)

    def rest_days(self, year: int) -> frozenset[date]:
        rest = self._rest_days_by_year.get(year)
        if rest is None:
            rest_set = _weekend_days(year)
            notice = self._notices.get(year)
            if notice is not None:
                holiday_dates, working_dates = notice
                rest_set |= holiday_dates
                rest_set -= working_dates
            else:  # law.md §0.3: no notice yet, the measures' statutory days are rest days anyway
                rest_set |= statutory_holidays(year).keys()
            rest = self._rest_days_by_year[year] = frozenset(rest_set)
        return rest

    def is_rest_day(self, day: date) -> bool:
        return day in self.rest_days(day.year)

    def is_make_up_working_day(self, day: date) -> bool:
        """A Saturday or Sunday that the notice makes an official working day (调休上班)."""
        return day.weekday() >= _SATURDAY and not self.is_rest_day(day)

    def roll_forward(self, day: date) -> date:
        """`day` if it is a working day, else the first working day after the rest days (CC 203)."""
        rolled = self._forward.get(day)
        if rolled is None:
            rolled = day
            while self.is_rest_day(rolled):
                rolled += _ONE_DAY
            self._forward[day] = rolled
        return rolled

    def roll_back(self, day: date) -> date:
        """`day` if it is a working day, else the last working day before it (backward deadlines)."""
        rolled = self._back.get(day)
        if rolled is None:
            rolled = day
            while self.is_rest_day(rolled):
                rolled -= _ONE_DAY
            self._back[day] = rolled
        return rolled


@lru_cache(maxsize=1)
def default_calendar() -> RestDayCalendar:
    """The shared calendar built from the `chinese_calendar` package alone."""
    return RestDayCalendar()
