"""A manager imports a bank's hand-over file in a real browser: upload, read the check
result, confirm, see the result."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from config.celery import app as celery_app
from recovery.models import ImportRun, ImportStatus, Loan
from tests.e2e.test_docket_browser import _full_page_screenshot
from tests.recovery.admin.test_imports import bad_rows, row, xlsx_bytes


@pytest.mark.browser
def test_manager_uploads_previews_and_confirms_a_hand_over_file(
    chromium_page, live_server, staff, settings, monkeypatch, tmp_path, artifacts_dir
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    hand_over = tmp_path / "不良贷款移交清单.xlsx"
    hand_over.write_bytes(xlsx_bytes([row(n) for n in range(1, 6)] + bad_rows(3)))
    page = chromium_page

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "pw-manager")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))

    # The listing's header button opens the upload form.
    page.goto(live_server.url + reverse("recovery_imports:index"))
    page.locator(f"main a[href='{reverse('recovery_imports:upload')}']").first.click()
    page.wait_for_url(f"**{reverse('recovery_imports:upload')}")
    page.set_input_files("#id_file", hand_over)
    page.get_by_test_id("import-upload").click()

    page.wait_for_url(re.compile(r"/admin/recovery/imports/\d+/$"))
    preview = page.get_by_test_id("import-preview")
    assert preview.locator("[data-count=created]").inner_text() == "5"
    assert preview.locator("[data-count=rejected]").inner_text() == "3"
    assert page.get_by_test_id("unknown-columns").inner_text() == "备注"
    errors = page.get_by_test_id("import-errors")
    assert errors.locator("tbody tr").count() == len(ImportRun.objects.get().errors)
    assert "证件号码" in errors.inner_text()
    assert not Loan.objects.exists()
    _full_page_screenshot(page, artifacts_dir / "import-preview.png")

    with page.expect_download() as download:
        page.get_by_test_id("import-error-report").click()
    assert download.value.suggested_filename.endswith("-errors.xlsx")

    page.get_by_test_id("import-confirm").click()
    page.wait_for_selector("[data-testid=import-summary]")
    summary = page.get_by_test_id("import-summary")
    assert summary.locator("[data-count=created]").inner_text() == "5"
    assert "manager@example.com" in page.get_by_test_id("import-notice").inner_text()

    # The import records list it, with its counts and the error report.
    page.goto(live_server.url + reverse("recovery_imports:index"))
    listed = page.locator("table.listing tbody tr", has=page.get_by_text(hand_over.name))
    assert "5" in listed.inner_text() and listed.get_by_role("link").count() == 2
    _full_page_screenshot(page, artifacts_dir / "import-listing.png")

    run = ImportRun.objects.get()
    assert run.status == ImportStatus.DONE and run.started_by == staff["manager"]
    assert Loan.objects.count() == 5
    assert len(mail.outbox) == 1
