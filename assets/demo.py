"""Demo data of the assets app (manage.py seed_demo, through the recovery_seed_demo hook): a flat
and a car of the demo lawyer's first open case, each with a disposal plan in review — the car's
awaiting the branch manager, the flat's (above the manager's limit) approved by the manager and
awaiting the head. Recorded through the services and the workflow, as a lawyer would."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from assets.disposal import disposal_plan_save
from assets.models import (
    Asset,
    AssetKind,
    DisposalPlan,
    DisposalRoute,
    SecurityInterest,
    SecurityKind,
    ValueSource,
)
from assets.services import asset_record, security_interest_record
from recovery.models import Case
from recovery.services.approvals import workflow_task_act


def seed_demo_disposal_plans(*, today: date, user: Any) -> None:
    users = get_user_model().objects
    lawyer = users.filter(username="lawyer").first()
    manager = users.filter(username="manager").first()
    case = Case.objects.open().filter(assignee=lawyer).order_by("number").first()
    if lawyer is None or manager is None or case is None or DisposalPlan.objects.filter(case=case).exists():
        return
    flat = asset_record(
        asset=Asset(
            case=case,
            owner=case.debtor,
            kind=AssetKind.REAL_ESTATE,
            description="上海市浦东新区锦绣路88弄3号1202室",
            address="上海市浦东新区锦绣路88弄3号1202室",
            estimated_value=Decimal("1200000.00"),
            valued_on=today - timedelta(days=20),
            value_source=ValueSource.APPRAISAL,
        ),
        user=lawyer,
        source="demo",
    )
    # Our registered mortgage on the flat secures the case's first loan: the plan's projection
    # shows what the sale brings us through the waterfall.
    security_interest_record(
        interest=SecurityInterest(
            asset=flat,
            kind=SecurityKind.MORTGAGE,
            ours=True,
            creditor="本行",
            loan=case.loans.order_by("pk").first(),
            secured_amount=Decimal("800000.00"),
            registered_on=today - timedelta(days=3 * 365),
            registration_number="沪(2023)浦字不动产证明第0012345号",
        ),
        user=lawyer,
        source="demo",
    )
    car = asset_record(
        asset=Asset(
            case=case,
            owner=case.debtor,
            kind=AssetKind.VEHICLE,
            description="大众帕萨特 沪A·D1234",
            plate="沪A·D1234",
            estimated_value=Decimal("86000.00"),
            valued_on=today - timedelta(days=12),
            value_source=ValueSource.APPRAISAL,
        ),
        user=lawyer,
        source="demo",
    )
    plans = []
    for asset, price, costs, days in ((flat, "1200000.00", "36000.00", 75), (car, "86000.00", "4300.00", 40)):
        reference = Decimal(price)
        plan = disposal_plan_save(
            disposal_plan=DisposalPlan(
                case=case,
                asset=asset,
                route=DisposalRoute.ONLINE_AUCTION,
                reference_price=reference,
                reference_source="appraisal",
                first_starting_price=(reference * Decimal("0.70")).quantize(Decimal("0.01")),
                first_auction_on=today + timedelta(days=days),
                costs=Decimal(costs),
                timeline="评估报告已送达；公告期满后在人民法院诉讼资产网第一次拍卖，流拍后30日内再次拍卖。",
            ),
            user=lawyer,
            source="demo",
        )
        plan.get_workflow().start(plan, lawyer)
        plans.append(plan)
    # The flat is above the branch manager's limit: the manager approves, the head is next.
    workflow_task_act(
        instance=DisposalPlan.objects.get(pk=plans[0].pk),
        user=manager,
        action="approve",
        comment="同意按评估价七折起拍，报清收负责人审批。",
    )
