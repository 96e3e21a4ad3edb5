"""The rules against every worked example of law.md, plus the edge cases of the contract."""

from datetime import date

import pytest

from recovery.deadlines import Event, EventKind, RestDayCalendar, Status, compute_deadline
from recovery.deadlines.rules import RULES

D = date.fromisoformat
AS_OF = D("2025-06-15")


def ev(kind: str, day: str) -> Event:
    return Event(EventKind(kind), D(day))


def dates(result) -> tuple[str | None, str | None, str | None]:
    def iso(day):
        return day.isoformat() if day else None

    return iso(result.raw_end), iso(result.legal_end), iso(result.safe_end)


# (rule, trigger, events, months, (raw_end, legal_end, safe_end), calendar_provisional)
WORKED_EXAMPLES = [
    pytest.param(
        "guarantee_period",
        "2024-08-31",
        [],
        6,
        ("2025-02-28",) * 3,
        False,
        id="§0.2(2)/§2.1 +6 months clamps",
    ),
    pytest.param("limitation", "2021-03-15", [], None, ("2024-03-15",) * 3, False, id="§1.1 loan due date"),
    pytest.param(
        "limitation_20_years",
        "2005-06-01",
        [],
        None,
        ("2025-06-01", "2025-06-03", "2025-05-30"),
        False,
        id="§1.1 20-year cap",
    ),
    pytest.param("limitation", "2023-06-30", [], None, ("2026-06-30",) * 3, False, id="§1.2 last instalment"),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("debtor_acknowledged", "2024-06-03")],
        None,
        ("2024-03-15",) * 3,
        False,
        id="§1.3 acknowledgement after expiry changes nothing",
    ),
    pytest.param(
        "limitation",
        "2022-06-30",
        [("obstacle_started", "2025-02-01"), ("obstacle_ended", "2025-04-15")],
        None,
        ("2025-10-15",) * 3,
        False,
        id="§1.4 suspension CC 194",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("demand_delivered", "2022-09-30")],
        None,
        ("2025-09-30",) * 3,
        False,
        id="§1.5 interruption",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("demand_delivered", "2022-10-01")],
        None,
        ("2025-10-01", "2025-10-09", "2025-09-30"),
        False,
        id="§1.5/§2.1/contract holiday roll-over",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("partial_payment", "2023-05-20")],
        None,
        ("2026-05-20",) * 3,
        False,
        id="§1.5/§1.7 partial payment",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("account_debit", "2023-02-08")],
        None,
        ("2026-02-08", "2026-02-09", "2026-02-06"),
        False,
        id="§1.5/§1.6 account debit, Sunday",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("announcement", "2023-02-16")],
        None,
        ("2026-02-16", "2026-02-24", "2026-02-14"),
        False,
        id="§1.6 announcement, Spring Festival, make-up Saturday safe_end",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("demand_delivered", "2022-09-30")],
        None,
        ("2025-09-30",) * 3,
        False,
        id="§1.9 joint debtor notice",
    ),
    pytest.param(
        "limitation",
        "2023-06-30",
        [("demand_delivered", "2024-12-31")],
        None,
        ("2027-12-31",) * 3,
        True,
        id="§1.11 assignment notice, 2027 provisional",
    ),
    pytest.param(
        "guarantee_period",
        "2024-03-15",
        [],
        None,
        ("2024-09-15", "2024-09-18", "2024-09-14"),
        False,
        id="§3.3 guarantee period in Mid-Autumn holiday",
    ),
    pytest.param("guarantee_period", "2021-03-15", [], None, ("2021-09-15",) * 3, False, id="§3.3 2021"),
    pytest.param(
        "limitation",
        "2021-08-10",
        [],
        None,
        ("2024-08-10", "2024-08-12", "2024-08-09"),
        False,
        id="§3.5 joint guarantor demand",
    ),
    pytest.param(
        "limitation",
        "2024-04-10",
        [],
        None,
        ("2027-04-10", "2027-04-12", "2027-04-09"),
        True,
        id="§3.5 general guarantor 终本, 2027 provisional",
    ),
    pytest.param(
        "limitation", "2025-03-01", [], None, ("2028-03-01",) * 3, True, id="§3.5 general guarantor, no 终本"
    ),
    pytest.param(
        "limitation", "2021-03-15", [], None, ("2024-03-15",) * 3, False, id="§3.7 mortgage limitation"
    ),
    pytest.param(
        "enforcement", "2023-01-10", [], None, ("2025-01-10",) * 3, False, id="§3.7 enforcement period"
    ),
    pytest.param(
        "pre_suit_preservation", "2025-09-10", [], None, ("2025-10-10",) * 3, False, id="§4.1 after holiday"
    ),
    pytest.param(
        "pre_suit_preservation",
        "2025-09-05",
        [],
        None,
        ("2025-10-05", "2025-10-09", "2025-09-30"),
        False,
        id="§4.1 in National Day holiday",
    ),
    pytest.param(
        "pre_enforcement_preservation",
        "2025-10-20",
        [],
        None,
        ("2025-10-25", "2025-10-27", "2025-10-24"),
        False,
        id="§4.2 five days, Saturday",
    ),
    pytest.param(
        "preservation_renewal",
        "2025-10-14",
        [],
        None,
        ("2025-10-07", "2025-09-30", "2025-09-30"),
        False,
        id="§4.3 renewal rolled back over National Day",
    ),
    pytest.param(
        "preservation_renewal",
        "2026-03-02",
        [],
        None,
        ("2026-02-23", "2026-02-14", "2026-02-14"),
        False,
        id="§4.3 renewal rolled back to make-up Saturday",
    ),
    pytest.param(
        "preservation_renewal",
        "2026-05-31",
        [],
        None,
        ("2026-05-24", "2026-05-22", "2026-05-22"),
        False,
        id="§4.3 renewal Sunday",
    ),
    # law.md gives safe_end 2025-09-30 here, but the contract defines safe_end as the last working
    # day on or before raw_end, and the make-up Saturday 2025-10-11 is a working day.
    pytest.param(
        "distribution_objection",
        "2025-09-26",
        [],
        None,
        ("2025-10-11",) * 3,
        False,
        id="§4.6/§9 objection on make-up Saturday (contract safe_end)",
    ),
    pytest.param(
        "appeal_judgment",
        "2025-09-16",
        [],
        None,
        ("2025-10-01", "2025-10-09", "2025-09-30"),
        False,
        id="§5.1/§9 appeal period in holiday",
    ),
    pytest.param(
        "enforcement",
        "2025-10-20",
        [],
        None,
        ("2027-10-20",) * 3,
        True,
        id="§5.1 enforcement 2027 provisional",
    ),
    pytest.param(
        "auction_notice_real_estate",
        "2025-11-20",
        [],
        None,
        ("2025-10-21",) * 3,
        False,
        id="§6.2 auction notice",
    ),
    pytest.param(
        "answer_period",
        "2025-04-20",
        [],
        None,
        ("2025-05-05", "2025-05-06", "2025-04-30"),
        False,
        id="§9 answer period, Labour Day",
    ),
    pytest.param(
        "appeal_judgment",
        "2024-09-13",
        [],
        None,
        ("2024-09-28", "2024-09-29", "2024-09-27"),
        False,
        id="§9 appeal rolls onto make-up Sunday",
    ),
    pytest.param(
        "appeal_ruling",
        "2025-01-20",
        [],
        None,
        ("2025-01-30", "2025-02-05", "2025-01-27"),
        False,
        id="§9 ruling appeal, Spring Festival",
    ),
    pytest.param(
        "retrial_application", "2024-08-31", [], None, ("2025-02-28",) * 3, False, id="§9 retrial clamp"
    ),
    pytest.param(
        "retrial_application",
        "2024-08-01",
        [],
        None,
        ("2025-02-01", "2025-02-05", "2025-01-27"),
        False,
        id="§9 retrial, Spring Festival",
    ),
]


@pytest.mark.parametrize(("rule", "trigger", "events", "months", "expected", "provisional"), WORKED_EXAMPLES)
def test_worked_examples_of_law_md(rule, trigger, events, months, expected, provisional):
    result = compute_deadline(
        rule, D(trigger), [ev(kind, day) for kind, day in events], as_of=AS_OF, months=months
    )
    assert dates(result) == expected
    assert result.calendar_provisional is provisional
    assert result.steps, "every result explains itself"


def test_acknowledgement_after_expiry_mentions_waiver_rule():
    result = compute_deadline(
        "limitation", D("2021-03-15"), [ev("debtor_acknowledged", "2024-06-03")], as_of=AS_OF
    )
    assert any(step.source == "时效规定第19条" for step in result.steps)
    assert result.status is Status.EXPIRED


EDGE_CASES = [
    pytest.param(
        "limitation",
        "2024-02-29",
        [],
        None,
        ("2027-02-28", "2027-03-01", "2027-02-26"),
        id="29 Feb + 3 years falls back to 28 Feb (Sunday, 2027 weekend-only)",
    ),
    pytest.param(
        "guarantee_period", "2023-08-31", [], 6, ("2024-02-29",) * 3, id="month end into leap February"
    ),
    pytest.param("guarantee_period", "2024-02-29", [], 12, ("2025-02-28",) * 3, id="29 Feb + 12 months"),
    pytest.param(
        "guarantee_period",
        "2024-01-31",
        [],
        1,
        ("2024-02-29",) * 3,
        id="31 Jan + 1 month = 29 Feb (leap year)",
    ),
    pytest.param(
        "guarantee_period",
        "2024-03-15",
        [("demand_delivered", "2024-05-01"), ("suit_filed", "2024-06-01")],
        None,
        ("2024-09-15", "2024-09-18", "2024-09-14"),
        id="guarantee period ignores events",
    ),
    pytest.param(
        "appeal_judgment",
        "2026-02-13",
        [],
        None,
        ("2026-02-28",) * 3,
        id="last day on make-up working Saturday 2026-02-28 is not rolled",
    ),
    pytest.param(
        "appeal_ruling",
        "2025-10-01",
        [],
        None,
        ("2025-10-11",) * 3,
        id="make-up Saturday 2025-10-11",
    ),
    pytest.param(
        "limitation",
        "2022-10-01",
        [("demand_delivered", "2025-10-09")],
        None,
        ("2028-10-09",) * 3,
        id="demand on the rolled-over last day interrupts",
    ),
    pytest.param(
        "limitation",
        "2022-10-01",
        [("demand_delivered", "2025-10-10")],
        None,
        ("2025-10-01", "2025-10-09", "2025-09-30"),
        id="demand the day after legal_end is too late",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("demand_delivered", "2024-03-16"), ("suit_filed", "2024-04-01")],
        None,
        ("2024-03-15",) * 3,
        id="events after expiry change nothing",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("demand_delivered", "2021-03-15"), ("partial_payment", "2020-01-01")],
        None,
        ("2024-03-15",) * 3,
        id="events on or before the trigger are ignored",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("demand_delivered", "2023-01-05"), ("demand_delivered", "2022-01-05")],
        None,
        ("2026-01-05",) * 3,
        id="events in any order, repeated interruptions",
    ),
    pytest.param(
        "limitation",
        "2022-06-30",
        [
            ("obstacle_started", "2025-02-01"),
            ("obstacle_started", "2025-03-01"),
            ("obstacle_ended", "2025-04-15"),
            ("obstacle_ended", "2025-05-20"),
        ],
        None,
        ("2025-11-20",) * 3,
        id="overlapping obstacles: six months after the last is removed",
    ),
    pytest.param(
        "limitation",
        "2022-06-30",
        [("obstacle_started", "2023-01-01"), ("obstacle_ended", "2023-03-01")],
        None,
        ("2025-06-30",) * 3,
        id="obstacle outside the last six months has no effect",
    ),
    pytest.param(
        "limitation",
        "2022-06-30",
        [("obstacle_started", "2024-06-01"), ("obstacle_ended", "2025-01-15")],
        None,
        ("2025-07-15",) * 3,
        id="obstacle starting before and reaching into the last six months",
    ),
    pytest.param(
        "limitation",
        "2022-06-30",
        [("obstacle_ended", "2025-04-15")],
        None,
        ("2025-06-30",) * 3,
        id="obstacle_ended without a start is ignored",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [
            ("suit_filed", "2023-01-10"),
            ("demand_delivered", "2023-06-01"),
            ("proceedings_ended", "2024-01-10"),
        ],
        None,
        ("2027-01-10", "2027-01-11", "2027-01-08"),
        id="proceedings ended restarts the full period",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("suit_filed", "2023-01-10")],
        None,
        (None, None, None),
        id="suit pending: no dates",
    ),
    pytest.param(
        "limitation",
        "2021-03-15",
        [("obstacle_started", "2023-11-01")],
        None,
        (None, None, None),
        id="obstacle not removed: no dates",
    ),
    pytest.param(
        "enforcement",
        "2023-06-30",
        [("obstacle_started", "2025-02-01"), ("obstacle_ended", "2025-04-15")],
        None,
        ("2025-09-11",) * 3,
        id="enforcement suspension: 执行程序解释19 earlier than CC 194",
    ),
    pytest.param(
        "enforcement",
        "2023-06-30",
        [("demand_delivered", "2024-05-06")],
        None,
        ("2026-05-06",) * 3,
        id="enforcement interrupted like limitation",
    ),
    pytest.param(
        "limitation",
        "2000-01-10",
        [
            ("demand_delivered", "2002-06-03"),
            ("demand_delivered", "2004-12-01"),
            ("demand_delivered", "2007-06-01"),
            ("demand_delivered", "2009-12-01"),
            ("demand_delivered", "2012-06-01"),
            ("demand_delivered", "2014-12-01"),
            ("demand_delivered", "2017-06-01"),
        ],
        None,
        ("2020-01-10",) * 3,
        id="CC 188 20-year cap on repeated interruptions",
    ),
]


@pytest.mark.parametrize(("rule", "trigger", "events", "months", "expected"), EDGE_CASES)
def test_edge_cases(rule, trigger, events, months, expected):
    result = compute_deadline(
        rule, D(trigger), [ev(kind, day) for kind, day in events], as_of=AS_OF, months=months
    )
    assert dates(result) == expected


def test_pending_suit_status_and_suspended_status():
    pending = compute_deadline("limitation", D("2021-03-15"), [ev("suit_filed", "2023-01-10")], as_of=AS_OF)
    assert pending.status is Status.PENDING_PROCEEDINGS
    assert pending.calendar_provisional is False
    suspended = compute_deadline(
        "enforcement", D("2023-06-30"), [ev("obstacle_started", "2025-02-01")], as_of=AS_OF
    )
    assert suspended.status is Status.SUSPENDED


@pytest.mark.parametrize(
    ("as_of", "status"),
    [("2025-10-09", Status.RUNNING), ("2025-10-10", Status.EXPIRED), ("2021-01-01", Status.RUNNING)],
)
def test_status_is_judged_on_as_of_against_legal_end(as_of, status):
    result = compute_deadline("limitation", D("2022-10-01"), [], as_of=D(as_of))
    assert result.status is status


def test_guarantee_period_says_events_are_ignored():
    result = compute_deadline(
        "guarantee_period", D("2024-03-15"), [ev("suit_filed", "2024-05-01")], as_of=AS_OF
    )
    assert any("不予考虑" in step.text for step in result.steps)


def test_enforcement_suspension_explains_both_results():
    result = compute_deadline(
        "enforcement",
        D("2023-06-30"),
        [ev("obstacle_started", "2025-02-01"), ev("obstacle_ended", "2025-04-15")],
        as_of=AS_OF,
    )
    text = next(step.text for step in result.steps if step.source == "执行程序解释第19条")
    assert "2025年10月15日" in text and "2025年9月11日" in text


def test_make_up_working_day_is_explained():
    result = compute_deadline("appeal_judgment", D("2026-02-13"), [], as_of=AS_OF)
    assert any("调休" in step.text for step in result.steps)


def test_provisional_year_is_explained_and_cleared_by_an_entered_notice():
    provisional = compute_deadline("limitation", D("2024-04-10"), [], as_of=AS_OF)
    assert any("2027年" in step.text and "暂定" in step.text for step in provisional.steps)
    # An administrator enters 2027 with a (hypothetical) holiday on Monday 2027-04-12.
    calendar = RestDayCalendar({2027: ({D("2027-04-12")}, set())})
    entered = compute_deadline("limitation", D("2024-04-10"), [], as_of=AS_OF, calendar=calendar)
    assert entered.calendar_provisional is False
    assert dates(entered) == ("2027-04-10", "2027-04-13", "2027-04-09")


def test_year_before_the_package_is_provisional():
    result = compute_deadline("appeal_ruling", D("1995-03-01"), [], as_of=AS_OF)
    assert result.calendar_provisional is True


def test_each_rule_cites_an_article_in_every_step():
    for rule in RULES:
        result = compute_deadline(rule, D("2025-03-03"), [ev("demand_delivered", "2025-04-01")], as_of=AS_OF)
        assert all(step.source for step in result.steps), rule


def test_event_kind_may_be_given_as_plain_string():
    result = compute_deadline(
        "limitation", D("2021-03-15"), [Event("demand_delivered", D("2022-09-30"))], as_of=AS_OF
    )
    assert dates(result) == ("2025-09-30",) * 3


# 查扣冻规定 27: the printed expiry itself. It never moves (raw_end = legal_end); safe_end is the
# last working day on or before it. (trigger, (raw_end, legal_end, safe_end), provisional)
PRESERVATION_EXPIRIES = [
    pytest.param("2025-10-14", ("2025-10-14", "2025-10-14", "2025-10-14"), False, id="working Tuesday"),
    pytest.param("2025-10-04", ("2025-10-04", "2025-10-04", "2025-09-30"), False, id="in National Day"),
    pytest.param("2026-02-23", ("2026-02-23", "2026-02-23", "2026-02-14"), False, id="Spring Festival"),
    pytest.param("2026-05-31", ("2026-05-31", "2026-05-31", "2026-05-29"), False, id="Sunday"),
    pytest.param("2025-10-11", ("2025-10-11",) * 3, False, id="make-up Saturday is a working day"),
    pytest.param("2027-05-30", ("2027-05-30", "2027-05-30", "2027-05-28"), True, id="2027 provisional"),
]


@pytest.mark.parametrize(("trigger", "expected", "provisional"), PRESERVATION_EXPIRIES)
def test_preservation_expiry_is_the_printed_date(trigger, expected, provisional):
    result = compute_deadline("preservation_expiry", D(trigger), as_of=AS_OF)
    assert dates(result) == expected
    assert result.calendar_provisional is provisional
    assert result.steps[0].source == "查扣冻规定第27条"
    assert "preservation_expiry" in RULES


def test_preservation_expiry_status_turns_the_day_after():
    on_the_day = compute_deadline("preservation_expiry", D("2025-10-14"), as_of=D("2025-10-14"))
    day_after = compute_deadline("preservation_expiry", D("2025-10-14"), as_of=D("2025-10-15"))
    assert (on_the_day.status, day_after.status) == (Status.RUNNING, Status.EXPIRED)
