"""The hand-over import in the admin: who may use it, upload → preview → error report →
confirm → result, confirming once, large files through the Celery task with a progress
endpoint, and a failing import that writes nothing."""

import csv
import io
import socket
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from wagtail.models import ModelLogEntry

from config.celery import app as celery_app
from recovery import tasks
from recovery.models import ImportRun, ImportStatus, Loan, Party
from recovery.services import handover_import as importing
from recovery.services import imports as import_runs
from recovery.services.handover_import import handover_import
from tests.recovery.handover import resident_id, wrong_check

HEADER = [
    "合同编号",
    "借款人",
    "证件号码",
    "贷款金额",
    "本金余额",
    "放款日",
    "到期日",
    "移交日期",
    "机构",
    "备注",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def person_id(n: int) -> str:
    return resident_id(f"32010219800101{n:03d}")


def row(n: int, **changes: str) -> list[str]:
    values = {
        "合同编号": f"HT-{n:04d}",
        "借款人": f"借款人{n}",
        "证件号码": person_id(n),
        "贷款金额": "100,000",
        "本金余额": "80000",
        "放款日": "2023-05-26",
        "到期日": "2024-05-26",
        "移交日期": "2025-01-10",
        "机构": "上海分行",
        "备注": "",
    }
    values.update(changes)
    return [values[name] for name in HEADER]


def csv_bytes(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bad_rows(count: int, start: int = 500) -> list[list[str]]:
    """Rows each rejected for a wrong ID check character, and every other one also for a
    principal above the amount lent (so a row may have several problems)."""
    rows = []
    for n in range(start, start + count):
        changes = {"证件号码": wrong_check(person_id(n))}
        if n % 2:
            changes["本金余额"] = "200000"
        rows.append(row(n, **changes))
    return rows


def url(name: str, *args) -> str:
    return reverse(f"recovery_imports:{name}", args=args)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    """Uploads under tmp_path, an in-memory cache, Celery tasks run in-process."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.BASE_URL = "https://recovery.example.com"
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


def login(client, user):
    client.force_login(user)
    return client


def upload(client, content: bytes, name: str = "移交清单.csv", strict: bool = False):
    data = {"file": SimpleUploadedFile(name, content)}
    if strict:
        data["strict"] = "on"
    return client.post(url("upload"), data)


def denied(response) -> bool:
    """Wagtail turns a refused admin view into a redirect to the dashboard, with a message."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def xlsx_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [tuple(cell for cell in values) for values in sheet.iter_rows(values_only=True)]


# --- who may import --------------------------------------------------------------------------


def test_a_lawyer_can_neither_open_nor_post_the_upload_form(client, staff):
    login(client, staff["lawyer"])

    assert denied(client.get(url("upload")))
    response = upload(client, csv_bytes([row(1)]))

    assert denied(response)
    assert not ImportRun.objects.exists() and not Loan.objects.exists() and not Party.objects.exists()
    assert denied(client.get(url("index")))
    assert "import-handover-file" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_only_managers_and_the_head_get_import_permissions(staff):
    for name in ("manager", "head"):
        assert staff[name].has_perm("recovery.add_importrun")
        assert not staff[name].has_perm("recovery.change_importrun")
        assert not staff[name].has_perm("recovery.delete_importrun")
    for name in ("lawyer", "auditor"):
        assert not staff[name].has_perm("recovery.add_importrun")
        assert not staff[name].has_perm("recovery.change_importrun")
        assert not staff[name].has_perm("recovery.delete_importrun")
    assert staff["auditor"].has_perm("recovery.view_importrun")
    assert not staff["lawyer"].has_perm("recovery.view_importrun")


def test_the_upload_form_refuses_other_file_types(client, staff):
    login(client, staff["manager"])

    response = upload(client, b"PK\x03\x04", name="清单.xls")

    assert response.status_code == 200
    assert "xlsx" in response.context["form"].errors["file"][0]
    assert not ImportRun.objects.exists()


# --- upload, preview, report, confirm ------------------------------------------------------


def test_manager_uploads_previews_downloads_the_error_report_and_confirms(client, staff):
    # Two loans already imported: the new file leaves one unchanged and changes the other.
    handover_import(source=csv_bytes([row(1), row(2)]), file_name="earlier.csv", user=staff["manager"])
    manager = staff["manager"]
    login(client, manager)
    good = [row(1), row(2, 本金余额="75000"), row(3, 备注="VIP"), row(4)]
    content = csv_bytes(good + bad_rows(23))

    response = upload(client, content)

    run = ImportRun.objects.get(source="web")
    assert response.status_code == 302 and response["Location"] == url("run", run.pk)
    assert (
        run.status == ImportStatus.PREVIEWED and run.started_by == manager and run.file_name == "移交清单.csv"
    )
    assert run.checksum == importing.file_checksum(content)[0] and run.file_size == len(content)
    expected = handover_import(source=content, file_name="x.csv", user=manager, dry_run=True)
    assert run.preview["created"] == 2 and run.preview["updated"] == 1 and run.preview["unchanged"] == 1
    assert run.preview["rejected"] == 23 and run.preview["unknown_columns"] == ["备注"]
    assert run.errors == expected.error_records() and len(run.errors) > 23
    assert Loan.objects.count() == 2  # the check wrote nothing
    assert Loan.objects.get(contract_no="HT-0002").principal_outstanding == Decimal("80000.00")

    page = client.get(url("run", run.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["first_errors"] == run.errors[:20]
    assert 'data-count="created">2<' in html and 'data-count="updated">1<' in html
    assert 'data-count="unchanged">1<' in html and 'data-count="rejected">23<' in html
    assert "备注" in html and run.errors[0]["row"] == 6  # header, then four good rows
    assert f"<tr><td>6</td><td>{run.errors[0]['column']}</td>" in html
    assert url("errors", run.pk) in html and url("confirm", run.pk) in html

    report = client.get(url("errors", run.pk))
    assert report.status_code == 200 and report["Content-Type"] == XLSX
    assert "attachment" in report["Content-Disposition"]
    lines = xlsx_rows(report.content)
    assert len(lines) == 1 + len(run.errors)
    assert [{"row": r, "column": c, "value": v or "", "message": m} for r, c, v, m, *_cells in lines[1:]] == [
        {key: error[key] for key in ("row", "column", "value", "message")} for error in run.errors
    ]
    # Each line carries its row's original cells under the file's column names (the known
    # columns: 备注 is ignored by the import).
    assert list(lines[0][4:]) == [name for name in HEADER if name != "备注"]
    file_rows = good + bad_rows(23)
    for r, _c, _v, _m, *cells in lines[1:]:
        original = dict(zip(HEADER, file_rows[r - 2], strict=True))
        assert cells == [original[name] for name in lines[0][4:]]

    response = client.post(url("confirm", run.pk))

    assert response.status_code == 302 and response["Location"] == url("run", run.pk)
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and run.finished_at is not None
    assert run.summary["created"] == 2 and run.summary["updated"] == 1 and run.summary["rejected"] == 23
    assert sorted(Loan.objects.values_list("contract_no", flat=True)) == [
        "HT-0001",
        "HT-0002",
        "HT-0003",
        "HT-0004",
    ]
    assert Loan.objects.get(contract_no="HT-0002").principal_outstanding == Decimal("75000.00")
    assert ModelLogEntry.objects.filter(data__source=f"import #{run.pk}").exists()
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["manager@example.com"]
    assert f"https://recovery.example.com{url('run', run.pk)}" in notice.body
    run.refresh_from_db()
    assert run.notice_sent_at is not None and run.notice_failure == ""
    result = client.get(url("run", run.pk)).content.decode()
    assert 'data-testid="import-summary"' in result and "manager@example.com" in result
    assert "通知邮件已发送至 manager@example.com" in result
    assert url("confirm", run.pk) not in result


def test_a_notice_that_cannot_be_sent_is_recorded_and_shown_not_claimed(client, staff, settings):
    # A real SMTP connection to a port nobody listens on: refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = 5
    login(client, staff["manager"])
    upload(client, csv_bytes([row(1), row(2)]))
    run = ImportRun.objects.get()

    client.post(url("confirm", run.pk))

    run.refresh_from_db()
    assert run.status == ImportStatus.DONE  # the import stands; only the e-mail failed
    assert run.notice_sent_at is None and run.notice_failure.startswith("ConnectionRefusedError")
    result = client.get(url("run", run.pk)).content.decode()
    assert "通知邮件未能发送至 manager@example.com" in result and "ConnectionRefusedError" in result
    assert "通知邮件已发送至" not in result


def test_confirming_twice_imports_once(client, staff):
    login(client, staff["manager"])
    upload(client, csv_bytes([row(1), row(2)]))
    run = ImportRun.objects.get()

    client.post(url("confirm", run.pk))
    entries = ModelLogEntry.objects.count()
    second = client.post(url("confirm", run.pk), follow=True)

    assert Loan.objects.count() == 2
    assert ModelLogEntry.objects.count() == entries
    assert ImportRun.objects.get().status == ImportStatus.DONE
    assert len(mail.outbox) == 1
    assert any("already" in str(m) or "已" in str(m) for m in second.context["messages"])


def test_the_conditional_update_lets_only_one_confirmation_through(staff, tmp_path):
    """Two requests that both loaded the run as "previewed" (a double click): one imports."""
    upload_file = SimpleUploadedFile("h.csv", csv_bytes([row(1)]))
    run = import_runs.import_run_create(upload=upload_file, user=staff["manager"], strict=False)
    import_runs.import_run_check(run_id=run.pk)
    first, second = ImportRun.objects.get(pk=run.pk), ImportRun.objects.get(pk=run.pk)

    import_runs.import_run_confirm(run=first, user=staff["manager"])
    with pytest.raises(import_runs.RecoveryError):
        import_runs.import_run_confirm(run=second, user=staff["manager"])

    assert Loan.objects.count() == 1


def test_strict_mode_with_rejected_rows_cannot_be_confirmed(client, staff):
    login(client, staff["manager"])
    upload(client, csv_bytes([row(1)] + bad_rows(1)), strict=True)
    run = ImportRun.objects.get()

    assert run.strict and run.status == ImportStatus.PREVIEWED
    assert url("confirm", run.pk) not in client.get(url("run", run.pk)).content.decode()
    client.post(url("confirm", run.pk))

    assert ImportRun.objects.get().status == ImportStatus.PREVIEWED and not Loan.objects.exists()


def test_an_unusable_file_fails_the_run_with_the_reason(client, staff):
    login(client, staff["manager"])

    upload(client, "借款人,证件号码\n张三,1\n".encode())

    run = ImportRun.objects.get()
    assert run.status == ImportStatus.FAILED and "合同编号" in run.failure
    assert run.failure in client.get(url("run", run.pk)).content.decode()


# --- who sees which runs -------------------------------------------------------------------


def test_managers_see_their_own_runs_head_and_auditor_see_all(client, staff):
    login(client, staff["manager"])
    upload(client, csv_bytes([row(1)]))
    run = ImportRun.objects.get()

    listing = client.get(url("index"))
    assert listing.status_code == 200 and "移交清单.csv" in listing.content.decode()

    login(client, staff["other_manager"])
    assert client.get(url("run", run.pk)).status_code == 404
    assert client.get(url("errors", run.pk)).status_code == 404
    assert client.get(url("status", run.pk)).status_code == 404
    assert "移交清单.csv" not in client.get(url("index")).content.decode()
    assert client.post(url("confirm", run.pk)).status_code == 404

    for name in ("head", "auditor"):
        login(client, staff[name])
        assert "移交清单.csv" in client.get(url("index")).content.decode()
        assert client.get(url("run", run.pk)).status_code == 200
        assert url("confirm", run.pk) not in client.get(url("run", run.pk)).content.decode()
    # The auditor reads, never imports; the head may not confirm someone else's upload.
    login(client, staff["auditor"])
    assert denied(client.post(url("confirm", run.pk)))
    login(client, staff["head"])
    client.post(url("confirm", run.pk))
    assert ImportRun.objects.get().status == ImportStatus.PREVIEWED and not Loan.objects.exists()


def test_uploaded_hand_over_files_are_never_served_as_media(staff, tmp_path, settings):
    upload_file = SimpleUploadedFile("h.csv", csv_bytes([row(1)]))
    run = import_runs.import_run_create(upload=upload_file, user=staff["manager"], strict=False)
    assert run.upload.name.startswith("imports/")

    client = Client()
    assert client.get("/media/" + run.upload.name).status_code == 404
    login(client, staff["manager"])
    assert client.get("/media/" + run.upload.name).status_code == 404


# --- large files: Celery task, progress endpoint -----------------------------------------------


def test_a_large_file_is_checked_and_imported_by_the_task_with_progress(
    client, staff, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.HANDOVER_ASYNC_ROWS = 3
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 2)
    ran = []
    for name in ("import_run_check", "import_run_execute"):
        service = getattr(tasks, name)
        monkeypatch.setattr(
            tasks,
            name,
            lambda *, run_id, _service=service, _name=name: (ran.append(_name), _service(run_id=run_id)),
        )
    seen = []
    reporter = import_runs._progress_reporter

    def watching_reporter(run_id, phase):
        report = reporter(run_id, phase)

        def watched(stage, done, total):
            report(stage, done, total)
            seen.append(client.get(url("status", run_id)).json())

        return watched

    monkeypatch.setattr(import_runs, "_progress_reporter", watching_reporter)
    login(client, staff["manager"])
    content = xlsx_bytes([row(n) for n in range(1, 9)])

    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content, name="大批移交.xlsx")

    run = ImportRun.objects.get()
    assert ran == ["import_run_check"]  # in the task
    assert run.status == ImportStatus.PREVIEWED and run.preview["created"] == 8
    reading = [state for state in seen if state["stage"] == "reading"]
    assert [state["done"] for state in reading] == [2, 4, 6, 8, 8]
    assert all(state["status"] == "validating" and not state["finished"] for state in reading)
    assert reading[0]["total"] == 8 and 0 < reading[0]["percent"] < reading[-2]["percent"] < 100
    done = client.get(url("status", run.pk)).json()
    assert done["status"] == "previewed" and done["finished"] and done["percent"] == 100

    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("confirm", run.pk))

    assert ran == ["import_run_check", "import_run_execute"]
    assert [state["status"] for state in seen] == ["importing"] * len(seen)
    assert [state["stage"] for state in seen][-1] == "writing" and seen[-1]["written"] >= 8
    assert seen[-1]["percent"] >= import_runs.READING_SHARE
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and Loan.objects.count() == 8
    assert client.get(url("status", run.pk)).json() | {"id": 0} == {
        "id": 0,
        "status": "done",
        "status_label": str(ImportStatus.DONE.label),
        "stage": "writing",
        "done": 8,
        "total": 8,
        "written": seen[-1]["written"],
        "percent": 100,
        "finished": True,
    }
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["manager@example.com"]


def test_the_run_page_shows_the_progress_bar_while_a_task_works(client, staff, settings, monkeypatch):
    """Reloading the page of a queued run shows its bar again (state is in the run and cache)."""
    settings.HANDOVER_ASYNC_ROWS = 0
    login(client, staff["manager"])
    # No commit in this test's transaction: the queued task never runs.
    upload(client, csv_bytes([row(1), row(2)]))

    run = ImportRun.objects.get()
    assert run.status == ImportStatus.VALIDATING
    page = client.get(url("run", run.pk)).content.decode()
    assert 'data-testid="import-progress"' in page and url("status", run.pk) in page
    state = client.get(url("status", run.pk)).json()
    assert state["status"] == "validating" and state["finished"] is False and state["percent"] == 0


# --- failures ------------------------------------------------------------------------------


def test_a_failing_import_marks_the_run_failed_and_writes_nothing(client, staff, monkeypatch):
    login(client, staff["manager"])
    upload(client, csv_bytes([row(1), row(2)]))
    run = ImportRun.objects.get()
    entries = ModelLogEntry.objects.count()

    def broken_flush(self):
        raise RuntimeError("disk full")

    # Deep in the write: after loans, parties and cases were inserted, the audit batch fails.
    monkeypatch.setattr(importing._AuditBatch, "flush", broken_flush)
    client.post(url("confirm", run.pk))

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and run.failure and run.finished_at is not None
    assert run.summary == {}
    assert not Loan.objects.exists() and not Party.objects.exists()
    assert ModelLogEntry.objects.count() == entries
    page = client.get(url("run", run.pk)).content.decode()
    assert 'data-testid="import-failure"' in page
    assert len(mail.outbox) == 1 and run.failure in mail.outbox[0].body
