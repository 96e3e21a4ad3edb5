"""The waterfall on an asset's recorded encumbrances (law.md §3.7, §4.4–4.6): which claims are
built from its security interests and measures, which are ours, and what we may expect."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.models import Asset, MeasureStatus, PreservationMeasure, SecurityInterest
from assets.selectors import case_expected_recovery
from assets.services import (
    asset_waterfall,
    measure_end,
    security_interest_record,
    security_interest_update,
)
from assets.waterfall import DebtorType
from recovery.services import RecoveryError
from tests.assets.preservation_helpers import at, company_case, make_asset, make_measure

Y = Decimal


@pytest.fixture
def legal_case(make_case, staff):
    return company_case(make_case, assignee=staff["lawyer"])


@pytest.fixture
def building(legal_case, staff):
    return make_asset(legal_case, user=staff["lawyer"], value="3000000.00")


def interest(
    asset, *, creditor="甲银行", kind="mortgage", amount="1200000.00", registered="2019-05-01", **fields
):
    return security_interest_record(
        interest=SecurityInterest(
            asset=asset,
            kind=kind,
            creditor=creditor,
            secured_amount=Y(amount),
            registered_on=date.fromisoformat(registered) if registered else None,
            **fields,
        ),
        user=None,
    )


def paid_by_creditor(result) -> dict[str, Decimal]:
    return {allocation.claim.creditor: allocation.paid for allocation in result.distribution.allocations}


def test_claims_come_from_the_recorded_encumbrances(building):
    mortgage = interest(building)
    ours = make_measure(building, registered="2024-05-06", claim="800000.00")
    lapsed = make_measure(
        building, registered="2024-07-01", ours=False, applicant="丙公司", claim="500000.00"
    )
    measure_end(measure=lapsed, status=MeasureStatus.LAPSED, ended_on=date(2025, 7, 1), reason="", user=None)
    unknown = make_measure(building, registered="2024-08-01", ours=False, applicant="丁", claim=None)

    result = asset_waterfall(asset=building, costs=Y("50000.00"))
    assert result.debtor_type is DebtorType.LEGAL_PERSON
    assert result.proceeds == Y("3000000.00") and result.proceeds_estimated
    claims = {allocation.claim.creditor: allocation.claim for allocation in result.distribution.allocations}
    assert claims["甲银行"].kind == "mortgage" and claims["甲银行"].registered_on == date(2019, 5, 1)
    assert claims["我行"].kind == "seizure" and claims["我行"].seized_on == date(2024, 5, 6)
    assert claims["丙公司"].status == "lapsed"
    assert "丁" not in claims and result.unknown_amounts == (unknown,)
    assert any("丁" in note for note in result.notes)

    assert result.distribution.costs_paid == Y("50000.00")
    assert paid_by_creditor(result) == {
        "甲银行": Y("1200000.00"),
        "我行": Y("800000.00"),
        "丙公司": Y("0.00"),
    }
    assert result.distribution.surplus == Y("950000.00")
    assert [allocation.rank for allocation in result.distribution.allocations] == [1, 2, None]
    assert result.sources == (mortgage, PreservationMeasure.objects.get(pk=ours.pk), lapsed)
    assert result.ours == (False, True, False)
    assert (result.expected_for_us, result.our_claims, result.our_shortfall) == (
        Y("800000.00"),
        Y("800000.00"),
        Y("0.00"),
    )
    output = result.as_json()
    assert [item["ours"] for item in output["allocations"]] == [False, True, False]
    assert output["expected_for_us"] == "800000.00" and output["debtor_type"] == "legal_person"


def test_a_lifted_first_seizure_loses_its_rank_and_ours_moves_up(building):
    theirs = make_measure(building, registered="2024-05-06", ours=False, applicant="乙", claim="1000000.00")
    make_measure(building, registered="2024-07-01", claim="1000000.00")
    before = asset_waterfall(asset=building, proceeds=Y("1200000.00"))
    assert paid_by_creditor(before) == {"乙": Y("1000000.00"), "我行": Y("200000.00")}
    assert before.expected_for_us == Y("200000.00") and before.our_shortfall == Y("800000.00")
    measure_end(measure=theirs, status=MeasureStatus.LIFTED, ended_on=date(2025, 1, 5), reason="", user=None)
    after = asset_waterfall(asset=building, proceeds=Y("1200000.00"))
    assert paid_by_creditor(after) == {"我行": Y("1000000.00"), "乙": Y("0.00")}
    assert any(step.source == "查扣冻规定第26条" for step in after.distribution.steps)


def test_seizure_dates_are_shanghai_days(building):
    # 07:30 in Shanghai is still the previous day in UTC: by UTC day the two would share pro rata.
    make_measure(building, registered=at("2024-07-01", "07:30"), claim="500000.00")
    make_measure(
        building, registered=at("2024-06-30", "20:00"), ours=False, applicant="乙", claim="500000.00"
    )
    result = asset_waterfall(asset=building, proceeds=Y("500000.00"))
    assert paid_by_creditor(result) == {"乙": Y("500000.00"), "我行": Y("0.00")}


def test_an_unregistered_mortgage_ranks_after_the_registered_ones(building):
    ours = interest(building, creditor="我行", amount="500000.00", registered=None, ours=True)
    interest(building, creditor="乙银行", amount="600000.00", registered="2020-03-01")
    result = asset_waterfall(asset=building, proceeds=Y("800000.00"))
    assert paid_by_creditor(result) == {"乙银行": Y("600000.00"), "我行": Y("200000.00")}
    assert result.sources[-1] == ours and result.ours == (False, True)
    assert (result.expected_for_us, result.our_shortfall) == (Y("200000.00"), Y("300000.00"))
    # Registering it (earlier than the other) puts it first.
    ours.registered_on = date(2019, 1, 1)
    security_interest_update(interest=ours, user=None)
    assert paid_by_creditor(asset_waterfall(asset=building, proceeds=Y("800000.00")))["我行"] == Y(
        "500000.00"
    )


def test_a_natural_persons_creditors_share_pro_rata(make_case, staff):
    case = make_case(assignee=staff["lawyer"])  # the debtor is a person
    flat = make_asset(case, value="600000.00")
    make_measure(flat, registered="2024-05-06", claim="600000.00")
    make_measure(flat, registered="2024-07-01", ours=False, applicant="乙", claim="300000.00")
    result = asset_waterfall(asset=flat)
    assert result.debtor_type is DebtorType.NATURAL_PERSON
    assert paid_by_creditor(result) == {"我行": Y("400000.00"), "乙": Y("200000.00")}


def test_a_maximum_amount_mortgage_is_noted(building):
    interest(building, maximum_amount=True)
    result = asset_waterfall(asset=building)
    assert any("查扣冻规定第25条" in note for note in result.notes)


def test_proceeds_are_required_and_in_fen(legal_case):
    unvalued = make_asset(legal_case)
    with pytest.raises(RecoveryError) as error:
        asset_waterfall(asset=unvalued)
    assert error.value.field == "proceeds"
    for proceeds, field in ((Y("1.005"), "proceeds"), (Y("-1"), "proceeds")):
        with pytest.raises(RecoveryError) as error:
            asset_waterfall(asset=unvalued, proceeds=proceeds)
        assert error.value.field == field
    with pytest.raises(RecoveryError) as error:
        asset_waterfall(asset=unvalued, proceeds=Y("100"), costs=Y("0.001"))
    assert error.value.field == "costs"


def test_a_security_interest_secures_only_a_loan_of_its_case(building, make_case):
    other_loan = make_case().loans.get()
    with pytest.raises(RecoveryError) as error:
        interest(building, ours=True, loan=other_loan)
    assert error.value.field == "loan"
    own = interest(building, ours=True, loan=building.case.loans.get())
    assert own.pk


def test_our_expected_recovery_is_summed_over_the_case(legal_case):
    loan = legal_case.loans.get()
    assert loan.total_outstanding == Y("80000.00")
    first = make_asset(legal_case, value="100000.00")
    interest(first, creditor="乙银行", amount="50000.00")
    make_measure(first, registered="2024-05-06", claim="80000.00")
    second = make_asset(legal_case, description="沪A12345 车辆", kind="vehicle", value="20000.00")
    make_measure(second, registered="2024-05-06", claim="80000.00")
    unvalued = make_asset(legal_case, description="某公司股权", kind="equity")

    recovery = case_expected_recovery(case=legal_case)
    assert [waterfall.asset for waterfall in recovery.assets] == [first, second]
    assert recovery.not_valued == (unvalued,)
    assert [waterfall.expected_for_us for waterfall in recovery.assets] == [Y("50000.00"), Y("20000.00")]
    assert recovery.expected_for_us == Y("70000.00")
    assert recovery.outstanding == Y("80000.00") and recovery.shortfall == Y("10000.00")
    assert not recovery.exceeds_outstanding and recovery.problems == ()


# --- the property: every fen of the proceeds is accounted for ------------------------------

money = st.integers(min_value=1, max_value=10**10).map(lambda fen: Decimal(fen) / 100)
days = st.integers(min_value=0, max_value=2000).map(lambda offset: date(2019, 1, 1) + timedelta(days=offset))
interests = st.lists(
    st.tuples(st.sampled_from(["mortgage", "pledge"]), money, st.none() | days, st.booleans()), max_size=5
)
measures = st.lists(
    st.tuples(
        st.none() | money,
        st.integers(min_value=0, max_value=2000 * 24),
        st.sampled_from(list(MeasureStatus)),
        st.booleans(),
    ),
    max_size=6,
)


@pytest.fixture
def owners(legal_case, make_case):
    return {"company": legal_case, "person": make_case()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    owner=st.sampled_from(["company", "person"]),
    encumbrances=interests,
    seizures=measures,
    proceeds=st.integers(min_value=0, max_value=2 * 10**10).map(lambda fen: Decimal(fen) / 100),
    costs=st.integers(min_value=0, max_value=10**9).map(lambda fen: Decimal(fen) / 100),
)
def test_paid_amounts_costs_and_surplus_add_up_to_the_proceeds(
    owners, owner, encumbrances, seizures, proceeds, costs
):
    case = owners[owner]
    asset = Asset.objects.create(case=case, owner=case.debtor, kind="other", description="随机财产")
    SecurityInterest.objects.bulk_create(
        SecurityInterest(
            asset=asset, kind=kind, secured_amount=amount, registered_on=registered, ours=ours, creditor="X"
        )
        for kind, amount, registered, ours in encumbrances
    )
    PreservationMeasure.objects.bulk_create(
        PreservationMeasure(
            asset=asset,
            ours=ours,
            applicant="Y",
            claim_amount=amount,
            court="某法院",
            kind="seizure",
            stage="enforcement",
            measured_on=date(2019, 1, 1),
            registered_at=at("2019-01-01", "00:00") + timedelta(hours=hours),
            expires_on=date(2030, 1, 1),
            status=status,
        )
        for amount, hours, status, ours in seizures
    )
    result = asset_waterfall(asset=asset, proceeds=proceeds, costs=costs)
    distribution = result.distribution
    paid = sum((allocation.paid for allocation in distribution.allocations), Decimal("0"))
    assert paid + distribution.costs_paid + distribution.surplus == proceeds
    assert distribution.costs_paid == min(costs, proceeds)
    assert all(
        Decimal("0") <= allocation.paid <= allocation.claim.amount for allocation in distribution.allocations
    )
    assert len(distribution.allocations) == len(encumbrances) + sum(1 for s in seizures if s[0] is not None)
    assert len(result.unknown_amounts) == sum(1 for s in seizures if s[0] is None)
    ours_paid = sum(
        (a.paid for a, ours in zip(distribution.allocations, result.ours, strict=True) if ours), Decimal(0)
    )
    assert result.expected_for_us == ours_paid
    assert result.our_shortfall >= 0
