"""The assets app's deadlines for the docket (a provider of recovery.services.deadlines).

For each of OUR active preservation measures: the renewal application, due seven days before
the printed expiry (保全规定 18), and the expiry itself (查扣冻规定 27); for a pre-suit measure,
the suit due within 30 days (CPL 104), done once a suit was filed. For a COMPETITOR's active
first seizure on an asset where we wait behind it: its expiry, when we may move up
(查扣冻规定 26). Litigation's provider runs first and has put the case's suits in its events.
"""

from collections import defaultdict
from datetime import date

from django.utils.translation import gettext_lazy as _

from assets.models import (
    CLOSED_STAGES,
    AssetDeadlineKind,
    DisposalPlan,
    DisposalRoute,
    DisposalStage,
    MeasureKind,
    MeasureStage,
    MeasureStatus,
    PreservationMeasure,
)
from assets.services import seized_on
from recovery.deadlines import compute_deadline
from recovery.deadlines.docket import CaseFacts, DeadlineSpec, first_suit_filed
from recovery.deadlines.model import cn_date
from recovery.deadlines.periods import UnsupportedDate
from recovery.models import PartyRole
from recovery.registry import register_deadline_kind
from recovery.services.deadlines import deadline_calendar

# The calendar entry's tag (None: the kind's label) and the default alert thresholds: a
# renewal is prepared weeks ahead, a pre-suit measure's 30 days leave days to act.
_KIND_DEFAULTS = {
    AssetDeadlineKind.PRE_SUIT_PRESERVATION: (_("Suit after preservation"), (5, 3, 1, 0)),
    AssetDeadlineKind.PRESERVATION_RENEWAL: (_("Preservation renewal"), (30, 14, 7, 3, 1)),
    AssetDeadlineKind.PRESERVATION_EXPIRY: (_("Preservation expiry"), (30, 14, 7, 3, 1)),
    AssetDeadlineKind.COMPETITOR_SEIZURE_EXPIRY: (None, (30, 14, 7, 3, 1)),
    # A notice is prepared with the court in the weeks before; a missed one moves the auction.
    AssetDeadlineKind.AUCTION_NOTICE: (_("Auction notice"), (14, 7, 3, 1, 0)),
    AssetDeadlineKind.REAUCTION_LATEST: (_("Second auction due"), (14, 7, 3, 1, 0)),
}


def register_asset_deadline_kinds() -> None:
    for kind, (tag, thresholds) in _KIND_DEFAULTS.items():
        register_deadline_kind(kind.value, kind.label, app="assets", thresholds=thresholds, tag=tag)


MEASURE_NAMES = {MeasureKind.SEIZURE: "查封", MeasureKind.DISTRAINT: "扣押", MeasureKind.FREEZE: "冻结"}


def measure_subject(measure: PreservationMeasure) -> str:
    """查封 (2025)沪0115执保123号 — 上海市浦东新区XX路1号房产"""
    name = MEASURE_NAMES.get(measure.kind, measure.kind)
    reference = measure.ruling_number or f"{measure.court} {measure.measured_on.isoformat()}"
    return f"{name} {reference} — {measure.asset.description}"


def rank_text(rank: int) -> str:
    return "首封" if rank == 1 else f"第{rank}顺位轮候"


def _party_role(case: CaseFacts, party_id: int) -> str:
    if party_id == case.debtor_id:
        return PartyRole.BORROWER
    for role_party_id, role in case.parties:
        if role_party_id == party_id:
            return role
    return ""


def _note(day: date, source: str, text: str) -> dict[str, str]:
    return {"date": day.isoformat(), "source": source, "text": text}


def asset_deadlines(facts: dict[int, CaseFacts]) -> list[DeadlineSpec]:
    measures = (
        PreservationMeasure.objects.filter(asset__case_id__in=list(facts), status=MeasureStatus.ACTIVE)
        .select_related("asset")
        .order_by("asset_id", "position", "registered_at", "id")
    )
    by_asset: dict[int, list[PreservationMeasure]] = defaultdict(list)
    for measure in measures:
        by_asset[measure.asset_id].append(measure)
    specs: list[DeadlineSpec] = []
    for active in by_asset.values():
        # Positions are kept by the services; rank by them, falling back on registration order.
        active.sort(key=lambda m: (m.position is None, m.position or 0, m.registered_at, m.pk))
        case = facts[active[0].asset.case_id]
        for rank, measure in enumerate(active, start=1):
            if measure.ours:
                specs.extend(_our_specs(case, measure, rank))
        first = active[0]
        waiting = [(rank, m) for rank, m in enumerate(active, start=1) if m.ours and rank > 1]
        if not first.ours and waiting:
            specs.append(_competitor_spec(case, first, waiting))
    return specs


def _our_specs(case: CaseFacts, measure: PreservationMeasure, rank: int) -> list[DeadlineSpec]:
    owner_id = measure.asset.owner_id
    common = {
        "subject": measure_subject(measure),
        "subject_key": f"measure:{measure.pk}",
        "party_id": owner_id,
        "party_role": _party_role(case, owner_id),
    }
    standing = _note(
        measure.expires_on,
        "查扣冻规定第26条",
        f"本措施登记于{cn_date(seized_on(measure))}，目前为{rank_text(rank)}"
        + (f"（{cn_date(measure.converted_on)}由轮候转为首封）" if measure.converted_on else "")
        + "；期限届满未续行的，效力消灭，在后的轮候措施依次递进。",
    )
    specs = [
        DeadlineSpec(
            case.case_id,
            AssetDeadlineKind.PRESERVATION_RENEWAL,
            "preservation_renewal",
            measure.expires_on,
            notes=[standing],
            **common,
        ),
        DeadlineSpec(
            case.case_id,
            AssetDeadlineKind.PRESERVATION_EXPIRY,
            "preservation_expiry",
            measure.expires_on,
            **common,
        ),
    ]
    if measure.stage == MeasureStage.PRE_SUIT:
        spec = DeadlineSpec(
            case.case_id,
            AssetDeadlineKind.PRE_SUIT_PRESERVATION,
            "pre_suit_preservation",
            measure.measured_on,
            **common,
        )
        suit = first_suit_filed(case.events, since=measure.measured_on)
        if suit is not None:
            try:
                end = compute_deadline(
                    "pre_suit_preservation", measure.measured_on, as_of=suit.on, calendar=deadline_calendar()
                ).legal_end
            except UnsupportedDate:  # a date stored before the range was enforced; spec skipped
                end = None
            if end is not None and suit.on <= end:
                spec.done_note = f"已于期限内起诉：{suit.label}，保全自动转为诉讼中的保全（保全规定第17条）"
                spec.events = [suit]
                spec.done_by = [suit]  # a court record, proven; were it not, the spec stays open
            else:
                spec.notes.append(
                    _note(
                        suit.on,
                        "民事诉讼法第104条",
                        f"{suit.label}晚于三十日期限，法院应当解除诉前保全；请核实保全是否仍然有效。",
                    )
                )
        specs.append(spec)
    return specs


def _competitor_spec(
    case: CaseFacts, first: PreservationMeasure, waiting: list[tuple[int, PreservationMeasure]]
) -> DeadlineSpec:
    ours = "、".join(
        f"{MEASURE_NAMES.get(m.kind, m.kind)} {m.ruling_number or m.court}（{rank_text(rank)}）"
        for rank, m in waiting
    )
    owner_id = first.asset.owner_id
    text = (
        f"{first.applicant}的首封于{cn_date(first.expires_on)}届满；届满前未续行的，效力消灭，"
        f"登记在先的轮候措施自动生效。我方在本财产上有{ours}，届时可依次递进"
        f"{'并转为首封' if waiting[0][0] == 2 else ''}。请关注对方是否续封，并向登记机关核实；"
        "转为首封后，记录转为首封的日期。"
    )
    return DeadlineSpec(
        case.case_id,
        AssetDeadlineKind.COMPETITOR_SEIZURE_EXPIRY,
        "preservation_expiry",
        first.expires_on,
        measure_subject(first),
        f"measure:{first.pk}",
        owner_id,
        _party_role(case, owner_id),
        notes=[_note(first.expires_on, "查扣冻规定第26条", text)],
    )


# --- disposal plans --------------------------------------------------------------------------

# The notice rule of each round by the auction rules' class of property (网拍规定 12, 26): real
# estate and other property rights have the longer notice.
_NOTICE_RULES = {
    1: {"movable": "auction_notice_movable", "real_estate": "auction_notice_real_estate"},
    2: {"movable": "reauction_notice_movable", "real_estate": "reauction_notice_real_estate"},
}
ROUND_NAMES = {1: "第一次拍卖", 2: "第二次拍卖"}


def disposal_subject(plan: DisposalPlan, round_number: int) -> str:
    """网络司法拍卖 第一次拍卖 — 上海市浦东新区XX路1号房产"""
    return f"网络司法拍卖 {ROUND_NAMES[round_number]} — {plan.asset.description}"


def disposal_plan_deadlines(facts: dict[int, CaseFacts]) -> list[DeadlineSpec]:
    """For each APPROVED online-auction plan still open: the notice of the round to come (a
    backward deadline from its auction day) and, after a failed first round, the latest day of
    the second auction (30 days, 网拍规定第26条). A sold or withdrawn plan gives none."""
    from assets.auction import property_of_asset_kind

    plans = (
        DisposalPlan.objects.filter(
            case_id__in=list(facts),
            approved_at__isnull=False,
            route=DisposalRoute.ONLINE_AUCTION,
            asset__isnull=False,
        )
        .exclude(stage__in=CLOSED_STAGES)
        .select_related("asset")
        .order_by("pk")
    )
    specs: list[DeadlineSpec] = []
    for plan in plans:
        case = facts[plan.case_id]
        try:
            prop = property_of_asset_kind(plan.asset.kind)
        except ValueError:
            continue
        notice_class = "movable" if prop == "movable" else "real_estate"
        owner_id = plan.asset.owner_id
        common = {"party_id": owner_id, "party_role": _party_role(case, owner_id)}
        if plan.stage == DisposalStage.PLANNED and plan.first_auction_on:
            specs.append(
                DeadlineSpec(
                    case.case_id,
                    AssetDeadlineKind.AUCTION_NOTICE,
                    _NOTICE_RULES[1][notice_class],
                    plan.first_auction_on,
                    disposal_subject(plan, 1),
                    f"disposal:{plan.pk}:round:1",
                    **common,
                )
            )
        if plan.stage == DisposalStage.FIRST_FAILED and plan.first_failed_on:
            specs.append(
                DeadlineSpec(
                    case.case_id,
                    AssetDeadlineKind.REAUCTION_LATEST,
                    "reauction_latest",
                    plan.first_failed_on,
                    disposal_subject(plan, 2),
                    f"disposal:{plan.pk}:round:2",
                    **common,
                )
            )
            if plan.second_auction_on:
                specs.append(
                    DeadlineSpec(
                        case.case_id,
                        AssetDeadlineKind.AUCTION_NOTICE,
                        _NOTICE_RULES[2][notice_class],
                        plan.second_auction_on,
                        disposal_subject(plan, 2),
                        f"disposal:{plan.pk}:round:2",
                        **common,
                    )
                )
    return specs
