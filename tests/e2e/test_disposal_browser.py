"""A lawyer drafts a disposal plan and submits it; the branch manager finds it on the dashboard
and approves it with a comment — in a real browser, through Wagtail's own workflow controls."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assets.models import DisposalPlan
from tests.assets.preservation_helpers import make_asset
from tests.e2e.test_docket_browser import _full_page_screenshot

PLANS = "wagtailsnippets_assets_disposalplan"


def _log_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))


@pytest.mark.browser
def test_lawyer_submits_a_plan_and_the_branch_manager_approves_it(
    chromium_page, live_server, staff, make_case, artifacts_dir
):
    case = make_case(assignee=staff["lawyer"])
    flat = make_asset(case, user=staff["lawyer"], description="锦绣路88弄3号1202室", value="900000.00")
    page = chromium_page
    base = live_server.url

    _log_in(page, base, "lawyer")
    page.goto(base + reverse(f"{PLANS}:add") + f"?asset={flat.pk}")
    page.select_option("#id_case", str(case.pk))
    page.select_option("#id_asset", str(flat.pk))
    page.select_option("#id_route", "online_auction")
    page.fill("#id_reference_price", "900000.00")
    page.select_option("#id_reference_source", "appraisal")
    # One fen under 70%: the form names the field before anyone can approve.
    page.fill("#id_first_starting_price", "629999.99")
    auction_on = timezone.localdate() + timedelta(days=60)
    page.fill("#id_first_auction_on", auction_on.isoformat())
    page.press("#id_first_auction_on", "Escape")
    page.fill("#id_costs", "15000.00")
    page.locator("form[data-edit-form] button.action-save").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".w-field--error, .error-message").count() >= 1
    assert "630,000.00" in page.content()
    assert not DisposalPlan.objects.exists()

    page.fill("#id_first_starting_price", "630000.00")
    # Wagtail's footer: the submit action sits in the save button's menu.
    page.locator("form[data-edit-form] [data-w-dropdown-target='toggle']").last.click()
    page.locator("button[name='action-submit']").click()
    page.wait_for_load_state("networkidle")
    plan = DisposalPlan.objects.get()
    assert plan.requested_by == staff["lawyer"] and plan.current_workflow_state is not None
    _full_page_screenshot(page, artifacts_dir / "disposal-submitted-lawyer.png")

    _log_in(page, base, "manager")
    panel = page.locator("#approvals-pending-heading").locator("..")
    assert "锦绣路88弄3号1202室" in panel.inner_text() and "¥900,000" in panel.inner_text()
    panel.get_by_role("link").first.click()
    page.wait_for_load_state("networkidle")
    page.locator("form[data-edit-form] [data-w-dropdown-target='toggle']").last.click()
    page.locator("button[data-workflow-action-name='approve']").click()
    page.fill("textarea[name='comment']", "同意按评估价七折起拍")
    with page.expect_navigation():
        page.locator(".modal button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    _full_page_screenshot(page, artifacts_dir / "disposal-approved-manager.png")
    plan.refresh_from_db()
    assert plan.approved_by == staff["manager"] and plan.live
    page.goto(base + reverse(f"{PLANS}:inspect", args=[plan.pk]))
    assert plan.approval_reference in page.content()
