"""Which deadlines a case's facts give, and their stored values: the docket's half of the engine, pure.

Per case, for each loan, against the parties linked to THAT loan (a guarantor named on one loan
is no guarantor of the others):
- the limitation period against the borrower and each of the loan's co-borrowers, interrupted
  by what was done against any of them (co-borrowers share interruptions, 时效规定 15);
- each of its mortgagors' mortgage, exercisable only within the main claim's limitation
  (CC 419); a loan secured by mortgage with collateral in the hand-over file and no mortgagor
  recorded counts the borrower as mortgagor;
- each of its guarantors' guarantee period (CC 692) on that link's terms, which nothing extends
  and which only a demand on the guarantor (joint) or a suit against the debtor (general)
  preserves (CC 693), and, once a joint guarantor was asked to pay, the guarantor's own
  limitation from that day (CC 694).
A demand recorded without proof of delivery still counts, but the deadline is flagged at risk
and its act-by date is the one that holds if that demand cannot be proven.

The docket's vocabulary (party roles, deadline kinds, action kinds) appears here as the values
recovery.models stores; a test checks that they are the same."""

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

from recovery.checks.dates import EARLIEST_SUPPORTED_DATE, LATEST_SUPPORTED_DATE
from recovery.deadlines import EVENT_RULES, Event, EventKind, RestDayCalendar, Status, compute_deadline
from recovery.deadlines.estate import death_note, period_events
from recovery.deadlines.facts import (
    OBSTACLE_KINDS,
    FactEvent,
    FirstRecourseEnd,
    LoanExtension,
    LoanLink,
    PartyDeath,
)
from recovery.deadlines.guarantee import first_recourse_end, guarantee_trigger
from recovery.deadlines.model import DeadlineResult, StepKind, cn_date
from recovery.deadlines.periods import UnsupportedDate
from recovery.deadlines.rules import MAX_GUARANTEE_MONTHS

logger = logging.getLogger(__name__)

# The docket's vocabulary, as recovery.models stores it (tests/recovery/deadlines/test_docket.py
# checks each value against the model's choices).
BORROWER, CO_BORROWER, GUARANTOR, MORTGAGOR = "borrower", "co_borrower", "guarantor", "mortgagor"
JOINT_GUARANTEE = "joint"
MORTGAGE_SECURITY = "mortgage"
LIMITATION, GUARANTEE_PERIOD, GUARANTOR_LIMITATION, MORTGAGE = (
    "limitation",
    "guarantee_period",
    "guarantor_limitation",
    "mortgage",
)
# Collection actions that demand payment: they count once delivered (时效规定 8).
DEMAND_ACTIONS = frozenset({"call", "visit", "letter", "sms", "email", "notice"})

MORTGAGE_NOTE = (
    "抵押权人应当在主债权诉讼时效期间行使抵押权；未行使的，人民法院不予保护。"
    "故本期限与主债权诉讼时效相同，对抵押人的催收不中断主债权时效。"
)

UNPROVEN_DEMAND_ON_GUARANTOR = (
    "该主张尚无送达凭证：凭证登记前不能证明已在保证期间内主张，保证期间按未完成跟踪，须在其届满前办理。"
)

COLLATERAL_NOTE = (
    "移交清单载有本笔贷款的抵押物，未登记抵押人：按借款人以自有财产抵押跟踪。"
    "如抵押人为第三人，请在当事人中登记抵押人并关联本笔贷款。"
)

MAIN_DEBTOR_ROLES = (BORROWER, CO_BORROWER)

STORED_FIELDS = (
    "kind",
    "rule",
    "party_id",
    "party_role",
    "subject",
    "trigger",
    "raw_end",
    "legal_end",
    "safe_end",
    "status",
    "calendar_provisional",
    "steps",
    "facts",
    "done",
    "done_note",
    "at_risk",
    "at_risk_note",
    "conservative_safe_end",
    "act_by",
    "done_once_proven",
)


# Kinds of the steps the docket adds to the engine's (recovery.deadlines.model.StepKind).
NOTE_STEP = "note"  # context from the docket (CC 419, CC 694…): never sets a date

ACT_BY_STEP = "act_by"  # the step that set the act-by date when unproven facts are left out


@dataclass
class DeadlineSpec:
    """What to compute for one deadline: the engine's inputs plus how to store the result."""

    case_id: int
    kind: str
    rule: str
    trigger: date
    subject: str
    subject_key: str
    party_id: int | None = None
    party_role: str = ""
    events: list[FactEvent] = field(default_factory=list)
    months: int | None = None
    done_note: str = ""
    # The facts `done_note` rests on: while one of them is unproven the deadline is not done —
    # it stays open, to be acted on by its end, and is done once the proof is recorded.
    done_by: list[FactEvent] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)  # extra explanation steps

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.party_id or '-'}:{self.subject_key}"[:120]


@dataclass
class CaseFacts:
    """What the engine needs of one case, read in bulk. Providers add events (e.g. a suit)
    and may set `main_claim_decided` (the judgment that replaces the limitation period)."""

    case_id: int
    debtor_id: int
    parties: list[tuple[int, str]] = field(default_factory=list)  # party id, role in the case
    loans: list[tuple[str, date, str]] = field(default_factory=list)  # contract no., due date, security
    links: list[LoanLink] = field(default_factory=list)  # who owes, guarantees, secures which loan
    loans_with_collateral: set[str] = field(default_factory=set)  # contract numbers
    events: list[FactEvent] = field(default_factory=list)
    ignored: list[dict[str, Any]] = field(default_factory=list)  # facts recorded that count for nothing
    main_claim_decided: tuple[date, str] | None = None
    loan_extensions: list[LoanExtension] = field(default_factory=list)  # CC 695 para 2
    deaths: list[PartyDeath] = field(default_factory=list)  # CC 194 para 1 (三); CPL 267 para 1 (三)
    # Days a general guarantor's first-recourse defence ended (担保解释 28): providers add those
    # of enforcement against the debtor, recovery those of the exceptions recorded.
    first_recourse_ends: list[FirstRecourseEnd] = field(default_factory=list)

    @property
    def main_debtor_ids(self) -> set[int]:
        ids = {party_id for party_id, role in self.parties if role in MAIN_DEBTOR_ROLES}
        return ids | {self.debtor_id}

    def links_of(self, contract_no: str) -> list[LoanLink]:
        return [link for link in self.links if link.contract_no == contract_no]

    def extensions_of(self, contract_no: str) -> list[LoanExtension]:
        return [extension for extension in self.loan_extensions if extension.contract_no == contract_no]

    def death_of(self, party_id: int) -> PartyDeath | None:
        return next((death for death in self.deaths if death.party_id == party_id), None)


Provider = Callable[[dict[int, CaseFacts]], Iterable[DeadlineSpec]]

_ACTION_EVENTS = {
    "announcement": EventKind.ANNOUNCEMENT,
    "account_debit": EventKind.ACCOUNT_DEBIT,
    "repayment": EventKind.PARTIAL_PAYMENT,
    "acknowledgement": EventKind.DEBTOR_ACKNOWLEDGED,
}


# Kinds the bank's own records prove (its ledger), whatever was attached.
_SELF_PROVING = {"account_debit", "repayment"}


@dataclass(frozen=True, slots=True)
class ActionFacts:
    """The parts of a collection action that matter to deadlines (read without model objects)."""

    kind: str
    acted_on: date
    reached: bool
    delivered_on: date | None
    addressed_to_id: int | None
    has_proof: bool
    pk: int | None = None


def action_event(action: ActionFacts, labels: dict[str, str]) -> FactEvent | None:
    """The event a collection action amounts to, or None (e.g. a demand never delivered)."""
    name = labels.get(action.kind, action.kind)
    if action.kind in DEMAND_ACTIONS:
        if not action.reached or not action.delivered_on:
            return None
        label = f"{name}，{action.delivered_on.isoformat()} 送达"
        return FactEvent(
            EventKind.DEMAND_DELIVERED,
            action.delivered_on,
            label,
            action.addressed_to_id,
            action.has_proof,
            action.pk,
        )
    kind = _ACTION_EVENTS.get(action.kind)
    if kind is None:
        return None
    proven = action.kind in _SELF_PROVING or action.has_proof
    label = f"{name}（{action.acted_on.isoformat()}）"
    return FactEvent(kind, action.acted_on, label, action.addressed_to_id, proven, action.pk)


def _events_against(case: CaseFacts, party_ids: set[int]) -> list[FactEvent]:
    return [event for event in case.events if event.against is None or event.against in party_ids]


def first_suit_filed(
    events: Iterable[FactEvent], *, since: date, until: date | None = None
) -> FactEvent | None:
    """The earliest suit filed on or after `since` (and on or before `until`, when given)."""
    suits = [
        event
        for event in events
        if event.kind == EventKind.SUIT_FILED and event.on >= since and (until is None or event.on <= until)
    ]
    return min(suits, key=lambda event: event.on) if suits else None


def _own_obstacles(events: list[FactEvent], party_ids: set[int]) -> list[FactEvent]:
    """The events without the obstacles of parties other than these: a co-debtor's death does
    not keep us from asking the others to pay, so it suspends nothing against them (CC 194)."""
    return [
        event
        for event in events
        if event.kind not in OBSTACLE_KINDS or event.against is None or event.against in party_ids
    ]


def case_specs(case: CaseFacts, calendar: RestDayCalendar | None = None) -> list[DeadlineSpec]:
    """Recovery's own deadlines of one case (limitation, mortgage, guarantee), per loan
    against the parties linked to that loan."""
    specs: list[DeadlineSpec] = []
    decided = case.main_claim_decided
    for contract_no, due_on, security in case.loans:
        subject = f"贷款 {contract_no}"
        subject_key = f"loan:{contract_no}"
        done_note = f"{decided[1]}（{decided[0].isoformat()}），改按申请执行期间跟踪" if decided else ""
        links = case.links_of(contract_no)
        debtors = [(case.debtor_id, BORROWER)] + [
            (link.party_id, link.role)
            for link in links
            if link.role == CO_BORROWER and link.party_id != case.debtor_id
        ]
        debtor_ids = {party_id for party_id, _role in debtors}
        # Co-borrowers of this loan share its interruptions (时效规定 15), not other loans'; an
        # obstacle (a death, CC 194) suspends only the limitation against its own party.
        main_events = _events_against(case, debtor_ids)
        obstacles = any(event.kind in OBSTACLE_KINDS for event in main_events)
        for party_id, role in debtors:
            death = case.death_of(party_id) if case.deaths else None
            own = period_events(_own_obstacles(main_events, {party_id}), due_on) if obstacles else main_events
            specs.append(
                DeadlineSpec(
                    case.case_id,
                    LIMITATION,
                    "limitation",
                    due_on,
                    subject,
                    subject_key,
                    party_id,
                    role,
                    own,
                    done_note=done_note,
                    notes=[death_note(death)] if death else [],
                )
            )
        # The mortgage lives within the main claim's limitation: suspended with it only while
        # the one debtor of the loan is the deceased.
        sole = debtor_ids if len(debtor_ids) == 1 else set()
        mortgage_events = main_events
        if obstacles:
            mortgage_events = period_events(_own_obstacles(main_events, sole), due_on)
        mortgagors: list[tuple[int, str, list[dict[str, str]]]] = [
            (link.party_id, link.role, []) for link in links if link.role == MORTGAGOR
        ]
        if (
            not mortgagors
            and contract_no in case.loans_with_collateral
            and MORTGAGE_SECURITY in security.split(",")
        ):
            collateral_note = {"date": due_on.isoformat(), "source": "移交清单", "text": COLLATERAL_NOTE}
            mortgagors = [(case.debtor_id, BORROWER, [collateral_note])]
        for party_id, role, notes in mortgagors:
            specs.append(
                DeadlineSpec(
                    case.case_id,
                    MORTGAGE,
                    "limitation",
                    due_on,
                    subject,
                    subject_key,
                    party_id,
                    role,
                    mortgage_events,
                    done_note=done_note,
                    notes=[
                        {"date": due_on.isoformat(), "source": "民法典第419条", "text": MORTGAGE_NOTE},
                        *notes,
                    ],
                )
            )
        for link in links:
            if link.role == GUARANTOR:
                specs.extend(_guarantee_specs(case, contract_no, due_on, link, calendar))
    return specs


def _guarantor_events(case: CaseFacts, party_id: int, since: date) -> list[FactEvent]:
    """What counts against a guarantor's own limitation from `since`: the later acts against
    him, and his death (CC 194) whenever it happened."""
    events = [
        event
        for event in case.events
        if event.against == party_id and (event.on > since or event.kind in OBSTACLE_KINDS)
    ]
    return period_events(events, since)


def _guarantee_specs(
    case: CaseFacts,
    contract_no: str,
    due_on: date,
    link: LoanLink,
    calendar: RestDayCalendar | None,
) -> list[DeadlineSpec]:
    subject = f"贷款 {contract_no}"
    subject_key = f"loan:{contract_no}"
    party_id, months = link.party_id, link.guarantee_months
    joint = link.guarantee_type == JOINT_GUARANTEE
    # CC 695 para 2: the loan's extensions move the period only as far as he consented.
    start = guarantee_trigger(due_on, case.extensions_of(contract_no), link) if case.loan_extensions else None
    trigger = start.on if start is not None else due_on
    period = DeadlineSpec(
        case.case_id,
        GUARANTEE_PERIOD,
        "guarantee_period",
        trigger,
        subject,
        subject_key,
        party_id,
        GUARANTOR,
        months=months,
        notes=list(start.notes) if start is not None else [],
    )
    # Where the period ends decides whether an act came in time; compute it once, as stored.
    try:
        result = compute_deadline(
            "guarantee_period", trigger, (), as_of=trigger, months=months, calendar=calendar
        )
    except UnsupportedDate:  # facts stored before the range was enforced: see supported_spec
        return [period]
    specs = [period]
    death = case.death_of(party_id) if case.deaths else None
    death_notes = [death_note(death)] if death else []
    if joint:
        legal_end = result.legal_end
        # A guarantee period is never suspended nor interrupted (CC 692): it always ends on a date.
        assert legal_end is not None  # noqa: S101  narrows the type; an invariant of the rule
        demands = [
            event
            for event in case.events
            if event.against == party_id
            and event.kind in (EventKind.DEMAND_DELIVERED, EventKind.SUIT_FILED)
            and trigger < event.on <= legal_end
        ]
        if demands:
            first = min(demands, key=lambda event: event.on)
            # CC 693(2): the guarantee is kept by a demand that reached the guarantor within the
            # period. The earliest proven one keeps it; with none proven, the earliest keeps it
            # once its proof is recorded (until then the period stays open: see evaluate).
            kept_by = min((event for event in demands if event.proven), key=lambda e: e.on, default=first)
            period.done_note = f"已在保证期间内向连带保证人主张：{kept_by.label}"
            period.events = [kept_by]
            period.done_by = [kept_by]
            # The guarantor's own limitation runs from the earliest demand: the earlier date.
            specs.append(
                DeadlineSpec(
                    case.case_id,
                    GUARANTOR_LIMITATION,
                    "limitation",
                    first.on,
                    subject,
                    subject_key,
                    party_id,
                    GUARANTOR,
                    _guarantor_events(case, party_id, first.on),
                    notes=[
                        {
                            "date": first.on.isoformat(),
                            "source": "民法典第694条第2款",
                            "text": f"债权人在保证期间届满前请求连带责任保证人承担保证责任（{first.label}），"
                            f"保证债务的诉讼时效自{cn_date(first.on)}起算。"
                            + ("" if kept_by.proven else UNPROVEN_DEMAND_ON_GUARANTOR),
                        },
                        *death_notes,
                    ],
                )
            )
        return specs
    # CC 693(1): a general guarantee is kept by suing the debtor within the period.
    suit = first_suit_filed(case.events, since=trigger + timedelta(days=1), until=result.legal_end)
    ended = first_recourse_end(case.first_recourse_ends, link) if case.first_recourse_ends else None
    if suit is None:
        if ended is not None:
            period.notes.append(
                {
                    "date": ended.on.isoformat(),
                    "source": "民法典第693条第1款",
                    "text": f"{ended.text}；但一般保证的保证期间仍须在届满前对债务人提起诉讼或者申请仲裁"
                    "才能保全，保证债务的诉讼时效自此后方可起算。",
                }
            )
        return specs
    period.done_note = f"已在保证期间内对债务人起诉：{suit.label}"
    period.events = [suit]
    period.done_by = [suit]
    if ended is None:
        period.notes.append(
            {
                "date": suit.on.isoformat(),
                "source": "民法典第694条第1款",
                "text": "一般保证人的保证债务诉讼时效自其先诉抗辩权消灭之日起算（通常为对债务人强制执行"
                "无果之日）；该日无法从现有记录推定，请在执行程序终结后登记并另行跟踪（保守处理）。",
            }
        )
        return specs
    # CC 694 para 1; 担保解释 28: from the day the defence was extinguished, not before the debt fell due.
    own_start = max(ended.on, due_on)
    before_due = f"（早于主债务到期日，自到期日{cn_date(due_on)}起算）" if ended.on < due_on else ""
    specs.append(
        DeadlineSpec(
            case.case_id,
            GUARANTOR_LIMITATION,
            "limitation",
            own_start,
            subject,
            subject_key,
            party_id,
            GUARANTOR,
            _guarantor_events(case, party_id, own_start),
            notes=[
                {
                    "date": own_start.isoformat(),
                    "source": ended.source,
                    "text": f"一般保证的债权人已在保证期间届满前对债务人起诉（{suit.label}）；{ended.text}，"
                    f"先诉抗辩权消灭，保证债务的诉讼时效自{cn_date(own_start)}起算{before_due}（民法典第694条第1款）。",
                },
                *death_notes,
            ],
        )
    )
    return specs


OUT_OF_RANGE_EVENT = "{label}：日期 {day} 不在支持的日期范围（{first} 至 {last}）内，未予计入；请更正该记录。"


def _supported(day: date) -> bool:
    return EARLIEST_SUPPORTED_DATE <= day <= LATEST_SUPPORTED_DATE


def supported_spec(spec: DeadlineSpec) -> DeadlineSpec | None:
    """The spec with the facts the engine can compute, or None when it cannot be computed.

    The models refuse dates outside the supported range, but rows written before they did
    (or by raw SQL) may hold one: an event so dated is left out and the explanation says
    so; a trigger or agreed period out of range skips the deadline (logged), rather than
    failing every write to the case."""
    if not _supported(spec.trigger) or (
        spec.months is not None and not 1 <= spec.months <= MAX_GUARANTEE_MONTHS
    ):
        logger.warning(
            "deadline %s of case %s not computed: trigger %s / months %s outside the supported range",
            spec.key,
            spec.case_id,
            spec.trigger,
            spec.months,
        )
        return None
    if all(_supported(event.on) for event in spec.events):
        return spec
    first, last = EARLIEST_SUPPORTED_DATE.isoformat(), LATEST_SUPPORTED_DATE.isoformat()
    for event in spec.events:
        if not _supported(event.on):
            text = OUT_OF_RANGE_EVENT.format(
                label=event.label, day=event.on.isoformat(), first=first, last=last
            )
            spec.notes.append({"date": spec.trigger.isoformat(), "source": "系统日期范围", "text": text})
    spec.events = [event for event in spec.events if _supported(event.on)]
    return spec


def _engine_events(events: Iterable[FactEvent]) -> tuple[Event, ...]:
    return tuple(Event(event.kind, event.on) for event in events)


def _labels(events: Iterable[FactEvent]) -> str:
    return "；".join(event.label for event in events)


def act_by_step(proven_only: DeadlineResult, unproven: list[FactEvent], once_proven: date) -> dict[str, str]:
    """The step that set the act-by date when the unproven facts are left out: the rule's own
    step (its start, or the proven interruption that restarted it) of that computation."""
    steps = proven_only.steps
    basis = next((step for step in reversed(steps) if step.kind == StepKind.PERIOD), steps[0])
    # Only a computation that ended in a date has an act-by step to explain.
    assert proven_only.safe_end is not None  # noqa: S101  narrows the type; an invariant, not validation
    text = (
        f"不计无送达凭证的事实（{_labels(unproven)}）：{basis.text}"
        f"台账和提醒以{cn_date(proven_only.safe_end)}为准；凭证登记后以{cn_date(once_proven)}为准。"
    )
    return {"date": basis.on.isoformat(), "source": basis.source, "text": text, "kind": ACT_BY_STEP}


def evaluate(spec: DeadlineSpec, *, today: date, calendar: RestDayCalendar) -> dict[str, Any]:
    """The stored values of one deadline: the engine's dates and steps, plus done and risk.

    `act_by` is the date the docket acts on: the earliest any unproven fact could make it (the
    date without them, `conservative_safe_end`, where they move it). A deadline whose completion
    rests on an unproven fact is not done: it is acted on by its end, and `done_once_proven`
    says what completes it once the proof is recorded."""
    result = compute_deadline(
        spec.rule,
        spec.trigger,
        _engine_events(spec.events) if spec.rule in EVENT_RULES else (),
        as_of=today,
        months=spec.months,
        calendar=calendar,
    )
    steps = [step.as_stored() for step in result.steps] + [{**note, "kind": NOTE_STEP} for note in spec.notes]
    at_risk_note = ""
    conservative = None
    unproven = [event for event in spec.events if not event.proven]
    if unproven and result.safe_end is not None and spec.rule in EVENT_RULES:
        proven_only = compute_deadline(
            spec.rule,
            spec.trigger,
            _engine_events(event for event in spec.events if event.proven),
            as_of=today,
            months=spec.months,
            calendar=calendar,
        )
        if proven_only.safe_end is not None and proven_only.safe_end != result.safe_end:
            conservative = proven_only.safe_end
            at_risk_note = "依赖无送达凭证的事实：" + _labels(unproven)
            steps.append(act_by_step(proven_only, unproven, result.safe_end))
    done_note = spec.done_note
    done_once_proven = ""
    unproven_completion = [event for event in spec.done_by if not event.proven]
    if done_note and unproven_completion:
        # E.g. a demand on a joint guarantor (CC 693(2)) that cannot be proven kept nothing:
        # the period stays open and alerted until the proof is recorded.
        done_once_proven, done_note = done_note, ""
        at_risk_note = (
            "完成依据缺少送达凭证：" + _labels(unproven_completion) + "；凭证登记前，须在本期限届满前办理"
        )
    if not done_note and result.status == Status.PENDING_PROCEEDINGS:
        done_note = "已起诉，时效中断，诉讼期间不再计算（民法典第195条）"
    facts = [
        {
            "date": event.on.isoformat(),
            "label": event.label,
            "kind": str(event.kind),
            "proven": event.proven,
            "action": event.action_id,
        }
        for event in spec.events
    ]
    # `conservative` is set only beside a result with a safe end.
    act_by = (
        result.safe_end
        if conservative is None or result.safe_end is None
        else min(conservative, result.safe_end)
    )
    return {
        "kind": spec.kind,
        "rule": spec.rule,
        "party_id": spec.party_id,
        "party_role": spec.party_role,
        "subject": spec.subject[:200],
        "trigger": spec.trigger,
        "raw_end": result.raw_end,
        "legal_end": result.legal_end,
        "safe_end": result.safe_end,
        "status": Status(result.status).value,
        "calendar_provisional": result.calendar_provisional,
        "steps": steps,
        "facts": facts,
        "done": bool(done_note),
        "done_note": done_note[:200],
        "at_risk": bool(at_risk_note),
        "at_risk_note": at_risk_note[:300],
        "conservative_safe_end": conservative,
        "act_by": act_by,
        "done_once_proven": done_once_proven[:200],
    }


# The stored values in STORED_FIELDS order, read in one call (every deadline is fingerprinted).
_stored_values = itemgetter(*STORED_FIELDS)


def fingerprint(values: dict[str, Any]) -> str:
    """A digest of a deadline's stored values (their repr is stable: dicts keep their order).
    Text is digested as plain text, so a kind given as a model's choice and the same kind given
    as its value digest alike."""
    canonical = [str(value) if isinstance(value, str) else value for value in _stored_values(values)]
    return hashlib.md5(repr(canonical).encode(), usedforsecurity=False).hexdigest()
