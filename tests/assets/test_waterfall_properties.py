"""Properties of the waterfall that hold for any facts (Hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from assets.waterfall import (
    Claim,
    ClaimKind,
    DebtorType,
    SeizureStatus,
    WaterfallInputError,
    distribute,
    split_pro_rata,
    waterfall_json,
)

# A handful of dates, so that same-day ties (pro rata) are common.
dates = st.integers(min_value=0, max_value=6).map(
    lambda months: date(2020, 1, 1) + timedelta(days=30 * months)
)
fen_amounts = st.one_of(
    st.integers(min_value=0, max_value=1000),  # small: rounding to the fen matters
    st.integers(min_value=0, max_value=10**15),  # up to 10 trillion yuan
)


def yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


@st.composite
def claims(draw):
    kind = draw(st.sampled_from(list(ClaimKind)))
    return Claim(
        kind=kind,
        amount=yuan(draw(fen_amounts)),
        creditor=draw(st.sampled_from(["A", "B", "C", "甲", "乙", None])),
        registered_on=draw(st.none() | dates) if kind in (ClaimKind.MORTGAGE, ClaimKind.PLEDGE) else None,
        seized_on=draw(dates) if kind is ClaimKind.SEIZURE else None,
        status=draw(st.sampled_from(list(SeizureStatus)))
        if kind is ClaimKind.SEIZURE
        else SeizureStatus.ACTIVE,
    )


facts = st.fixed_dictionaries(
    {
        "debtor_type": st.sampled_from(list(DebtorType)),
        "proceeds": fen_amounts.map(yuan),
        "costs": fen_amounts.map(yuan),
        "claims": st.lists(claims(), max_size=12),
    }
)


@settings(max_examples=400, deadline=None)
@given(facts)
def test_money_is_conserved_and_bounded(arguments):
    result = distribute(**arguments)
    paid = [allocation.paid for allocation in result.allocations]
    assert sum(paid) + result.costs_paid + result.surplus == arguments["proceeds"]
    assert result.costs_paid == min(arguments["costs"], arguments["proceeds"])
    for allocation in result.allocations:
        assert Decimal(0) <= allocation.paid <= allocation.claim.amount
        assert allocation.paid.as_tuple().exponent == -2
        assert allocation.shortfall == allocation.claim.amount - allocation.paid
    for total in (result.costs_paid, result.surplus):
        assert total >= 0 and total.as_tuple().exponent == -2
    # Surplus only when every creditor that can be paid from this asset is paid in full.
    if result.surplus:
        assert all(a.paid == a.claim.amount for a in result.allocations if a.rank is not None)


@settings(max_examples=300, deadline=None)
@given(facts)
def test_every_claim_once_ranks_ascending_unranked_last(arguments):
    result = distribute(**arguments)
    assert sorted(map(id, (a.claim for a in result.allocations))) == sorted(map(id, arguments["claims"]))
    ranks = [allocation.rank for allocation in result.allocations]
    ranked = [rank for rank in ranks if rank is not None]
    assert ranks == ranked + [None] * (len(ranks) - len(ranked))
    assert ranked == sorted(ranked)
    assert sorted(set(ranked)) == list(range(1, len(set(ranked)) + 1))
    # A later rank is paid only after every earlier rank is paid in full.
    by_rank: dict[int, list] = {}
    for allocation in result.allocations:
        if allocation.rank is not None:
            by_rank.setdefault(allocation.rank, []).append(allocation)
    for rank in by_rank:
        if any(a.paid for a in by_rank[rank]):
            for earlier in range(1, rank):
                assert all(a.paid == a.claim.amount for a in by_rank[earlier])
    if arguments["debtor_type"] is DebtorType.LEGAL_PERSON:
        for allocation in result.allocations:
            takes_nothing = allocation.claim.kind is ClaimKind.TITLE_ONLY or (
                allocation.claim.kind is ClaimKind.SEIZURE
                and allocation.claim.status is not SeizureStatus.ACTIVE
            )
            assert (allocation.rank is None) == takes_nothing
            if takes_nothing:
                assert allocation.paid == 0
    else:
        assert None not in ranks


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.lists(fen_amounts, max_size=15))
def test_split_is_exact_capped_and_proportional(available, amounts):
    shares = split_pro_rata(available, amounts)
    total = sum(amounts)
    assert sum(shares) == min(available, total)
    for share, amount in zip(shares, amounts, strict=True):
        assert 0 <= share <= amount
        if total:
            # Never more than one fen away from the exact proportional share.
            exact_times_total = min(available, total) * amount
            assert abs(share * total - exact_times_total) < total


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(
        ["legal_person", "natural_person", "seizure", "mortgage", "lapsed", "2024-05-06", "1.00"]
    ),
)
json_claims = st.dictionaries(
    st.sampled_from(["creditor", "kind", "amount", "registered_on", "seized_on", "status"]),
    json_scalars,
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "debtor_type", "proceeds", "costs", "claims"]),
        json_scalars | st.lists(json_claims | json_scalars, max_size=4),
    )
)
def test_any_json_gives_an_output_or_input_problems_never_a_crash(item):
    try:
        output = waterfall_json(item)
    except WaterfallInputError as exc:
        assert exc.problems and all(field and message for field, message in exc.problems)
    else:
        assert set(output) - {"id"} == {"costs_paid", "surplus", "allocations", "steps"}
