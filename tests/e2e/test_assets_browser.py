"""A lawyer opens an asset with a mortgage and two seizures — ours waiting behind a competitor's
first seizure — and asks what a sale would bring us, in a real browser."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from assets.models import Asset, PreservationMeasure, SecurityInterest
from assets.services import asset_record, measure_record, security_interest_record
from recovery.models import CaseParty, Party, PartyKind, PartyRole
from tests.e2e.test_docket_browser import _full_page_screenshot


def _seizure(asset, user, *, applicant, ours, registered_at, claim):
    return measure_record(
        measure=PreservationMeasure(
            asset=asset,
            ours=ours,
            applicant=applicant,
            claim_amount=Decimal(claim),
            court="上海市浦东新区人民法院",
            ruling_number=f"({registered_at.year})沪0115执保{registered_at.month}号",
            kind="seizure",
            stage="in_suit",
            measured_on=registered_at.date(),
            registered_at=registered_at,
            expires_on=registered_at.date() + timedelta(days=3 * 365 - 1),
        ),
        user=user,
    )


@pytest.mark.browser
def test_lawyer_reads_the_ranking_and_computes_the_waterfall(
    chromium_page, live_server, staff, make_case, artifacts_dir
):
    head = staff["head"]
    case = make_case(assignee=staff["lawyer"])
    company = Party.objects.create(
        kind=PartyKind.COMPANY, name="上海某某实业有限公司", id_number="91310115MA1K000002"
    )
    CaseParty.objects.create(case=case, party=company, role=PartyRole.GUARANTOR)
    asset = asset_record(
        asset=Asset(
            case=case,
            owner=company,
            kind="real_estate",
            description="浦东新区张杨路100号厂房",
            certificate_number="沪(2019)浦东新区不动产权第0012345号",
            estimated_value=Decimal("3000000.00"),
            valued_on=date(2025, 1, 1),
        ),
        user=head,
    )
    security_interest_record(
        interest=SecurityInterest(
            asset=asset,
            kind="mortgage",
            creditor="A银行",
            secured_amount=Decimal("1200000.00"),
            registered_on=date(2019, 5, 1),
            registration_number="沪(2019)浦东新区不动产证明第0099号",
        ),
        user=head,
    )
    # Recorded out of order: ranking follows the registration time, not the order of entry.
    _seizure(
        asset,
        head,
        applicant="我行",
        ours=True,
        registered_at=datetime(2024, 7, 1, 2, 0, tzinfo=UTC),
        claim="900000.00",
    )
    _seizure(
        asset,
        head,
        applicant="B公司",
        ours=False,
        registered_at=datetime(2024, 5, 6, 2, 0, tzinfo=UTC),
        claim="800000.00",
    )

    page = chromium_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "lawyer")
    page.fill("#id_password", "pw-lawyer")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))

    # From the asset listing to the asset page.
    page.goto(live_server.url + reverse("wagtailsnippets_assets_asset:list"))
    page.get_by_role("link", name="浦东新区张杨路100号厂房").click()
    page.wait_for_url(f"**{reverse('wagtailsnippets_assets_asset:inspect', args=[asset.pk])}")

    rows = page.get_by_test_id("encumbrances").get_by_test_id("encumbrance-row")
    assert [rows.nth(i).get_attribute("data-creditor") for i in range(rows.count())] == [
        "A银行",
        "B公司",
        "我行",
    ]
    positions = page.get_by_test_id("measure-position").all_inner_texts()
    assert "首封" in positions[0] and "轮候" in positions[1]

    form = page.get_by_test_id("waterfall-form")
    assert form.locator("#id_proceeds").input_value() == "3000000.00"
    form.locator("#id_proceeds").fill("2500000.00")
    form.locator("#id_costs").fill("50000.00")
    page.get_by_test_id("waterfall-submit").click()
    page.wait_for_url(re.compile(r"proceeds=2500000"))

    table = page.get_by_test_id("waterfall-table")
    assert table.is_visible()
    paid = {
        row.get_attribute("data-creditor"): row.get_by_test_id("waterfall-paid").inner_text()
        for row in table.get_by_test_id("waterfall-row").all()
    }
    # 2,500,000 − 50,000 costs − 1,200,000 mortgage − 800,000 first seizure = 450,000 for us.
    assert paid == {"A银行": "¥1200000.00", "B公司": "¥800000.00", "我行": "¥450000.00"}
    assert page.get_by_test_id("our-expected").inner_text() == "450000.00"
    assert page.get_by_test_id("our-shortfall").inner_text() == "450000.00"
    assert "执行工作规定第55条" in page.get_by_test_id("waterfall-steps").inner_text() or (
        "民诉法解释第514条" in page.get_by_test_id("waterfall-steps").inner_text()
    )
    page.get_by_test_id("waterfall").scroll_into_view_if_needed()
    _full_page_screenshot(page, artifacts_dir / "asset-waterfall.png")
