"""The interest calculator (documents.interest), against interest-calculator.md and 法释〔2014〕8号:
table-driven cases, then properties."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from documents.amount_words import amount_in_words
from documents.interest import (
    DelayInterestFacts,
    DelayPayment,
    ExcludedSpan,
    InterestChange,
    InterestFactsError,
    SimpleInterestFacts,
    delay_interest,
    interest_calculate,
    interest_json,
    simple_interest,
)
from recovery.checks.problems import InputProblems

D = Decimal


def rows_of(result):
    return [
        (row.start.isoformat(), row.end.isoformat(), row.days, str(row.base), str(row.interest))
        for row in result.rows
    ]


# --------------------------------------------------------------------------- simple

CONTRACT_SIMPLE = SimpleInterestFacts(
    principal=D("350000.00"),
    annual_rate_percent=D("7.2"),
    start=date(2023, 10, 21),
    end=date(2024, 10, 21),
    day_basis=360,
    changes=(
        InterestChange(date(2024, 3, 15), principal=D("300000.00")),
        InterestChange(date(2024, 7, 22), annual_rate_percent=D("6.9")),
    ),
)


@pytest.mark.parametrize(
    ("facts", "rows", "total"),
    [
        pytest.param(
            CONTRACT_SIMPLE,
            [
                # 350,000 × 7.2% / 360 = 70.00 a day; 300,000 × 7.2% / 360 = 60.00; at 6.9%, 57.50.
                ("2023-10-21", "2024-03-15", 146, "350000.00", "10220.00"),
                ("2024-03-15", "2024-07-22", 129, "300000.00", "7740.00"),
                ("2024-07-22", "2024-10-21", 91, "300000.00", "5232.50"),
            ],
            "23192.50",
            id="contract example: a repayment and a rate reset split the rows there",
        ),
        pytest.param(
            SimpleInterestFacts(D("100000.00"), D("3.65"), date(2024, 1, 1), date(2025, 1, 1), day_basis=365),
            # 2024 is a leap year: 366 days at 10.00 a day on the 365 basis.
            [("2024-01-01", "2025-01-01", 366, "100000.00", "3660.00")],
            "3660.00",
            id="leap year on the 365 basis counts 366 days",
        ),
        pytest.param(
            SimpleInterestFacts(D("100000.00"), D("3.60"), date(2024, 1, 1), date(2025, 1, 1)),
            [("2024-01-01", "2025-01-01", 366, "100000.00", "3660.00")],
            "3660.00",
            id="360 is the default basis: a full year costs more than the annual rate",
        ),
        pytest.param(
            SimpleInterestFacts(D("100000.00"), D("7.2"), date(2024, 2, 28), date(2024, 3, 1)),
            [("2024-02-28", "2024-03-01", 2, "100000.00", "40.00")],
            "40.00",
            id="算头不算尾: from counted, to not (28 and 29 February)",
        ),
        pytest.param(
            SimpleInterestFacts(D("100000.00"), D("7.2"), date(2024, 5, 1), date(2024, 5, 1)),
            [],
            "0.00",
            id="a zero-length span has no row and no interest",
        ),
        pytest.param(
            SimpleInterestFacts(
                D("1000.00"),
                D("4.35"),
                date(2024, 1, 1),
                date(2024, 1, 31),
                changes=(InterestChange(date(2024, 1, 11), annual_rate_percent=D("3.45")),),
            ),
            # 1000 × 4.35% / 360 × 10 = 1.2083… → 1.21; 1000 × 3.45% / 360 × 20 = 1.9166… → 1.92.
            [
                ("2024-01-01", "2024-01-11", 10, "1000.00", "1.21"),
                ("2024-01-11", "2024-01-31", 20, "1000.00", "1.92"),
            ],
            "3.13",
            id="an LPR repricing mid-span; each row rounded, the total is the sum of the rounded rows",
        ),
        pytest.param(
            SimpleInterestFacts(D("100.00"), D("1.8"), date(2024, 1, 1), date(2024, 1, 2)),
            # 100 × 1.8% / 360 = 0.005 exactly: half up to 0.01.
            [("2024-01-01", "2024-01-02", 1, "100.00", "0.01")],
            "0.01",
            id="an exact half fen rounds up",
        ),
        pytest.param(
            SimpleInterestFacts(
                D("500000.00"),
                D("9.75"),
                date(2024, 1, 1),
                date(2024, 4, 1),
                changes=(
                    InterestChange(date(2024, 1, 1), principal=D("400000.00")),
                    InterestChange(date(2024, 2, 1), principal=D("250000.00")),
                    InterestChange(date(2024, 4, 1), principal=D("0.00")),
                ),
            ),
            # Penalty interest (7.5% + 30% mark-up = 9.75%) on overdue principal that repayments lower;
            # a change on `from` replaces the start values, one on `to` adds no row.
            [
                ("2024-01-01", "2024-02-01", 31, "400000.00", "3358.33"),
                ("2024-02-01", "2024-04-01", 60, "250000.00", "4062.50"),
            ],
            "7420.83",
            id="payments reducing the base; changes on from and to make no empty row",
        ),
        pytest.param(
            SimpleInterestFacts(
                D("1000.00"),
                D("3.6"),
                date(2024, 1, 1),
                date(2024, 1, 21),
                changes=(
                    InterestChange(date(2024, 1, 11), principal=D("900.00"), annual_rate_percent=D("7.2")),
                    InterestChange(date(2024, 1, 11), principal=D("800.00")),
                ),
            ),
            # Two changes on one day make one split; the later one's principal wins, the rate stays.
            [
                ("2024-01-01", "2024-01-11", 10, "1000.00", "1.00"),
                ("2024-01-11", "2024-01-21", 10, "800.00", "1.60"),
            ],
            "2.60",
            id="changes on one day: one split, applied in input order",
        ),
    ],
)
def test_simple_interest(facts, rows, total):
    result = simple_interest(facts)
    assert rows_of(result) == rows
    assert str(result.total) == total
    assert result.kind == "simple"


def test_simple_rows_carry_the_rate_and_the_steps_cite_the_articles():
    result = simple_interest(CONTRACT_SIMPLE)
    assert [row.rate for row in result.rows] == [
        "7.2% per year / 360",
        "7.2% per year / 360",
        "6.9% per year / 360",
    ]
    assert result.total_in_words == "贰万叁仟壹佰玖拾贰元伍角整"
    sources = " ".join(step.source for step in result.steps)
    assert "民法典第674条" in sources and "民法典第676条" in sources
    assert "2024年3月15日" in " ".join(step.text for step in result.steps)


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        (SimpleInterestFacts(D("1.00"), D("1"), date(2024, 1, 2), date(2024, 1, 1)), "to"),
        (
            SimpleInterestFacts(
                D("1.00"),
                D("1"),
                date(2024, 1, 1),
                date(2024, 2, 1),
                changes=(InterestChange(date(2023, 12, 31), D("1")),),
            ),
            "changes[0].on",
        ),
        (
            SimpleInterestFacts(
                D("1.00"),
                D("1"),
                date(2024, 1, 1),
                date(2024, 2, 1),
                changes=(InterestChange(date(2024, 1, 5), D("1")), InterestChange(date(2024, 2, 2), D("1"))),
            ),
            "changes[1].on",
        ),
        (
            SimpleInterestFacts(
                D("1.00"),
                D("1"),
                date(2024, 1, 1),
                date(2024, 2, 1),
                changes=(InterestChange(date(2024, 1, 5), D("-1")),),
            ),
            "changes[0].principal",
        ),
        (SimpleInterestFacts(D("-1.00"), D("1"), date(2024, 1, 1), date(2024, 2, 1)), "principal"),
        (SimpleInterestFacts(D("1.001"), D("1"), date(2024, 1, 1), date(2024, 2, 1)), "principal"),
        (
            SimpleInterestFacts(D("1.00"), D("-0.5"), date(2024, 1, 1), date(2024, 2, 1)),
            "annual_rate_percent",
        ),
        (
            SimpleInterestFacts(D("1.00"), D("1"), date(2024, 1, 1), date(2024, 2, 1), day_basis=366),
            "day_basis",
        ),
        (
            SimpleInterestFacts(
                D("1.00"),
                D("1"),
                date(2024, 1, 1),
                date(2024, 2, 1),
                changes=(InterestChange(date(2024, 1, 5)),),
            ),
            "changes[0]",
        ),
        (
            SimpleInterestFacts(D("9999999999999999.99"), D("1000"), date(1949, 10, 1), date(2099, 12, 31)),
            "principal",
        ),
    ],
)
def test_simple_facts_that_cannot_be_true_name_their_field(facts, field):
    with pytest.raises(InterestFactsError) as raised:
        simple_interest(facts)
    assert raised.value.field == field


# --------------------------------------------------------------------------- delay

CONTRACT_DELAY = DelayInterestFacts(
    base=D("1200000.00"),
    period_end=date(2023, 12, 31),
    performed_on=date(2025, 6, 30),
    payments=(DelayPayment(date(2024, 5, 20), D("200000.00")),),
    excluded=(ExcludedSpan(date(2024, 4, 1), date(2024, 6, 30)),),
)


@pytest.mark.parametrize(
    ("facts", "rows", "total"),
    [
        pytest.param(
            CONTRACT_DELAY,
            [
                # 1,200,000 × 0.0175% = 210.00 a day; 1,000,000 × 0.0175% = 175.00 a day. The
                # exclusion (April–June 2024) removes 1 April – 20 May from the first row and
                # 21 May – 30 June from the second.
                ("2024-01-01", "2024-03-31", 91, "1200000.00", "19110.00"),
                ("2024-07-01", "2025-06-30", 365, "1000000.00", "63875.00"),
            ],
            "82985.00",
            id="contract example input, with its excluded span",
        ),
        pytest.param(
            DelayInterestFacts(
                D("1200000.00"),
                date(2023, 12, 31),
                date(2025, 6, 30),
                payments=(DelayPayment(date(2024, 5, 20), D("200000.00")),),
            ),
            # The contract's printed first row (141 days, 29,610.00) is this input's: no exclusion.
            [
                ("2024-01-01", "2024-05-20", 141, "1200000.00", "29610.00"),
                ("2024-05-21", "2025-06-30", 406, "1000000.00", "71050.00"),
            ],
            "100660.00",
            id="contract example without the exclusion: the printed first row",
        ),
        pytest.param(
            DelayInterestFacts(D("100000.00"), date(2024, 2, 28), date(2024, 3, 1)),
            # Doubling runs from the day after the performance deadline: 29 Feb and 1 Mar.
            [("2024-02-29", "2024-03-01", 2, "100000.00", "35.00")],
            "35.00",
            id="from the day after period_end (not counted) to `to` (counted)",
        ),
        pytest.param(
            DelayInterestFacts(D("100000.00"), date(2024, 3, 1), date(2024, 3, 1)),
            [],
            "0.00",
            id="performed on the last day of the period: no delay",
        ),
        pytest.param(
            DelayInterestFacts(D("1000.00"), date(2024, 1, 1), date(2024, 1, 4)),
            # 1000 × 0.000175 × 3 = 0.525 → 0.53 (half up).
            [("2024-01-02", "2024-01-04", 3, "1000.00", "0.53")],
            "0.53",
            id="rounded half up to the fen",
        ),
        pytest.param(
            DelayInterestFacts(
                D("100000.00"),
                date(2024, 1, 1),
                date(2024, 1, 31),
                payments=(
                    DelayPayment(date(2024, 1, 10), D("40000.00")),
                    DelayPayment(date(2024, 1, 31), D("60000.00")),
                ),
                excluded=(
                    ExcludedSpan(date(2024, 1, 5), date(2024, 1, 6)),
                    ExcludedSpan(date(2024, 1, 6), date(2024, 1, 7)),
                    ExcludedSpan(date(2023, 12, 1), date(2024, 1, 2)),
                ),
            ),
            # Exclusions overlap (5–7 Jan counted once) and one starts before the period (only
            # 2 Jan is inside). Row 1: 3–10 Jan less 5–7 = 5 days at 17.50; row 2: 11–31 Jan,
            # 21 days at 10.50; the last payment on `to` adds no row.
            [
                ("2024-01-03", "2024-01-10", 5, "100000.00", "87.50"),
                ("2024-01-11", "2024-01-31", 21, "60000.00", "220.50"),
            ],
            "308.00",
            id="payments and overlapping exclusions",
        ),
        pytest.param(
            DelayInterestFacts(
                D("100000.00"),
                date(2024, 1, 1),
                date(2024, 1, 31),
                payments=(DelayPayment(date(2024, 1, 10), D("40000.00")),),
                excluded=(ExcludedSpan(date(2024, 1, 2), date(2024, 1, 15)),),
            ),
            # Every day up to the payment is excluded: that span has no counted day, no row.
            [("2024-01-16", "2024-01-31", 16, "60000.00", "168.00")],
            "168.00",
            id="a span wholly excluded has no row",
        ),
    ],
)
def test_delay_interest(facts, rows, total):
    result = delay_interest(facts)
    assert rows_of(result) == rows
    assert str(result.total) == total
    assert {row.rate for row in result.rows} <= {"0.0175% per day"}


def test_delay_steps_cite_the_interpretation():
    result = delay_interest(CONTRACT_DELAY)
    sources = [step.source for step in result.steps]
    assert "民事诉讼法第264条" in sources
    assert "法释〔2014〕8号第2条" in sources
    assert "法释〔2014〕8号第3条第3款" in sources
    assert result.total_in_words == "捌万贰仟玖佰捌拾伍元整"


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        (DelayInterestFacts(D("1.00"), date(2024, 1, 2), date(2024, 1, 1)), "to"),
        (
            DelayInterestFacts(
                D("1.00"),
                date(2024, 1, 1),
                date(2024, 2, 1),
                payments=(DelayPayment(date(2024, 1, 1), D("1.00")),),
            ),
            "payments[0].on",
        ),
        (
            DelayInterestFacts(
                D("1.00"),
                date(2024, 1, 1),
                date(2024, 2, 1),
                payments=(DelayPayment(date(2024, 2, 2), D("1.00")),),
            ),
            "payments[0].on",
        ),
        (
            DelayInterestFacts(
                D("100.00"),
                date(2024, 1, 1),
                date(2024, 2, 1),
                payments=(
                    DelayPayment(date(2024, 1, 20), D("60.00")),
                    DelayPayment(date(2024, 1, 10), D("50.00")),
                ),
            ),
            "payments[0].amount",
        ),
        (
            DelayInterestFacts(
                D("1.00"),
                date(2024, 1, 1),
                date(2024, 2, 1),
                excluded=(ExcludedSpan(date(2024, 1, 9), date(2024, 1, 8)),),
            ),
            "excluded[0].to",
        ),
        (DelayInterestFacts(D("-1.00"), date(2024, 1, 1), date(2024, 2, 1)), "base"),
    ],
)
def test_delay_facts_that_cannot_be_true_name_their_field(facts, field):
    with pytest.raises(InterestFactsError) as raised:
        delay_interest(facts)
    assert raised.value.field == field


def test_interest_calculate_dispatches_on_the_facts():
    assert interest_calculate(CONTRACT_SIMPLE).kind == "simple"
    assert interest_calculate(CONTRACT_DELAY).kind == "delay"


# --------------------------------------------------------------------------- the JSON face


def test_json_object_in_the_contract_shape():
    output = interest_json(
        {
            "id": "judgment",
            "kind": "delay",
            "base": "1200000.00",
            "period_end": "2023-12-31",
            "to": "2025-06-30",
            "payments": [{"on": "2024-05-20", "amount": "200000.00"}],
        }
    )
    assert list(output) == ["id", "kind", "rows", "total", "total_in_words", "steps"]
    assert output["rows"][0] == {
        "from": "2024-01-01",
        "to": "2024-05-20",
        "days": 141,
        "base": "1200000.00",
        "rate": "0.0175% per day",
        "interest": "29610.00",
    }
    assert (output["total"], output["total_in_words"]) == ("100660.00", "壹拾万零陆佰陆拾元整")
    assert all(set(step) == {"source", "text"} for step in output["steps"])


@pytest.mark.parametrize(
    ("item", "fields"),
    [
        ({"kind": "compound"}, ["kind"]),
        ({}, ["kind"]),
        ({"kind": "simple"}, ["principal", "annual_rate_percent", "from", "to"]),
        (
            {
                "kind": "simple",
                "principal": "1,000",
                "annual_rate_percent": "7%",
                "from": "2024-02-30",
                "to": "2024/03/01",
            },
            ["principal", "annual_rate_percent", "from", "to"],
        ),
        (
            {
                "kind": "simple",
                "principal": "1",
                "annual_rate_percent": "0.123456789",
                "from": "2024-01-01",
                "to": "2024-01-02",
            },
            ["annual_rate_percent"],
        ),
        (
            {
                "kind": "simple",
                "principal": "1",
                "annual_rate_percent": 1,
                "from": "2024-01-01",
                "to": "2024-01-02",
                "day_basis": 366,
                "changes": [{"on": "2024-01-01"}, "x", {"on": "1", "principal": True}],
            },
            ["day_basis", "changes[0]", "changes[1]", "changes[2].on", "changes[2].principal"],
        ),
        (
            {
                "kind": "simple",
                "principal": 1,
                "annual_rate_percent": 1,
                "from": "2024-01-01",
                "to": "2024-01-02",
                "changes": {},
            },
            ["changes"],
        ),
        (
            {
                "kind": "delay",
                "base": None,
                "period_end": "2023-12-31",
                "to": "2024-01-31",
                "payments": [{"on": "2024-01-05"}],
                "excluded": [{"from": "2024-01-05", "to": 3}],
            },
            ["base", "payments[0].amount", "excluded[0].to"],
        ),
        ({"kind": "delay", "base": "1.00", "period_end": "2023-12-31", "to": "1900-01-01"}, ["to"]),
        ({"kind": "delay", "base": "1e5", "period_end": "2023-12-31", "to": "2024-01-01"}, ["base"]),
    ],
)
def test_malformed_input_names_every_field(item, fields):
    with pytest.raises(InputProblems) as raised:
        interest_json(item)
    assert [problem.field for problem in raised.value.problems] == fields


def test_inconsistent_input_becomes_an_input_problem():
    with pytest.raises(InputProblems) as raised:
        interest_json({"kind": "delay", "base": "10.00", "period_end": "2024-01-01", "to": "2023-12-31"})
    assert [problem.field for problem in raised.value.problems] == ["to"]


# --------------------------------------------------------------------------- amount in words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # amount-in-words.md's examples and rules.
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.5", "伍角整"),
        ("10.5", "壹拾元零伍角整"),
        ("1001", "壹仟零壹元整"),
        ("60036000.5", "陆仟零叁万陆仟元零伍角整"),
        ("1234567890.12", "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分"),
        ("10", "壹拾元整"),
        ("100000", "壹拾万元整"),
        ("110", "壹佰壹拾元整"),
        ("200700", "贰拾万零柒佰元整"),
        ("105000000", "壹亿零伍佰万元整"),
        ("100007000", "壹亿零柒仟元整"),
        ("107000", "壹拾万柒仟元整"),
        ("103453", "壹拾万叁仟肆佰伍拾叁元整"),
        ("1.50", "壹元伍角整"),
        ("100.05", "壹佰元零伍分"),
        ("1000.10", "壹仟元零壹角整"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("1000000000000", "壹万亿元整"),
        ("9999999999999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(D(amount)) == words


@pytest.mark.parametrize("amount", ["-1", "0.001", "10000000000000000"])
def test_amount_in_words_refuses(amount):
    with pytest.raises(ValueError):
        amount_in_words(D(amount))


# --------------------------------------------------------------------------- properties

DAY0 = date(2000, 1, 1)
money = st.integers(min_value=0, max_value=10**12).map(lambda fen: Decimal(fen).scaleb(-2))
rates = st.integers(min_value=0, max_value=100_000).map(lambda hundredths: Decimal(hundredths).scaleb(-4))
offsets = st.integers(min_value=0, max_value=20_000)
bases = st.sampled_from([360, 365])


def simple(principal, rate, start, days, basis, changes=()):
    return simple_interest(
        SimpleInterestFacts(
            principal, rate, DAY0 + timedelta(start), DAY0 + timedelta(start + days), basis, changes
        )
    )


@given(money, rates, offsets, offsets, bases, st.data())
def test_simple_is_additive_over_split_spans(principal, rate, start, days, basis, data):
    split = data.draw(st.integers(min_value=0, max_value=days))
    whole = simple(principal, rate, start, days, basis)
    first = simple(principal, rate, start, split, basis)
    second = simple(principal, rate, start + split, days - split, basis)
    # A change that keeps the values splits the row there, and nowhere else.
    same = InterestChange(DAY0 + timedelta(start + split), principal=principal)
    split_result = simple(principal, rate, start, days, basis, (same,))
    assert sum(row.days for row in split_result.rows) == days
    assert split_result.total == first.total + second.total
    # Each row is rounded on its own: at most half a fen apart per row.
    assert abs(whole.total - split_result.total) <= D("0.01")


@given(money, rates, rates, offsets, offsets, bases)
def test_simple_is_monotonic_in_rate_and_time_and_never_negative(
    principal, rate_a, rate_b, days_a, days_b, basis
):
    low_rate, high_rate = sorted((rate_a, rate_b))
    short, long = sorted((days_a, days_b))
    assert (
        simple(principal, low_rate, 0, long, basis).total
        <= simple(principal, high_rate, 0, long, basis).total
    )
    assert (
        simple(principal, high_rate, 0, short, basis).total
        <= simple(principal, high_rate, 0, long, basis).total
    )
    assert simple(principal, low_rate, 0, short, basis).total >= 0


@given(money, offsets, st.data())
def test_delay_is_additive_over_split_spans_and_monotonic(base, days, data):
    split = data.draw(st.integers(min_value=0, max_value=days))
    end = DAY0 + timedelta(days)
    whole = delay_interest(DelayInterestFacts(base, DAY0, end))
    if split:  # a payment of nothing splits the row at its day and changes nothing else
        split_at = DAY0 + timedelta(split)
        split_result = delay_interest(
            DelayInterestFacts(base, DAY0, end, payments=(DelayPayment(split_at, D("0")),))
        )
        assert sum(row.days for row in split_result.rows) == days
        assert abs(whole.total - split_result.total) <= D("0.01")
    shorter = delay_interest(DelayInterestFacts(base, DAY0, DAY0 + timedelta(split)))
    assert D(0) <= shorter.total <= whole.total


@given(money, offsets, offsets, offsets)
def test_exclusions_and_payments_only_lower_the_delay_interest(base, days, excluded_start, excluded_length):
    end = DAY0 + timedelta(days)
    plain = delay_interest(DelayInterestFacts(base, DAY0, end))
    span = ExcludedSpan(DAY0 + timedelta(excluded_start), DAY0 + timedelta(excluded_start + excluded_length))
    excluded = delay_interest(DelayInterestFacts(base, DAY0, end, excluded=(span,)))
    assert D(0) <= excluded.total <= plain.total
    counted = sum(row.days for row in excluded.rows)
    overlap = max(0, (min(span.last, end) - max(span.first, DAY0 + timedelta(1))).days + 1)
    assert counted == days - overlap
    if days:
        paid = delay_interest(DelayInterestFacts(base, DAY0, end, payments=(DelayPayment(end, base),)))
        assert paid.total == plain.total  # a payment on `to` still bears interest up to its day
        early = delay_interest(
            DelayInterestFacts(base, DAY0, end, payments=(DelayPayment(DAY0 + timedelta(1), base),))
        )
        assert D(0) <= early.total <= plain.total
