"""A lawyer reads why a deadline falls when it does, then asks "what if", in a real browser."""

import re
from datetime import date

import pytest
from django.urls import reverse

from recovery.models import Deadline, DeadlineKind
from recovery.services.deadlines import deadlines_recompute
from tests.e2e.test_docket_browser import _full_page_screenshot


@pytest.mark.browser
def test_lawyer_expands_a_deadline_and_asks_what_if(
    chromium_page, live_server, staff, make_case, make_action, artifacts_dir
):
    case = make_case(assignee=staff["lawyer"])
    make_action(
        case,
        kind="letter",
        acted_on=date(2024, 3, 1),
        reached=True,
        delivered_on=date(2024, 3, 4),
        tracking_number="EMS1234567890CN",
    )
    make_action(case, kind="call", acted_on=date(2024, 9, 2), reached=True, delivered_on=date(2024, 9, 2))
    deadlines_recompute(case_ids=[case.pk])
    limitation = Deadline.objects.get(case=case, kind=DeadlineKind.LIMITATION)
    before = list(Deadline.objects.order_by("pk").values())
    page = chromium_page

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "lawyer")
    page.fill("#id_password", "pw-lawyer")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))
    # The dashboard lists my deadlines.
    assert page.get_by_test_id("my-deadlines").is_visible()

    page.goto(live_server.url + reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk]))
    section = page.get_by_test_id("case-deadlines")
    row = page.locator(f"#deadline-{limitation.pk}")
    assert row.is_visible()
    details = page.locator(f"#deadline-{limitation.pk} + tr details")
    steps = details.get_by_test_id("deadline-steps")
    assert not steps.is_visible()
    details.locator("summary").click()
    assert steps.is_visible()
    assert "民法典第195条" in steps.inner_text()
    assert details.get_by_test_id("deadline-risk").is_visible()  # the phone call has no proof
    section.scroll_into_view_if_needed()
    _full_page_screenshot(page, artifacts_dir / "case-deadlines.png")

    details.get_by_test_id("deadline-what-if").click()
    page.wait_for_url(re.compile(rf"/what-if/{limitation.pk}/"))
    page.select_option("#id_event_type_0", "demand_delivered")
    page.fill("#id_event_date_0", "2026-06-01")
    page.press("#id_event_date_0", "Escape")
    page.get_by_test_id("what-if-compute").click()
    page.wait_for_url(re.compile(r"event_date_0=2026-06-01"))
    assert "2029-06-01" in page.get_by_test_id("what-if-sentence").inner_text()
    assert list(Deadline.objects.order_by("pk").values()) == before
