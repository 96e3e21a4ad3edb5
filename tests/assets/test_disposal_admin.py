"""Disposal plans in the admin: the auction rules as field errors on the plan's form and on the
failed-round form, the plan's page with its rounds and projection, scope, and attachments
served only to those who may see the plan's case."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assets.disposal import disposal_plan_approve, disposal_plan_save
from assets.file_services import disposal_plan_file_upload
from assets.models import DisposalPlan, DisposalPlanFile, DisposalRoute, DisposalStage
from tests.assets.preservation_helpers import make_asset
from tests.recovery.lib.test_files import pdf_bytes

PLANS = "wagtailsnippets_assets_disposalplan"
TODAY = timezone.localdate()


@pytest.fixture
def mine(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    return make_asset(case, user=staff["lawyer"], description="我的房产", value="1000000.00")


@pytest.fixture
def theirs(make_case, staff):
    case = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    return make_asset(case, user=staff["other_lawyer"], description="别人的房产", value="1000000.00")


def plan_for(asset, user, **fields):
    values = {
        "case": asset.case,
        "asset": asset,
        "route": DisposalRoute.ONLINE_AUCTION,
        "reference_price": Decimal("1000000.00"),
        "reference_source": "appraisal",
        "first_auction_on": TODAY - timedelta(days=5),
    } | fields
    return disposal_plan_save(disposal_plan=DisposalPlan(**values), user=user)


def approved(plan, manager):
    revision = plan.get_latest_revision()
    disposal_plan_approve(disposal_plan=revision.as_object(), revision=revision, user=manager)
    plan.refresh_from_db()
    return plan


def form_data(asset, **fields):
    return {
        "case": asset.case_id,
        "asset": asset.pk,
        "route": DisposalRoute.ONLINE_AUCTION,
        "reference_price": "1000000.00",
        "reference_source": "appraisal",
        "first_starting_price": "700000.00",
        "first_auction_on": (TODAY + timedelta(days=60)).isoformat(),
        "costs": "0.00",
        "expected_price": "",
        "timeline": "",
        "notes": "",
    } | fields


@pytest.mark.django_db
def test_a_starting_price_under_the_floor_is_an_error_on_its_field(client, staff, mine):
    client.force_login(staff["lawyer"])
    response = client.post(reverse(f"{PLANS}:add"), form_data(mine, first_starting_price="650000.00"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["first_starting_price"]
    assert "700,000.00" in errors["first_starting_price"][0]
    assert not DisposalPlan.objects.exists()

    response = client.post(reverse(f"{PLANS}:add"), form_data(mine))
    assert response.status_code == 302
    plan = DisposalPlan.objects.get()
    assert plan.requested_by == staff["lawyer"] and plan.latest_revision is not None and not plan.live


@pytest.mark.django_db
def test_a_second_auction_more_than_30_days_after_the_failure_is_an_error_on_its_field(client, staff, mine):
    plan = approved(plan_for(mine, staff["lawyer"]), staff["manager"])
    client.force_login(staff["lawyer"])
    failed_on = TODAY - timedelta(days=4)
    response = client.post(
        reverse(f"{PLANS}:fail", args=[plan.pk]),
        {
            "failed_on": failed_on.isoformat(),
            "second_auction_on": (failed_on + timedelta(days=40)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["second_auction_on"]
    plan.refresh_from_db()
    assert plan.stage == DisposalStage.PLANNED  # nothing half-written

    response = client.post(reverse(f"{PLANS}:fail", args=[plan.pk]), {"failed_on": failed_on.isoformat()})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.stage == DisposalStage.FIRST_FAILED
    page = client.get(reverse(f"{PLANS}:inspect", args=[plan.pk])).content.decode()
    # Round 2's minimum (80% of 700,000) and its latest day appear on the plan's page.
    assert "¥560,000.00" in page and "expected-recovery" in page


@pytest.mark.django_db
def test_outcome_forms_refuse_a_draft(client, staff, mine):
    plan = plan_for(mine, staff["lawyer"])
    client.force_login(staff["lawyer"])
    response = client.post(
        reverse(f"{PLANS}:withdraw", args=[plan.pk]), {"withdrawn_on": TODAY, "reason": "x"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.stage == DisposalStage.PLANNED and plan.withdrawn_on is None


@pytest.mark.django_db
def test_another_branchs_lawyer_neither_sees_nor_chooses(client, staff, mine, theirs):
    plan = plan_for(mine, staff["lawyer"])
    client.force_login(staff["other_lawyer"])
    assert client.get(reverse(f"{PLANS}:inspect", args=[plan.pk])).status_code == 404
    assert client.get(reverse(f"{PLANS}:edit", args=[plan.pk])).status_code == 404
    assert "我的房产" not in client.get(reverse(f"{PLANS}:list")).content.decode()
    form = client.get(reverse(f"{PLANS}:add")).context["form"]
    assert list(form.fields["case"].queryset) == [theirs.case]
    assert list(form.fields["asset"].queryset) == [theirs]
    # Posting the other case anyway is refused on the field, nothing written.
    response = client.post(reverse(f"{PLANS}:add"), form_data(mine))
    assert response.status_code == 200 and "case" in response.context["form"].errors
    assert DisposalPlan.objects.count() == 1


@pytest.mark.django_db
def test_attachments_are_served_only_with_access(client, staff, mine, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plan = plan_for(mine, staff["lawyer"])
    upload = disposal_plan_file_upload(
        upload=DisposalPlanFile(
            plan=plan, file=SimpleUploadedFile("评估报告.pdf", pdf_bytes()), caption="评估报告"
        ),
        user=staff["lawyer"],
    )
    assert upload.file.name.startswith("disposal/") and "评估" not in upload.file.name
    url = reverse("assets_disposal_file_download", args=[upload.pk])
    client.force_login(staff["other_lawyer"])
    assert client.get(url).status_code == 404
    client.force_login(staff["lawyer"])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.logout()
    assert client.get(url).status_code == 302  # to the login


@pytest.mark.django_db
def test_the_listing_filters_and_exports(client, staff, mine):
    approved(plan_for(mine, staff["lawyer"]), staff["manager"])
    plan_for(mine, staff["lawyer"], reference_price=Decimal("2000000.00"))
    client.force_login(staff["manager"])
    listing = client.get(reverse(f"{PLANS}:list"), {"status": "approved"})
    assert len(listing.context["object_list"]) == 1
    listing = client.get(reverse(f"{PLANS}:list"), {"min_amount": "1500000"})
    assert [p.reference_price for p in listing.context["object_list"]] == [Decimal("2000000.00")]
    export = client.get(reverse(f"{PLANS}:list"), {"export": "csv"})
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "disposal_plan-" in body and "我的房产" in body
