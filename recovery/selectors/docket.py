"""Reads of the docket: listings, the case page, the timeline, the dashboard."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Min, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from wagtail import hooks
from wagtail.models import ModelLogEntry

from recovery.lib.masking import reveal_log_messages
from recovery.models import Case, CollectionAction, Loan

ZERO = Value(0, output_field=DecimalField(max_digits=16, decimal_places=2))

# Overdue buckets by the earliest due date of the case's loans (days overdue, inclusive).
OVERDUE_BUCKETS: dict[str, tuple[int, int | None]] = {
    "m0_3": (0, 90),
    "m4_6": (91, 180),
    "m7_12": (181, 365),
    "y1_3": (366, 1095),
    "y3_plus": (1096, None),
}


def _loan_subquery(aggregate: Any) -> Subquery:
    return Subquery(
        Loan.objects.filter(case=OuterRef("pk")).values("case").annotate(value=aggregate).values("value")[:1]
    )


def case_listing(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with what the docket lists, in a fixed number of queries whatever the length."""
    return queryset.select_related("debtor", "branch", "assignee", "default_cause").annotate(
        principal_total=Coalesce(_loan_subquery(Sum("principal_outstanding")), ZERO),
        first_due_on=_loan_subquery(Min("due_on")),
    )


def filter_overdue_bucket(queryset: QuerySet[Case], bucket: str, *, today: date) -> QuerySet[Case]:
    low, high = OVERDUE_BUCKETS[bucket]
    queryset = queryset.filter(first_due_on__lte=today - timedelta(days=low))
    if high is not None:
        queryset = queryset.filter(first_due_on__gte=today - timedelta(days=high))
    return queryset


@dataclass(frozen=True)
class TimelineEvent:
    on: date
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    at_risk: bool = False


def case_timeline(case: Case) -> list[TimelineEvent]:
    """Everything that happened on the case, newest first; other apps add theirs by the
    `recovery_case_timeline` hook (a function of the case returning TimelineEvents)."""
    from django.utils.translation import gettext as _

    events: list[TimelineEvent] = []
    for loan in case.loans.all():
        events.append(
            TimelineEvent(loan.disbursed_on, "loan", _("Loan %(c)s disbursed") % {"c": loan.contract_no})
        )
        events.append(TimelineEvent(loan.due_on, "loan", _("Loan %(c)s due") % {"c": loan.contract_no}))
        events.append(
            TimelineEvent(loan.handed_over_on, "loan", _("Loan %(c)s handed over") % {"c": loan.contract_no})
        )
    for action in case.collection_actions.all():
        detail = action.outcome
        if action.reached and action.delivered_on:
            detail = _("Delivered on %(d)s. ") % {"d": action.delivered_on} + detail
        events.append(
            TimelineEvent(
                action.acted_on,
                "collection",
                f"{action.get_kind_display()}"
                + (f" → {action.addressed_to.name}" if action.addressed_to else ""),
                detail,
                at_risk=action.reached and not action.has_proof,
            )
        )
    for contribute in hooks.get_hooks("recovery_case_timeline"):
        events.extend(contribute(case))
    events.sort(key=lambda e: e.on, reverse=True)
    return events


def case_page_queryset(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with everything the case page and its own sections show, fetched with the case:
    the page then costs the same queries for 2 loans, parties and actions or 200. The sections
    other apps add (`recovery_case_sections`) fetch their rows once per page through their own
    selectors, given this same case object."""
    return queryset.select_related("debtor", "branch", "assignee", "default_cause").prefetch_related(
        "loans__instalments",
        "case_parties__party",
        "collection_actions__addressed_to",
        "collection_actions__performed_by",
        "shared_with",
    )


@dataclass(frozen=True)
class CaseTotals:
    principal: Decimal
    outstanding: Decimal


def case_totals(case: Case) -> CaseTotals:
    """What the case's loans still owe, from its prefetched loans."""
    loans = list(case.loans.all())
    return CaseTotals(
        principal=sum((loan.principal_outstanding for loan in loans), Decimal("0.00")),
        outstanding=sum((loan.total_outstanding for loan in loans), Decimal("0.00")),
    )


def recent_activity(case_ids: QuerySet | list[int], *, viewer: Any, limit: int = 15) -> list[ModelLogEntry]:
    """The latest audited changes on these cases, their messages as `viewer` may read them."""
    entries = (
        ModelLogEntry.objects.filter(data__case__in=list(case_ids))
        .select_related("user", "content_type")
        .order_by("-timestamp")[:limit]
    )
    return reveal_log_messages(entries, viewer)


def upcoming_loan_due_dates(cases: QuerySet[Case], *, today: date, days: int = 90) -> QuerySet[Loan]:
    return (
        Loan.objects.filter(case__in=cases, due_on__gte=today, due_on__lte=today + timedelta(days=days))
        .select_related("case__debtor")
        .order_by("due_on")
    )


def recent_collection_actions(cases: QuerySet[Case], *, limit: int = 10) -> QuerySet[CollectionAction]:
    return (
        CollectionAction.objects.filter(case__in=cases)
        .select_related("case__debtor", "addressed_to")
        .order_by("-acted_on", "-id")[:limit]
    )
