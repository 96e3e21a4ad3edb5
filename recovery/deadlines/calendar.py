"""Which days are rest days (法定休假日) for rolling deadlines over (CC 203; CPL 85).

Rest days are Saturdays, Sundays and the State Council's announced holidays, except the
announced make-up working days (调休上班日): law.md §0.2(6), §0.3. The official notices come
from the `chinese_calendar` package for the years it covers; an administrator can enter
further years (or correct a packaged one). In any other year only weekends are rest days and
every date computed in it is marked provisional, to be recomputed once the notice is out.
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import lru_cache

from chinese_calendar.constants import holidays as _PACKAGE_HOLIDAYS
from chinese_calendar.constants import workdays as _PACKAGE_WORKDAYS

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5

# The package raises NotImplementedError outside these years; we never call into it per day,
# we only read its two tables once per year.
PACKAGE_FIRST_YEAR = min(day.year for day in _PACKAGE_HOLIDAYS)
PACKAGE_LAST_YEAR = max(day.year for day in _PACKAGE_HOLIDAYS)

YearNotice = tuple[Iterable[date], Iterable[date]]
"""One year's State Council notice: (holiday dates, make-up working dates)."""


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

    Entered years take precedence over the package's table for the same year. Instances are
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
        """True when no official notice is loaded for `year` (only weekends count as rest days)."""
        return year not in self._notices

    def rest_days(self, year: int) -> frozenset[date]:
        rest = self._rest_days_by_year.get(year)
        if rest is None:
            rest_set = _weekend_days(year)
            notice = self._notices.get(year)
            if notice is not None:
                holiday_dates, working_dates = notice
                rest_set |= holiday_dates
                rest_set -= working_dates
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
