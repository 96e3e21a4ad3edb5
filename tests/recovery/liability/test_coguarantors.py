"""担保解释 13, 29: co-guarantors of one loan, one of them released by his lapsed guarantee period."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.liability.coguarantors import CoGuarantor, co_guarantor_outcomes

D = Decimal


def _g(name: str, exposure: str, *, lapsed: bool = False, recourse: bool = True) -> CoGuarantor:
    return CoGuarantor(name=name, exposure=D(exposure), period_lapsed=lapsed, recourse=recourse)


@pytest.mark.parametrize(
    ("guarantors", "expected"),
    [
        pytest.param(
            [_g("甲", "1000000.00"), _g("乙", "1000000.00")],
            [(False, "1000000.00"), (False, "1000000.00")],
            id="nobody-lapsed-nothing-changes",
        ),
        pytest.param(
            [_g("甲", "1000000.00"), _g("乙", "1000000.00", lapsed=True)],
            [(False, "500000.00"), (True, "0.00")],
            id="two-equal-with-recourse-half-goes",
        ),
        pytest.param(
            [_g("甲", "1000000.00"), _g("乙", "1000000.00"), _g("丙", "1000000.00", lapsed=True)],
            # A third of 1,000,000 is 333,333.333…: we ask for 666,666.66, never the lost fen.
            [(False, "666666.66"), (False, "666666.66"), (True, "0.00")],
            id="three-equal-one-lapsed-rounded-down",
        ),
        pytest.param(
            [_g("甲", "1000000.00", recourse=False), _g("乙", "1000000.00", lapsed=True)],
            [(False, "1000000.00"), (True, "0.00")],
            id="no-recourse-no-reduction",
        ),
        pytest.param(
            [_g("甲", "1000000.00"), _g("乙", "1000000.00", lapsed=True, recourse=False)],
            [(False, "1000000.00"), (True, "0.00")],
            id="the-lapsed-one-had-no-recourse-arrangement",
        ),
        pytest.param(
            # Shares in proportion to what each guaranteed: 300k of 1.2M is a quarter.
            [_g("甲", "900000.00"), _g("乙", "300000.00", lapsed=True)],
            [(False, "675000.00"), (True, "0.00")],
            id="maximum-amount-guarantor-proportional-share",
        ),
        pytest.param(
            [_g("甲", "500000.00", lapsed=True), _g("乙", "500000.00", lapsed=True)],
            [(True, "0.00"), (True, "0.00")],
            id="all-lapsed-all-released",
        ),
    ],
)
def test_who_is_released_and_for_how_much(guarantors, expected):
    outcomes = co_guarantor_outcomes(guarantors)
    assert [(outcome.released, str(outcome.exposure)) for outcome in outcomes] == expected


def test_the_steps_cite_the_articles_and_name_who_took_the_share():
    remaining, released = co_guarantor_outcomes([_g("甲", "1000000.00"), _g("乙", "1000000.00", lapsed=True)])
    assert [step.source for step in released.steps] == ["民法典第693条", "担保解释第29条第1款"]
    assert [step.source for step in remaining.steps] == [
        "担保解释第29条第1款",
        "担保解释第13条",
        "担保解释第29条第2款",
    ]
    assert remaining.released_with == ("乙",)
    assert remaining.reduced_by == D("500000.00")
    assert "500000.00" in remaining.steps[-1].text


def test_without_recourse_the_steps_say_nothing_is_taken_off():
    remaining, _released = co_guarantor_outcomes(
        [_g("甲", "1000000.00", recourse=False), _g("乙", "1000000.00", lapsed=True)]
    )
    assert remaining.reduced_by == D("0.00")
    assert remaining.released_with == ()
    assert "不因此减少" in remaining.steps[-1].text


def test_names_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        co_guarantor_outcomes([_g("甲", "1.00"), _g("甲", "2.00")])


_money = st.decimals(min_value=D("0.01"), max_value=D("99999999.99"), places=2)
_guarantor = st.tuples(_money, st.booleans(), st.booleans())


@given(st.lists(_guarantor, min_size=1, max_size=6))
def test_nobody_is_asked_for_more_than_before_and_the_fen_add_up(rows):
    guarantors = [
        CoGuarantor(name=f"g{i}", exposure=exposure, period_lapsed=lapsed, recourse=recourse)
        for i, (exposure, lapsed, recourse) in enumerate(rows)
    ]
    for before, after in zip(guarantors, co_guarantor_outcomes(guarantors), strict=True):
        assert D("0.00") <= after.exposure <= before.exposure
        assert after.exposure + after.reduced_by == before.exposure
        assert after.exposure == after.exposure.quantize(D("0.01"))
        assert after.released == before.period_lapsed
        if not before.period_lapsed and not (before.recourse and after.released_with):
            assert after.exposure == before.exposure


@given(st.lists(_guarantor, min_size=1, max_size=5), _money)
def test_adding_a_guarantor_who_is_not_released_takes_nothing_off_the_others_without_lapses(rows, extra):
    """Without a lapsed co-guarantor, a new one changes nobody's exposure."""
    guarantors = [
        CoGuarantor(name=f"g{i}", exposure=exposure, period_lapsed=False, recourse=recourse)
        for i, (exposure, _lapsed, recourse) in enumerate(rows)
    ]
    before = [outcome.exposure for outcome in co_guarantor_outcomes(guarantors)]
    more = [*guarantors, CoGuarantor(name="new", exposure=extra, period_lapsed=False, recourse=True)]
    assert [outcome.exposure for outcome in co_guarantor_outcomes(more)][:-1] == before


@pytest.mark.parametrize("recourse", [True, False])
def test_every_step_reads_in_the_readers_language(recourse):
    outcomes = co_guarantor_outcomes(
        [_g("甲", "100.00", recourse=recourse), _g("乙", "100.00", lapsed=True, recourse=recourse)]
    )
    for step in (step for outcome in outcomes for step in outcome.steps):
        assert step.text_en and step.text_en != step.text
        assert step.for_reader("en") == f"{step.text_en} ({step.source})"
        assert step.for_reader("zh-hans") == f"{step.text}（{step.source}）"
