"""Disposal plans (issue 15): every write, validated, audited and in one transaction.

A plan is drafted by the lawyer (`disposal_plan_save`, a Wagtail draft with a revision), approved
by managers on the approval workflow (`disposal_plan_approve`, which re-checks the auction rules
on the revision under review), then followed until it ends: a failed round (流拍,
`disposal_plan_round_fail`) moves an online auction to its next round; a sale
(`disposal_plan_sale_record`) distributes the price through the waterfall on the asset's
recorded encumbrances and credits our share to the case's loans; or the plan is withdrawn.

The auction rounds are checked and dated by one pure function, assets.auction.auction_plan
(contract auction-plan.md; law.md §6): each rule it finds broken is refused as an error on the
field that breaks it. Approved plans give the docket its auction deadlines (assets.deadlines),
so every write to an approved plan tells `case_facts_changed`.

The plan's `costs` are what WE advance for the disposal (appraisal, auction and enforcement
fees). They are not a deduction of the waterfall: they are repaid first out of what we receive,
before interest and principal (CC 561), so a sale credits our share to our loans with the costs
as the first receipt's `costs`, and the projection counts our recovery of the debt net of them.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.auction import (
    AuctionFacts,
    AuctionFactsError,
    AuctionFailure,
    AuctionPlan,
    auction_plan,
    property_of_asset_kind,
)
from assets.models import DisposalPlan, DisposalRoute, DisposalStage, SecurityInterest
from assets.services import AssetWaterfall, asset_waterfall
from recovery.checks.dates import supported_date_error
from recovery.lib.audit import AuditKind, audit_action, audit_change, audit_create, audit_delete, snapshot
from recovery.models import Loan, LoanReceipt, ReceiptSource
from recovery.services import RecoveryError
from recovery.services.approvals import approval_mark_approved, approved_revision_publish
from recovery.services.cases import case_facts_changed, record_scope_check
from recovery.services.deadlines import deadline_calendar
from recovery.services.receipts import loan_receipt_record

ZERO = Decimal("0.00")
# The outcome fields: kept by the services, never taken from what a caller or a form set.
OUTCOME_FIELDS = (
    "stage",
    "first_failed_on",
    "second_failed_on",
    "second_starting_price",
    "second_auction_on",
    "sold_price",
    "buyer",
    "ruling_on",
    "proceeds_ours",
    "distribution",
    "withdrawn_on",
    "withdrawal_reason",
)
# What a sale's receipts are recorded as: the claim's own routes have their own sources.
RECEIPT_SOURCES = {
    DisposalRoute.CLAIM_SALE: ReceiptSource.CLAIM_SALE,
    DisposalRoute.DISCOUNTED_SETTLEMENT: ReceiptSource.SETTLEMENT,
}
APPROVAL_FIELDS = ("requested_by_id", "approved_at", "approved_by_id", "approval_reference")


DISPOSAL_PLAN_DRAFTED = audit_action(
    "assets.disposal_plan.drafted",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Draft a disposal plan"),
    past_label=gettext_lazy("Disposal plan drafted"),
)
DISPOSAL_PLAN_EDITED = audit_action(
    "assets.disposal_plan.edited",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a draft disposal plan"),
    past_label=gettext_lazy("Disposal plan edited"),
)
DISPOSAL_PLAN_DELETED = audit_action(
    "assets.disposal_plan.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a draft disposal plan"),
    past_label=gettext_lazy("Disposal plan deleted"),
)
DISPOSAL_PLAN_ROUND_FAILED = audit_action(
    "assets.disposal_plan.round_failed",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Record a failed auction round (流拍)"),
    past_label=gettext_lazy("Auction round failed"),
)
DISPOSAL_PLAN_SECOND_ROUND_SCHEDULED = audit_action(
    "assets.disposal_plan.second_round_scheduled",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Record the second auction's date and starting price"),
    past_label=gettext_lazy("Second auction scheduled"),
)
DISPOSAL_PLAN_SOLD = audit_action(
    "assets.disposal_plan.sold",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Record the sale of a disposal plan"),
    past_label=gettext_lazy("Disposal plan sold"),
)
DISPOSAL_PLAN_WITHDRAWN = audit_action(
    "assets.disposal_plan.withdrawn",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Withdraw a disposal plan"),
    past_label=gettext_lazy("Disposal plan withdrawn"),
)


# --- the auction rules on a plan -------------------------------------------------------------


def _failures(plan: DisposalPlan) -> tuple[AuctionFailure, ...]:
    failures = []
    if plan.first_failed_on:
        failures.append(AuctionFailure(1, plan.first_failed_on))
    if plan.second_failed_on:
        failures.append(AuctionFailure(2, plan.second_failed_on))
    return tuple(failures)


def disposal_plan_auction(plan: DisposalPlan) -> AuctionPlan | None:
    """The rounds of an online-auction plan as auction_plan() dates and checks them; None for
    other routes or while the asset or the reference price is missing. AuctionFactsError for
    facts that cannot all be true."""
    if plan.route != DisposalRoute.ONLINE_AUCTION or not plan.asset_id or plan.reference_price is None:
        return None
    facts = AuctionFacts(
        property=property_of_asset_kind(plan.asset.kind),
        reference_price=plan.reference_price,
        first_starting_price=plan.first_starting_price,
        first_auction_on=plan.first_auction_on,
        failures=_failures(plan),
        second_starting_price=plan.second_starting_price,
        second_auction_on=plan.second_auction_on,
    )
    return auction_plan(facts, calendar=deadline_calendar())


def _form_field(field: str) -> str:
    """The plan's field an auction input names ("failures[0].on" is the failure's date)."""
    if field.startswith("failures"):
        return "failed_on"
    if field == "property":
        return "asset"
    return field


def _problem_message(plan: AuctionPlan, field: str) -> str:
    rounds = {r.round: r for r in plan.rounds}
    first, second = rounds.get(1), rounds.get(2)
    if field == "first_starting_price" and first is not None:
        return _(
            "The starting price may not be below 70%% of the reference price (网拍规定第10条): "
            "at least %(min)s."
        ) % {"min": f"{first.min_starting_price:,.2f}"}
    if field == "second_starting_price" and second is not None:
        return _(
            "The second starting price may be at most 20%% below the first (网拍规定第26条): "
            "at least %(min)s."
        ) % {"min": f"{second.min_starting_price:,.2f}"}
    if field == "second_auction_on" and second is not None and second.latest_auction_on_legal:
        return _(
            "The second auction must be held within 30 days of the failure (网拍规定第26条), by "
            "%(latest)s, and after a notice period that starts with the failure."
        ) % {"latest": second.latest_auction_on_legal.isoformat()}
    return _("This breaks a rule of the judicial auction (网拍规定); see the rounds.")


def disposal_plan_problems(plan: DisposalPlan) -> dict[str, str]:
    """The auction rules the plan breaks, as {field: message}; empty when it keeps them all."""
    try:
        auction = disposal_plan_auction(plan)
    except AuctionFactsError as error:
        return {_form_field(error.field): error.message}
    except ValueError as error:  # an asset kind the auction rules do not know
        return {"asset": str(error)}
    if auction is None:
        return {}
    return {_form_field(field): _problem_message(auction, field) for field in auction.problems}


def _refuse_problems(problems: dict[str, str]) -> None:
    if problems:
        field, message = next(iter(problems.items()))
        raise RecoveryError(message, field=field)


# --- drafting ----------------------------------------------------------------------------------


def _check_plan(plan: DisposalPlan) -> None:
    """Every field error at once (the model's and the auction rules'), for the form."""
    errors: dict[str, list[str]] = {}
    try:
        plan.full_clean(exclude=["latest_revision", "live_revision", "locked_by"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if not errors:
        for field, message in disposal_plan_problems(plan).items():
            errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def disposal_plan_save(*, disposal_plan: DisposalPlan, user: Any, source: str = "") -> DisposalPlan:
    """Save a new or edited draft plan and a revision of it (what the approvers will review).
    Refused once approved (an approved plan changes only through its outcome services), and for
    a plan that breaks an auction rule: every such field is named."""
    plan = disposal_plan
    record_scope_check(instance=plan, user=user)
    stored = DisposalPlan.objects.select_for_update().filter(pk=plan.pk).first() if plan.pk else None
    if stored is not None:
        if stored.approved_at is not None:
            raise RecoveryError(_("This plan is approved: it can no longer be edited."))
        if stored.case_id != plan.case_id:
            raise RecoveryError(_("A plan cannot be moved to another case."), field="case")
        for name in (*OUTCOME_FIELDS, *APPROVAL_FIELDS):
            setattr(plan, name, getattr(stored, name))
    else:
        for name in OUTCOME_FIELDS:
            setattr(plan, name, DisposalPlan._meta.get_field(name).get_default())
        plan.approved_at = None
        plan.approved_by = None
        plan.approval_reference = ""
        plan.requested_by = user if getattr(user, "is_authenticated", False) else None
        plan.live = False
    _check_plan(plan)
    plan.save()
    plan.save_revision(user=user if getattr(user, "is_authenticated", False) else None, log_action=False)
    if stored is None:
        audit_create(plan, user=user, source=source, action=DISPOSAL_PLAN_DRAFTED, case_id=plan.case_id)
    else:
        audit_change(
            plan,
            user=user,
            before=snapshot(stored),
            source=source,
            action=DISPOSAL_PLAN_EDITED,
            case_id=plan.case_id,
        )
    return plan


@transaction.atomic
def disposal_plan_delete(*, disposal_plan: DisposalPlan, user: Any, source: str = "") -> None:
    """Delete a plan drafted by mistake; an approved plan ends by being withdrawn instead."""
    record_scope_check(instance=disposal_plan, user=user)
    stored = DisposalPlan.objects.select_for_update().get(pk=disposal_plan.pk)
    if stored.approved_at is not None:
        raise RecoveryError(_("An approved plan is not deleted: withdraw it."))
    audit_delete(stored, user=user, source=source, action=DISPOSAL_PLAN_DELETED, case_id=stored.case_id)
    stored.delete()


# --- approval ----------------------------------------------------------------------------------


@transaction.atomic
def disposal_plan_approve(*, disposal_plan: DisposalPlan, revision: Any, user: Any) -> None:
    """The approval service of the disposal-plan workflow: `disposal_plan` is the plan as the
    revision under review has it. Refused (nothing written) when it breaks a rule; otherwise the
    revision is published, the plan marked approved, and its auction deadlines reach the docket."""
    plan = disposal_plan
    try:
        plan.full_clean(exclude=["latest_revision", "live_revision", "locked_by"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise RecoveryError(" ".join(messages), field=field) from error
    _refuse_problems(disposal_plan_problems(plan))
    approved_revision_publish(revision=revision, user=user)
    approval_mark_approved(instance=plan, user=user)
    case_facts_changed(case_ids={plan.case_id}, user=user)


# --- outcomes ------------------------------------------------------------------------------------


def _lock_open_plan(plan: DisposalPlan, user: Any) -> DisposalPlan:
    """The stored plan, locked; refused unless it is approved and still open."""
    record_scope_check(instance=plan, user=user)
    stored = (
        DisposalPlan.objects.select_for_update(of=("self",)).select_related("asset", "case").get(pk=plan.pk)
    )
    if stored.approved_at is None:
        raise RecoveryError(_("Only an approved plan takes outcomes."))
    if stored.is_closed:
        raise RecoveryError(
            _("This plan is closed: %(stage)s.") % {"stage": stored.get_stage_display()}, field="stage"
        )
    return stored


def _fact_day(day: date, field: str) -> None:
    if (error := supported_date_error(day)) is not None:
        raise RecoveryError(str(error), field=field)
    if day > timezone.localdate():
        raise RecoveryError(_("This date lies in the future."), field=field)


@transaction.atomic
def disposal_plan_round_fail(
    *,
    plan: DisposalPlan,
    round: int,
    failed_on: date,
    user: Any,
    second_starting_price: Decimal | None = None,
    second_auction_on: date | None = None,
    source: str = "",
) -> DisposalPlan:
    """Record that auction round `round` failed (流拍: nobody bid) on `failed_on`. After round 1
    the plan waits for its second auction — due within 30 days (网拍规定第26条), a deadline on the
    docket — whose starting price and date are given here when the court has set them; after
    round 2 the asset may be sold on the platform (变卖) or taken in payment."""
    stored = _lock_open_plan(plan, user)
    if stored.route != DisposalRoute.ONLINE_AUCTION:
        raise RecoveryError(_("Only an online auction has rounds."), field="round")
    expected = {DisposalStage.PLANNED: 1, DisposalStage.FIRST_FAILED: 2}.get(DisposalStage(stored.stage))
    if round != expected:
        raise RecoveryError(
            _("The round that can fail now is round %(n)s.") % {"n": expected}
            if expected
            else _("Both rounds have failed already."),
            field="round",
        )
    _fact_day(failed_on, "failed_on")
    auction_on = stored.first_auction_on if round == 1 else stored.second_auction_on
    if auction_on is not None and failed_on < auction_on:
        raise RecoveryError(
            _("The round cannot fail before its auction of %(day)s.") % {"day": auction_on.isoformat()},
            field="failed_on",
        )
    if round == 2 and (second_starting_price is not None or second_auction_on is not None):
        raise RecoveryError(_("There is no third online auction round."), field="second_auction_on")
    before = snapshot(stored)
    if round == 1:
        stored.first_failed_on = failed_on
        stored.second_starting_price = second_starting_price
        stored.second_auction_on = second_auction_on
        stored.stage = DisposalStage.FIRST_FAILED
    else:
        stored.second_failed_on = failed_on
        stored.stage = DisposalStage.SECOND_FAILED
    _refuse_problems(disposal_plan_problems(stored))
    stored.full_clean(exclude=["latest_revision", "live_revision", "locked_by"])
    stored.save(update_fields=[*OUTCOME_FIELDS, "updated_at"])
    audit_change(
        stored,
        user=user,
        before=before,
        source=source,
        action=DISPOSAL_PLAN_ROUND_FAILED,
        case_id=stored.case_id,
    )
    case_facts_changed(case_ids={stored.case_id}, user=user)
    return stored


@transaction.atomic
def disposal_plan_second_round_schedule(
    *,
    plan: DisposalPlan,
    second_starting_price: Decimal | None,
    second_auction_on: date | None,
    user: Any,
    source: str = "",
) -> DisposalPlan:
    """Record the second auction as the court set it, after round 1 failed (the court often
    fixes it days after the failure): within 30 days of the failure, its notice in time and its
    starting price at most 20% below the first (网拍规定第26条), each refused on its field."""
    stored = _lock_open_plan(plan, user)
    if stored.stage != DisposalStage.FIRST_FAILED:
        raise RecoveryError(
            _("A second auction is scheduled once round 1 has failed, before round 2 is held."),
            field="second_auction_on",
        )
    before = snapshot(stored)
    stored.second_starting_price = second_starting_price
    stored.second_auction_on = second_auction_on
    _refuse_problems(disposal_plan_problems(stored))
    stored.full_clean(exclude=["latest_revision", "live_revision", "locked_by"])
    stored.save(update_fields=["second_starting_price", "second_auction_on", "updated_at"])
    audit_change(
        stored,
        user=user,
        before=before,
        source=source,
        action=DISPOSAL_PLAN_SECOND_ROUND_SCHEDULED,
        case_id=stored.case_id,
    )
    case_facts_changed(case_ids={stored.case_id}, user=user)
    return stored


def loans_in_crediting_order(plan: DisposalPlan) -> list[Loan]:
    """The case's loans in the order a sale's proceeds are credited to them: first those our
    security interests over the sold asset secure (by the interest's registration), then the
    others by due date. A completely terminated loan takes no receipt and is left out (a
    written-off one does: a recovery after write-off)."""
    loans = list(
        Loan.objects.filter(case_id=plan.case_id, terminated_on__isnull=True).order_by("due_on", "pk")
    )
    secured: list[int] = []
    if plan.asset_id:
        for loan_id in (
            SecurityInterest.objects.filter(asset_id=plan.asset_id, ours=True, loan__isnull=False)
            .order_by(F("registered_on").asc(nulls_last=True), "pk")
            .values_list("loan_id", flat=True)
        ):
            if loan_id not in secured:
                secured.append(loan_id)
    rank = {loan_id: index for index, loan_id in enumerate(secured)}
    loans.sort(key=lambda loan: (rank.get(loan.pk, len(rank)),))
    return loans


@dataclass(frozen=True)
class SaleCredit:
    loan: Loan
    amount: Decimal
    costs: Decimal


def sale_credits(*, loans: list[Loan], share: Decimal, costs: Decimal) -> tuple[list[SaleCredit], Decimal]:
    """Split our share over `loans` in their order: each takes what it still owes (the first
    also our costs, repaid first under CC 561) until the share is spent; returns the credits
    and what is left over (more than the loans owe)."""
    credits: list[SaleCredit] = []
    remaining = share
    costs_left = min(costs, share)
    for loan in loans:
        if remaining <= ZERO:
            break
        owed = loan.total_outstanding + costs_left
        amount = min(remaining, owed)
        if amount <= ZERO:
            continue
        loan_costs = min(costs_left, amount)
        credits.append(SaleCredit(loan, amount, loan_costs))
        costs_left -= loan_costs
        remaining -= amount
    return credits, remaining


def _money(value: Any, field: str, *, positive: bool = False) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError as exc:
        raise RecoveryError(_("Not an amount."), field=field) from exc
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        raise RecoveryError(_("Give an amount above zero."), field=field)
    if amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1e14"):
        raise RecoveryError(_("Give the amount in yuan with at most two decimals."), field=field)
    return amount


def _sale_waterfall(stored: DisposalPlan, price: Decimal) -> AssetWaterfall | None:
    if not stored.asset_id:
        return None
    try:
        return asset_waterfall(asset=stored.asset, proceeds=price)
    except RecoveryError as error:
        raise RecoveryError(error.message, field="price") from error


@transaction.atomic
def disposal_plan_sale_record(
    *, plan: DisposalPlan, price: Decimal, buyer: str, ruling_on: date, user: Any, source: str = ""
) -> list[LoanReceipt]:
    """Record the sale (the court's confirmation ruling, 成交裁定, of `ruling_on`): the price is
    distributed by the waterfall on the asset's encumbrances (for a plan of the claim itself the
    whole price is ours), and our share is credited to the case's loans in
    `loans_in_crediting_order`, each receipt in the order of CC 561 (costs, interest, penalty
    interest, principal), referenced by the plan's approval reference. The loans' balances, the
    case's deadlines and the liability matrix follow through loan_receipt_record."""
    stored = _lock_open_plan(plan, user)
    price = _money(price, "price", positive=True)
    buyer = (buyer or "").strip()
    if not buyer:
        raise RecoveryError(_("Name the buyer (or the creditor taking it in payment)."), field="buyer")
    if len(buyer) > 200:
        raise RecoveryError(_("At most 200 characters."), field="buyer")
    _fact_day(ruling_on, "ruling_on")
    # The last thing that happened before the sale: the auction held, or the round that failed.
    last_event = max(
        (
            d
            for d in (
                stored.first_auction_on,
                stored.first_failed_on,
                stored.second_auction_on,
                stored.second_failed_on,
            )
            if d
        ),
        default=None,
    )
    if last_event is not None and ruling_on < last_event:
        raise RecoveryError(
            _("The sale cannot be confirmed before %(day)s, the plan's last auction date.")
            % {"day": last_event.isoformat()},
            field="ruling_on",
        )
    waterfall = _sale_waterfall(stored, price)
    share = waterfall.expected_for_us if waterfall is not None else price
    credits, surplus = sale_credits(
        loans=loans_in_crediting_order(stored), share=share, costs=stored.costs or ZERO
    )
    receipts = [
        loan_receipt_record(
            loan=credit.loan,
            amount=credit.amount,
            received_on=ruling_on,
            source=RECEIPT_SOURCES.get(DisposalRoute(stored.route), ReceiptSource.DISPOSAL),
            costs=credit.costs,
            reference=stored.approval_reference,
            user=user,
        )
        for credit in credits
    ]
    before = snapshot(stored)
    stored.stage = DisposalStage.SOLD
    stored.sold_price = price
    stored.buyer = buyer
    stored.ruling_on = ruling_on
    stored.proceeds_ours = share
    stored.distribution = {
        "waterfall": waterfall.as_json() if waterfall is not None else None,
        "ours": f"{share:.2f}",
        "credited": [
            {"loan": c.loan.contract_no, "amount": f"{c.amount:.2f}", "costs": f"{c.costs:.2f}"}
            for c in credits
        ],
        "not_credited": f"{surplus:.2f}",
    }
    stored.save(update_fields=[*OUTCOME_FIELDS, "updated_at"])
    audit_change(
        stored, user=user, before=before, source=source, action=DISPOSAL_PLAN_SOLD, case_id=stored.case_id
    )
    case_facts_changed(case_ids={stored.case_id}, user=user)
    return receipts


@transaction.atomic
def disposal_plan_withdraw(
    *, plan: DisposalPlan, withdrawn_on: date, reason: str, user: Any, source: str = ""
) -> DisposalPlan:
    """Withdraw an approved plan (settled otherwise, the seizure lifted, a better route found):
    its auction deadlines leave the docket."""
    stored = _lock_open_plan(plan, user)
    _fact_day(withdrawn_on, "withdrawn_on")
    reason = (reason or "").strip()
    if not reason:
        raise RecoveryError(_("Give the reason."), field="reason")
    before = snapshot(stored)
    stored.stage = DisposalStage.WITHDRAWN
    stored.withdrawn_on = withdrawn_on
    stored.withdrawal_reason = reason[:300]
    stored.save(update_fields=[*OUTCOME_FIELDS, "updated_at"])
    audit_change(
        stored,
        user=user,
        before=before,
        source=source,
        action=DISPOSAL_PLAN_WITHDRAWN,
        case_id=stored.case_id,
    )
    case_facts_changed(case_ids={stored.case_id}, user=user)
    return stored
