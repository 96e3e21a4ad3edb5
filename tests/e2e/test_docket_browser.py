"""A lawyer records a delivered collection letter with its proof, in a real browser."""

import re
import struct
import zlib
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from recovery.models import CollectionAction

OUTCOME = "债务人本人签收催收函，承诺月底前还款"
TRACKING = "EMS1234567890CN"


def _png(path: Path) -> Path:
    """A real 8×8 grey PNG: the smallest honest image proof."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * 8 for _ in range(8))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def _full_page_screenshot(page, path: Path) -> None:
    """Wagtail's admin scrolls inside a fixed-height layout, so full_page alone captures one
    viewport: grow the viewport to the tallest scrolling content first."""
    height = page.evaluate(
        """() => Math.max(document.scrollingElement.scrollHeight,
            ...[...document.querySelectorAll("*")].map((el) => el.scrollHeight))"""
    )
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(height, 16_000)})
    page.screenshot(path=path, full_page=True)


@pytest.mark.browser
def test_lawyer_records_a_delivered_letter_with_proof(
    chromium_page, live_server, staff, make_case, tmp_path, artifacts_dir
):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    proof = _png(tmp_path / "签收回执.png")
    page = chromium_page
    case_path = reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "lawyer")
    page.fill("#id_password", "pw-lawyer")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))

    page.goto(live_server.url + reverse("wagtailsnippets_recovery_case:list"))
    row = page.locator("table.listing tbody tr", has=page.get_by_text(case.number, exact=True))
    # The case number opens the case page.
    row.get_by_role("link", name=case.number).click()
    page.wait_for_url(f"**{case_path}")
    page.get_by_test_id("record-action").click()
    page.wait_for_url(re.compile(rf"/collectionaction/add/\?case={case.pk}$"))

    page.select_option("#id_kind", "letter")
    page.check("#id_reached")
    # A date field opens Wagtail's date picker over the form: close it after each date.
    for selector, value in (("#id_acted_on", "2024-03-01"), ("#id_delivered_on", "2024-03-04")):
        page.fill(selector, value)
        page.press(selector, "Escape")
    assert page.is_checked("#id_reached")
    page.fill("#id_tracking_number", TRACKING)
    page.set_input_files("#id_proof_file", proof)
    page.fill("#id_outcome", OUTCOME)
    page.locator("form[data-edit-form] button.action-save").click()

    page.wait_for_url(f"**{case_path}")
    timeline = page.get_by_test_id("timeline")
    assert OUTCOME in timeline.inner_text()
    assert "2024-03-01" in timeline.inner_text()
    _full_page_screenshot(page, artifacts_dir / "docket-case-timeline.png")

    action = CollectionAction.objects.get(case=case)
    assert action.kind == "letter"
    assert action.acted_on == date(2024, 3, 1)
    assert action.reached and action.delivered_on == date(2024, 3, 4)
    assert action.tracking_number == TRACKING
    assert action.outcome == OUTCOME
    assert action.performed_by == lawyer and action.recorded_by == lawyer
    assert action.proof_file and action.proof_file.name.endswith(".png")
    assert action.proof_file.read().startswith(b"\x89PNG")
