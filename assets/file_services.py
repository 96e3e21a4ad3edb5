"""Writes of an asset's photos and documents and of a disposal plan's attachments: validated,
audited against the case, in one transaction. The files are stored under MEDIA_ROOT/assets/ and
MEDIA_ROOT/disposal/ and served only through the access-checked download views, never as plain
media."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from assets.models import AssetFile, DisposalPlanFile
from recovery.lib.audit import AuditKind, audit_action, audit_change, audit_create, audit_delete, snapshot
from recovery.services import RecoveryError
from recovery.services.cases import record_scope_check

ASSET_FILE_UPLOADED = audit_action(
    "assets.asset_file.uploaded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Upload a file of an asset"),
    past_label=gettext_lazy("Asset file uploaded"),
)
ASSET_FILE_UPDATED = audit_action(
    "assets.asset_file.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit a file's kind or caption"),
    past_label=gettext_lazy("Asset file edited"),
)
ASSET_FILE_DELETED = audit_action(
    "assets.asset_file.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a file of an asset"),
    past_label=gettext_lazy("Asset file deleted"),
)


def _actor(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _case_id(upload: AssetFile) -> int:
    return upload.asset.case_id


@transaction.atomic
def asset_file_upload(*, upload: AssetFile, user: Any, source: str = "") -> AssetFile:
    """Store an uploaded photo or document of an asset; the uploader is the user."""
    record_scope_check(instance=upload, user=user)  # the asset must be one of the user's
    upload.uploaded_by = _actor(user)
    upload.full_clean()
    upload.save()
    audit_create(upload, user=user, source=source, action=ASSET_FILE_UPLOADED, case_id=_case_id(upload))
    return upload


@transaction.atomic
def asset_file_update(*, upload: AssetFile, user: Any, source: str = "") -> dict:
    """Change a file's kind or caption; the file itself and its asset stay as uploaded."""
    record_scope_check(instance=upload, user=user)
    stored = AssetFile.objects.get(pk=upload.pk)
    if stored.asset_id != upload.asset_id or stored.file.name != upload.file.name:
        raise RecoveryError("Upload a new file instead of replacing one.", field="file")
    before = snapshot(stored)
    upload.uploaded_by_id = stored.uploaded_by_id
    upload.full_clean()
    upload.save()
    return audit_change(
        upload, user=user, before=before, source=source, action=ASSET_FILE_UPDATED, case_id=_case_id(upload)
    )


@transaction.atomic
def asset_file_delete(*, upload: AssetFile, user: Any, source: str = "") -> None:
    """Delete the record and the stored file (once the transaction has committed)."""
    record_scope_check(instance=upload, user=user)
    audit_delete(upload, user=user, source=source, action=ASSET_FILE_DELETED, case_id=_case_id(upload))
    storage, name = upload.file.storage, upload.file.name
    upload.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


DISPOSAL_PLAN_FILE_UPLOADED = audit_action(
    "assets.disposal_plan_file.uploaded",
    kind=AuditKind.CREATED,
    label=gettext_lazy("Attach a file to a disposal plan"),
    past_label=gettext_lazy("Disposal plan file attached"),
)
DISPOSAL_PLAN_FILE_UPDATED = audit_action(
    "assets.disposal_plan_file.updated",
    kind=AuditKind.CHANGED,
    label=gettext_lazy("Edit the caption of a disposal plan's file"),
    past_label=gettext_lazy("Disposal plan file edited"),
)
DISPOSAL_PLAN_FILE_DELETED = audit_action(
    "assets.disposal_plan_file.deleted",
    kind=AuditKind.DELETED,
    label=gettext_lazy("Delete a file of a disposal plan"),
    past_label=gettext_lazy("Disposal plan file deleted"),
)


@transaction.atomic
def disposal_plan_file_upload(*, upload: DisposalPlanFile, user: Any, source: str = "") -> DisposalPlanFile:
    """Attach an appraisal, an inquiry, a court notice… to a plan; the uploader is the user."""
    record_scope_check(instance=upload, user=user)  # the plan must be one of the user's
    upload.uploaded_by = _actor(user)
    upload.full_clean()
    upload.save()
    audit_create(
        upload, user=user, source=source, action=DISPOSAL_PLAN_FILE_UPLOADED, case_id=upload.plan.case_id
    )
    return upload


@transaction.atomic
def disposal_plan_file_update(*, upload: DisposalPlanFile, user: Any, source: str = "") -> dict:
    """Change a file's caption; the file itself and its plan stay as uploaded."""
    record_scope_check(instance=upload, user=user)
    stored = DisposalPlanFile.objects.get(pk=upload.pk)
    if stored.plan_id != upload.plan_id or stored.file.name != upload.file.name:
        raise RecoveryError("Upload a new file instead of replacing one.", field="file")
    before = snapshot(stored)
    upload.uploaded_by_id = stored.uploaded_by_id
    upload.full_clean()
    upload.save()
    return audit_change(
        upload,
        user=user,
        before=before,
        source=source,
        action=DISPOSAL_PLAN_FILE_UPDATED,
        case_id=upload.plan.case_id,
    )


@transaction.atomic
def disposal_plan_file_delete(*, upload: DisposalPlanFile, user: Any, source: str = "") -> None:
    """Delete the record and the stored file (once the transaction has committed)."""
    record_scope_check(instance=upload, user=user)
    audit_delete(
        upload, user=user, source=source, action=DISPOSAL_PLAN_FILE_DELETED, case_id=upload.plan.case_id
    )
    storage, name = upload.file.storage, upload.file.name
    upload.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
