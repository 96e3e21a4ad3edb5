"""The judicial-auction plan (law.md §6.1–6.4; contract auction-plan.md), over pure facts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.auction import (
    AuctionFacts,
    AuctionFactsError,
    AuctionFailure,
    AuctionPlan,
    AuctionRound,
    auction_plan,
    auction_plan_json,
    property_of_asset_kind,
)
from assets.models import AssetKind
from recovery.checks.problems import InputProblems
from recovery.deadlines.calendar import RestDayCalendar, default_calendar

CALENDAR = default_calendar()
D = Decimal


def plan(**facts) -> AuctionPlan:
    facts.setdefault("property", "real_estate")
    facts.setdefault("reference_price", D("1000000.00"))
    return auction_plan(AuctionFacts(**facts), calendar=CALENDAR)


def failed(*days: str) -> tuple[AuctionFailure, ...]:
    return tuple(AuctionFailure(number, date.fromisoformat(day)) for number, day in enumerate(days, start=1))


# --------------------------------------------------------------------------- law.md §6 examples


def test_law_example_flat_notice_by_and_minimum():
    # §6.2: a flat auctioned from 2025-11-20 → notice by 2025-10-21, never rolled.
    # §6.3: appraisal 1,000,000 → minimum first starting price 700,000.
    result = plan(first_auction_on=date(2025, 11, 20))
    assert result.rounds == (AuctionRound(1, D("700000.00"), D("700000.00"), notice_by=date(2025, 10, 21)),)
    assert (result.next, result.problems) == ("first_auction", ())


def test_law_example_failure_gives_the_second_rounds_deadline_and_minimum():
    # §6.3: failed on 2025-11-21 → by 2025-12-21 (a Sunday: legally 2025-12-22), minimum 560,000.
    result = plan(first_auction_on=date(2025, 11, 20), failures=failed("2025-11-21"))
    second = result.rounds[1]
    assert (second.round, second.min_starting_price, second.starting_price) == (
        2,
        D("560000.00"),
        D("560000.00"),
    )
    assert (second.latest_auction_on, second.latest_auction_on_legal) == (
        date(2025, 12, 21),
        date(2025, 12, 22),
    )
    assert second.notice_by is None  # the second auction's date is not known
    assert result.next == "second_auction"
    assert result.problems == ()


def test_contract_example():
    result = plan(
        first_starting_price=D("700000.00"),
        first_auction_on=date(2025, 11, 20),
        failures=failed("2025-11-21"),
        second_starting_price=D("560000.00"),
        second_auction_on=date(2025, 12, 18),
    )
    assert result.rounds == (
        AuctionRound(1, D("700000.00"), D("700000.00"), notice_by=date(2025, 10, 21)),
        AuctionRound(
            2,
            D("560000.00"),
            D("560000.00"),
            notice_by=date(2025, 12, 3),
            latest_auction_on=date(2025, 12, 21),
            latest_auction_on_legal=date(2025, 12, 22),
        ),
    )
    assert [step.source for step in result.steps] == [
        "网拍规定第10条",
        "网拍规定第12条",
        "网拍规定第26条",
        "民事诉讼法第85条",
        "网拍规定第26条",
        "网拍规定第26条",
    ]
    assert "1,000,000.00元的70%，即700,000.00元" in result.steps[0].text
    assert "2025年10月21日" in result.steps[1].text
    assert "2025年12月21日" in result.steps[2].text
    assert "2025年12月22日" in result.steps[3].text
    assert "2025年12月3日" in result.steps[5].text


# --------------------------------------------------------------------------- prices


@pytest.mark.parametrize(
    ("reference", "first", "first_min", "second_min"),
    [
        ("1000000.00", None, "700000.00", "560000.00"),
        ("1000000.01", None, "700000.01", "560000.01"),  # 700,000.007 up; 560,000.008 up
        ("0.01", None, "0.01", "0.01"),  # 0.007 up; 0.008 up
        ("10.00", None, "7.00", "5.60"),  # exact: no rounding
        ("1000000.00", "812345.67", "700000.00", "649876.54"),  # 649,876.536 up
        ("1000000.00", "700000.03", "700000.00", "560000.03"),  # 560,000.024 up
    ],
)
def test_minimum_prices_are_rounded_up_to_the_fen(reference, first, first_min, second_min):
    result = plan(
        reference_price=D(reference),
        first_starting_price=None if first is None else D(first),
        failures=failed("2025-11-21"),
    )
    assert result.rounds[0].min_starting_price == D(first_min)
    assert result.rounds[1].min_starting_price == D(second_min)
    assert result.problems == ()


def test_rounding_is_explained():
    text = plan(reference_price=D("1000000.01")).steps[0].text
    assert "700,000.007元" in text and "向上取整到分" in text and "700,000.01元" in text


@pytest.mark.parametrize(
    ("first", "problems"),
    [
        ("700000.00", ()),  # exactly 70%
        ("699999.99", ("first_starting_price",)),  # one fen under
        ("1200000.00", ()),  # above the reference price: no rule against it
    ],
)
def test_first_starting_price_floor(first, problems):
    result = plan(first_starting_price=D(first))
    assert result.problems == problems
    assert result.rounds[0].starting_price == D(first)
    assert ("不符合本条（first_starting_price）" in result.steps[0].text) == bool(problems)


@pytest.mark.parametrize(
    ("second", "problems"),
    [
        ("560000.00", ()),  # exactly 80% of the first starting price
        ("559999.99", ("second_starting_price",)),  # one fen under
        ("600000.00", ()),
    ],
)
def test_second_starting_price_at_most_20_percent_below_the_first(second, problems):
    result = plan(failures=failed("2025-11-21"), second_starting_price=D(second))
    assert result.problems == problems
    assert result.rounds[1].starting_price == D(second)


def test_second_minimum_follows_the_first_starting_price_actually_set():
    result = plan(first_starting_price=D("900000.00"), failures=failed("2025-11-21"))
    assert result.rounds[1].min_starting_price == D("720000.00")


def test_a_first_price_below_its_floor_still_sets_the_second_floor():
    result = plan(
        first_starting_price=D("600000.00"),
        failures=failed("2025-11-21"),
        second_starting_price=D("480000.00"),
    )
    assert result.problems == ("first_starting_price",)
    assert result.rounds[1].min_starting_price == D("480000.00")


def test_starting_prices_default_to_the_minimum():
    result = plan(reference_price=D("1000000.01"), failures=failed("2025-11-21"))
    assert [r.starting_price for r in result.rounds] == [D("700000.01"), D("560000.01")]
    assert "未给出起拍价" in result.steps[0].text


# --------------------------------------------------------------------------- notice periods


@pytest.mark.parametrize(
    ("kind", "auction_on", "notice_by"),
    [
        ("real_estate", "2025-11-20", "2025-10-21"),  # 30 days
        ("other_right", "2025-11-20", "2025-10-21"),  # 30 days
        ("movable", "2025-11-20", "2025-11-05"),  # 15 days
        ("movable", "2025-03-01", "2025-02-14"),  # across a month end
        ("real_estate", "2025-10-06", "2025-09-06"),  # notice day a Saturday: backward, never rolled
    ],
)
def test_first_notice(kind, auction_on, notice_by):
    result = plan(property=kind, first_auction_on=date.fromisoformat(auction_on))
    assert result.rounds[0].notice_by == date.fromisoformat(notice_by)


@pytest.mark.parametrize(
    ("kind", "auction_on", "notice_by"),
    [
        ("real_estate", "2025-12-18", "2025-12-03"),  # 15 days
        ("other_right", "2025-12-18", "2025-12-03"),  # 15 days
        ("movable", "2025-12-18", "2025-12-11"),  # 7 days
    ],
)
def test_second_notice(kind, auction_on, notice_by):
    result = plan(
        property=kind, failures=failed("2025-11-21"), second_auction_on=date.fromisoformat(auction_on)
    )
    assert result.rounds[1].notice_by == date.fromisoformat(notice_by)
    assert result.problems == ()


def test_first_notice_unknown_without_a_date():
    result = plan(property="movable")
    assert result.rounds[0].notice_by is None
    assert "拍卖动产应当在拍卖十五日前公告" in result.steps[1].text


# --------------------------------------------------------------------------- the second auction's date


@pytest.mark.parametrize(
    ("second_on", "problems"),
    [
        ("2025-12-21", ()),  # the last day by counting (a Sunday)
        ("2025-12-22", ()),  # the last day itself, rolled past the weekend (CPL 85)
        ("2025-12-23", ("second_auction_on",)),  # one day after
    ],
)
def test_second_auction_within_30_days_of_the_failure(second_on, problems):
    result = plan(failures=failed("2025-11-21"), second_auction_on=date.fromisoformat(second_on))
    assert result.problems == problems


def test_a_deadline_on_a_working_day_is_not_rolled():
    result = plan(failures=failed("2025-11-19"), second_auction_on=date(2025, 12, 20))
    assert (
        result.rounds[1].latest_auction_on == result.rounds[1].latest_auction_on_legal == date(2025, 12, 19)
    )
    assert result.problems == ("second_auction_on",)
    assert "民事诉讼法第85条" not in [step.source for step in result.steps]


def test_the_deadline_rolls_over_a_holiday_and_its_make_up_working_day():
    # Failed 2025-09-01 → 2025-10-01, inside the National Day holiday (1–8 October 2025).
    result = plan(failures=failed("2025-09-01"))
    assert result.rounds[1].latest_auction_on == date(2025, 10, 1)
    assert result.rounds[1].latest_auction_on_legal == date(2025, 10, 9)


def test_the_calendar_passed_in_is_the_one_used():
    entered = RestDayCalendar({2025: ({date(2025, 12, 22)}, set())})
    facts = AuctionFacts("real_estate", D("1000000.00"), failures=failed("2025-11-21"))
    assert auction_plan(facts, calendar=entered).rounds[1].latest_auction_on_legal == date(2025, 12, 23)


def test_a_year_without_a_notice_is_marked_provisional():
    result = plan(failures=failed("2030-01-01"))
    assert result.rounds[1].latest_auction_on == date(2030, 1, 31)
    assert any(step.source == "国务院节假日安排" and "暂定" in step.text for step in result.steps)


def test_a_second_auction_whose_notice_period_cannot_be_kept_is_a_problem():
    # Notice by 2025-11-10 for an auction on 2025-11-25: before round 1 failed on 2025-11-21.
    result = plan(failures=failed("2025-11-21"), second_auction_on=date(2025, 11, 25))
    assert result.problems == ("second_auction_on",)
    assert "2025年12月6日" in result.steps[-1].text  # the earliest possible date


# --------------------------------------------------------------------------- next step


@pytest.mark.parametrize(
    ("failures", "next_step", "rounds"),
    [
        ((), "first_auction", 1),
        (failed("2025-11-21"), "second_auction", 2),
        (failed("2025-11-21", "2025-12-19"), "sale", 2),
    ],
)
def test_next_step(failures, next_step, rounds):
    result = plan(failures=failures)
    assert (result.next, len(result.rounds)) == (next_step, rounds)


def test_after_two_failures_the_sale_and_the_transfer_in_lieu_are_explained():
    result = plan(failures=failed("2025-11-21", "2025-12-19"), second_starting_price=D("600000.00"))
    assert result.next == "sale"
    assert "变卖" in result.steps[-2].text
    assert result.steps[-1].source == "拍卖变卖规定第16条" and "600,000.00元" in result.steps[-1].text
    assert not any("第二次拍卖日期未定" in step.text for step in result.steps)  # it has been held


def test_a_second_auction_to_be_dated_is_given_its_last_notice_day():
    result = plan(failures=failed("2025-11-21"))
    assert "应不晚于2025年12月22日举行" in result.steps[-1].text
    assert "公告最迟应于2025年12月7日发布" in result.steps[-1].text


def test_failures_may_be_listed_in_any_order():
    failures = (AuctionFailure(2, date(2025, 12, 19)), AuctionFailure(1, date(2025, 11, 21)))
    assert plan(failures=failures).next == "sale"


# --------------------------------------------------------------------------- inconsistent facts


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"first_auction_on": date(2025, 11, 20), "failures": failed("2025-11-19")}, "failures[0].on"),
        ({"failures": failed("2025-11-21"), "second_auction_on": date(2025, 11, 20)}, "second_auction_on"),
        ({"failures": (AuctionFailure(2, date(2025, 12, 19)),)}, "failures[0].round"),
        (
            {"failures": (AuctionFailure(1, date(2025, 11, 21)), AuctionFailure(1, date(2025, 11, 22)))},
            "failures[1].round",
        ),
        ({"failures": (AuctionFailure(3, date(2025, 11, 21)),)}, "failures[0].round"),
        (
            {"failures": failed("2025-11-21", "2025-12-19"), "second_auction_on": date(2025, 12, 20)},
            "failures[1].on",
        ),
        ({"failures": failed("2025-11-21", "2025-11-20")}, "failures[1].on"),
        ({"second_auction_on": date(2025, 12, 18)}, "second_auction_on"),
        ({"second_starting_price": D("560000.00")}, "second_starting_price"),
        ({"property": "vehicle"}, "property"),
        ({"reference_price": D("0")}, "reference_price"),
        ({"reference_price": D("-1.00")}, "reference_price"),
        ({"reference_price": D("1000000.005")}, "reference_price"),
        ({"reference_price": D("NaN")}, "reference_price"),
        ({"first_starting_price": D("-700000")}, "first_starting_price"),
        ({"reference_price": D("1E+30")}, "reference_price"),
    ],
)
def test_inconsistent_facts_raise_naming_the_field(facts, field):
    with pytest.raises(AuctionFactsError) as caught:
        plan(**facts)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_a_failure_on_its_auction_day_is_consistent():
    result = plan(
        first_auction_on=date(2025, 11, 21),
        failures=failed("2025-11-21", "2025-12-18"),
        second_auction_on=date(2025, 12, 18),
    )
    assert result.next == "sale"


# --------------------------------------------------------------------------- asset kinds


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("real_estate", "real_estate"),
        ("vehicle", "movable"),
        ("other", "movable"),
        ("deposit", "other_right"),
        ("equity", "other_right"),
        ("receivable", "other_right"),
    ],
)
def test_property_of_asset_kind(kind, expected):
    assert property_of_asset_kind(kind) == expected


def test_every_asset_kind_has_a_property():
    assert {kind.value for kind in AssetKind} <= {
        "real_estate",
        "vehicle",
        "other",
        "deposit",
        "equity",
        "receivable",
    }
    for kind in AssetKind:
        property_of_asset_kind(kind.value)
    with pytest.raises(ValueError, match="unknown asset kind"):
        property_of_asset_kind("yacht")


# --------------------------------------------------------------------------- the JSON face


def test_json_contract_example():
    item = {
        "id": "flat",
        "property": "real_estate",
        "reference_price": "1000000.00",
        "first_starting_price": "700000.00",
        "first_auction_on": "2025-11-20",
        "failures": [{"round": 1, "on": "2025-11-21"}],
        "second_starting_price": "560000.00",
        "second_auction_on": "2025-12-18",
    }
    output = auction_plan_json(item, calendar=CALENDAR)
    assert list(output) == ["id", "rounds", "next", "problems", "steps"]
    assert output["rounds"] == [
        {
            "round": 1,
            "min_starting_price": "700000.00",
            "starting_price": "700000.00",
            "notice_by": "2025-10-21",
        },
        {
            "round": 2,
            "min_starting_price": "560000.00",
            "starting_price": "560000.00",
            "latest_auction_on": "2025-12-21",
            "latest_auction_on_legal": "2025-12-22",
            "notice_by": "2025-12-03",
        },
    ]
    assert (output["id"], output["next"], output["problems"]) == ("flat", "second_auction", [])
    assert all(set(step) == {"source", "text"} for step in output["steps"])


def test_json_numbers_and_nulls():
    output = auction_plan_json(
        {"property": "movable", "reference_price": 1000, "first_starting_price": None, "failures": None},
        calendar=CALENDAR,
    )
    assert "id" not in output
    assert output["rounds"] == [{"round": 1, "min_starting_price": "700.00", "starting_price": "700.00"}]


@pytest.mark.parametrize(
    ("item", "fields"),
    [
        ({}, ["property", "reference_price"]),
        ({"property": "car", "reference_price": "abc"}, ["property", "reference_price"]),
        ({"property": "movable", "reference_price": "1.001"}, ["reference_price"]),
        ({"property": "movable", "reference_price": True}, ["reference_price"]),
        ({"property": "movable", "reference_price": "-5"}, ["reference_price"]),
        (
            {"property": "movable", "reference_price": "1", "first_auction_on": "2025-13-01"},
            ["first_auction_on"],
        ),
        (
            {"property": "movable", "reference_price": "1", "second_auction_on": "20251201"},
            ["second_auction_on"],
        ),
        (
            {"property": "movable", "reference_price": "1", "first_auction_on": "2100-01-01"},
            ["first_auction_on"],
        ),
        ({"property": "movable", "reference_price": "1", "failures": {"round": 1}}, ["failures"]),
        ({"property": "movable", "reference_price": "1", "failures": ["x"]}, ["failures[0]"]),
        (
            {"property": "movable", "reference_price": "1", "failures": [{"round": True, "on": "2025-1-1"}]},
            ["failures[0].round", "failures[0].on"],
        ),
        (
            {"property": "movable", "reference_price": "1", "failures": [{"round": 2, "on": "2025-11-21"}]},
            ["failures[0].round"],
        ),
        (
            {
                "property": "movable",
                "reference_price": "1",
                "first_auction_on": "2025-11-22",
                "failures": [{"round": 1, "on": "2025-11-21"}],
            },
            ["failures[0].on"],
        ),
    ],
)
def test_json_bad_input_names_every_field(item, fields):
    with pytest.raises(InputProblems) as caught:
        auction_plan_json(item, calendar=CALENDAR)
    assert [problem.field for problem in caught.value.problems] == fields


# --------------------------------------------------------------------------- properties

fen_amounts = st.one_of(st.integers(min_value=1, max_value=1000), st.integers(min_value=1, max_value=10**17))
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@settings(max_examples=300, deadline=None)
@given(reference=fen_amounts, first=st.none() | st.integers(min_value=0, max_value=10**17))
def test_minimums_are_the_smallest_fen_amounts_at_or_above_their_floors(reference, first):
    result = plan(
        reference_price=Decimal(reference).scaleb(-2),
        first_starting_price=None if first is None else Decimal(first).scaleb(-2),
        failures=failed("2025-11-21"),
    )
    first_round, second_round = result.rounds
    floors = [
        (first_round.min_starting_price, reference * 70),  # 100 × the floor in fen, exactly
        (second_round.min_starting_price, int(first_round.starting_price * 100) * 80),
    ]
    for minimum, hundred_times_floor in floors:
        assert minimum == minimum.quantize(D("0.01"))
        minimum_fen = int(minimum * 100)
        assert minimum_fen * 100 >= hundred_times_floor  # never below the floor
        assert (minimum_fen - 1) * 100 < hundred_times_floor  # one fen less would be
    assert ("first_starting_price" in result.problems) == (first is not None and first * 100 < reference * 70)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["real_estate", "movable", "other_right"]), failed_on=days, offset=st.integers(0, 45)
)
def test_the_second_round_deadline(kind, failed_on, offset):
    second_on = failed_on + timedelta(days=offset)
    result = plan(property=kind, failures=(AuctionFailure(1, failed_on),), second_auction_on=second_on)
    second = result.rounds[1]
    assert second.latest_auction_on == failed_on + timedelta(days=30)
    legal = second.latest_auction_on_legal
    assert legal >= second.latest_auction_on and not CALENDAR.is_rest_day(legal)
    days_between = (legal - second.latest_auction_on).days
    assert all(
        CALENDAR.is_rest_day(second.latest_auction_on + timedelta(days=n)) for n in range(days_between)
    )
    notice_days = 7 if kind == "movable" else 15
    assert second.notice_by == second_on - timedelta(days=notice_days)
    late = second_on > legal or second.notice_by < failed_on
    assert result.problems == (("second_auction_on",) if late else ())
