"""A lawyer without a 姓 saves the deadline-alert tab of the account page, and a refused save opens
on the tab with the error (#12 §6), in a real browser."""

import re

import pytest
from django.urls import reverse

from recovery.models import AlertPreference
from tests.e2e.test_docket_browser import _full_page_screenshot


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))


@pytest.mark.browser
def test_a_lawyer_without_names_saves_the_alert_tab_and_sees_a_refusal_on_it(
    chromium_page, live_server, staff, artifacts_dir
):
    lawyer = staff["lawyer"]
    assert not lawyer.last_name
    page = chromium_page
    _sign_in(page, live_server, "lawyer")
    account_url = live_server.url + reverse("wagtailadmin_account")

    page.goto(account_url)
    page.locator("#tab-label-notifications").click()
    alerts = page.get_by_test_id("alert-preferences")
    assert alerts.is_visible()
    page.select_option("select[name=deadline_alerts-digest_hour]", "7")
    page.locator("form[data-edit-form] footer button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/account/$"))
    assert page.locator(".messages .success").count() == 1
    assert AlertPreference.objects.get(user=lawyer).digest_hour == 7

    # A value the form refuses (only a tampered page can send one): the page comes back on the
    # alerts tab with the error in its panel, and the reason above the tabs.
    page.locator("#tab-label-notifications").click()
    page.evaluate(
        """() => {
            const select = document.querySelector("select[name=deadline_alerts-digest_hour]");
            select.add(new Option("24:00", "24"));
            select.value = "24";
        }"""
    )
    page.locator("form[data-edit-form] footer button[type=submit]").click()
    page.wait_for_load_state("load")
    page.locator("#tab-notifications .error-message").first.wait_for(state="visible")
    assert page.locator("#tab-notifications").is_visible()
    assert not page.locator("#tab-profile").is_visible()
    assert page.locator("#tab-label-notifications").get_attribute("aria-selected") == "true"
    assert page.locator(".messages .error").is_visible()
    _full_page_screenshot(page, artifacts_dir / "account-alerts-error.png")
    assert AlertPreference.objects.get(user=lawyer).digest_hour == 7
