"""Reads of assets for the admin: the scoped listing (a fixed number of queries whatever its
length), the asset page with its encumbrances in legal order, and the case page's section
with the expected recovery over every asset (in a fixed number of queries)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from assets.models import (
    Asset,
    AssetDeadlineKind,
    AssetFile,
    DisposalPlan,
    DisposalPlanFile,
    MeasureStatus,
    PreservationMeasure,
    SecurityInterest,
)
from assets.services import AssetWaterfall, asset_waterfall
from recovery.models import Case, Deadline, Loan
from recovery.selectors.access import can_see_all_cases, cases_editable_by, cases_visible_to
from recovery.services import RecoveryError

EXPIRY_WINDOW_DAYS = 30
MEASURE_KEY_MARKER = ":measure:"


# --- scope ---------------------------------------------------------------------------------


def assets_visible_to(user: Any) -> QuerySet[Asset]:
    if can_see_all_cases(user):
        # No "case in (every case)" to check: counting 50,000 assets then reads one index.
        return Asset.objects.all()
    return Asset.objects.filter(case__in=cases_visible_to(user).order_by().values("pk"))


def assets_editable_by(user: Any) -> QuerySet[Asset]:
    return Asset.objects.filter(case__in=cases_editable_by(user).order_by().values("pk"))


def asset_files_visible_to(user: Any) -> QuerySet[AssetFile]:
    return AssetFile.objects.filter(asset__in=assets_visible_to(user).values("pk"))


def position_label(position: int | None) -> str:
    """1 is the first seizure (首封); 2, 3, … are the waiting list, 轮候 1, 2, …"""
    from django.utils.translation import gettext as _

    if not position:
        return "—"
    if position == 1:
        return _("First seizure (首封)")
    return _("Waiting list %(n)s (轮候)") % {"n": position - 1}


# --- the listing ---------------------------------------------------------------------------


def _active_measures() -> QuerySet[PreservationMeasure]:
    return PreservationMeasure.objects.filter(asset=OuterRef("pk"), status=MeasureStatus.ACTIVE).order_by()


def _aggregate(queryset: QuerySet, aggregate: Any) -> Subquery:
    return Subquery(queryset.values("asset").annotate(value=aggregate).values("value")[:1])


def asset_listing(queryset: QuerySet[Asset]) -> QuerySet[Asset]:
    """Assets with what the listing shows: each value is a correlated subquery on the active
    measures (served by the partial index on asset and position), so the page costs the same
    queries for 5 assets or 50,000."""
    active = _active_measures()
    first = active.filter(position=1)
    return queryset.select_related("case__debtor", "owner").annotate(
        active_measures=Coalesce(_aggregate(active, Count("pk")), Value(0), output_field=IntegerField()),
        our_best_position=_aggregate(active.filter(ours=True), Min("position")),
        first_seizure_holder=Subquery(first.values("applicant")[:1]),
        first_seizure_ours=Subquery(first.values("ours")[:1]),
        next_expiry=_aggregate(active, Min("expires_on")),
    )


def filter_first_seizure_ours(queryset: QuerySet[Asset], ours: bool) -> QuerySet[Asset]:
    """Assets on which we hold (or do not hold) the first seizure (首封)."""
    held = Exists(_active_measures().filter(position=1, ours=True))
    return queryset.filter(held if ours else ~held)


def filter_expiring(queryset: QuerySet[Asset], *, today: date, days: int = EXPIRY_WINDOW_DAYS) -> QuerySet:
    """Assets with an active measure whose printed expiry falls within `days` (or has already
    passed without a renewal or an end being recorded)."""
    return queryset.filter(Exists(_active_measures().filter(expires_on__lte=today + timedelta(days=days))))


# --- the asset page ------------------------------------------------------------------------


@dataclass
class MeasureRow:
    measure: PreservationMeasure
    position: str = ""
    renewals: list = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)  # stored for this measure, soonest first

    @property
    def renewal_deadline(self) -> Deadline | None:
        """Our renewal deadline (apply at least 7 days before expiry, 保全规定 18)."""
        return next((d for d in self.deadlines if d.kind == AssetDeadlineKind.PRESERVATION_RENEWAL), None)

    @property
    def other_deadlines(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.kind != AssetDeadlineKind.PRESERVATION_RENEWAL]


@dataclass
class AssetPage:
    asset: Asset
    files: list[AssetFile]
    registered_interests: list[SecurityInterest]
    unregistered_interests: list[SecurityInterest]
    active_measures: list[MeasureRow]
    ended_measures: list[MeasureRow]

    @property
    def has_encumbrances(self) -> bool:
        return bool(
            self.registered_interests
            or self.unregistered_interests
            or self.active_measures
            or self.ended_measures
        )


def measure_deadlines(case_id: int, measure_ids: list[int]) -> dict[int, list[Deadline]]:
    """The stored deadlines of each measure (key `kind:party:measure:<id>`), soonest first."""
    found: dict[int, list[Deadline]] = defaultdict(list)
    if not measure_ids:
        return found
    rows = Deadline.objects.filter(case_id=case_id, key__contains=MEASURE_KEY_MARKER).order_by(
        F("act_by").asc(nulls_last=True), "pk"
    )
    wanted = set(measure_ids)
    for deadline in rows:
        tail = deadline.key.rsplit(MEASURE_KEY_MARKER, 1)[-1]
        if tail.isdigit() and int(tail) in wanted:
            found[int(tail)].append(deadline)
    return found


def asset_page_data(asset: Asset) -> AssetPage:
    """The asset, its files and its encumbrances in legal order: registered security interests
    by registration date (CC 414), unregistered ones after them; active measures by position
    (首封, then 轮候 1, 2 …); lifted and lapsed ones last, most recent end first."""
    asset = (
        Asset.objects.select_related("case__debtor", "case__branch", "case__assignee", "owner", "collateral")
        .prefetch_related(Prefetch("files", queryset=AssetFile.objects.select_related("uploaded_by")))
        .get(pk=asset.pk)
    )
    interests = list(
        SecurityInterest.objects.filter(asset=asset)
        .select_related("loan")
        .order_by(F("registered_on").asc(nulls_last=True), "pk")
    )
    measures = list(
        PreservationMeasure.objects.filter(asset=asset)
        .prefetch_related("renewals")
        .order_by(F("position").asc(nulls_last=True), "registered_at", "pk")
    )
    deadlines = measure_deadlines(asset.case_id, [m.pk for m in measures])
    rows = [
        MeasureRow(m, position_label(m.position), list(m.renewals.all()), deadlines.get(m.pk, []))
        for m in measures
    ]
    active = [row for row in rows if row.measure.status == MeasureStatus.ACTIVE]
    ended = sorted(
        (row for row in rows if row.measure.status != MeasureStatus.ACTIVE),
        key=lambda row: (row.measure.ended_on or date.min, row.measure.pk),
        reverse=True,
    )
    return AssetPage(
        asset=asset,
        files=list(asset.files.all()),
        registered_interests=[i for i in interests if i.registered_on],
        unregistered_interests=[i for i in interests if not i.registered_on],
        active_measures=active,
        ended_measures=ended,
    )


# --- the case page -------------------------------------------------------------------------


def case_assets(case: Case) -> list[Asset]:
    """The case's assets with the listing's figures, owner and kind first, each with its
    security interests and measures (what its waterfall reads), fetched once for every asset."""
    return list(
        asset_listing(Asset.objects.filter(case=case))
        .prefetch_related("security_interests", "measures")
        .order_by("owner__name", "kind", "pk")
    )


@dataclass(frozen=True)
class CaseRecovery:
    """What we may expect from all the case's assets at their estimated values."""

    case: Case
    assets: tuple[AssetWaterfall, ...]  # the valued assets
    not_valued: tuple[Asset, ...]
    problems: tuple[tuple[Asset, str], ...]  # valued assets whose waterfall could not be computed
    outstanding: Decimal  # the case's loans: principal, interest and penalty interest

    @property
    def expected_for_us(self) -> Decimal:
        return sum((waterfall.expected_for_us for waterfall in self.assets), Decimal("0.00"))

    @property
    def shortfall(self) -> Decimal:
        """What the case's loans would still lack; never negative."""
        return max(self.outstanding - self.expected_for_us, Decimal("0.00"))

    @property
    def exceeds_outstanding(self) -> bool:
        """More expected than owed: some claim is probably counted on several assets."""
        return self.expected_for_us > self.outstanding


def case_expected_recovery(*, case: Case, assets: list[Asset] | None = None) -> CaseRecovery:
    """Our expected payments summed over the case's assets, each at its estimated value without
    costs; assets without a value are listed as not valued. `assets` are the case's assets as
    `case_assets` returns them, when the caller has them already (the case page)."""
    if assets is None:
        assets = list(
            Asset.objects.filter(case=case)
            .select_related("owner")
            .prefetch_related("security_interests", "measures")
        )
    waterfalls: list[AssetWaterfall] = []
    not_valued: list[Asset] = []
    problems: list[tuple[Asset, str]] = []
    for asset in sorted(assets, key=lambda asset: (asset.kind, asset.pk)):
        if asset.estimated_value is None:
            not_valued.append(asset)
            continue
        try:
            waterfalls.append(asset_waterfall(asset=asset))
        except RecoveryError as error:
            problems.append((asset, error.message))
    outstanding = sum(
        (loan.total_outstanding for loan in case.loans.all()),
        Decimal("0.00"),
    )
    return CaseRecovery(
        case=case,
        assets=tuple(waterfalls),
        not_valued=tuple(not_valued),
        problems=tuple(problems),
        outstanding=outstanding,
    )


# --- per loan and per collateral item, on the case and loan pages ----------------------------


def our_interests_by_loan(loan_ids: list[int]) -> QuerySet[SecurityInterest]:
    """Our security interests securing these loans, with their asset, loan by loan."""
    return (
        SecurityInterest.objects.filter(loan__in=loan_ids, ours=True)
        .select_related("asset")
        .order_by("loan_id", "pk")
    )


def assets_made_of(collateral_ids: list[int]) -> dict[int, tuple[int, str]]:
    """For each item of hand-over collateral turned into an asset: that asset's id and
    description."""
    return {
        collateral_id: (pk, description)
        for collateral_id, pk, description in Asset.objects.filter(collateral__in=collateral_ids)
        .order_by("pk")
        .values_list("collateral_id", "pk", "description")
    }


def collateral_expected_for_claims(claims: list) -> dict[int, tuple[Decimal | None, list[Asset]]]:
    """Per mortgagor's or pledgor's claim: what our security interests for that loan over the
    obligor's own assets are expected to fetch for us (each asset's waterfall at its estimated
    value; None when none of them is valued), and those assets. Claims without such an
    interest are left out."""
    wanted = {(claim.loan_id, claim.party_id): claim.pk for claim in claims if claim.loan_id}
    if not wanted:
        return {}
    interests = (
        SecurityInterest.objects.filter(ours=True, loan_id__in={loan for loan, _party in wanted})
        .select_related("asset")
        .prefetch_related("asset__security_interests", "asset__measures")
        .order_by("pk")
    )
    found: dict[int, tuple[Decimal | None, list[Asset]]] = {}
    for interest in interests:
        claim_id = wanted.get((interest.loan_id, interest.asset.owner_id))
        if claim_id is None:
            continue
        expected, assets = found.get(claim_id, (None, []))
        asset = interest.asset
        assets.append(asset)
        if asset.estimated_value is not None:
            waterfall = asset_waterfall(asset=asset)
            ours = sum(
                (
                    allocation.paid
                    for allocation, source, _ours in waterfall.rows()
                    if getattr(source, "pk", None) == interest.pk and isinstance(source, SecurityInterest)
                ),
                Decimal("0.00"),
            )
            expected = (expected or Decimal("0.00")) + ours
        found[claim_id] = (expected, assets)
    return found


# --- disposal plans --------------------------------------------------------------------------


def disposal_plans_visible_to(user: Any) -> QuerySet[DisposalPlan]:
    if can_see_all_cases(user):
        return DisposalPlan.objects.all()
    return DisposalPlan.objects.filter(case__in=cases_visible_to(user).order_by().values("pk"))


def disposal_plans_editable_by(user: Any) -> QuerySet[DisposalPlan]:
    return DisposalPlan.objects.filter(case__in=cases_editable_by(user).order_by().values("pk"))


def disposal_plan_files_visible_to(user: Any) -> QuerySet[DisposalPlanFile]:
    return DisposalPlanFile.objects.filter(plan__in=disposal_plans_visible_to(user).values("pk"))


@dataclass(frozen=True)
class Projection:
    """What a disposal plan is expected to bring: the price it should fetch, what of it reaches
    us (through the waterfall on the asset's recorded encumbrances; for a plan of the claim
    itself, all of it), our costs repaid out of that first (CC 561), and so what our debt
    recovers and what is lost of the claim's outstanding balance."""

    expected_price: Decimal
    price_source: str  # "expected" | "starting_price" | "reference"
    costs: Decimal
    waterfall: AssetWaterfall | None
    problem: str  # why the waterfall could not be computed ("" when it could)
    outstanding: Decimal  # the case's loans: principal, interest and penalty interest

    @property
    def share(self) -> Decimal:
        """What we receive out of the price."""
        if self.problem:
            return Decimal("0.00")
        return self.waterfall.expected_for_us if self.waterfall is not None else self.expected_price

    @property
    def expected_recovery(self) -> Decimal:
        """What our debt recovers: our share less the costs it repays first; never negative."""
        return max(self.share - self.costs, Decimal("0.00"))

    @property
    def expected_loss(self) -> Decimal:
        """What of the claim's outstanding balance stays unrecovered; never negative."""
        return max(self.outstanding - self.expected_recovery, Decimal("0.00"))


def disposal_plan_expected_price(plan: DisposalPlan) -> tuple[Decimal, str]:
    """The price the plan expects: as entered; else, for an auction, the starting price of the
    round to come (its minimum when none is set); else the reference price."""
    from assets.auction import AuctionFactsError
    from assets.disposal import disposal_plan_auction

    if plan.expected_price is not None:
        return plan.expected_price, "expected"
    try:
        auction = disposal_plan_auction(plan)
    except (AuctionFactsError, ValueError):
        auction = None
    if auction is not None and auction.rounds:
        return auction.rounds[-1].starting_price, "starting_price"
    return plan.reference_price or Decimal("0.00"), "reference"


def disposal_plan_projection(plan: DisposalPlan) -> Projection:
    """The plan's expected proceeds, our recovery and the loss (see Projection); reads the
    asset's encumbrances and the case's loans, writes nothing."""
    price, price_source = disposal_plan_expected_price(plan)
    waterfall: AssetWaterfall | None = None
    problem = ""
    if plan.asset_id:
        asset = (
            Asset.objects.select_related("owner")
            .prefetch_related("security_interests", "measures")
            .get(pk=plan.asset_id)
        )
        try:
            waterfall = asset_waterfall(asset=asset, proceeds=price)
        except RecoveryError as error:
            problem = error.message
    outstanding = sum(
        (
            loan.total_outstanding
            for loan in Loan.objects.filter(case_id=plan.case_id, terminated_on__isnull=True)
        ),
        Decimal("0.00"),
    )
    return Projection(
        expected_price=price,
        price_source=price_source,
        costs=plan.costs or Decimal("0.00"),
        waterfall=waterfall,
        problem=problem,
        outstanding=outstanding,
    )
