"""Period arithmetic: start day excluded, corresponding day, month-end clamping (CC 201-202)."""

from datetime import date

import pytest

from recovery.deadlines.periods import add_days, add_months, add_years, days_in_month, is_leap_year

D = date.fromisoformat


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param("2024-08-31", 6, "2025-02-28", id="§0.2(2) no 31 February"),
        pytest.param("2023-08-31", 6, "2024-02-29", id="leap February"),
        pytest.param("2024-01-31", 1, "2024-02-29", id="31 Jan + 1 leap"),
        pytest.param("2025-01-31", 1, "2025-02-28", id="31 Jan + 1"),
        pytest.param("2025-03-31", 1, "2025-04-30", id="31 Mar + 1"),
        pytest.param("2025-01-15", 12, "2026-01-15", id="twelve months"),
        pytest.param("2025-11-30", 3, "2026-02-28", id="across the year"),
        pytest.param("2025-02-28", 1, "2025-03-28", id="28 Feb is not a month end rule"),
        pytest.param("2025-04-15", 6, "2025-10-15", id="§1.4 six months after the obstacle"),
        pytest.param("2025-08-31", -6, "2025-02-28", id="six months back, clamped"),
        pytest.param("2025-03-15", -3, "2024-12-15", id="back across the year"),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(D(start), months) == D(expected)


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        pytest.param("2024-02-29", 1, "2025-02-28", id="§0.2(2) 29 Feb + 1 year"),
        pytest.param("2024-02-29", 4, "2028-02-29", id="29 Feb + 4 years"),
        pytest.param("2024-02-29", 3, "2027-02-28", id="29 Feb + 3 years"),
        pytest.param("2022-10-01", 3, "2025-10-01", id="§2.1 three years"),
        pytest.param("2005-06-01", 20, "2025-06-01", id="§1.1 twenty years"),
        pytest.param("2000-02-29", 100, "2100-02-28", id="2100 is not a leap year"),
    ],
)
def test_add_years(start, years, expected):
    assert add_years(D(start), years) == D(expected)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param("2025-09-16", 15, "2025-10-01", id="§5.1 fifteen days, weekends counted"),
        pytest.param("2025-09-10", 30, "2025-10-10", id="§4.1 thirty days"),
        pytest.param("2025-10-14", -7, "2025-10-07", id="§4.3 seven days before"),
        pytest.param("2024-02-28", 1, "2024-02-29", id="into 29 Feb"),
    ],
)
def test_add_days(start, days, expected):
    assert add_days(D(start), days) == D(expected)


def test_leap_years_and_month_lengths():
    assert [is_leap_year(y) for y in (1900, 2000, 2024, 2025)] == [False, True, True, False]
    assert days_in_month(2024, 2) == 29 and days_in_month(2025, 2) == 28 and days_in_month(2025, 12) == 31
