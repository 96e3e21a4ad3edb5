"""Dates every fact must respect: the one supported range, and no fact after today."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from recovery.checks.i18n import _

# The product's one time zone: every date it stores or compares is a day in Shanghai
# (config.settings.TIME_ZONE names the same zone for Django).
SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_shanghai() -> date:
    return datetime.now(SHANGHAI).date()


# The one range of dates the product accepts anywhere (models, forms, import, API, engine):
# from the founding of the PRC to the end of the century. Outside it the deadline engine's
# arithmetic (years added to an expiry, holiday calendars) would overflow or mean nothing.
EARLIEST_SUPPORTED_DATE = date(1949, 10, 1)


LATEST_SUPPORTED_DATE = date(2099, 12, 31)


def supported_date_error(value: date) -> str | None:
    """Why `value` is outside the supported range, or None when it is inside."""
    if EARLIEST_SUPPORTED_DATE <= value <= LATEST_SUPPORTED_DATE:
        return None
    return _("dates must lie between %(first)s and %(last)s; %(d)s is outside") % {
        "first": EARLIEST_SUPPORTED_DATE.isoformat(),
        "last": LATEST_SUPPORTED_DATE.isoformat(),
        "d": value.isoformat(),
    }


def future_fact_error(value: date | None, today: date) -> str | None:
    """Why `value` cannot be the date of something that happened, or None when it can."""
    if value is None or value <= today:
        return None
    return _(
        "%(d)s is after today (%(today)s): record what has happened, not what is planned — "
        "a planned demand is not a delivered one."
    ) % {"d": value.isoformat(), "today": today.isoformat()}
