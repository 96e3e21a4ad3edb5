"""Disposal plans through their services (issue 15): drafting refuses broken auction rules on
the field that breaks them, approval re-checks and puts the deadlines on the docket, a failed
round moves the plan on, a sale is distributed by the waterfall and credited per CC 561."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assets.disposal import (
    disposal_plan_approve,
    disposal_plan_round_fail,
    disposal_plan_sale_record,
    disposal_plan_save,
    disposal_plan_withdraw,
    loans_in_crediting_order,
    sale_credits,
)
from assets.models import AssetDeadlineKind, DisposalPlan, DisposalRoute, DisposalStage, SecurityInterest
from assets.selectors import disposal_plan_projection
from assets.services import security_interest_record
from recovery.models import Deadline, Loan, LoanReceipt
from recovery.services import RecoveryError
from tests.assets.preservation_helpers import company_case, make_asset

Y = Decimal
TODAY = timezone.localdate()


@pytest.fixture
def case(make_case, staff):
    case = company_case(make_case, assignee=staff["lawyer"], loans=2)
    for loan in case.loans.all():
        loan.interest_outstanding = Y("5000.00")
        loan.penalty_interest = Y("1000.00")
        loan.save()
    return case


@pytest.fixture
def flat(case, staff):
    return make_asset(case, user=staff["lawyer"], value="1000000.00")


def mortgage(asset, *, creditor, amount, registered, ours=False, loan=None):
    return security_interest_record(
        interest=SecurityInterest(
            asset=asset,
            kind="mortgage",
            creditor=creditor,
            ours=ours,
            loan=loan,
            secured_amount=Y(amount),
            registered_on=date.fromisoformat(registered),
        ),
        user=None,
    )


def draft(case, user, **fields):
    values = {
        "case": case,
        "route": DisposalRoute.ONLINE_AUCTION,
        "reference_price": Y("1000000.00"),
        "reference_source": "appraisal",
        "first_starting_price": Y("700000.00"),
        "first_auction_on": TODAY + timedelta(days=60),
    } | fields
    return disposal_plan_save(disposal_plan=DisposalPlan(**values), user=user)


def approve(plan, manager):
    revision = plan.get_latest_revision()
    disposal_plan_approve(disposal_plan=revision.as_object(), revision=revision, user=manager)
    plan.refresh_from_db()
    return plan


def deadlines(case, kind):
    return list(Deadline.objects.filter(case=case, kind=kind).order_by("trigger", "pk"))


def test_a_starting_price_under_the_floor_is_refused_on_its_field(case, flat, staff):
    with pytest.raises(ValidationError) as refused:
        draft(case, staff["lawyer"], asset=flat, first_starting_price=Y("699999.99"))
    assert "700,000.00" in refused.value.message_dict["first_starting_price"][0]
    assert not DisposalPlan.objects.exists()


def test_routes_and_assets_must_fit(case, flat, staff):
    with pytest.raises(ValidationError) as refused:
        draft(case, staff["lawyer"], route=DisposalRoute.CLAIM_SALE, asset=flat)
    assert set(refused.value.message_dict) >= {"asset", "first_starting_price", "first_auction_on"}
    with pytest.raises(ValidationError) as refused:
        draft(
            case,
            staff["lawyer"],
            route=DisposalRoute.IN_LIEU,
            first_starting_price=None,
            first_auction_on=None,
        )
    assert "asset" in refused.value.message_dict


def test_approval_refuses_a_plan_with_problems_and_writes_nothing(case, flat, staff):
    plan = draft(case, staff["lawyer"], asset=flat)
    # A revision that breaks the floor (saved around the service, as a stale or forged draft).
    plan.first_starting_price = Y("600000.00")
    plan.save_revision(user=staff["lawyer"])
    revision = plan.get_latest_revision()
    with pytest.raises(RecoveryError) as refused:
        disposal_plan_approve(disposal_plan=revision.as_object(), revision=revision, user=staff["manager"])
    assert refused.value.field == "first_starting_price"
    plan.refresh_from_db()
    assert plan.approved_at is None and not plan.live
    assert not deadlines(case, AssetDeadlineKind.AUCTION_NOTICE)


def test_approval_of_a_good_plan_puts_the_notice_on_the_docket(case, flat, staff):
    plan = draft(case, staff["lawyer"], asset=flat)
    assert plan.requested_by == staff["lawyer"]
    assert not deadlines(case, AssetDeadlineKind.AUCTION_NOTICE)  # a draft gives none
    approve(plan, staff["manager"])
    assert plan.approved_at is not None and plan.live
    assert plan.approval_reference.startswith("disposal_plan-")
    (notice,) = deadlines(case, AssetDeadlineKind.AUCTION_NOTICE)
    # Real estate: 30 days before the auction, backward (网拍规定第12条).
    assert notice.trigger == plan.first_auction_on
    assert notice.raw_end == plan.first_auction_on - timedelta(days=30)
    assert plan.approval_amount() == Y("1000000.00")


def test_a_failed_round_moves_to_round_two_and_the_reauction_deadline_appears(case, flat, staff):
    failed_on = TODAY - timedelta(days=5)
    plan = approve(draft(case, staff["lawyer"], asset=flat, first_auction_on=failed_on), staff["manager"])
    with pytest.raises(RecoveryError) as refused:
        disposal_plan_round_fail(
            plan=plan,
            round=1,
            failed_on=failed_on,
            second_auction_on=failed_on + timedelta(days=45),
            user=staff["lawyer"],
        )
    assert refused.value.field == "second_auction_on"
    with pytest.raises(RecoveryError) as refused:
        disposal_plan_round_fail(
            plan=plan,
            round=1,
            failed_on=failed_on,
            second_starting_price=Y("500000.00"),
            user=staff["lawyer"],
        )
    assert refused.value.field == "second_starting_price"
    with pytest.raises(RecoveryError) as refused:
        disposal_plan_round_fail(
            plan=plan, round=1, failed_on=failed_on - timedelta(days=1), user=staff["lawyer"]
        )
    assert refused.value.field == "failed_on"
    plan.refresh_from_db()
    assert plan.stage == DisposalStage.PLANNED and plan.first_failed_on is None

    disposal_plan_round_fail(
        plan=plan,
        round=1,
        failed_on=failed_on,
        second_auction_on=failed_on + timedelta(days=25),
        user=staff["lawyer"],
    )
    plan.refresh_from_db()
    assert plan.stage == DisposalStage.FIRST_FAILED
    (latest,) = deadlines(case, AssetDeadlineKind.REAUCTION_LATEST)
    assert latest.raw_end == failed_on + timedelta(days=30)
    (notice,) = deadlines(case, AssetDeadlineKind.AUCTION_NOTICE)  # round 1's is gone, round 2's came
    assert notice.raw_end == plan.second_auction_on - timedelta(days=15)


def test_only_approved_open_plans_take_outcomes(case, flat, staff):
    plan = draft(case, staff["lawyer"], asset=flat)
    with pytest.raises(RecoveryError):
        disposal_plan_withdraw(plan=plan, withdrawn_on=TODAY, reason="和解", user=staff["lawyer"])
    approve(plan, staff["manager"])
    disposal_plan_withdraw(plan=plan, withdrawn_on=TODAY, reason="和解", user=staff["lawyer"])
    assert not deadlines(case, AssetDeadlineKind.AUCTION_NOTICE)
    with pytest.raises(RecoveryError):
        disposal_plan_sale_record(plan=plan, price=Y("1"), buyer="某", ruling_on=TODAY, user=staff["lawyer"])


def test_a_sale_is_distributed_and_credited_in_the_legal_order(case, flat, staff):
    first, second = case.loans.order_by("due_on")
    mortgage(flat, creditor="甲银行", amount="30000.00", registered="2019-05-01")
    mortgage(flat, creditor="我行", amount="100000.00", registered="2020-05-01", ours=True, loan=second)
    auction_on = TODAY - timedelta(days=3)
    plan = approve(
        draft(case, staff["lawyer"], asset=flat, first_auction_on=auction_on, costs=Y("2000.00")),
        staff["manager"],
    )
    # Our mortgage secures the second loan: it is credited first, whatever the due dates.
    assert [loan.pk for loan in loans_in_crediting_order(plan)] == [second.pk, first.pk]
    receipts = disposal_plan_sale_record(
        plan=plan, price=Y("100000.00"), buyer="张三", ruling_on=auction_on, user=staff["lawyer"]
    )
    # 甲银行 ranks first (30,000); we receive the other 70,000, all of it on the secured loan:
    # our costs 2,000, then interest 5,000, penalty 1,000, principal 62,000 (CC 561).
    (receipt,) = receipts
    assert receipt.loan_id == second.pk and receipt.source == "disposal"
    assert (receipt.amount, receipt.costs, receipt.interest, receipt.penalty_interest, receipt.principal) == (
        Y("70000.00"),
        Y("2000.00"),
        Y("5000.00"),
        Y("1000.00"),
        Y("62000.00"),
    )
    assert receipt.reference == plan.approval_reference
    second.refresh_from_db()
    assert (second.principal_outstanding, second.interest_outstanding, second.penalty_interest) == (
        Y("18000.00"),
        Y("0.00"),
        Y("0.00"),
    )
    first.refresh_from_db()
    assert first.principal_outstanding == Y("80000.00")
    plan.refresh_from_db()
    assert plan.stage == DisposalStage.SOLD and plan.proceeds_ours == Y("70000.00")
    assert plan.distribution["credited"] == [
        {"loan": second.contract_no, "amount": "70000.00", "costs": "2000.00"}
    ]
    assert LoanReceipt.objects.count() == 1


def test_a_share_larger_than_one_loan_spills_over_to_the_next():
    loans = [
        Loan(contract_no="A", principal_outstanding=Y("100.00"), interest_outstanding=Y("10.00")),
        Loan(contract_no="B", principal_outstanding=Y("50.00")),
    ]
    credits, left = sale_credits(loans=loans, share=Y("200.00"), costs=Y("5.00"))
    assert [(c.loan.contract_no, c.amount, c.costs) for c in credits] == [
        ("A", Y("115.00"), Y("5.00")),
        ("B", Y("50.00"), Y("0.00")),
    ]
    assert left == Y("35.00")


def test_projection_against_a_worked_waterfall(case, flat, staff):
    """Reference 1,000,000, no expected price: the first starting price 700,000 is expected.
    甲银行's mortgage (registered first) takes 300,000, ours the next 400,000 of our 500,000;
    our costs of 10,000 are repaid first out of that, so the debt recovers 390,000, more than the
    two loans owe (2 × (80,000 + 5,000 + 1,000) = 172,000): nothing of the claim is lost."""
    mortgage(flat, creditor="甲银行", amount="300000.00", registered="2019-05-01")
    mortgage(flat, creditor="我行", amount="500000.00", registered="2020-05-01", ours=True)
    plan = draft(case, staff["lawyer"], asset=flat, costs=Y("10000.00"))
    projection = disposal_plan_projection(plan)
    assert (projection.expected_price, projection.price_source) == (Y("700000.00"), "starting_price")
    assert projection.share == Y("400000.00")
    assert projection.expected_recovery == Y("390000.00")
    assert projection.outstanding == Y("172000.00")
    assert projection.expected_loss == Y("0.00")
    # Expected to fetch only 350,000: 甲银行 300,000, ours 50,000 less 10,000 costs.
    plan.expected_price = Y("350000.00")
    projection = disposal_plan_projection(plan)
    assert projection.expected_recovery == Y("40000.00")
    assert projection.expected_loss == Y("132000.00")


def test_a_plan_of_the_claim_itself_is_routed_by_the_outstanding_balance(case, staff):
    plan = draft(
        case,
        staff["lawyer"],
        route=DisposalRoute.CLAIM_SALE,
        reference_price=Y("90000.00"),
        first_starting_price=None,
        first_auction_on=None,
        costs=Y("1000.00"),
    )
    assert plan.approval_amount() == Y("172000.00")
    projection = disposal_plan_projection(plan)
    assert projection.waterfall is None and projection.expected_recovery == Y("89000.00")
    assert projection.expected_loss == Y("83000.00")


def test_another_lawyers_case_is_out_of_reach(case, flat, staff):
    with pytest.raises(RecoveryError):
        draft(case, staff["other_lawyer"], asset=flat)
    plan = approve(draft(case, staff["lawyer"], asset=flat), staff["manager"])
    with pytest.raises(RecoveryError):
        disposal_plan_withdraw(plan=plan, withdrawn_on=TODAY, reason="x", user=staff["other_lawyer"])


def test_an_approved_plan_is_no_longer_edited_through_the_service(case, flat, staff):
    plan = approve(draft(case, staff["lawyer"], asset=flat), staff["manager"])
    plan.notes = "changed"
    with pytest.raises(RecoveryError):
        disposal_plan_save(disposal_plan=plan, user=staff["lawyer"])


def test_the_second_auction_set_after_the_failure_is_checked_and_dated(case, flat, staff):
    from assets.disposal import disposal_plan_second_round_schedule

    failed_on = TODAY - timedelta(days=5)
    plan = approve(draft(case, staff["lawyer"], asset=flat, first_auction_on=failed_on), staff["manager"])
    with pytest.raises(RecoveryError) as refused:
        disposal_plan_second_round_schedule(
            plan=plan, second_starting_price=None, second_auction_on=TODAY, user=staff["lawyer"]
        )
    assert refused.value.field == "second_auction_on"  # round 1 has not failed yet
    disposal_plan_round_fail(plan=plan, round=1, failed_on=failed_on, user=staff["lawyer"])
    assert deadlines(case, AssetDeadlineKind.AUCTION_NOTICE) == []
    for price, day, field in (
        (None, failed_on + timedelta(days=45), "second_auction_on"),
        (Y("559999.99"), failed_on + timedelta(days=28), "second_starting_price"),
    ):
        with pytest.raises(RecoveryError) as refused:
            disposal_plan_second_round_schedule(
                plan=plan, second_starting_price=price, second_auction_on=day, user=staff["lawyer"]
            )
        assert refused.value.field == field
    plan = disposal_plan_second_round_schedule(
        plan=plan,
        second_starting_price=Y("560000.00"),
        second_auction_on=failed_on + timedelta(days=28),
        user=staff["lawyer"],
    )
    (notice,) = deadlines(case, AssetDeadlineKind.AUCTION_NOTICE)
    assert notice.raw_end == failed_on + timedelta(days=28 - 15)
