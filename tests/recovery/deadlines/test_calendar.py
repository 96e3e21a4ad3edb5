"""The rest-day calendar against law.md §0.3 (the 2024-2026 State Council notices)."""

from datetime import date, timedelta

import pytest

from recovery.deadlines.calendar import RestDayCalendar, default_calendar

D = date.fromisoformat

# law.md §0.3: holiday blocks (inclusive) and make-up working days falling on weekends.
HOLIDAY_BLOCKS = {
    2024: [
        ("2024-01-01", "2024-01-01"),
        ("2024-02-10", "2024-02-17"),
        ("2024-04-04", "2024-04-06"),
        ("2024-05-01", "2024-05-05"),
        ("2024-06-10", "2024-06-10"),
        ("2024-09-15", "2024-09-17"),
        ("2024-10-01", "2024-10-07"),
    ],
    2025: [
        ("2025-01-01", "2025-01-01"),
        ("2025-01-28", "2025-02-04"),
        ("2025-04-04", "2025-04-06"),
        ("2025-05-01", "2025-05-05"),
        ("2025-05-31", "2025-06-02"),
        ("2025-10-01", "2025-10-08"),
    ],
    2026: [
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    ],
}
MAKE_UP_WORKING_DAYS = {
    2024: [
        "2024-02-04",
        "2024-02-18",
        "2024-04-07",
        "2024-04-28",
        "2024-05-11",
        "2024-09-14",
        "2024-09-29",
        "2024-10-12",
    ],
    2025: ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    2026: ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
}


def _days(first: str, last: str):
    day = D(first)
    while day <= D(last):
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_packaged_calendar_matches_the_state_council_notices(year):
    calendar = default_calendar()
    holidays = {day for first, last in HOLIDAY_BLOCKS[year] for day in _days(first, last)}
    make_up = {D(day) for day in MAKE_UP_WORKING_DAYS[year]}
    for day in _days(f"{year}-01-01", f"{year}-12-31"):
        expected_rest = day in holidays or (day.weekday() >= 5 and day not in make_up)
        assert calendar.is_rest_day(day) is expected_rest, day
    assert all(calendar.is_make_up_working_day(day) for day in make_up)
    assert not calendar.is_provisional(year)


@pytest.mark.parametrize(
    ("day", "forward", "back"),
    [
        pytest.param("2025-10-01", "2025-10-09", "2025-09-30", id="National Day 2025"),
        pytest.param("2025-10-11", "2025-10-11", "2025-10-11", id="make-up Saturday is a working day"),
        pytest.param(
            "2026-02-23", "2026-02-24", "2026-02-14", id="Spring Festival 2026 back to make-up Saturday"
        ),
        pytest.param("2024-09-28", "2024-09-29", "2024-09-27", id="forward onto make-up Sunday"),
        pytest.param("2025-06-01", "2025-06-03", "2025-05-30", id="Dragon Boat 2025"),
        pytest.param("2026-12-31", "2026-12-31", "2026-12-31", id="Thursday"),
        pytest.param("2026-12-26", "2026-12-28", "2026-12-25", id="weekend"),
    ],
)
def test_roll_forward_and_back(day, forward, back):
    calendar = default_calendar()
    assert calendar.roll_forward(D(day)) == D(forward)
    assert calendar.roll_back(D(day)) == D(back)


def test_unloaded_year_counts_weekends_and_statutory_holidays_and_is_provisional():
    calendar = default_calendar()
    assert calendar.is_provisional(2027)
    assert calendar.is_rest_day(D("2027-01-01"))  # a Friday, 元旦 by the measures; no 2027 notice yet
    assert calendar.is_rest_day(D("2027-01-02"))
    assert not calendar.is_rest_day(D("2027-01-04"))
    assert calendar.roll_forward(D("2027-04-10")) == D("2027-04-12")  # law.md §3.5: weekend only


def test_entered_year_is_used_and_not_provisional():
    calendar = RestDayCalendar({2027: ({D("2027-01-01")}, {D("2027-02-06")})})
    assert not calendar.is_provisional(2027)
    assert calendar.is_rest_day(D("2027-01-01"))
    assert not calendar.is_rest_day(D("2027-02-06"))  # a Saturday made a working day
    assert calendar.is_make_up_working_day(D("2027-02-06"))


def test_entered_year_overrides_the_package():
    calendar = RestDayCalendar({2025: (set(), set())})
    assert not calendar.is_rest_day(D("2025-10-01"))  # a Wednesday, with no holidays entered
    assert calendar.is_rest_day(D("2025-10-11"))  # no make-up days entered either


def test_calendar_without_package_counts_the_statutory_holidays_only():
    calendar = RestDayCalendar(use_package=False)
    assert calendar.is_provisional(2025)
    assert calendar.is_rest_day(D("2025-10-01"))  # 国庆节 by the measures
    assert calendar.is_rest_day(D("2025-10-06"))  # 中秋节 2025, a Monday
    assert not calendar.is_rest_day(D("2025-10-08"))  # off only by the notice's 调休
    assert calendar.is_rest_day(D("2025-10-11"))  # the notice's make-up Saturday is unknown here
