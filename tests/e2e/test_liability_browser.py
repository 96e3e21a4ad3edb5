"""A lawyer records a borrower's death and two heirs, one renouncing, and reads the liability
matrix on the case page, in a real browser."""

import re

import pytest
from django.urls import reverse

from recovery.models import EstateRecipient, LiabilityClaim, ObligorBasis
from recovery.services.liability import liability_claims_sync
from tests.e2e.test_docket_browser import _full_page_screenshot
from tests.recovery.services.test_estates import person


def _save(page) -> None:
    page.locator("form[data-edit-form] button.action-save").click()
    page.wait_for_load_state("networkidle")


def _date(page, selector: str, value: str) -> None:
    page.fill(selector, value)
    page.press(selector, "Escape")


@pytest.mark.browser
def test_lawyer_records_a_death_two_heirs_and_reads_the_matrix(
    chromium_page, live_server, staff, make_case, artifacts_dir
):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    liability_claims_sync(case_ids=[case.pk])
    heir_a = person("继承人甲", by=lawyer)
    heir_b = person("继承人乙", by=lawyer)
    page = chromium_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "lawyer")
    page.fill("#id_password", "pw-lawyer")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))

    page.goto(live_server.url + reverse("wagtailsnippets_recovery_estate:add"))
    page.select_option("#id_case", str(case.pk))
    page.select_option("#id_deceased", str(case.debtor_id))
    _date(page, "#id_died_on", "2024-11-03")
    _save(page)
    estate = case.estates.get()

    for party, renounced in ((heir_a, False), (heir_b, True)):
        page.goto(live_server.url + reverse("wagtailsnippets_recovery_estaterecipient:add"))
        page.select_option("#id_estate", str(estate.pk))
        page.select_option("#id_party", str(party.pk))
        page.select_option("#id_kind", "statutory_heir")
        if renounced:
            page.check("#id_renounced")
            _date(page, "#id_renounced_on", "2024-12-10")
        else:
            _date(page, "#id_accepted_on", "2024-12-01")
            page.fill("#id_received", "50000.00")
        _save(page)
    assert EstateRecipient.objects.filter(estate=estate).count() == 2

    page.goto(live_server.url + reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk]))
    matrix = page.get_by_test_id("case-liability")
    matrix.scroll_into_view_if_needed()
    rows = matrix.get_by_test_id("claim-row")
    text = matrix.inner_text()
    assert "继承人甲" in text and "民法典第1161条" in text
    heir_row = matrix.locator(f'[data-testid="claim-row"][data-basis="{ObligorBasis.STATUTORY_HEIR}"]')
    assert heir_row.count() == 1  # the renouncing heir answers for nothing (CC 1161)
    assert heir_row.get_by_test_id("claim-owed").inner_text().strip() == "50000.00"
    assert "30000.00" in matrix.get_by_test_id("estate-shortfall").inner_text()  # write-off candidate
    assert rows.count() == LiabilityClaim.objects.filter(case=case).count()
    _full_page_screenshot(page, artifacts_dir / "case-liability-matrix.png")

    # The lawyer demands payment from the heir: the status moves, audited.
    heir_row.get_by_test_id("claim-move").locator("select").select_option("demanded")
    heir_row.get_by_test_id("claim-move").locator("button").click()
    page.wait_for_load_state("networkidle")
    claim = LiabilityClaim.objects.get(case=case, basis=ObligorBasis.STATUTORY_HEIR)
    assert claim.status == "demanded"
