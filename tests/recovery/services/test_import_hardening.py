"""Issue 11 for the hand-over import as a whole: masking on the web (page, error report,
e-mail), inert spreadsheets (error report, --errors), the limits (errors kept per run, rows,
the listing's query), stalled and expired runs (retry, discard), and two concurrent
command-line imports of one file."""

import csv
import io
import os
import re
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from config.celery import app as celery_app
from recovery import tasks
from recovery.models import ImportRun, ImportSource, ImportStatus, Loan
from recovery.selectors.access import mask_id_number, mask_phone
from recovery.services import RecoveryError
from recovery.services import imports as import_runs
from recovery.services.handover_import import ImportBusyError, file_checksum, import_lock
from tests.recovery.admin.test_imports import HEADER, csv_bytes, login, person_id, row, upload, url
from tests.recovery.handover import resident_id, wrong_check

HYPERLINK = '=HYPERLINK("http://x","y")'
GOOD_GUARANTOR = resident_id("11010119700101001")
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.BASE_URL = "https://recovery.example.com"
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


def personal_header() -> list[str]:
    return [*HEADER, "手机号", "保证人"]


def personal_csv(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(personal_header())
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def personal_rows() -> tuple[list[list[str]], dict[str, str]]:
    """Rows whose problems quote an ID number, a phone and a guarantor cell."""
    bad_id = wrong_check(person_id(2))
    bad_guarantor = wrong_check(resident_id("11010119700101002"))
    rows = [
        row(1) + [PHONE, ""],
        row(2, 证件号码=bad_id) + ["", ""],
        row(3) + ["1391234567", ""],  # ten digits
        row(4) + ["", f"李四,{GOOD_GUARANTOR},连带;王五,{bad_guarantor},一般"],
    ]
    return rows, {"bad_id": bad_id, "bad_guarantor": bad_guarantor}


def report_cells(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(line) for line in sheet.iter_rows()]


# --- masking (finding 6) -------------------------------------------------------------------


def test_the_auditor_sees_the_preview_and_error_report_masked_the_head_in_full(client, staff):
    rows, bad = personal_rows()
    login(client, staff["head"])
    upload(client, personal_csv(rows))
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.PREVIEWED and run.preview["rejected"] == 3

    head_page = client.get(url("run", run.pk)).content.decode()
    head_report = client.get(url("errors", run.pk)).content
    assert bad["bad_id"] in head_page and bad["bad_guarantor"] in head_page
    login(client, staff["auditor"])
    page = client.get(url("run", run.pk)).content.decode()
    report = client.get(url("errors", run.pk))
    assert report.status_code == 200 and report.content != head_report
    report_text = " ".join(str(cell.value) for line in report_cells(report.content) for cell in line)

    for shown in (page, report_text):
        for secret in (bad["bad_id"], bad["bad_guarantor"], "1391234567", GOOD_GUARANTOR):
            assert secret not in shown
        assert mask_id_number(bad["bad_id"]) in shown
        assert mask_id_number(bad["bad_guarantor"]) in shown
        assert mask_phone("1391234567") in shown
    # The guarantor cell's problem quotes its bad entry only; the valid one appears (masked)
    # only in the original row the report carries beside the messages.
    guarantor_error = next(line for line in report_cells(report.content) if line[1].value == "保证人")
    assert mask_id_number(GOOD_GUARANTOR) not in f"{guarantor_error[2].value} {guarantor_error[3].value}"
    assert mask_id_number(GOOD_GUARANTOR) in report_text
    assert "第2位保证人" in report_text


def test_the_notice_e_mail_never_carries_a_full_id_number(client, staff, monkeypatch):
    def failing_import(**kwargs):
        raise RecoveryError(f"证件号码“{person_id(1)}”与手机号 {PHONE} 冲突")

    login(client, staff["manager"])
    upload(client, csv_bytes([row(1)]))
    run = ImportRun.objects.get()
    monkeypatch.setattr(import_runs, "handover_import", failing_import)
    client.post(url("confirm", run.pk))

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    (notice,) = mail.outbox
    assert person_id(1) not in notice.body and PHONE not in notice.body
    assert mask_id_number(person_id(1)) in notice.body and mask_phone(PHONE) in notice.body


# --- inert spreadsheets and formula names (finding 7) ---------------------------------------------


def test_the_error_report_writes_a_rejected_formula_as_inert_text(client, staff):
    login(client, staff["manager"])
    upload(client, csv_bytes([row(1, 合同编号=HYPERLINK), row(2, 借款人="+SUM(1,2)")]))
    run = ImportRun.objects.get()
    assert run.preview["rejected"] == 2 and run.preview["accepted"] == 0
    assert run.errors[0]["column"] == "合同编号" and "不能以 = + - @" in run.errors[0]["message"]

    report = report_cells(client.get(url("errors", run.pk)).content)
    cells = [cell for line in report[1:] for cell in line]
    assert all(cell.data_type != "f" for cell in cells)
    assert report[1][2].value == "'" + HYPERLINK and report[2][2].value == "'+SUM(1,2)"


def test_the_command_rejects_a_formula_contract_number_and_writes_its_errors_inert(tmp_path, staff):
    path = tmp_path / "h.csv"
    path.write_bytes(csv_bytes([row(1, 合同编号=HYPERLINK), row(2)]))
    errors = tmp_path / "errors.csv"
    with pytest.raises(SystemExit) as exited:
        call_command("import_handover", str(path), "--errors", str(errors), stdout=io.StringIO())

    assert exited.value.code == 3
    assert list(Loan.objects.values_list("contract_no", flat=True)) == ["HT-0002"]
    lines = list(csv.reader(errors.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[1][:3] == ["2", "合同编号", "'" + HYPERLINK]
    assert "合同编号不能以 = + - @" in lines[1][3]


def test_the_command_rejects_dates_outside_the_supported_range(tmp_path, staff):
    path = tmp_path / "h.csv"
    path.write_bytes(csv_bytes([row(1, 到期日="2100-01-01"), row(2, 放款日="1900-01-01")]))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_handover", str(path), "--dry-run", stdout=out)
    assert exited.value.code == 3
    assert "row 2, 到期日" in out.getvalue() and "row 3, 放款日" in out.getvalue()


# --- limits (finding 10) ------------------------------------------------------------------


def test_only_the_first_errors_are_kept_with_their_total(client, staff, settings):
    settings.HANDOVER_MAX_ERRORS = 5
    login(client, staff["manager"])
    upload(client, csv_bytes([row(n, 证件号码="bad", 本金余额="x") for n in range(1, 31)]))
    run = ImportRun.objects.get()

    assert run.error_count == 60 and len(run.errors) == 5
    assert [error["row"] for error in run.errors] == [2, 2, 3, 3, 4]
    page = client.get(url("run", run.pk)).content.decode()
    assert 'data-testid="import-problems-note"' in page and "60" in page
    report = report_cells(client.get(url("errors", run.pk)).content)
    assert len(report) == 1 + 5 + 1 and "60" in report[-1][3].value


def test_a_file_with_more_rows_than_allowed_fails_with_the_reason(client, staff, settings):
    settings.HANDOVER_MAX_ROWS = 10
    login(client, staff["manager"])
    upload(client, csv_bytes([row(n) for n in range(1, 31)]))
    run = ImportRun.objects.get()

    assert run.status == ImportStatus.FAILED and "10" in run.failure and "rows" in run.failure
    assert not Loan.objects.exists()


def test_the_listing_loads_neither_errors_nor_preview(client, staff):
    login(client, staff["head"])
    for n in range(3):
        upload(client, csv_bytes([row(n + 1), row(n + 50, 证件号码="bad")]))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("index")).status_code == 200
    for n in range(4):
        upload(client, csv_bytes([row(n + 10), row(n + 60, 证件号码="bad")]))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url("index"))

    listing = [query["sql"] for query in many.captured_queries if 'FROM "recovery_importrun"' in query["sql"]]
    assert listing and not any('"recovery_importrun"."errors"' in sql for sql in listing)
    # The counts are read out of the JSON in the query (->), the JSON itself never selected.
    whole_json = re.compile(r'"recovery_importrun"\."(?:preview|summary)"(?!\s*->)')
    assert not any(whole_json.search(sql) for sql in listing)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.content.decode().count(url("errors", ImportRun.objects.first().pk)) == 1


# --- stalled and expired runs (finding 11) ----------------------------------------------------


def stalled_run(client, staff, *, status=ImportStatus.IMPORTING, age=timedelta(hours=1)) -> ImportRun:
    login(client, staff["manager"])
    upload(client, csv_bytes([row(1), row(2)]))
    run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=run.pk).update(
        status=status, heartbeat_at=timezone.now() - age, task_id="0b7d3c86-task"
    )
    cache.clear()  # the progress kept there is a heartbeat too: this worker left none
    run.refresh_from_db()
    return run


def test_opening_a_run_whose_worker_stopped_marks_it_failed_and_it_can_be_retried(client, staff):
    run = stalled_run(client, staff)

    page = client.get(url("run", run.pk)).content.decode()
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and "15" in run.failure
    assert 'data-testid="import-retry"' in page and 'data-testid="import-discard"' in page

    client.post(url("retry", run.pk))
    run.refresh_from_db()
    assert run.status == ImportStatus.PREVIEWED and run.preview["accepted"] == 2 and not run.failure
    client.post(url("confirm", run.pk))
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and Loan.objects.count() == 2


def test_a_run_with_recent_progress_is_left_alone(client, staff):
    run = stalled_run(client, staff, age=timedelta(minutes=5))
    assert import_runs.import_run_mark_stalled() == 0
    run.refresh_from_db()
    assert run.status == ImportStatus.IMPORTING


def test_the_periodic_task_fails_runs_whose_task_is_gone(client, staff, settings, monkeypatch):
    run = stalled_run(client, staff, status=ImportStatus.VALIDATING, age=timedelta(seconds=10))
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_RESULT_BACKEND = "redis://127.0.0.1:6379/2"
    asked = []

    class EndedTask:
        def __init__(self, task_id):
            asked.append(task_id)
            self.state = "FAILURE"

    monkeypatch.setattr("celery.result.AsyncResult", EndedTask)
    assert tasks.import_runs_mark_stalled_task() == 1
    run.refresh_from_db()
    assert asked == ["0b7d3c86-task"]
    assert run.status == ImportStatus.FAILED and "FAILURE" in run.failure
    assert "recovery.import_runs_mark_stalled" in {
        entry["task"] for entry in celery_app.conf.beat_schedule.values()
    }


def test_a_preview_left_unconfirmed_expires_and_the_confirm_button_says_so(client, staff, settings):
    run = stalled_run(client, staff, status=ImportStatus.PREVIEWED, age=timedelta(hours=2))
    assert 'data-testid="import-expires"' in client.get(url("run", run.pk)).content.decode()
    settings.HANDOVER_PREVIEW_SECONDS = 3600

    response = client.post(url("confirm", run.pk), follow=True)
    run.refresh_from_db()
    assert run.status == ImportStatus.DISCARDED and not Loan.objects.exists()
    assert import_runs.expiry_message() in response.content.decode()
    assert 'data-testid="import-retry"' in response.content.decode()


def test_a_checked_run_can_be_discarded_and_then_not_confirmed(client, staff):
    login(client, staff["manager"])
    upload(client, csv_bytes([row(1)]))
    run = ImportRun.objects.get()
    client.post(url("discard", run.pk))
    run.refresh_from_db()
    assert run.status == ImportStatus.DISCARDED and "manager" in run.failure

    client.post(url("confirm", run.pk))
    run.refresh_from_db()
    assert run.status == ImportStatus.DISCARDED and not Loan.objects.exists()
    login(client, staff["head"])  # not the uploader
    client.post(url("retry", run.pk))
    run.refresh_from_db()
    assert run.status == ImportStatus.DISCARDED


def test_a_retry_refuses_a_stored_file_that_changed(client, staff):
    run = stalled_run(client, staff, status=ImportStatus.FAILED)
    Path(run.upload.path).write_bytes(csv_bytes([row(9)]))
    with pytest.raises(RecoveryError) as refused:
        import_runs.import_run_retry(run=run, user=staff["manager"])
    assert refused.value.field == "file"


# --- two command-line imports of one file (finding 13) -----------------------------------------


def test_the_file_lock_refuses_a_second_holder_on_other_databases(monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with import_lock("ab" * 32):
        with pytest.raises(ImportBusyError):
            with import_lock("ab" * 32):
                pass
        with import_lock("cd" * 32):  # another file is not held up
            pass
    with import_lock("ab" * 32):  # released
        pass


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_second_import_of_a_file_being_imported_refuses_with_exit_2(tmp_path, staff):
    path = tmp_path / "h.csv"
    path.write_bytes(csv_bytes([row(1), row(2)]))
    held, release = threading.Event(), threading.Event()

    def first_import_holding_the_lock():
        try:
            with import_lock(file_checksum(path)[0]):
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=first_import_holding_the_lock)
    holder.start()
    assert held.wait(30)
    err = io.StringIO()
    try:
        with pytest.raises(SystemExit) as exited:
            call_command("import_handover", str(path), stdout=io.StringIO(), stderr=err)
    finally:
        release.set()
        holder.join()

    assert exited.value.code == 2
    assert "another import of this file is running" in err.getvalue()
    assert len(err.getvalue().strip().splitlines()) == 1 and not Loan.objects.exists()
    with pytest.raises(SystemExit) as exited:
        call_command("import_handover", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert exited.value.code == 0 and Loan.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_processes_importing_one_file_never_print_a_traceback(tmp_path, staff):
    path = tmp_path / "h.csv"
    path.write_bytes(csv_bytes([row(n) for n in range(1, 1000)]))
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "RECOVERY_TESTING": "1",
    }
    command = [sys.executable, "manage.py", "import_handover", str(path)]
    processes = [
        subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(process.wait(timeout=300), process.stderr.read()) for process in processes]

    assert sorted(code for code, _err in results) in ([0, 0], [0, 2]), results
    for code, err in results:
        assert "Traceback" not in err
        if code == 2:
            assert "another import of this file is running" in err
    assert Loan.objects.count() == 999
    assert ImportRun.objects.filter(source=ImportSource.COMMAND).count() in (1, 2)


@pytest.mark.parametrize("action", ["confirm", "retry", "discard"])
def test_an_action_on_a_run_out_of_scope_is_not_found_whatever_the_method(client, staff, action):
    """A 405 before the lookup answered for every run id, in scope or not."""
    login(client, staff["manager"])
    upload(client, csv_bytes([row(1)]))
    run = ImportRun.objects.get()
    assert client.get(url(action, run.pk)).status_code == 405

    login(client, staff["other_manager"])
    assert client.get(url(action, run.pk)).status_code == 404
    assert client.post(url(action, run.pk)).status_code == 404
    run.refresh_from_db()
    assert run.status == ImportStatus.PREVIEWED and not Loan.objects.exists()
