"""Deadlines on the docket: gather each case's facts, run the pure engine, store the results.

One service, `deadlines_recompute`, is the only writer of `Deadline` rows. It runs inside the
transaction of whatever changed a fact (it listens to `case_facts_changed`, which every docket
write, the import and the admin go through), from `recompute_deadlines`, and when a holiday
year is entered. Which deadlines the facts give, and their values, is pure
(`recovery.deadlines.docket`); this module reads the facts in bulk and writes the rows. Other
apps add facts and deadlines of their own through providers, registered with
`recovery.registry.register_deadline_provider` in the order they must run; `recovery` itself
imports none of them.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from recovery.deadlines import EventKind, RestDayCalendar
from recovery.deadlines.docket import (
    STORED_FIELDS,
    ActionFacts,
    CaseFacts,
    DeadlineSpec,
    FactEvent,
    LoanExtension,
    LoanLink,
    action_event,
    case_specs,
    evaluate,
    fingerprint,
    supported_spec,
)
from recovery.deadlines.estate import (
    EstateFacts,
    HeirFacts,
    administrator_demands,
    estate_death,
    estate_events,
)
from recovery.deadlines.guarantee import exception_recourse_end
from recovery.lib.audit import AuditKind, audit_action
from recovery.lib.bulk import bulk_insert_values, chunks, gc_paused
from recovery.models import (
    DEMAND_KINDS,
    ActionKind,
    Case,
    CaseParty,
    Collateral,
    CollectionAction,
    Deadline,
    Estate,
    EstateRecipient,
    FirstRecourseException,
    HolidayYear,
    Loan,
    LoanChange,
    LoanChangeKind,
    LoanParty,
)
from recovery.registry import deadline_kind, deadline_providers

logger = logging.getLogger(__name__)

CHUNK = 2000  # cases per round of reads and writes


# A new row has no decision on a lapse (the bulk insert names every column).
UNDECIDED_LAPSE = {
    "lapse_decision": "",
    "lapse_reason": "",
    "lapse_decided_by_id": None,
    "lapse_decided_at": None,
}


DateChange = tuple[int, date | None, date | None]  # deadline id, old act_by, new act_by
_date_listeners: list[Callable[[list[DateChange], date], None]] = []


def register_deadline_date_listener(listener: Callable[[list[DateChange], date], None]) -> None:
    """Hear of deadlines created or whose act-by date moved (the alerts send urgent ones at once)."""
    if listener not in _date_listeners:
        _date_listeners.append(listener)


# --- the calendar ------------------------------------------------------------------------


def deadline_calendar() -> RestDayCalendar:
    """The package's calendar plus the administrator-entered years; rebuilt when they change."""
    stamp = HolidayYear.objects.aggregate(latest=Max("updated_at"))["latest"]
    count = HolidayYear.objects.count() if stamp else 0
    version = f"{stamp.isoformat() if stamp else '-'}:{count}"
    cached = _calendar_cache.get("calendar")
    if cached is not None and cached[0] == version:
        return cached[1]
    calendar = RestDayCalendar({entry.year: entry.notice_days() for entry in HolidayYear.objects.all()})
    _calendar_cache["calendar"] = (version, calendar)
    return calendar


_calendar_cache: dict[str, tuple[str, RestDayCalendar]] = {}


# --- facts -------------------------------------------------------------------------------


def action_labels() -> dict[str, str]:
    """Chinese names of the action kinds: explanations are written in Chinese, whoever reads."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in ActionKind.choices}


def collect_facts(case_ids: list[int]) -> dict[int, CaseFacts]:
    """Read the facts of these cases in a fixed number of queries."""
    facts = {
        case_id: CaseFacts(case_id=case_id, debtor_id=debtor_id)
        for case_id, debtor_id in Case.objects.filter(pk__in=case_ids).values_list("pk", "debtor_id")
    }
    for case_id, party_id, role in CaseParty.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "party_id", "role"
    ):
        facts[case_id].parties.append((party_id, role))
    links = LoanParty.objects.filter(case_party__case_id__in=case_ids).order_by("loan_id", "pk")
    for case_id, *values in links.values_list(
        "case_party__case_id",
        "case_party__party_id",
        "case_party__role",
        "loan__contract_no",
        "guarantee_type",
        "guarantee_months",
        "pk",
    ):
        facts[case_id].links.append(LoanLink(*values))
    _collect_guarantee_facts(facts, case_ids)
    # A completely terminated loan (呆账办法 art. 16) is off the docket: no deadline runs for it.
    # A written-off one stays (账销案存: its limitation, guarantees and seizures are still watched).
    loans = (
        Loan.objects.filter(case_id__in=case_ids, terminated_on__isnull=True)
        .annotate(has_collateral=Exists(Collateral.objects.filter(loan_id=OuterRef("pk"))))
        .values_list(
            "case_id", "contract_no", "due_on", "security_types", "last_payment_on", "has_collateral"
        )
    )
    for case_id, contract_no, due_on, security, last_payment_on, has_collateral in loans.order_by(
        "due_on", "contract_no"
    ):
        case = facts[case_id]
        case.loans.append((contract_no, due_on, security))
        if has_collateral:
            case.loans_with_collateral.add(contract_no)
        if last_payment_on and last_payment_on > due_on:
            # The bank's own ledger: a payment after the due date interrupts (时效规定 14).
            label = f"贷款 {contract_no} 最后还款（{last_payment_on.isoformat()}，移交数据）"
            case.events.append(FactEvent(EventKind.PARTIAL_PAYMENT, last_payment_on, label))
    labels = action_labels()
    actions = CollectionAction.objects.filter(case_id__in=case_ids).order_by("acted_on", "pk")
    for pk, case_id, *values, proof_file, tracking_number, signed_on in actions.values_list(
        "pk",
        "case_id",
        "kind",
        "acted_on",
        "reached",
        "delivered_on",
        "addressed_to_id",
        "proof_file",
        "tracking_number",
        "signed_on",
    ):
        # Same rule as CollectionAction.has_proof: a file, a tracking number or a signed receipt.
        action = ActionFacts(*values, has_proof=bool(proof_file or tracking_number or signed_on), pk=pk)
        event = action_event(action, labels)
        if event is not None:
            facts[case_id].events.append(event)
        elif action.kind in DEMAND_KINDS:
            facts[case_id].ignored.append(
                {
                    "date": action.acted_on.isoformat(),
                    "label": f"{labels.get(action.kind, action.kind)}（{action.acted_on.isoformat()}）未送达",
                    "effect": "未送达对方，不中断时效（时效规定第8条）",
                }
            )
    _collect_estates(facts, case_ids)
    return facts


def _collect_guarantee_facts(facts: dict[int, CaseFacts], case_ids: list[int]) -> None:
    """The loans' extensions with the guarantee links that consented (CC 695 para 2), and the
    exceptions to a general guarantor's first-recourse defence (担保解释 28 para 2): three queries."""
    changes = LoanChange.objects.filter(
        loan__case_id__in=case_ids, kind=LoanChangeKind.EXTENSION, new_due_on__isnull=False
    )
    consented: dict[int, set[int]] = {}
    through = LoanChange.consenting_guarantors.through.objects.filter(loanchange__in=changes)
    for change_id, link_id in through.values_list("loanchange_id", "loanparty_id"):
        consented.setdefault(change_id, set()).add(link_id)
    for case_id, contract_no, pk, agreed_on, previous_due_on, new_due_on in changes.order_by(
        "agreed_on", "pk"
    ).values_list("loan__case_id", "loan__contract_no", "pk", "agreed_on", "previous_due_on", "new_due_on"):
        consenting = frozenset(consented.get(pk, ()))
        facts[case_id].loan_extensions.append(
            LoanExtension(contract_no, agreed_on, previous_due_on, new_due_on, consenting, pk)
        )
    exceptions = FirstRecourseException.objects.filter(link__case_party__case_id__in=case_ids)
    for case_id, link_id, kind, known_on in exceptions.order_by("known_on", "pk").values_list(
        "link__case_party__case_id", "link_id", "kind", "known_on"
    ):
        facts[case_id].first_recourse_ends.append(
            exception_recourse_end(link_id=link_id, kind=kind, known_on=known_on)
        )


def _collect_estates(facts: dict[int, CaseFacts], case_ids: list[int]) -> None:
    """Deceased obligors' estates (CC 194 para 1 (三); 总则编解释 38 para 2): two queries. Runs
    after the collection actions, whose demands on the administrator it maps onto the deceased."""
    heirs: dict[int, list[HeirFacts]] = {}
    for estate_id, *values in (
        EstateRecipient.objects.filter(estate__case_id__in=case_ids)
        .order_by("pk")
        .values_list("estate_id", "party_id", "party__name", "kind", "accepted_on", "renounced")
    ):
        heirs.setdefault(estate_id, []).append(HeirFacts(*values))
    estates = Estate.objects.filter(case_id__in=case_ids).order_by("died_on", "pk")
    for (
        pk,
        case_id,
        deceased_id,
        name,
        died_on,
        admin_id,
        admin_name,
        admin_kind,
        known_on,
    ) in estates.values_list(
        "pk",
        "case_id",
        "deceased_id",
        "deceased__name",
        "died_on",
        "administrator_id",
        "administrator__name",
        "administrator_kind",
        "administrator_known_on",
    ):
        estate = EstateFacts(
            deceased_id,
            name,
            died_on,
            admin_id,
            admin_name or "",
            admin_kind,
            known_on,
            tuple(heirs.get(pk, ())),
        )
        case = facts[case_id]
        death = estate_death(estate)
        case.deaths.append(death)
        case.events.extend(administrator_demands(estate, case.events))
        case.events.extend(estate_events(death))


# --- specs -------------------------------------------------------------------------------


def all_specs(facts: dict[int, CaseFacts], calendar: RestDayCalendar | None = None) -> list[DeadlineSpec]:
    """Providers first, events before specs (recovery.registry.deadline_providers): they add
    the events (suits, judgments) later providers and recovery's own rules depend on. A spec
    of a kind no app registered is refused (UnknownDeadlineKind): it could be stored, but
    never listed, alerted or explained."""
    specs: list[DeadlineSpec] = []
    for provider in deadline_providers():
        provided = list(provider(facts))
        for kind in {spec.kind for spec in provided}:
            deadline_kind(kind)
        specs.extend(provided)
    for case in facts.values():
        specs.extend(case_specs(case, calendar))
    return specs


# --- computing and storing ---------------------------------------------------------------


@dataclass
class RecomputeSummary:
    cases: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@transaction.atomic
@gc_paused()  # a bulk job: see recovery.lib.bulk.gc_paused
def deadlines_recompute(
    *, case_ids: Iterable[int] | None = None, today: date | None = None
) -> RecomputeSummary:
    """Recompute and store the deadlines of these cases (all cases when None). Rows keep their
    ids from one run to the next (alerts refer to them); only changed rows are written."""
    today = today or timezone.localdate()
    calendar = deadline_calendar()
    ids = (
        sorted(set(case_ids))
        if case_ids is not None
        else list(Case.objects.order_by("pk").values_list("pk", flat=True))
    )
    summary = RecomputeSummary(cases=len(ids))
    now = timezone.now()
    moved: list[DateChange] = []
    for chunk in chunks(ids, CHUNK):
        wanted = _wanted_deadlines(chunk, today=today, calendar=calendar)
        # Stored rows are compared by fingerprint: reading 100,000s of explanations back to
        # compare them would cost more than computing them.
        existing = {
            (case_id, key): (pk, digest, act_by, decided)
            for case_id, key, pk, digest, act_by, decided in Deadline.objects.filter(
                case_id__in=chunk
            ).values_list("case_id", "key", "pk", "fingerprint", "act_by", "lapse_decision")
        }
        to_create: list[dict[str, Any]] = []
        to_update: list[Deadline] = []
        undecide: list[Deadline] = []  # a decision on a lapse that a moved act-by date undoes
        for (case_id, key), values in wanted.items():
            stored = existing.pop((case_id, key), None)
            values["fingerprint"] = fingerprint(values)
            if stored is None:
                to_create.append(
                    {"case_id": case_id, "key": key, "computed_at": now, **values, **UNDECIDED_LAPSE}
                )
            elif stored[1] != values["fingerprint"]:
                row = Deadline(pk=stored[0], case_id=case_id, key=key, computed_at=now, **values)
                if stored[2] != values["act_by"]:
                    moved.append((stored[0], stored[2], values["act_by"]))
                    if stored[3]:
                        undecide.append(row)
                to_update.append(row)
            else:
                summary.unchanged += 1
        new_ids = bulk_insert_values(Deadline, to_create)
        moved.extend((pk, None, row["act_by"]) for pk, row in zip(new_ids, to_create, strict=True))
        Deadline.objects.bulk_update(
            to_update, [*STORED_FIELDS, "fingerprint", "computed_at"], batch_size=CHUNK
        )
        if undecide:
            from recovery.services.lapses import lapse_decisions_clear

            lapse_decisions_clear(deadlines=undecide, old_act_by={pk: old for pk, old, _new in moved})
        if existing:
            Deadline.objects.filter(pk__in=[stored[0] for stored in existing.values()]).delete()
        summary.created += len(to_create)
        summary.updated += len(to_update)
        summary.deleted += len(existing)
    if moved:
        for listener in _date_listeners:
            listener(moved, today)
    return summary


def _wanted_deadlines(
    case_ids: list[int], *, today: date, calendar: RestDayCalendar
) -> dict[tuple[int, str], dict[str, Any]]:
    """The stored values of every deadline these cases' facts give, by (case id, key)."""
    wanted: dict[tuple[int, str], dict[str, Any]] = {}
    for spec in all_specs(collect_facts(case_ids), calendar):
        if (supported := supported_spec(spec)) is not None:
            wanted[(spec.case_id, spec.key)] = evaluate(supported, today=today, calendar=calendar)
    return wanted


def deadlines_on_facts_changed(*, case_ids: set[int], user: Any = None) -> None:
    """Listener for `case_facts_changed`: same transaction, so the docket is never stale."""
    deadlines_recompute(case_ids=case_ids)


HOLIDAY_YEAR_ENTERED = audit_action(
    "recovery.holiday_year.entered",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Enter a year's holiday notice"),
    past_label=gettext_lazy("Holiday notice entered"),
)
HOLIDAY_YEAR_CORRECTED = audit_action(
    "recovery.holiday_year.corrected",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Correct a year's holiday notice"),
    past_label=gettext_lazy("Holiday notice corrected"),
)
HOLIDAY_YEAR_DELETED = audit_action(
    "recovery.holiday_year.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a year's holiday notice"),
    past_label=gettext_lazy("Holiday notice deleted"),
)


@transaction.atomic
def holiday_year_save(*, holiday_year: HolidayYear, user: Any) -> HolidayYear:
    """Enter (or correct) a year's holiday notice and recompute every deadline touching it."""
    from recovery.services.cases import record_create, record_update

    instance = holiday_year
    if instance.pk is None:
        record_create(instance=instance, user=user, source="holiday notice", action=HOLIDAY_YEAR_ENTERED)
    else:
        record_update(instance=instance, user=user, source="holiday notice", action=HOLIDAY_YEAR_CORRECTED)
    _calendar_cache.clear()
    affected = _cases_with_a_date_in(instance.year) | set(
        Deadline.objects.filter(calendar_provisional=True).values_list("case_id", flat=True)
    )
    deadlines_recompute(case_ids=affected)
    return instance


@transaction.atomic
def holiday_year_delete(*, holiday_year: HolidayYear, user: Any) -> None:
    """Remove a year's holiday notice (audited) and recompute every deadline with a date in
    that year: they fall back to weekends and the statutory holidays and are flagged provisional again."""
    from recovery.services.cases import record_delete

    instance = holiday_year
    affected = _cases_with_a_date_in(instance.year)
    record_delete(instance=instance, user=user, source="holiday notice", action=HOLIDAY_YEAR_DELETED)
    _calendar_cache.clear()
    deadlines_recompute(case_ids=affected)


def _cases_with_a_date_in(year: int) -> set[int]:
    """Cases with a deadline whose raw, legal or safe end falls in `year`."""
    rows = (
        Deadline.objects.filter(raw_end__year=year)
        | Deadline.objects.filter(legal_end__year=year)
        | Deadline.objects.filter(safe_end__year=year)
        | Deadline.objects.filter(act_by__year=year)
    )
    return set(rows.values_list("case_id", flat=True))


__all__ = [
    "CaseFacts",
    "DeadlineSpec",
    "FactEvent",
    "deadline_calendar",
    "deadlines_recompute",
    "holiday_year_delete",
    "holiday_year_save",
]
