"""Case search: which lookups the docket's search box matches. Sibling apps add their own
(e.g. the court case number) from their AppConfig.ready, so recovery imports none of them."""

from typing import Any

from django.db.models import Q, QuerySet

from recovery.lib.masking import searchable_lookups

_case_search_lookups: list[str] = [
    "debtor__name__icontains",
    "debtor__id_number__iexact",
    "number__icontains",
    "loans__contract_no__icontains",
    "case_parties__party__name__icontains",
]


def register_case_search_lookup(lookup: str) -> None:
    if lookup not in _case_search_lookups:
        _case_search_lookups.append(lookup)


def case_search(queryset: QuerySet, text: str, *, user: Any) -> QuerySet:
    """Cases matching `text` in any registered lookup `user` may search by (none on ID or phone
    numbers without the permission to see them); one subquery, so no duplicate rows."""
    text = text.strip()
    if not text:
        return queryset
    condition = Q()
    for lookup in searchable_lookups(queryset.model, _case_search_lookups, user):
        condition |= Q(**{lookup: text.upper() if lookup.startswith("debtor__id_number") else text})
    matching = queryset.model.objects.filter(condition).values("pk")
    return queryset.filter(pk__in=matching)
