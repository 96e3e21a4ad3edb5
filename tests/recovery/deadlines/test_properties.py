"""Properties that must hold for any facts, checked with Hypothesis."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.deadlines import Event, EventKind, compute_deadline
from recovery.deadlines.rules import RULES

AS_OF = date(2025, 6, 15)
BACKWARD_RULES = {
    "preservation_renewal",
    "auction_notice_real_estate",
    "auction_notice_movable",
    "reauction_notice_real_estate",
    "reauction_notice_movable",
}
SAME_DAY_RULES = {"preservation_expiry"}  # the printed date itself, never moved
FORWARD_RULES = sorted(set(RULES) - BACKWARD_RULES - SAME_DAY_RULES)
INTERRUPTIONS = [
    EventKind.DEMAND_DELIVERED,
    EventKind.ANNOUNCEMENT,
    EventKind.ACCOUNT_DEBIT,
    EventKind.PARTIAL_PAYMENT,
    EventKind.DEBTOR_ACKNOWLEDGED,
]

triggers = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
offsets = st.integers(min_value=-100, max_value=4000)


@st.composite
def claims(draw, kinds=tuple(EventKind)):
    trigger = draw(triggers)
    pairs = draw(st.lists(st.tuples(st.sampled_from(kinds), offsets), max_size=6))
    return trigger, [Event(kind, trigger + timedelta(days=offset)) for kind, offset in pairs]


@settings(max_examples=300, deadline=None)
@given(rule=st.sampled_from(FORWARD_RULES), claim=claims(), months=st.integers(1, 36))
def test_forward_periods_order_the_three_dates(rule, claim, months):
    trigger, events = claim
    result = compute_deadline(rule, trigger, events, as_of=AS_OF, months=months)
    if result.raw_end is not None:
        assert result.safe_end <= result.raw_end <= result.legal_end
        assert result.raw_end > trigger


@settings(max_examples=200, deadline=None)
@given(rule=st.sampled_from(sorted(BACKWARD_RULES)), trigger=triggers)
def test_backward_deadlines_roll_back(rule, trigger):
    result = compute_deadline(rule, trigger, [], as_of=AS_OF)
    assert result.legal_end == result.safe_end <= result.raw_end < trigger


@settings(max_examples=200, deadline=None)
@given(rule=st.sampled_from(sorted(SAME_DAY_RULES)), trigger=triggers)
def test_same_day_deadlines_never_move(rule, trigger):
    result = compute_deadline(rule, trigger, [], as_of=AS_OF)
    assert result.safe_end <= result.raw_end == result.legal_end == trigger


@settings(max_examples=400, deadline=None)
@given(
    claim=claims(),
    extra_kind=st.sampled_from(INTERRUPTIONS),
    extra_offset=st.integers(min_value=1, max_value=4000),
)
def test_an_interruption_never_ends_a_limitation_earlier(claim, extra_kind, extra_offset):
    trigger, events = claim
    before = compute_deadline("limitation", trigger, events, as_of=AS_OF)
    extra = Event(extra_kind, trigger + timedelta(days=extra_offset))
    after = compute_deadline("limitation", trigger, [*events, extra], as_of=AS_OF)
    if before.raw_end is not None and after.raw_end is not None:
        assert after.raw_end >= before.raw_end
        assert after.legal_end >= before.legal_end


@settings(max_examples=300, deadline=None)
@given(
    claim=claims(kinds=(*INTERRUPTIONS, EventKind.SUIT_FILED, EventKind.PROCEEDINGS_ENDED)),
    extra_kind=st.sampled_from(INTERRUPTIONS),
    extra_offset=st.integers(min_value=1, max_value=3000),
)
def test_an_interruption_never_ends_an_enforcement_period_earlier(claim, extra_kind, extra_offset):
    trigger, events = claim
    before = compute_deadline("enforcement", trigger, events, as_of=AS_OF)
    extra = Event(extra_kind, trigger + timedelta(days=extra_offset))
    after = compute_deadline("enforcement", trigger, [*events, extra], as_of=AS_OF)
    if before.raw_end is not None and after.raw_end is not None:
        assert after.raw_end >= before.raw_end


@settings(max_examples=400, deadline=None)
@given(
    rule=st.sampled_from(["limitation", "enforcement"]),
    claim=claims(),
    late_kind=st.sampled_from(list(EventKind)),
    days_late=st.integers(min_value=1, max_value=2000),
)
def test_an_event_after_expiry_never_changes_the_dates(rule, claim, late_kind, days_late):
    trigger, events = claim
    before = compute_deadline(rule, trigger, events, as_of=AS_OF)
    if before.legal_end is None:
        return
    late = Event(late_kind, before.legal_end + timedelta(days=days_late))
    after = compute_deadline(rule, trigger, [*events, late], as_of=AS_OF)
    assert (after.raw_end, after.legal_end, after.safe_end) == (
        before.raw_end,
        before.legal_end,
        before.safe_end,
    )
    assert after.status == before.status
    assert len(after.steps) == len(before.steps) + 1  # the late event is explained, nothing else


@settings(max_examples=200, deadline=None)
@given(claim=claims(), as_of=triggers)
def test_status_matches_legal_end(claim, as_of):
    trigger, events = claim
    result = compute_deadline("limitation", trigger, events, as_of=as_of)
    if result.legal_end is not None:
        assert (result.status == "expired") is (as_of > result.legal_end)
