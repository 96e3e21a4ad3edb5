"""The web hand-over import, as a run in two phases around `handover_import` (services.handover_import):

    run = import_run_create(upload=file, user=manager, strict=False)   # stored, status "uploaded"
    import_run_check_start(run=run)       # dry run now, or in a Celery task for a large file
    ...the user reads the preview...
    import_run_confirm(run=run, user=manager)   # the real import, now or in a task; once only

Each phase moves the run through its statuses and records a failure on the run itself, so the
run page always tells the truth. While a phase works, its progress is kept in the cache: the
import writes in one transaction, so nothing it writes to the database (the run's status
included) is visible to the page polling for progress until it commits.
"""

import logging
import re
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from recovery.handover import HandoverFileError, open_handover
from recovery.handover.reading import header_field
from recovery.lib.audit import CHANGE, audit_note
from recovery.lib.language import language_for
from recovery.models import ImportRun, ImportSource, ImportStatus, Role
from recovery.selectors.access import can_view_personal_data, mask_id_number, mask_phone, role_of
from recovery.services import RecoveryError
from recovery.services.handover_import import RunStoppedError, file_checksum, handover_import, read_limits

logger = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = (".xlsx", ".csv")
# Rows of a .csv (or of an .xlsx that records no sheet size) are estimated from the file size:
# a hand-over row of 19 columns with Chinese names and an address takes 150–250 bytes, so
# dividing by 150 errs towards running a borderline file in the background.
BYTES_PER_ROW_ESTIMATE = 150
PROGRESS_TIMEOUT = 24 * 60 * 60
# Share of the import phase's progress bar given to reading the file (the rest is writing).
READING_SHARE = 60
PREVIEW_ERROR_ROWS = 20

FINISHED_STATUSES = (ImportStatus.PREVIEWED, ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.DISCARDED)
WORKING_STATUSES = (ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)
# Runs that may be checked again from their stored file, or put aside for good.
RETRYABLE_STATUSES = (ImportStatus.FAILED, ImportStatus.DISCARDED)
DISCARDABLE_STATUSES = (ImportStatus.PREVIEWED, ImportStatus.FAILED)
# The worker writes its heartbeat to the run's row at most this often (the cache gets every one).
HEARTBEAT_WRITE_SECONDS = 15
# Celery states in which a task is over: a run still "working" under one lost its worker.
ENDED_TASK_STATES = ("SUCCESS", "FAILURE", "REVOKED")


# --- who sees what -------------------------------------------------------------------------


def may_import(user: Any) -> bool:
    return role_of(user) in (Role.MANAGER, Role.HEAD)


# --- masking what the file says about people -----------------------------------------------

# Identity numbers (18-character resident IDs and credit codes, 15-digit old IDs) and mobile
# numbers inside free text: the file's cells quoted in problems, a failure's reason.
_ID_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{15,18}(?![0-9A-Za-z])")
_PHONE_TOKEN = re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")
_ENTRY_SEPARATORS = re.compile(r"[;；\n]+")
_FIELD_SEPARATORS = re.compile(r"[,，]")
_PHONE_SEPARATORS = re.compile(r"[;；、,，/\n]+")
PERSONAL_FIELDS = ("id_number", "phone", "guarantors")


def _mask_id_token(match: re.Match) -> str:
    token = match[0]
    # A token of letters only, or mostly letters, is a word, not a number.
    return mask_id_number(token) if sum(char.isdigit() for char in token) >= 8 else token


def mask_personal_text(text: str) -> str:
    """`text` with every identity and mobile number in it masked."""
    if not text:
        return text
    text = _PHONE_TOKEN.sub(lambda match: mask_phone(match[0]), text)
    return _ID_TOKEN.sub(_mask_id_token, text)


def _personal_tokens(field: str, value: str) -> list[str]:
    """The parts of a cell of `field` that are identity or phone numbers, as written."""
    if field == "id_number":
        return [value.strip()]
    if field == "phone":
        return [item.strip() for item in _PHONE_SEPARATORS.split(value)]
    if field == "guarantors":
        tokens = []
        for entry in _ENTRY_SEPARATORS.split(value):
            parts = [part.strip() for part in _FIELD_SEPARATORS.split(entry)]
            tokens.extend(parts[1:2])
        return tokens
    return []


def _mask_tokens(field: str, value: str, *texts: str) -> list[str]:
    """`value` (a cell of `field`, or the part of it in error) and `texts` quoting it, with
    the cell's identity or phone numbers masked, even invalid (short) ones, then any other
    such number in them."""
    masker = mask_phone if field == "phone" else mask_id_number
    shown = [value, *texts]
    for token in sorted({token for token in _personal_tokens(field, value) if token}, key=len, reverse=True):
        shown = [text.replace(token, masker(token)) for text in shown]
    return [mask_personal_text(text) for text in shown]


def mask_cell(field: str, text: str) -> str:
    """A cell of the file (an original row's, a preview's) as shown to someone who may not
    see personal data: the personal columns masked, the others as they are."""
    if field not in PERSONAL_FIELDS or not text:
        return text
    return _mask_tokens(field, text)[0]


def mask_cells(cells: Iterable[Any]) -> list[list[str]]:
    """A rejected row's original [column, text] pairs, masked by mask_cell."""
    return [[column, mask_cell(header_field(str(column)) or "", str(text))] for column, text in cells]


def mask_error(error: dict[str, Any]) -> dict[str, Any]:
    """A stored problem as shown to someone who may not see personal data: identity and
    phone numbers in its value and message masked, even invalid (short) ones, and the
    personal cells of the original row it carries."""
    if error.get("cells"):
        error = {**error, "cells": mask_cells(error["cells"])}
    field = error.get("field") or header_field(str(error.get("column") or "")) or ""
    if field not in PERSONAL_FIELDS and error.get("field"):
        return error
    value, message = _mask_tokens(field, str(error.get("value") or ""), str(error.get("message") or ""))
    return {**error, "value": value, "message": message}


def errors_shown_to(user: Any, errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run's problems as `user` may see them."""
    if can_view_personal_data(user):
        return list(errors)
    return [mask_error(error) for error in errors]


def sample_shown_to(user: Any, sample: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The preview's rows (field -> text, see ImportOutcome.sample) as `user` may see them."""
    if can_view_personal_data(user):
        return list(sample)
    return [{name: mask_cell(name, str(text)) for name, text in line.items()} for line in sample]


def text_shown_to(user: Any, text: str) -> str:
    return text if can_view_personal_data(user) else mask_personal_text(text)


def may_confirm(run: ImportRun, user: Any) -> bool:
    """Only whoever uploaded the file confirms it: the preview they read was checked against
    their own branch, and the import is recorded as theirs."""
    return (
        run.status == ImportStatus.PREVIEWED
        and run.started_by_id == getattr(user, "pk", None)
        and may_import(user)
        and _confirm_refusal(run) is None
    )


def _confirm_refusal(run: ImportRun) -> str | None:
    preview = run.preview or {}
    if not preview.get("accepted"):
        return _("No row of this file can be imported.")
    if run.strict and preview.get("rejected"):
        return _("Strict mode: some rows were rejected, so nothing can be imported.")
    return None


# --- creating a run ------------------------------------------------------------------------


@transaction.atomic
def import_run_create(*, upload: Any, user: Any, strict: bool) -> ImportRun:
    """Store an uploaded hand-over file as a new run (status "uploaded"). `upload` is a Django
    UploadedFile; its type and size are checked here as well as in the form."""
    if not may_import(user):
        raise RecoveryError(_("Only managers and the head of recovery may import hand-over files."))
    name = upload.name or ""
    if not name.lower().endswith(ALLOWED_EXTENSIONS):
        raise RecoveryError(_("The file must be .xlsx or .csv."), field="file")
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise RecoveryError(
            _("The file is larger than %(limit)s MB.")
            % {"limit": settings.MAX_UPLOAD_BYTES // (1024 * 1024)},
            field="file",
        )
    checksum, size = file_checksum(upload)
    run = ImportRun(
        file_name=name,
        checksum=checksum,
        file_size=size,
        source=ImportSource.WEB,
        strict=strict,
        started_by=user,
        status=ImportStatus.UPLOADED,
    )
    run.upload.save(name, upload, save=False)
    run.save()
    return run


def estimated_rows(run: ImportRun) -> int:
    """Data rows expected in the run's file: what an .xlsx records as its sheet size, else the
    file size divided by BYTES_PER_ROW_ESTIMATE. An unreadable file counts as 0 (checked at
    once, in the request, so its error shows without waiting for a worker)."""
    try:
        with (
            run.upload.open("rb") as stream,
            open_handover(stream, run.file_name, limits=read_limits()) as sheet,
        ):
            if sheet.estimated_rows is not None:
                return sheet.estimated_rows
    except HandoverFileError:
        return 0
    return run.file_size // BYTES_PER_ROW_ESTIMATE


def runs_in_background(run: ImportRun) -> bool:
    return estimated_rows(run) > settings.HANDOVER_ASYNC_ROWS


# --- progress ------------------------------------------------------------------------------


def _progress_key(run_id: int) -> str:
    return f"recovery:import-run:{run_id}:progress"


def _progress_start(run_id: int, phase: str, total: int | None) -> None:
    cache.set(
        _progress_key(run_id),
        {"phase": phase, "stage": "queued", "done": 0, "total": total, "written": 0, "at": time.time()},
        PROGRESS_TIMEOUT,
    )


def _progress_reporter(run_id: int, phase: str) -> Any:
    """A `progress(stage, done, total)` callback for handover_import that keeps the latest
    state in the cache. "reading" reports rows read so far; "writing" reports each batch's
    size, so it is summed here."""
    state = cache.get(_progress_key(run_id)) or {"phase": phase, "done": 0, "total": None, "written": 0}
    last_written = [0.0]

    def report(stage: str, done: int, total: int | None) -> None:
        state["phase"] = phase
        state["stage"] = stage
        if stage == "writing":
            state["written"] = state.get("written", 0) + done
        else:
            state["done"] = done
            if total is not None:
                state["total"] = total
        now = time.time()
        state["at"] = now  # the heartbeat others read, even while the import's write is open
        cache.set(_progress_key(run_id), state, PROGRESS_TIMEOUT)
        # On the row too, where the cache is not shared; not inside the import's transaction
        # (invisible until it commits, and it would lock the row for the page that reads it).
        if (
            now - last_written[0] >= HEARTBEAT_WRITE_SECONDS
            and not transaction.get_connection().in_atomic_block
        ):
            last_written[0] = now
            ImportRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())

    return report


def last_heartbeat(run: ImportRun) -> datetime:
    """When the run's worker last showed it was alive: the latest of the row's heartbeat, the
    cache's progress time and the upload itself."""
    moments = [run.heartbeat_at or run.created_at]
    at = (cache.get(_progress_key(run.pk)) or {}).get("at")
    if at:
        moments.append(datetime.fromtimestamp(at, tz=UTC))
    return max(moments)


def import_run_progress(run: ImportRun) -> dict[str, Any]:
    """The run's state for the progress bar: status from the database, counts from the cache."""
    state = cache.get(_progress_key(run.pk)) or {}
    done = state.get("done", 0)
    total = state.get("total")
    written = state.get("written", 0)
    stage = state.get("stage", "queued")
    if run.status in (ImportStatus.PREVIEWED, ImportStatus.DONE):
        percent = 100
    elif run.status == ImportStatus.IMPORTING:
        read_share = READING_SHARE * min(done / total, 1) if total else 0
        if stage == "writing":
            to_write = max((run.preview or {}).get("accepted", 0), 1)
            percent = READING_SHARE + (99 - READING_SHARE) * min(written / to_write, 1)
        else:
            percent = read_share
    elif total:
        percent = 99 * min(done / total, 1)
    else:
        percent = 0
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "stage": stage,
        "done": done,
        "total": total,
        "written": written,
        "percent": int(percent),
        "finished": run.status in FINISHED_STATUSES,
    }


# --- the two phases ------------------------------------------------------------------------


def import_run_check_start(*, run: ImportRun) -> bool:
    """Start the check (a dry run) of a new run: in a Celery task when the file is large, else
    now. Returns True when it was queued."""
    if runs_in_background(run):
        claimed = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.UPLOADED).update(
            status=ImportStatus.VALIDATING
        )
        if claimed:
            _progress_start(run.pk, "check", estimated_rows(run))
            _enqueue("check", run.pk)
        return True
    import_run_check(run_id=run.pk)
    return False


def _previewed(outcome: Any) -> dict[str, Any]:
    return {
        "status": ImportStatus.PREVIEWED,
        # The counts, and the first rows as they will be imported (the page masks them).
        "preview": {**outcome.counts(), "sample": outcome.sample},
        "errors": outcome.error_records(),
        "error_count": outcome.error_total,
        # The preview's expiry counts from here.
        "heartbeat_at": timezone.now(),
    }


def import_run_check(*, run_id: int) -> None:
    """Check every row of the run's file without writing (a dry run); keep the counts as the
    preview and every problem as the run's errors. The run ends "previewed" or "failed"."""
    claimed = ImportRun.objects.filter(
        pk=run_id, status__in=[ImportStatus.UPLOADED, ImportStatus.VALIDATING]
    ).update(status=ImportStatus.VALIDATING)
    if not claimed:
        return  # already checked (e.g. a task delivered twice)
    run = ImportRun.objects.select_related("started_by").get(pk=run_id)
    try:
        with run.upload.open("rb") as stream:
            outcome = handover_import(
                source=stream,
                file_name=run.file_name,
                user=run.started_by,
                dry_run=True,
                strict=run.strict,
                progress=_progress_reporter(run_id, "check"),
            )
    except (HandoverFileError, RecoveryError) as problem:
        _fail(run_id, getattr(problem, "message", None) or str(problem))
        return
    except Exception:
        # Recorded on the run for the page and logged for the operator; not re-raised, so the
        # request (or task) ends normally and the page shows the failure.
        logger.exception("Checking hand-over import #%s failed", run_id)
        _fail(run_id, _("Checking the file failed unexpectedly; the error was logged."))
        return
    ImportRun.objects.filter(pk=run_id, status=ImportStatus.VALIDATING).update(**_previewed(outcome))


def import_run_confirm(*, run: ImportRun, user: Any) -> bool:
    """Confirm a checked run: start the real import, in a Celery task when the file is large.
    A run is confirmed once: a second confirmation (a double click, a second tab) is refused.
    Returns True when the import was queued."""
    if run.started_by_id != getattr(user, "pk", None) or not may_import(user):
        raise RecoveryError(_("Only the person who uploaded this file may confirm its import."))
    if run.status == ImportStatus.DISCARDED:
        raise RecoveryError(run.failure or _("This import was discarded."))
    refusal = _confirm_refusal(run)
    if refusal:
        raise RecoveryError(refusal)
    if run.status == ImportStatus.PREVIEWED and preview_expired(run):
        _expire(run)
        raise RecoveryError(expiry_message())
    # The conditional UPDATE is the guard: of two confirmations only one finds it "previewed".
    claimed = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.IMPORTING, heartbeat_at=timezone.now()
    )
    if not claimed:
        raise RecoveryError(_("This import was already confirmed."))
    background = runs_in_background(run)
    _progress_start(run.pk, "import", (run.preview or {}).get("rows"))
    if background:
        _enqueue("import", run.pk)
    else:
        import_run_execute(run_id=run.pk)
    return background


def import_run_execute(*, run_id: int) -> None:
    """Import a confirmed run's file for real. handover_import writes the docket and the run
    (done, summary, errors) in one transaction; when it fails, that transaction is rolled back
    and the run is marked failed here, outside it. The uploader is then e-mailed either way."""
    run = ImportRun.objects.select_related("started_by").get(pk=run_id)
    if run.status != ImportStatus.IMPORTING:
        return  # not confirmed, or already imported (e.g. a task delivered twice)
    try:
        with run.upload.open("rb") as stream:
            outcome = handover_import(
                source=stream,
                file_name=run.file_name,
                user=run.started_by,
                strict=run.strict,
                run=run,
                progress=_progress_reporter(run_id, "import"),
            )
        if not outcome.written:
            # Strict, and rows the check accepted are now rejected (the docket changed since).
            ImportRun.objects.filter(pk=run_id).update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                summary=outcome.counts(),
                errors=outcome.error_records(),
                error_count=outcome.error_total,
                failure=_("Strict mode: %(n)s rows were rejected, so nothing was imported.")
                % {"n": outcome.rejected},
            )
    except RunStoppedError:
        # Marked failed (stalled) or discarded meanwhile, perhaps retried since: not ours now.
        logger.warning("Hand-over import #%s was stopped while it ran; it wrote nothing", run_id)
        return
    except (HandoverFileError, RecoveryError) as problem:
        _fail(run_id, getattr(problem, "message", None) or str(problem))
    except Exception:
        logger.exception("Hand-over import #%s failed", run_id)
        _fail(run_id, _("The import failed unexpectedly and nothing was written; the error was logged."))
    _notify(run_id)


def _fail(run_id: int, failure: str) -> None:
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportStatus.FAILED, failure=failure, finished_at=timezone.now()
    )


def _enqueue(phase: str, run_id: int) -> None:
    from recovery import tasks

    task = tasks.import_run_check_task if phase == "check" else tasks.import_run_execute_task
    # The task's id is recorded first, so that a task the broker lost or a worker that died
    # can be told from one still queued (see import_run_mark_stalled).
    task_id = str(uuid.uuid4())
    ImportRun.objects.filter(pk=run_id).update(task_id=task_id, heartbeat_at=timezone.now())
    # After commit: a worker must find the run's new status, not the one before this request.
    transaction.on_commit(lambda: task.apply_async(args=[run_id], task_id=task_id))


# --- runs whose worker stopped, previews nobody confirmed, retrying and discarding -----------


def preview_expires_at(run: ImportRun) -> datetime:
    return (run.heartbeat_at or run.created_at) + timedelta(seconds=settings.HANDOVER_PREVIEW_SECONDS)


def preview_expired(run: ImportRun, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= preview_expires_at(run)


def expiry_message() -> str:
    hours = settings.HANDOVER_PREVIEW_SECONDS / 3600
    return _(
        "This check is older than %(hours)s hours and has expired: the docket may have changed "
        "since. Check the file again (Retry) before importing it."
    ) % {"hours": f"{hours:g}"}


def _task_ended(task_id: str) -> str | None:
    """The Celery state of a task that is over, else None (queued, running, or unknown)."""
    if not task_id or not settings.CELERY_RESULT_BACKEND or settings.CELERY_TASK_ALWAYS_EAGER:
        return None  # tasks run in-process: nothing to ask
    from celery.result import AsyncResult

    try:
        state = AsyncResult(task_id).state
    except Exception:  # noqa: BLE001 - an unreachable result backend proves nothing either way
        logger.warning("Could not read the state of task %s", task_id, exc_info=True)
        return None
    return state if state in ENDED_TASK_STATES else None


def _set_status(run: ImportRun, *, to: str, reason: str, user: Any = None, expect: Iterable[str]) -> bool:
    """Move `run` to status `to` with `reason`, only if it is still in one of `expect` (the
    conditional UPDATE is the guard against a worker finishing at the same moment); audited."""
    expect = list(expect)
    changed = ImportRun.objects.filter(pk=run.pk, status__in=expect).update(
        status=to, failure=reason, finished_at=timezone.now()
    )
    if changed:
        audit_note(
            run,
            user=user,
            action=CHANGE,
            data={"changes": {"status": [run.status, to]}, "source": reason},
        )
        run.status, run.failure = to, reason
    return bool(changed)


def _expire(run: ImportRun) -> bool:
    return _set_status(
        run,
        to=ImportStatus.DISCARDED,
        reason=expiry_message(),
        expect=[ImportStatus.PREVIEWED],
    )


@transaction.atomic
def import_run_mark_stalled(*, run_ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark failed, with the reason, every working run (of `run_ids`, else all) whose worker
    reported nothing for HANDOVER_STALE_SECONDS or whose Celery task is over; mark discarded
    every preview left unconfirmed for HANDOVER_PREVIEW_SECONDS. Returns how many changed.

    Rows a live import holds locked are skipped (a worker inside its write transaction is
    alive by definition), so that opening the run page never waits for an import."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.HANDOVER_STALE_SECONDS)
    runs = ImportRun.objects.filter(status__in=[*WORKING_STATUSES, ImportStatus.PREVIEWED])
    if run_ids is not None:
        runs = runs.filter(pk__in=list(run_ids))
    runs = runs.select_for_update(skip_locked=True).only(
        "pk", "status", "heartbeat_at", "created_at", "task_id", "source", "file_name"
    )
    changed = 0
    for run in runs:
        if run.status == ImportStatus.PREVIEWED:
            changed += preview_expired(run, now) and _expire(run)
            continue
        if run.source != ImportSource.WEB:
            continue  # the command line's own process reports its end; nothing to watch
        ended = _task_ended(run.task_id)
        if ended:
            reason = _(
                "The background task ended (%(state)s) without finishing; nothing was written. "
                "Retry to check the file again."
            ) % {"state": ended}
        elif last_heartbeat(run) < stale_before:
            reason = _(
                "No progress for over %(minutes)s minutes: the worker doing it stopped; nothing "
                "was written. Retry to check the file again."
            ) % {"minutes": settings.HANDOVER_STALE_SECONDS // 60}
        else:
            continue
        changed += _set_status(run, to=ImportStatus.FAILED, reason=reason, expect=WORKING_STATUSES)
    return changed


def _uploader_may_act(run: ImportRun, user: Any, statuses: Any) -> bool:
    """Only the uploader of a web run acts on it, and only in one of `statuses`."""
    return (
        run.status in statuses
        and run.source == ImportSource.WEB
        and run.started_by_id == getattr(user, "pk", None)
        and may_import(user)
    )


def may_retry(run: ImportRun, user: Any) -> bool:
    return _uploader_may_act(run, user, RETRYABLE_STATUSES)


def may_discard(run: ImportRun, user: Any) -> bool:
    return _uploader_may_act(run, user, DISCARDABLE_STATUSES)


def import_run_retry(*, run: ImportRun, user: Any) -> bool:
    """Check a failed or expired run's stored file again, from the start (the preview, then
    a new confirmation). The file must still be the one uploaded (same SHA-256). Returns True
    when the check was queued."""
    if not may_retry(run, user):
        raise RecoveryError(_("Only the person who uploaded this file may retry a failed or expired import."))
    try:
        checksum, _size = file_checksum(run.upload.open("rb"))
        run.upload.close()
    except (OSError, ValueError):
        raise RecoveryError(
            _("The uploaded file is no longer stored; upload it again."), field="file"
        ) from None
    if checksum != run.checksum:
        raise RecoveryError(
            _("The stored file is not the one uploaded (its SHA-256 differs); upload it again."), field="file"
        )
    with transaction.atomic():
        claimed = ImportRun.objects.filter(pk=run.pk, status__in=RETRYABLE_STATUSES).update(
            status=ImportStatus.UPLOADED,
            failure="",
            preview={},
            summary={},
            errors=[],
            error_count=0,
            finished_at=None,
            task_id="",
            heartbeat_at=timezone.now(),
        )
        if not claimed:
            raise RecoveryError(_("This import is no longer failed or expired; reload the page."))
        audit_note(
            run,
            user=user,
            action=CHANGE,
            data={"changes": {"status": [run.status, ImportStatus.UPLOADED]}, "source": "retry"},
        )
    cache.delete(_progress_key(run.pk))
    run.refresh_from_db()
    return import_run_check_start(run=run)


@transaction.atomic
def import_run_discard(*, run: ImportRun, user: Any) -> None:
    """Put a checked or failed run aside for good: it can no longer be confirmed."""
    if not may_discard(run, user):
        raise RecoveryError(_("Only the person who uploaded this file may discard its import."))
    reason = _("Discarded by %(user)s.") % {"user": user.get_username()}
    if not _set_status(run, to=ImportStatus.DISCARDED, reason=reason, user=user, expect=DISCARDABLE_STATUSES):
        raise RecoveryError(_("This import can no longer be discarded; reload the page."))


# --- the e-mail ----------------------------------------------------------------------------


def run_url(run: ImportRun) -> str:
    return settings.BASE_URL + reverse("recovery_imports:run", args=[run.pk])


def notice_recipient(run: ImportRun) -> str:
    user = run.started_by
    return (user.email or "").strip() if user is not None else ""


def _notify(run_id: int) -> None:
    """Tell the uploader that their import finished: a long one runs while they do something
    else. Failing to send is logged and recorded on the run, never turned into a failed
    import."""
    run = ImportRun.objects.select_related("started_by").get(pk=run_id)
    recipient = notice_recipient(run)
    if not recipient:
        return
    with translation.override(language_for(run.started_by)):
        summary = run.summary or {}
        if run.status == ImportStatus.DONE:
            subject = _("Hand-over import #%(id)s finished: %(file)s") % {"id": run.pk, "file": run.file_name}
            body = _(
                "Your hand-over file %(file)s has been imported.\n\n"
                "New loans: %(created)s\nChanged loans: %(updated)s\nUnchanged loans: %(unchanged)s\n"
                "Rejected rows: %(rejected)s\nNew cases: %(cases)s\n\n"
                "The result and the list of rejected rows: %(url)s\n"
            ) % {
                "file": run.file_name,
                "created": summary.get("created", 0),
                "updated": summary.get("updated", 0),
                "unchanged": summary.get("unchanged", 0),
                "rejected": summary.get("rejected", 0),
                "cases": summary.get("cases_created", 0),
                "url": run_url(run),
            }
        else:
            subject = _("Hand-over import #%(id)s failed: %(file)s") % {"id": run.pk, "file": run.file_name}
            body = _(
                "Your hand-over file %(file)s was not imported; nothing was written.\n\n"
                "%(failure)s\n\n%(url)s\n"
            ) % {
                "file": run.file_name,
                "failure": run.failure,
                "url": run_url(run),
            }
    # Mail leaves the bank's systems: whatever a reason quotes from the file goes masked.
    subject, body = mask_personal_text(subject), mask_personal_text(body)
    try:
        send_mail(subject, body, None, [recipient])
    except OSError as problem:  # smtplib's errors included
        logger.exception("Could not e-mail %s about hand-over import #%s", recipient, run_id)
        # Recorded, so that the page does not claim a notice that never left.
        failure = f"{type(problem).__name__}: {problem}"[:300]
        ImportRun.objects.filter(pk=run_id).update(notice_failure=failure, notice_sent_at=None)
    else:
        ImportRun.objects.filter(pk=run_id).update(notice_sent_at=timezone.now(), notice_failure="")
