"""Years without a State Council notice: the statutory holidays of 全国年节及纪念日放假办法 are rest
days (law.md §0.3 "years without a notice"; contract: calendar_provisional), never the `holidays`
package's observed (补假) or substituted (调休) days."""

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.deadlines import compute_deadline, default_calendar
from recovery.deadlines.calculator import compute_from_json
from recovery.deadlines.calendar import RestDayCalendar, statutory_holidays
from recovery.deadlines.results import PROVISIONAL_YEAR_NO_HOLIDAYS, provisional_steps

D = date.fromisoformat
AS_OF = D("2026-12-02")
NO_NOTICE_FROM = D("2027-01-01")  # chinese-calendar 1.11 carries the notices up to 2026

# The 2025 amendment's 13 days for 2029, with the names the explanation gives them.
STATUTORY_2029 = {
    D("2029-01-01"): ("元旦",),
    D("2029-02-12"): ("除夕",),
    D("2029-02-13"): ("春节",),
    D("2029-02-14"): ("春节",),
    D("2029-02-15"): ("春节",),
    D("2029-04-04"): ("清明节",),
    D("2029-05-01"): ("劳动节",),
    D("2029-05-02"): ("劳动节",),
    D("2029-06-16"): ("端午节",),
    D("2029-09-22"): ("中秋节",),
    D("2029-10-01"): ("国庆节",),
    D("2029-10-02"): ("国庆节",),
    D("2029-10-03"): ("国庆节",),
}


def test_2029_has_the_thirteen_statutory_days_of_the_2025_measures():
    assert dict(statutory_holidays(2029)) == STATUTORY_2029
    calendar = default_calendar()
    assert calendar.is_provisional(2029)
    assert all(calendar.is_rest_day(day) for day in STATUTORY_2029)
    assert calendar.is_rest_day(D("2029-02-12"))  # 除夕, a Monday: the 2025 amendment's new day


THE_2025_TEXT = {
    "元旦": 1,
    "除夕": 1,
    "春节": 3,
    "清明节": 1,
    "劳动节": 2,
    "端午节": 1,
    "中秋节": 1,
    "国庆节": 3,
}


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        # The contract applies the 2025 text to every year without a notice, the years before
        # chinese-calendar's first (2004) included.
        pytest.param(1949, THE_2025_TEXT, id="1949"),
        pytest.param(1990, THE_2025_TEXT, id="1990"),
        pytest.param(2003, THE_2025_TEXT, id="2003"),
        pytest.param(2040, THE_2025_TEXT, id="2040"),
        pytest.param(2100, THE_2025_TEXT, id="2100"),
        pytest.param(2101, {}, id="2101: past the lunar calendar's range, weekends only"),
    ],
)
def test_every_year_without_a_notice_gets_the_2025_text(year, expected):
    counted: dict[str, int] = {}
    for names in statutory_holidays(year).values():
        for name in names:
            counted[name] = counted.get(name, 0) + 1
    assert counted == expected


STATUTORY_NAMES = ("元旦", "除夕", "春节", "清明", "劳动节", "端午", "中秋", "国庆")


@pytest.mark.parametrize("year", range(2025, 2101))
def test_the_days_are_the_packages_statutory_days_where_the_2025_text_is_in_force(year):
    """From 2025 the `holidays` package lists the same days, less its 补假 and 调休 ones."""
    listed = holidays.China(years=year, observed=False, language="zh_CN")
    statutory = {
        day
        for day, name in listed.items()
        if any(part in name for part in STATUTORY_NAMES) and "补" not in name and "调休" not in name
    }
    assert set(statutory_holidays(year)) == statutory


def test_mid_autumn_on_national_day_is_named_twice_and_counted_once():
    assert statutory_holidays(2028)[D("2028-10-03")] == ("中秋节", "国庆节")
    assert sum(1 for day in statutory_holidays(2028) if day.month == 10) == 3


@pytest.mark.parametrize("year", range(2027, 2041))
def test_no_observed_or_substituted_day_of_the_package_is_a_rest_day(year):
    """The package adds 补假 with observed=True and carries notices' 调休 days: none is used."""
    calendar = default_calendar()
    assert calendar.is_provisional(year)
    with_observed = holidays.China(years=year, observed=True, language="zh_CN")
    without = holidays.China(years=year, observed=False, language="zh_CN")
    extra = [day for day in with_observed if "补假" in with_observed[day] or "调休" in with_observed[day]]
    extra += [day for day in without if "调休" in without[day]]
    assert extra, "the package should list observed/substituted days for this year"
    for day in extra:
        if day.weekday() < 5 and day not in statutory_holidays(year):
            assert not calendar.is_rest_day(day), (day, with_observed.get(day))
    assert set(calendar.assumed_holidays(year)) <= set(without)


def test_an_observed_day_the_package_would_add_stays_a_working_day():
    # 2027: 春节 falls on Sat/Sun/Mon; the package's observed rule adds Tue 9 and Wed 10 February.
    assert "补假" in holidays.China(years=2027, observed=True, language="zh_CN")[D("2027-02-09")]
    calendar = default_calendar()
    assert not calendar.is_rest_day(D("2027-02-09")) and not calendar.is_rest_day(D("2027-02-10"))
    # 2003: the notice moved two weekend days to Thu 6 / Fri 7 February; without a loaded notice
    # (chinese-calendar starts in 2004) they are working days.
    assert "调休" in holidays.China(years=2003, observed=False, language="zh_CN")[D("2003-02-06")]
    assert not calendar.is_rest_day(D("2003-02-06"))


def test_an_entered_notice_replaces_the_assumed_days():
    calendar = RestDayCalendar({2029: ({D("2029-01-02")}, set())})
    assert not calendar.is_provisional(2029)
    assert not calendar.assumed_holidays(2029)
    assert not calendar.is_rest_day(D("2029-01-01"))  # the (made-up) notice rules, not the measures
    assert calendar.is_rest_day(D("2029-01-02"))


# (rule, trigger, (raw_end, legal_end, safe_end), what the last step names as crossed)
PROVISIONAL_YEAR_CASES = [
    pytest.param(
        "enforcement",
        "2026-12-31",
        ("2028-12-31", "2029-01-02", "2028-12-29"),
        "2029年1月1日（元旦）",
        id="law.md §0.3: raw end Sunday 2028-12-31, 1 January 2029 a holiday",
    ),
    pytest.param(
        "enforcement",
        "2027-01-01",
        ("2029-01-01", "2029-01-02", "2028-12-29"),
        "2029年1月1日（元旦）",
        id="enforcement ending on 1 January 2029 moves to the next working day",
    ),
    pytest.param(
        "guarantee_period",
        "2027-04-01",
        ("2027-10-01", "2027-10-04", "2027-09-30"),
        "2027年10月1日至3日（国庆节）",
        id="guarantee period ending on National Day 2027",
    ),
    pytest.param(
        "appeal_judgment",
        "2028-01-11",
        ("2028-01-26", "2028-01-31", "2028-01-24"),
        "2028年1月25日（除夕）、2028年1月26日至28日（春节）",
        id="appeal period ending in the 2028 Spring Festival, 除夕 included",
    ),
    pytest.param(
        "pre_suit_preservation",
        "2029-03-05",
        ("2029-04-04", "2029-04-05", "2029-04-03"),
        "2029年4月4日（清明节）",
        id="清明 2029",
    ),
    pytest.param(
        "appeal_ruling",
        "2027-05-30",
        ("2027-06-09", "2027-06-10", "2027-06-08"),
        "2027年6月9日（端午节）",
        id="端午 2027",
    ),
    pytest.param(
        "preservation_renewal",
        "2029-05-09",
        ("2029-05-02", "2029-04-30", "2029-04-30"),
        "2029年5月1日至2日（劳动节）",
        id="backward deadline on Labour Day 2029 moves back",
    ),
    pytest.param(
        "preservation_expiry",
        "2029-10-02",
        ("2029-10-02", "2029-10-02", "2029-09-28"),
        "2029年10月1日至2日（国庆节）",
        id="preservation expiring on National Day 2029: safe end before the holiday",
    ),
]


@pytest.mark.parametrize(("rule", "trigger", "expected", "crossed"), PROVISIONAL_YEAR_CASES)
def test_provisional_years_roll_over_the_statutory_holidays(rule, trigger, expected, crossed):
    result = compute_deadline(rule, D(trigger), as_of=AS_OF)
    assert (result.raw_end, result.legal_end, result.safe_end) == tuple(map(D, expected))
    assert result.calendar_provisional is True
    calendar_steps = [step for step in result.steps if step.source == "国务院节假日安排"]
    assert calendar_steps and all("《全国年节及纪念日放假办法》" in step.text for step in calendar_steps)
    assert any(f"其中{crossed}按推定的法定节假日作为休息日计算" in step.text for step in calendar_steps)
    assert all("调休安排未知" in step.text and "暂定" in step.text for step in calendar_steps)


def test_the_step_lists_the_years_assumed_holidays():
    result = compute_deadline("enforcement", D("2027-01-01"), as_of=AS_OF)
    step_2029 = next(step for step in result.steps if step.text.startswith("2029年未载入国务院放假通知"))
    assert (
        "推定法定节假日：元旦1月1日，除夕2月12日，春节2月13日至15日，清明节4月4日，劳动节5月1日至2日，"
        "端午节6月16日，中秋节9月22日，国庆节10月1日至3日；"
    ) in step_2029.text
    # 2028 holds the safe end (a Friday): provisional too, but no holiday of it was crossed.
    step_2028 = next(step for step in result.steps if step.text.startswith("2028年未载入国务院放假通知"))
    assert "其中" not in step_2028.text


def test_a_year_without_computable_holidays_says_weekends_only():
    # Every year of the supported range (1949-2099) has its lunar days; 2101 does not.
    assert statutory_holidays(2101) == {}
    calendar = default_calendar()
    day = D("2101-01-03")
    [(_on, _source, template, args)] = provisional_steps(calendar, [2101], day, day, day)
    assert template is PROVISIONAL_YEAR_NO_HOLIDAYS and args == (2101,)
    assert "超出法定节假日的推算范围，暂只按周六、周日计算休息日" in template.format(*args)


def test_the_calculator_contract_shape_is_unchanged():
    output = compute_from_json(
        {"id": "x", "rule": "enforcement", "trigger": "2027-01-01", "as_of": "2026-12-02"}
    )
    assert list(output) == [
        "id",
        "rule",
        "raw_end",
        "legal_end",
        "safe_end",
        "status",
        "calendar_provisional",
        "steps",
    ]
    assert output["legal_end"] == "2029-01-02" and output["safe_end"] == "2028-12-29"
    assert output["calendar_provisional"] is True
    assert all(set(step) == {"date", "source", "text"} for step in output["steps"])


# --- properties -------------------------------------------------------------------------

provisional_days = st.dates(min_value=NO_NOTICE_FROM, max_value=D("2099-12-31"))


def _is_rest_by_the_measures(day: date) -> bool:
    return day.weekday() >= 5 or day in statutory_holidays(day.year)


@settings(max_examples=300, deadline=None)
@given(provisional_days)
def test_a_rolled_date_is_never_a_weekend_or_a_statutory_holiday(day):
    calendar = default_calendar()
    forward, back = calendar.roll_forward(day), calendar.roll_back(day)
    assert not _is_rest_by_the_measures(forward) and not _is_rest_by_the_measures(back)
    assert back <= day <= forward
    skipped = [back + timedelta(days=offset) for offset in range(1, (forward - back).days)]
    assert all(_is_rest_by_the_measures(between) for between in skipped if between != day)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        ["limitation", "enforcement", "guarantee_period", "appeal_judgment", "pre_suit_preservation"]
    ),
    st.dates(min_value=D("2025-01-01"), max_value=D("2095-12-31")),
)
def test_a_provisional_end_is_a_working_day_by_the_measures(rule, trigger):
    result = compute_deadline(rule, trigger, as_of=AS_OF)
    if result.legal_end is None or result.legal_end < NO_NOTICE_FROM:
        return
    assert result.calendar_provisional
    assert not _is_rest_by_the_measures(result.legal_end)
    if result.safe_end >= NO_NOTICE_FROM:
        assert not _is_rest_by_the_measures(result.safe_end)
    # The first statutory holiday the end was rolled over is named in the explanation.
    rolled_over = [
        result.raw_end + timedelta(days=offset) for offset in range((result.legal_end - result.raw_end).days)
    ]
    crossed = [day for day in rolled_over if day in statutory_holidays(day.year)]
    if crossed:
        first = crossed[0]
        festival = statutory_holidays(first.year)[first][0]
        clauses = [
            step.text.partition("其中")[2] for step in result.steps if step.text.startswith(f"{first.year}年")
        ]
        assert any(f"{first.year}年" in clause and f"（{festival}" in clause for clause in clauses), clauses
