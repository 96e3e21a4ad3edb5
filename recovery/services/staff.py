"""Staff: the four roles' groups and what each may do (kept in step after every migrate), and
giving a user a role and a branch."""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy

from recovery.lib.audit import AuditKind, audit_action, audit_change, snapshot
from recovery.models import (
    Branch,
    Role,
    StaffProfile,
)
from recovery.registry import (
    docket_apps,
    lawyer_deletable_models,
    lawyer_read_only_models,
    service_written_models,
)
from recovery.services import RecoveryError

# Each role's rights apply to all the models of the docket apps (recovery.registry).
REFERENCE_MODELS = {
    "branch",
    "defaultcause",
    "staffprofile",
    "holidayyear",
    "alertpolicy",
    "dailyneedslimit",
    "approvallimit",
    "writeoffground",  # litigation's write-off grounds (呆账办法 annex 1): the head keeps them
}
# Records the deadline engine computes from the facts: everyone reads them, nobody edits them.
COMPUTED_MODELS = {"deadline"}

ROLE_GROUP_NAMES = {
    Role.LAWYER: "承办律师",
    Role.MANAGER: "主管",
    Role.HEAD: "清收负责人",
    Role.AUDITOR: "审计",
}
# Import records are the docket's provenance ("import #12 created this loan"): managers and the
# head create them by uploading a hand-over file, auditors read them, nobody edits or deletes
# them, and lawyers have no part in them.
IMPORT_RUN_ACTIONS: dict[str, set[str]] = {
    Role.LAWYER: set(),
    Role.MANAGER: {"view", "add"},
    Role.HEAD: {"view", "add"},
    Role.AUDITOR: {"view"},
}

# Written only through their services (the alert engine; the receipts service; the approval
# mails; each user's own preferences, in the account settings): no role adds, changes or deletes
# them in the generic admin.
SERVICE_WRITTEN_MODELS = {"alert", "alertpreference", "deadline", "loanreceipt", "approvalnotice"}
# One row per deadline kind, created by a migration: the head changes them, nobody adds or deletes.
FIXED_ROW_MODELS = {"alertpolicy", "approvallimit"}

ROLE_ACTIONS: dict[str, set[str]] = {
    Role.LAWYER: {"view", "add", "change"},
    Role.MANAGER: {"view", "add", "change", "delete"},
    Role.HEAD: {"view", "add", "change", "delete"},
    Role.AUDITOR: {"view"},
}


def roles_sync_permissions(**_kwargs: Any) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    app_labels = docket_apps()
    admin_access = Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
    for role, group_name in ROLE_GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        actions = ROLE_ACTIONS[role]
        condition = Q()
        for action in actions:
            condition |= Q(codename__startswith=f"{action}_")
        perms = Permission.objects.filter(content_type__app_label__in=app_labels).filter(condition)
        if role != Role.HEAD:
            # Reference data (branches, causes, staff) is read by all, changed by the head.
            perms = perms.exclude(
                Q(content_type__model__in=REFERENCE_MODELS) & ~Q(codename__startswith="view_")
            )
        perms = perms.exclude(
            Q(content_type__app_label="recovery", content_type__model__in=COMPUTED_MODELS)
            & ~Q(codename__startswith="view_")
        )
        if role == Role.LAWYER:
            # Lawyers may correct what they recorded, but not delete cases, loans or parties:
            # each docket app names the models whose records they may delete.
            perms = perms | Permission.objects.filter(
                content_type__app_label__in=app_labels,
                codename__in=[
                    f"delete_{model}" for models in lawyer_deletable_models().values() for model in models
                ],
            )
            for app_label, read_only in lawyer_read_only_models().items():
                perms = perms.exclude(
                    Q(content_type__app_label=app_label, content_type__model__in=read_only)
                    & ~Q(codename__startswith="view_")
                )
        for app_label, written in service_written_models().items():
            perms = perms.exclude(
                Q(content_type__app_label=app_label, content_type__model__in=written)
                & ~Q(codename__startswith="view_")
            )
        perms = perms.exclude(content_type__app_label="recovery", content_type__model="importrun")
        perms = perms | Permission.objects.filter(
            content_type__app_label="recovery",
            content_type__model="importrun",
            codename__in=[f"{action}_importrun" for action in IMPORT_RUN_ACTIONS[role]],
        )
        perms = perms.exclude(
            Q(content_type__app_label="recovery")
            & (
                (Q(content_type__model__in=SERVICE_WRITTEN_MODELS) & ~Q(codename__startswith="view_"))
                | (
                    Q(content_type__model__in=FIXED_ROW_MODELS)
                    & (Q(codename__startswith="add_") | Q(codename__startswith="delete_"))
                )
            )
        )
        if role == Role.AUDITOR:
            perms = perms.exclude(codename="view_personal_data")
        else:
            perms = perms | Permission.objects.filter(codename="view_personal_data")
        group.permissions.set(list(perms) + list(admin_access))


STAFF_ROLE_SET = audit_action(
    "recovery.staff.role_set",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Give a staff member a role"),
    past_label=gettext_lazy("Staff role set"),
)


@transaction.atomic
def staff_set_role(*, user: Any, role: str, branch: Branch | None, acting_user: Any = None) -> StaffProfile:
    """Give `user` a role (and branch): the profile scopes cases, the group grants permissions."""
    if role not in Role.values:
        raise RecoveryError(f"Unknown role {role!r}", field="role")
    if role == Role.MANAGER and branch is None:
        raise RecoveryError("A manager needs a branch.", field="branch")
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    before = snapshot(profile)
    profile.role = role
    profile.branch = branch
    profile.save()
    groups = Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[role]))
    audit_change(profile, user=acting_user, before=before, source="role", action=STAFF_ROLE_SET)
    return profile
