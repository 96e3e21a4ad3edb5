"""Reads of litigation for the admin: a case's lawsuits for the case page (its section and its
timeline share one fetch), and the hearings and performance deadlines of the dashboard and the
calendar feed."""

from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from litigation.models import Hearing, Judgment, Lawsuit
from recovery.models import Case


def case_lawsuits(case: Case) -> list[Lawsuit]:
    """The case's lawsuits, first filed first, with their hearings, judgments and enforcement.

    Fetched once per case object: the case page's lawsuit section and its timeline both ask,
    and the second asks for what the first already fetched (prefetching a relation that is
    already prefetched costs no query)."""
    prefetch_related_objects(
        [case],
        Prefetch(
            "lawsuits",
            queryset=Lawsuit.objects.order_by("filed_on").prefetch_related(
                "hearings", "judgments", "enforcements"
            ),
        ),
    )
    return list(case.lawsuits.all())


def hearings_ahead(
    cases: QuerySet[Case], *, today: date, days: int = 90, limit: int = 20
) -> QuerySet[Hearing]:
    return (
        Hearing.objects.filter(
            lawsuit__case__in=cases, date__gte=today, date__lte=today + timedelta(days=days)
        )
        .select_related("lawsuit__case__debtor")
        .order_by("date")[:limit]
    )


def performance_deadlines_ahead(
    cases: QuerySet[Case], *, today: date, days: int = 90, limit: int = 20
) -> QuerySet[Judgment]:
    return (
        Judgment.objects.filter(
            lawsuit__case__in=cases,
            performance_deadline__gte=today,
            performance_deadline__lte=today + timedelta(days=days),
        )
        .select_related("lawsuit__case__debtor")
        .order_by("performance_deadline")[:limit]
    )


def hearings_since(cases: QuerySet[Case], *, since: date) -> QuerySet[Hearing]:
    """The hearings of `cases` from `since` on, in calendar order (one query)."""
    return (
        Hearing.objects.filter(lawsuit__case__in=cases.order_by().values("pk"), date__gte=since)
        .select_related("lawsuit__case__debtor")
        .order_by("date", "time", "pk")
    )
