"""Litigation's facts for the deadline engine: suits interrupt limitation, judgments open
appeal windows and, once effective, the enforcement application period (CPL 250); enforcement
against the debtor ends a general guarantor's first-recourse defence (担保解释 28 para 1), from
which recovery counts his own limitation once his guarantee period was kept."""

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from litigation.models import Enforcement, Judgment, JudgmentKind, Lawsuit, LitigationDeadlineKind
from recovery.alerting.thresholds import LONG_PERIOD_THRESHOLDS
from recovery.deadlines import EventKind
from recovery.deadlines.docket import CaseFacts, DeadlineSpec, FactEvent
from recovery.deadlines.estate import enforcement_death_note, period_events
from recovery.deadlines.facts import OBSTACLE_KINDS
from recovery.deadlines.guarantee import enforcement_recourse_end
from recovery.models import PartyRole
from recovery.registry import register_deadline_kind

# The calendar entry's tag and the default alert thresholds of each kind: an appeal window
# is days long, so its alerts start five days ahead.
_KIND_DEFAULTS = {
    LitigationDeadlineKind.ENFORCEMENT: (_("Enforcement application"), LONG_PERIOD_THRESHOLDS),
    LitigationDeadlineKind.APPEAL_JUDGMENT: (_("Appeal"), (5, 3, 1, 0)),
    LitigationDeadlineKind.APPEAL_RULING: (_("Appeal (ruling)"), (5, 3, 1, 0)),
    LitigationDeadlineKind.WRITE_OFF_FAULT: (_("Write-off fault"), LONG_PERIOD_THRESHOLDS),
}


def register_litigation_deadline_kinds() -> None:
    for kind, (tag, thresholds) in _KIND_DEFAULTS.items():
        register_deadline_kind(kind.value, kind.label, app="litigation", thresholds=thresholds, tag=tag)


_APPEALS = {
    JudgmentKind.JUDGMENT: (LitigationDeadlineKind.APPEAL_JUDGMENT, "appeal_judgment"),
    JudgmentKind.RULING: (LitigationDeadlineKind.APPEAL_RULING, "appeal_ruling"),
}


def litigation_deadlines(facts: dict[int, CaseFacts]) -> Iterable[DeadlineSpec]:
    """Add each suit's filing and end to its case's events; return appeal and enforcement specs."""
    case_ids = list(facts)
    for lawsuit in Lawsuit.objects.filter(case_id__in=case_ids).order_by("filed_on", "pk"):
        case = facts[lawsuit.case_id]
        name = str(lawsuit)
        # CC 195(3): filing suit interrupts limitation; it runs again once proceedings end.
        case.events.append(
            FactEvent(EventKind.SUIT_FILED, lawsuit.filed_on, f"起诉 {name}（{lawsuit.filed_on}）")
        )
        if lawsuit.ended_on:
            case.events.append(
                FactEvent(
                    EventKind.PROCEEDINGS_ENDED, lawsuit.ended_on, f"{name} 程序终结（{lawsuit.ended_on}）"
                )
            )
    applied: dict[int, list] = {}
    enforcements = Enforcement.objects.filter(lawsuit__case_id__in=case_ids).select_related("lawsuit")
    for enforcement in enforcements.order_by("applied_on", "pk"):
        applied.setdefault(enforcement.lawsuit_id, []).append(enforcement)
        facts[enforcement.lawsuit.case_id].first_recourse_ends.append(
            enforcement_recourse_end(
                applied_on=enforcement.applied_on,
                round_closed_on=enforcement.round_closed_on,
                label=f"执行案件 {enforcement}",
            )
        )
    specs: list[DeadlineSpec] = []
    judgments = Judgment.objects.filter(lawsuit__case_id__in=case_ids).select_related("lawsuit")
    for judgment in judgments.order_by("served_on", "pk"):
        case = facts[judgment.lawsuit.case_id]
        label = f"{judgment.lawsuit} {judgment.get_kind_display()}"
        subject_key = f"judgment:{judgment.pk}"
        # CPL 171: 15 days to appeal a judgment, 10 days a ruling, from service.
        appeal = _APPEALS.get(judgment.kind)
        if appeal is not None:
            kind, rule = appeal
            specs.append(
                DeadlineSpec(
                    case.case_id,
                    kind,
                    rule,
                    judgment.served_on,
                    f"{label}（{judgment.served_on} 送达）",
                    subject_key,
                    case.debtor_id,
                    PartyRole.BORROWER,
                    done_note=f"已于 {judgment.effective_on} 生效" if judgment.effective_on else "",
                )
            )
        if judgment.effective_on:
            # Once a judgment is effective, enforcement (CPL 250) replaces the loan's limitation.
            decided = (judgment.effective_on, f"{label}已生效")
            if case.main_claim_decided is None or decided[0] < case.main_claim_decided[0]:
                case.main_claim_decided = decided
        # CPL 250: two years to apply for enforcement from the end of the performance period.
        if judgment.performance_deadline:
            enforcements = applied.get(judgment.lawsuit_id, [])
            in_time = [e for e in enforcements if e.applied_on > judgment.performance_deadline]
            done_note = f"已于 {in_time[0].applied_on} 申请执行" if in_time else ""
            main_ids = case.main_debtor_ids
            # CPL 250: suspended like limitation, so by the judgment debtor's death too (CC 194
            # para 1 (三)), whenever he died; a co-debtor's death suspends nothing against him.
            events = period_events(
                [
                    event
                    for event in case.events
                    if (event.against is None or event.against in main_ids)
                    and (event.on > judgment.performance_deadline or event.kind in OBSTACLE_KINDS)
                    and event.kind not in (EventKind.SUIT_FILED, EventKind.PROCEEDINGS_ENDED)
                    and (event.kind not in OBSTACLE_KINDS or event.against in (None, case.debtor_id))
                ],
                judgment.performance_deadline,
            )
            deaths = [death for death in case.deaths if death.party_id in main_ids]
            specs.append(
                DeadlineSpec(
                    case.case_id,
                    LitigationDeadlineKind.ENFORCEMENT,
                    "enforcement",
                    judgment.performance_deadline,
                    f"{label}（履行期限 {judgment.performance_deadline}）",
                    subject_key,
                    case.debtor_id,
                    PartyRole.BORROWER,
                    events,
                    done_note=done_note,
                    notes=[enforcement_death_note(death) for death in deaths],
                )
            )
    return specs
