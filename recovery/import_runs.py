"""The web hand-over import, as a run in two phases around `recovery.importing.handover_import`:

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
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from recovery.access import role_of
from recovery.handover import HandoverFileError, open_handover
from recovery.importing import file_checksum, handover_import
from recovery.models import ImportRun, ImportSource, ImportStatus, Role
from recovery.services import RecoveryError

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

FINISHED_STATUSES = (ImportStatus.PREVIEWED, ImportStatus.DONE, ImportStatus.FAILED)
WORKING_STATUSES = (ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


# --- who sees what -------------------------------------------------------------------------


def may_import(user: Any) -> bool:
    return role_of(user) in (Role.MANAGER, Role.HEAD)


def import_runs_visible_to(user: Any) -> QuerySet[ImportRun]:
    """Managers see the runs they started; the head and auditors see every run."""
    role = role_of(user)
    runs = ImportRun.objects.select_related("started_by")
    if role in (Role.HEAD, Role.AUDITOR):
        return runs
    if role == Role.MANAGER:
        return runs.filter(started_by=user)
    return runs.none()


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
        with run.upload.open("rb") as stream, open_handover(stream, run.file_name) as sheet:
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
        {"phase": phase, "stage": "queued", "done": 0, "total": total, "written": 0},
        PROGRESS_TIMEOUT,
    )


def _progress_reporter(run_id: int, phase: str) -> Any:
    """A `progress(stage, done, total)` callback for handover_import that keeps the latest
    state in the cache. "reading" reports rows read so far; "writing" reports each batch's
    size, so it is summed here."""
    state = cache.get(_progress_key(run_id)) or {"phase": phase, "done": 0, "total": None, "written": 0}

    def report(stage: str, done: int, total: int | None) -> None:
        state["phase"] = phase
        state["stage"] = stage
        if stage == "writing":
            state["written"] = state.get("written", 0) + done
        else:
            state["done"] = done
            if total is not None:
                state["total"] = total
        cache.set(_progress_key(run_id), state, PROGRESS_TIMEOUT)

    return report


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
    ImportRun.objects.filter(pk=run_id, status=ImportStatus.VALIDATING).update(
        status=ImportStatus.PREVIEWED,
        preview=outcome.counts(),
        errors=[error.as_dict() for error in outcome.errors],
    )


def import_run_confirm(*, run: ImportRun, user: Any) -> bool:
    """Confirm a checked run: start the real import, in a Celery task when the file is large.
    A run is confirmed once: a second confirmation (a double click, a second tab) is refused.
    Returns True when the import was queued."""
    if run.started_by_id != getattr(user, "pk", None) or not may_import(user):
        raise RecoveryError(_("Only the person who uploaded this file may confirm its import."))
    refusal = _confirm_refusal(run)
    if refusal:
        raise RecoveryError(refusal)
    # The conditional UPDATE is the guard: of two confirmations only one finds it "previewed".
    claimed = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.IMPORTING
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
                errors=[error.as_dict() for error in outcome.errors],
                failure=_("Strict mode: %(n)s rows were rejected, so nothing was imported.")
                % {"n": outcome.rejected},
            )
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
    # After commit: a worker must find the run's new status, not the one before this request.
    transaction.on_commit(lambda: task.delay(run_id))


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
    with translation.override(_language_of(run.started_by)):
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
    try:
        send_mail(subject, body, None, [recipient])
    except OSError as problem:  # smtplib's errors included
        logger.exception("Could not e-mail %s about hand-over import #%s", recipient, run_id)
        # Recorded, so that the page does not claim a notice that never left.
        failure = f"{type(problem).__name__}: {problem}"[:300]
        ImportRun.objects.filter(pk=run_id).update(notice_failure=failure, notice_sent_at=None)
    else:
        ImportRun.objects.filter(pk=run_id).update(notice_sent_at=timezone.now(), notice_failure="")


def _language_of(user: Any) -> str:
    """The language the user chose in their Wagtail account, else the site's (Chinese)."""
    profile = getattr(user, "wagtail_userprofile", None)
    return profile.get_preferred_language() if profile is not None else settings.LANGUAGE_CODE
