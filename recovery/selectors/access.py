"""Who may see and change which cases. Every listing, page and export goes through these
querysets, so a lawyer who types another case's URL gets a 404, never the data."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
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


def _case_ids(user: Any, *, branch_id: int | None = None) -> QuerySet:
    """The ids of the cases assigned to `user` or shared with them (and, with `branch_id`, of
    that branch's): a UNION whose parts each use their index. The same condition written as
    `assignee = … OR id IN (…)` made PostgreSQL scan every case for every listing."""
    parts = [
        Case.objects.filter(assignee=user).order_by().values("pk"),
        Case.shared_with.through.objects.filter(user=user).order_by().values("case_id"),
    ]
    if branch_id is not None:
        parts.append(Case.objects.filter(branch_id=branch_id).order_by().values("pk"))
    return parts[0].union(*parts[1:])


def cases_visible_to(user: Any) -> QuerySet[Case]:
    role = role_of(user)
    if role in (Role.HEAD, Role.AUDITOR):
        return Case.objects.all()
    if role == Role.MANAGER:
        return Case.objects.filter(pk__in=_case_ids(user, branch_id=_branch_id(user)))
    if role == Role.LAWYER:
        return Case.objects.filter(pk__in=_case_ids(user))
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


# ---- Scoped choices ------------------------------------------------------------------------
# What a user may pick in a choice field (forms, filters) and what the services accept: one
# set of rules, so that a form that was bypassed meets the same refusal as one that was not.

# A party referenced here becomes a party of the case (so it need not be one already); any
# other party a record of a case points at (addressed_to, an asset's owner) is one of that case's.
# Fields that may name any party in the user's scope, not only the case's: whoever takes a
# role in the case (an heir, the spouse, an administrator) joins it through them.
PARTY_ROLE_FIELDS = {
    ("recovery.Case", "debtor"),
    ("recovery.CaseParty", "party"),
    ("recovery.EstateRecipient", "party"),
    ("recovery.Estate", "administrator"),
    ("recovery.MarriageRecord", "spouse"),
}
_UNSCOPED_TARGETS = {"recovery.Party", "recovery.Branch", "recovery.Case"}


def parties_of_cases(cases: QuerySet) -> QuerySet:
    """Ids of the parties that are a debtor of, or hold a role in, one of `cases`."""
    from recovery.models import CaseParty, Party

    case_ids = cases.order_by().values("pk")
    return Party.objects.filter(
        Q(pk__in=cases.order_by().values("debtor_id"))
        | Q(pk__in=CaseParty.objects.filter(case__in=case_ids).values("party_id"))
    ).values("pk")


def _own_new_parties(user: Any) -> QuerySet:
    """Ids of the parties `user` created that no case refers to yet. A party belongs to no one
    until it is on a case, so without this a lawyer could not pick the debtor they just added."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    from recovery.lib.audit import CREATE
    from recovery.models import Party
    from recovery.services.cases import PARTY_ADDED

    # Parties on no case are few (the import always opens a case): find them first, then ask
    # the log (by its content type and object id index) which of them this user created.
    orphans = Party.objects.filter(cases__isnull=True, case_roles__isnull=True).values_list("pk", flat=True)
    created = ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Party),
        object_id__in=[str(pk) for pk in orphans],
        action__in=[PARTY_ADDED, CREATE],  # CREATE: parties added before the domain codes
        user_id=user.pk,
    ).values_list("object_id", flat=True)
    return Party.objects.filter(pk__in=[int(pk) for pk in created]).values("pk")


def parties_in_scope(user: Any, *, write: bool) -> QuerySet:
    from recovery.models import Party

    role = role_of(user)
    if role == Role.HEAD or (role == Role.AUDITOR and not write):
        return Party.objects.all()
    cases = cases_editable_by(user) if write else cases_visible_to(user)
    scope = Q(pk__in=parties_of_cases(cases))
    if write and role in (Role.LAWYER, Role.MANAGER):
        scope |= Q(pk__in=_own_new_parties(user))
    return Party.objects.filter(scope)


def _staff_users() -> QuerySet:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(staff_profile__isnull=False, is_active=True)


def users_in_scope(user: Any) -> QuerySet:
    """The colleagues a user may name (shared with, done by, filters): everyone for the head and
    the auditor; otherwise themself, their branch's staff and the people on their cases."""
    role = role_of(user)
    staff = _staff_users()
    if role in (Role.HEAD, Role.AUDITOR):
        return staff
    if role is None:
        return staff.none()
    cases = cases_visible_to(user).order_by().values("pk")
    scope = (
        Q(pk=user.pk)
        | Q(pk__in=Case.objects.filter(pk__in=cases).values("assignee_id"))
        | Q(pk__in=Case.shared_with.through.objects.filter(case_id__in=cases).values("user_id"))
    )
    if _branch_id(user) is not None:
        scope |= Q(staff_profile__branch_id=_branch_id(user))
    return staff.filter(scope)


def assignable_users(user: Any) -> QuerySet:
    """Whom a user may assign a case to: a lawyer only themself, a manager their branch's staff,
    the head anyone."""
    role = role_of(user)
    staff = _staff_users()
    if role == Role.HEAD:
        return staff
    if role == Role.MANAGER:
        return staff.filter(Q(pk=user.pk) | Q(staff_profile__branch_id=_branch_id(user)))
    if role == Role.LAWYER:
        return staff.filter(pk=user.pk)
    return staff.none()


def openable_branches(user: Any) -> QuerySet:
    """Where a user may open (or move) a case: the head anywhere, others in their own branch."""
    from recovery.models import Branch

    role = role_of(user)
    if role == Role.HEAD:
        return Branch.objects.all()
    if role in (Role.MANAGER, Role.LAWYER):
        return Branch.objects.filter(pk=_branch_id(user))
    return Branch.objects.none()


def branches_in_scope(user: Any, *, write: bool) -> QuerySet:
    from recovery.models import Branch

    role = role_of(user)
    if role == Role.HEAD or (role == Role.AUDITOR and not write):
        return Branch.objects.all()
    if role is None or (role == Role.AUDITOR and write):
        return Branch.objects.none()
    cases = cases_editable_by(user) if write else cases_visible_to(user)
    return Branch.objects.filter(Q(pk=_branch_id(user)) | Q(pk__in=cases.order_by().values("branch_id")))


def _forward_keys(model: type) -> list:
    return [f for f in model._meta.concrete_fields if f.many_to_one and f.related_model is not None]


def case_path_of(model: type) -> str | None:
    """The lookup from `model` to its case along foreign keys ("" for a case itself), or None
    when its rows belong to no case (reference data, parties, users, branches)."""
    return _case_path_of(model, depth=0)


def _case_path_of(model: type, *, depth: int) -> str | None:
    label = model._meta.label
    if label == "recovery.Case":
        return ""
    if label in _UNSCOPED_TARGETS or depth >= 3:
        return None
    keys = sorted(_forward_keys(model), key=lambda f: (f.null, f.name != "case"))
    for key in keys:
        rest = _case_path_of(key.related_model, depth=depth + 1)
        if rest is not None:
            return key.name if rest == "" else f"{key.name}__{rest}"
    return None


def anchor_of(model: type) -> str | None:
    """The field through which a record reaches its case (the first step of its case path)."""
    path = case_path_of(model)
    return path.split("__", 1)[0] if path else None


def case_id_through(model: type, field_name: str, value: Any) -> int | None:
    """The case of the record `value` names in `model.field_name` (None when unknown)."""
    if value in (None, ""):
        return None
    target = model._meta.get_field(field_name).related_model
    path = case_path_of(target)
    if path is None:
        return None
    lookup = "pk" if path == "" else f"{path}__pk"
    try:
        return target.objects.filter(pk=value).values_list(lookup, flat=True).first()
    except (TypeError, ValueError, ValidationError):
        return None


def allowed_choices(model: type, field_name: str, user: Any, *, case_id: int | None = None) -> Any:
    """What `user` may put in `model.field_name` when writing a record (of case `case_id`, when
    known); None when the field's choices are not scoped (reference data such as causes)."""
    field = model._meta.get_field(field_name)
    target = field.related_model
    if target is None:
        return None
    label = target._meta.label
    key = (model._meta.label, field_name)
    editable = cases_editable_by(user)
    if label == settings.AUTH_USER_MODEL:
        return assignable_users(user) if key == ("recovery.Case", "assignee") else users_in_scope(user)
    if label == "recovery.Branch":
        if key == ("recovery.Case", "branch"):
            return openable_branches(user)
        return branches_in_scope(user, write=True)
    if label == "recovery.Party":
        if key in PARTY_ROLE_FIELDS or case_id is None:
            return parties_in_scope(user, write=True)
        return target.objects.filter(pk__in=parties_of_cases(editable.filter(pk=case_id)))
    path = case_path_of(target)
    if path is None:
        return None
    if path == "":
        return editable
    choices = target.objects.filter(**{f"{path}__in": editable.order_by().values("pk")})
    if case_id is not None and field_name != anchor_of(model):
        # A record of a case points only at that case's loans, lawsuits, assets…
        choices = choices.filter(**{path: case_id})
    return choices


def visible_choices(target: type, user: Any) -> Any:
    """What a listing filter offers: the rows of `target` the user may see (None: unscoped)."""
    label = target._meta.label
    if label == settings.AUTH_USER_MODEL:
        return users_in_scope(user)
    if label == "recovery.Branch":
        return branches_in_scope(user, write=False)
    if label == "recovery.Party":
        return parties_in_scope(user, write=False)
    path = case_path_of(target)
    if path is None:
        return None
    visible = cases_visible_to(user)
    if path == "":
        return visible
    return target.objects.filter(**{f"{path}__in": visible.order_by().values("pk")})
