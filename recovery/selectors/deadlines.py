"""Reads of the stored deadlines (listing, dashboard, case page) and the calculator's runs.

Every computation shown in the interface goes through `deadline_compute`, which is the
contract's `compute_from_json` with the docket's calendar (administrator-entered years
included): the "what if" form, the standalone calculator and the HTTP API give the same
answer as `manage.py deadline`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from recovery.deadlines import EVENT_RULES
from recovery.deadlines.calculator import compute_from_json
from recovery.models import Case, Deadline, Role
from recovery.selectors.access import cases_visible_to, role_of
from recovery.services.deadlines import all_specs, collect_facts, deadline_calendar

# The listing's "due" filter: open deadlines whose act-by date is within N days, or past
# (lapsed: all of them, or those nobody has decided on yet).
DUE_WINDOWS = {"7": 7, "30": 30, "90": 90}
LAPSED = "lapsed"
LAPSED_UNDECIDED = "lapsed_undecided"
OVERDUE = "overdue"  # the earlier name of "lapsed", kept for bookmarked links
DASHBOARD_ROWS = 10
DASHBOARD_HORIZON_DAYS = 90


# --- listing -------------------------------------------------------------------------------


def deadlines_visible_to(user: Any) -> QuerySet[Deadline]:
    return Deadline.objects.filter(case__in=cases_visible_to(user).order_by().values("pk"))


def deadline_listing(queryset: QuerySet[Deadline]) -> QuerySet[Deadline]:
    """What the listing shows of each deadline, in a fixed number of queries whatever the length."""
    return queryset.select_related("case", "party")


def filter_due(queryset: QuerySet[Deadline], window: str, *, today: date) -> QuerySet[Deadline]:
    if window in (LAPSED, OVERDUE):
        return queryset.lapsed(today)
    if window == LAPSED_UNDECIDED:
        return queryset.lapsed_undecided(today)
    if window in DUE_WINDOWS:
        return queryset.due_within(today, DUE_WINDOWS[window])
    return queryset


# --- dashboard -----------------------------------------------------------------------------


@dataclass
class DeadlineCounts:
    lapsed_undecided: int = 0  # lapsed and nobody recorded a decision: the ones to decide
    within_7: int = 0
    within_30: int = 0
    within_90: int = 0


@dataclass
class DashboardDeadlines:
    mine: DeadlineCounts
    upcoming: list[Deadline]
    scope: DeadlineCounts | None = None  # everything the user sees, for managers, head, auditors
    windows: dict[str, str] = field(default_factory=dict)


def deadline_counts(queryset: QuerySet[Deadline], *, today: date) -> DeadlineCounts:
    """Lapsed deadlines not decided yet, and open ones due within 7, 30 and 90 days (each window
    includes the shorter). A decided lapse counts no more: it was said and dealt with."""

    def within(days: int) -> Q:
        return Q(act_by__gte=today, act_by__lte=today + timedelta(days=days))

    totals = queryset.open().aggregate(
        lapsed_undecided=Count("pk", filter=Q(act_by__lt=today, lapse_decision="")),
        within_7=Count("pk", filter=within(7)),
        within_30=Count("pk", filter=within(30)),
        within_90=Count("pk", filter=within(90)),
    )
    return DeadlineCounts(**totals)


def dashboard_deadlines(user: Any, *, today: date) -> DashboardDeadlines:
    """The user's own open deadlines (cases assigned to them) and, for those who oversee
    others, the counts over every case they can see."""
    visible = deadlines_visible_to(user)
    mine = visible.filter(case__assignee=user)
    # Live ones only: lapsed deadlines are counted (to decide), not listed above the urgent ones.
    upcoming = list(
        deadline_listing(mine.live(today).filter(act_by__lte=today + timedelta(days=DASHBOARD_HORIZON_DAYS)))
        .select_related("case__debtor")
        .order_by("act_by", "pk")[:DASHBOARD_ROWS]
    )
    oversees = role_of(user) in (Role.MANAGER, Role.HEAD, Role.AUDITOR)
    return DashboardDeadlines(
        mine=deadline_counts(mine, today=today),
        upcoming=upcoming,
        scope=deadline_counts(visible, today=today) if oversees else None,
    )


# --- case page -----------------------------------------------------------------------------


def case_deadlines(case: Case) -> list[Deadline]:
    """The case's deadlines: open ones first, soonest first; those with no date yet last."""
    return list(
        Deadline.objects.filter(case=case)
        .select_related("party", "lapse_decided_by")
        .order_by("done", F("act_by").asc(nulls_last=True), "kind", "pk")
    )


# --- the calculator ------------------------------------------------------------------------


def deadline_compute(item: dict[str, Any], *, today: date | None = None) -> dict[str, Any]:
    """One contract input object → one output object, on the docket's calendar.
    Raises `recovery.lib.jsoncli.InputProblems` on bad input."""
    return compute_from_json(item, calendar=deadline_calendar(), today=today)


@dataclass
class StoredInputs:
    """What the engine was given for a stored deadline: the contract's input, plus labels."""

    rule: str
    trigger: date
    months: int | None
    events: list[dict[str, Any]]  # {"type", "date", "label", "proven", "action"}
    events_apply: bool  # False for rules that ignore events (the engine says so)

    @property
    def unproven(self) -> list[dict[str, Any]]:
        """The stored events without proof, where events count (they may move the act-by date)."""
        return [e for e in self.events if not e["proven"]] if self.events_apply else []

    def as_item(
        self,
        *,
        extra_events: Sequence[dict[str, str]] = (),
        as_of: str | None = None,
        proven_only: bool = False,
    ) -> dict[str, Any]:
        """The contract's input; `proven_only` leaves out the stored events without proof (what
        the act-by date is computed from)."""
        item: dict[str, Any] = {"rule": self.rule, "trigger": self.trigger.isoformat()}
        stored = [e for e in self.events if e["proven"] or not proven_only] if self.events_apply else []
        events = [{"type": e["type"], "date": e["date"]} for e in stored]
        events += list(extra_events)
        if events:
            item["events"] = events
        if self.months is not None:
            item["months"] = self.months
        if as_of:
            item["as_of"] = as_of
        return item


def deadline_stored_inputs(deadline: Deadline) -> StoredInputs:
    """Rebuild the engine's input for `deadline` from the case's current facts (the same
    collection the recompute uses); fall back to the facts stored on the row."""
    facts = collect_facts([deadline.case_id])
    for spec in all_specs(facts, deadline_calendar()):
        if spec.case_id == deadline.case_id and spec.key == deadline.key:
            events = [
                {
                    "type": str(e.kind),
                    "date": e.on.isoformat(),
                    "label": e.label,
                    "proven": e.proven,
                    "action": e.action_id,
                }
                for e in sorted(spec.events, key=lambda e: e.on)
            ]
            return StoredInputs(spec.rule, spec.trigger, spec.months, events, spec.rule in EVENT_RULES)
    events = [
        {
            "type": f["kind"],
            "date": f["date"],
            "label": f["label"],
            "proven": f.get("proven", True),
            "action": f.get("action"),
        }
        for f in sorted(deadline.facts or [], key=lambda f: f["date"])
    ]
    return StoredInputs(deadline.rule, deadline.trigger, None, events, deadline.rule in EVENT_RULES)
