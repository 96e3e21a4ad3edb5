"""Writes of an asset's photos and documents: validated, audited against the asset's case, in
one transaction. The files are stored under MEDIA_ROOT/assets/ and served only through the
access-checked download view, never as plain media."""

from typing import Any

from django.db import transaction
from wagtail.log_actions import log

from assets.models import AssetFile
from recovery.lib.audit import CHANGE, CREATE, DELETE, diff, snapshot
from recovery.services import RecoveryError
from recovery.services.cases import record_scope_check


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
    data = {"case": _case_id(upload), "values": snapshot(upload), "source": source}
    log(upload, CREATE, user=_actor(user), data=data, content_changed=True)
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
    changes = diff(before, snapshot(upload))
    if changes:
        data = {"case": _case_id(upload), "changes": changes, "source": source}
        log(upload, CHANGE, user=_actor(user), data=data, content_changed=True)
    return changes


@transaction.atomic
def asset_file_delete(*, upload: AssetFile, user: Any, source: str = "") -> None:
    """Delete the record and the stored file (once the transaction has committed)."""
    data = {"case": _case_id(upload), "values": snapshot(upload), "source": source}
    log(upload, DELETE, user=_actor(user), data=data, deleted=True)
    storage, name = upload.file.storage, upload.file.name
    upload.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
