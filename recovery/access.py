"""Who may see and change which cases. Every listing, page and export goes through these
querysets, so a lawyer who types another case's URL gets a 404, never the data."""

from typing import Any

from django.db.models import Q, QuerySet

from recovery.models import Case, Role

PERSONAL_DATA_PERMISSION = "recovery.view_personal_data"


def role_of(user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.HEAD
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile else None


def _branch_id(user: Any) -> int | None:
    profile = getattr(user, "staff_profile", None)
    return profile.branch_id if profile else None


def _own_cases(user: Any) -> Q:
    return Q(assignee=user) | Q(pk__in=Case.shared_with.through.objects.filter(user=user).values("case_id"))


def cases_visible_to(user: Any) -> QuerySet[Case]:
    role = role_of(user)
    if role in (Role.HEAD, Role.AUDITOR):
        return Case.objects.all()
    if role == Role.MANAGER:
        return Case.objects.filter(Q(branch_id=_branch_id(user)) | _own_cases(user))
    if role == Role.LAWYER:
        return Case.objects.filter(_own_cases(user))
    return Case.objects.none()


def cases_editable_by(user: Any) -> QuerySet[Case]:
    if role_of(user) == Role.AUDITOR:
        return Case.objects.none()
    return cases_visible_to(user)


def can_see_all_cases(user: Any) -> bool:
    return role_of(user) in (Role.HEAD, Role.AUDITOR)


def can_view_personal_data(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(PERSONAL_DATA_PERMISSION))


def mask_id_number(value: str) -> str:
    """Keep the region (6) and the last four characters: enough to tell people apart."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    value = value.strip()
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phones(phones: str) -> str:
    return "; ".join(mask_phone(p) for p in phones.replace("；", ";").split(";") if p.strip())
