"""Reads of document templates and generated documents, scoped to the user."""

from typing import Any

from django.db.models import Case as DbCase
from django.db.models import IntegerField, Q, QuerySet, Value, When

from documents.models import DocumentTemplate, GeneratedDocument
from recovery.models import Case
from recovery.selectors.access import can_view_personal_data, cases_visible_to


def generated_documents_visible_to(user: Any) -> QuerySet[GeneratedDocument]:
    """The documents of the user's cases; none without the right to see personal data (a
    document carries ID numbers and addresses unmasked)."""
    if not can_view_personal_data(user):
        return GeneratedDocument.objects.none()
    return GeneratedDocument.objects.filter(case__in=cases_visible_to(user).values("pk"))


def case_generated_documents(case: Case) -> list[GeneratedDocument]:
    return list(
        GeneratedDocument.objects.filter(case=case)
        .select_related("template_version__template", "created_by")
        .order_by("-created_at", "-pk")
    )


def templates_for_case(case: Case) -> QuerySet[DocumentTemplate]:
    """Active templates with an uploaded version, for the case's branch or for every branch:
    the branch's own variants first, then by kind and name."""
    return (
        DocumentTemplate.objects.filter(active=True, versions__isnull=False)
        .filter(Q(branch__isnull=True) | Q(branch_id=case.branch_id))
        .distinct()
        .annotate(
            own_branch=DbCase(
                When(branch_id=case.branch_id, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("own_branch", "kind", "name")
    )
