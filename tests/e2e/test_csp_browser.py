"""The admin works under the Content-Security-Policy: no violation on the pages people use,
and the widgets that Wagtail starts from inline scripts (the date picker) still start."""

import re

import pytest
from django.urls import reverse

# Collects every violation the page reports, from the first script on: console messages can
# be missed for violations raised before a listener is attached; the DOM event is not.
VIOLATION_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  const blocked = event.blockedURI || "inline";
  window.__cspViolations.push(`${event.violatedDirective} blocked ${blocked} at ${where}`);
});
"""


class _Watch:
    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(VIOLATION_RECORDER)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.console.append(message.text)

    def assert_clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__cspViolations || []")
        assert not violations, f"{where}: {violations}"
        assert not self.console, f"{where}: {self.console}"
        assert not self.errors, f"{where}: script errors {self.errors}"

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        policy = response.headers.get("content-security-policy", "")
        script_src = re.search(r"script-src ([^;]*)", policy)
        assert script_src, f"{url}: no script-src in {policy!r}"
        assert "'unsafe-inline'" not in script_src.group(1)
        assert "'unsafe-eval'" not in script_src.group(1)
        assert "default-src 'self'" in policy
        self.page.wait_for_load_state("networkidle")
        self.assert_clean(url)


@pytest.mark.browser
def test_the_admin_works_under_the_content_security_policy(chromium_page, live_server, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    page = chromium_page
    watch = _Watch(page)

    watch.visit(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "head")
    page.fill("#id_password", "pw-head")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.wait_for_load_state("networkidle")
    watch.assert_clean("dashboard")

    watch.visit(live_server.url + reverse("wagtailsnippets_recovery_case:list"))
    # The listing's filters open in a drawer, with their own scripts.
    watch.visit(live_server.url + reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk]))

    # An edit form with rows of fields and a date: the picker opens when the field is focused.
    watch.visit(live_server.url + reverse("wagtailsnippets_recovery_case:edit", args=[case.pk]))
    page.click("#id_opened_on")
    picker = page.locator(".xdsoft_datetimepicker:visible")
    picker.first.wait_for(state="visible")
    page.press("#id_opened_on", "Escape")
    # A chooser (Wagtail starts those from inline scripts too): its modal opens and lists.
    page.locator("#id_default_cause-chooser .unchosen [data-chooser-action-choose]").click()
    modal = page.locator(".modal.in .modal-content")
    modal.wait_for(state="visible")
    modal.locator("input[name=q], table, .w-empty-state, p").first.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    watch.assert_clean("case edit form")

    # The collection-action form: dates in a row of fields, a file input.
    watch.visit(
        live_server.url + reverse("wagtailsnippets_recovery_collectionaction:add") + f"?case={case.pk}"
    )
    page.click("#id_acted_on")
    page.locator(".xdsoft_datetimepicker:visible").first.wait_for(state="visible")
    page.press("#id_acted_on", "Escape")
    watch.assert_clean("collection action form")

    # The calculator: a plain Django form with Wagtail's date widget.
    watch.visit(live_server.url + reverse("recovery_deadlines:calculator"))
    watch.visit(live_server.url + reverse("recovery_deadlines:index"))


@pytest.mark.browser
def test_a_locked_out_sign_in_page_works_under_the_policy(chromium_page, live_server, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    page = chromium_page
    watch = _Watch(page)
    watch.visit(f"{live_server.url}/admin/login/")
    for attempt in range(3):
        page.fill("#id_username", "lawyer")
        page.fill("#id_password", f"wrong-{attempt}")
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state("networkidle")
    page.get_by_test_id("lockout-message").wait_for(state="visible")
    assert "清收负责人" in page.get_by_test_id("lockout-message").inner_text()
    watch.assert_clean("lockout page")


@pytest.mark.browser
def test_the_import_progress_script_runs_with_its_nonce(chromium_page, live_server, staff):
    """The one inline script of our own (the import's progress poll) carries the request's
    nonce: it runs, and polls the run's status, with no violation."""
    from django.utils import timezone

    from recovery.models import ImportRun, ImportSource, ImportStatus

    run = ImportRun.objects.create(
        file_name="移交清单.xlsx",
        checksum="0" * 64,
        file_size=1000,
        source=ImportSource.WEB,
        status=ImportStatus.VALIDATING,
        started_by=staff["head"],
        heartbeat_at=timezone.now(),
    )
    page = chromium_page
    watch = _Watch(page)
    watch.visit(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "head")
    page.fill("#id_password", "pw-head")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))
    status_url = reverse("recovery_imports:status", args=[run.pk])
    with page.expect_request(re.compile(re.escape(status_url))):
        watch.visit(live_server.url + reverse("recovery_imports:run", args=[run.pk]))
    watch.assert_clean("import progress")
