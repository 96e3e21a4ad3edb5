"""Period arithmetic of the Civil Code (arts 200-202) and the CPL (art. 85), over plain dates.

Every function takes the triggering day and returns the period's last day by counting alone:
the start day is not counted (CC 201; CPL 85), so "N days from D" ends on D + N, and a year or
month period ends on the corresponding day, or on the month's last day where there is none
(CC 202). Rolling over rest days is the calendar's job, not this module's.
"""

from datetime import MAXYEAR, MINYEAR, date, timedelta


class UnsupportedDate(ValueError):
    """A date the engine cannot work with: outside the supported range, or past the calendar.

    Raised instead of Python's OverflowError or ValueError so that callers can tell bad facts
    from bugs, and say which date is at fault."""


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and is_leap_year(year):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def add_months(start: date, months: int) -> date:
    """The corresponding day `months` later (negative: earlier), clamped to the month's end (CC 202).

    Hand-rolled instead of dateutil.relativedelta: this sits on the benchmark's hot path.
    """
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    if not MINYEAR <= year <= MAXYEAR:
        raise UnsupportedDate(f"{start.isoformat()} + {months} months is past the calendar (year {year})")
    month = month_index % 12 + 1
    last_day = days_in_month(year, month)
    return date(year, month, start.day if start.day <= last_day else last_day)


def add_years(start: date, years: int) -> date:
    """The corresponding day `years` later; 29 February falls back to 28 February (CC 202)."""
    year = start.year + years
    if not MINYEAR <= year <= MAXYEAR:
        raise UnsupportedDate(f"{start.isoformat()} + {years} years is past the calendar (year {year})")
    try:
        return start.replace(year=year)
    except ValueError:  # within the calendar, only 29 February into a common year raises
        return date(year, 2, 28)


def add_days(start: date, days: int) -> date:
    """`days` calendar days later (negative: earlier); rest days inside the period count."""
    try:
        return start + timedelta(days=days)
    except OverflowError:
        raise UnsupportedDate(f"{start.isoformat()} + {days} days is past the calendar") from None
