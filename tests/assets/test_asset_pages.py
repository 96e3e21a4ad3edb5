"""The assets admin: scoping by role, measures recorded, renewed and ended through their forms,
the asset page in legal order with the waterfall, the case section, and a listing whose query
count does not grow with the number of assets."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from assets.models import (
    Asset,
    AssetFile,
    MeasureRenewal,
    MeasureStatus,
    PreservationMeasure,
    SecurityInterest,
)
from assets.services import asset_record, measure_end, measure_record, security_interest_record
from recovery.models import CaseParty, Deadline, Party, PartyKind, PartyRole
from tests.recovery.lib.test_files import HTML, MZ, ooxml_bytes, pdf_bytes, png_bytes

LIST = "wagtailsnippets_assets_asset:list"
INSPECT = "wagtailsnippets_assets_asset:inspect"
MEASURES = "wagtailsnippets_assets_preservationmeasure"


def _asset(case, user, *, owner=None, value="1000000.00", description="上海市浦东新区某路1号101室", **extra):
    fields = {
        "kind": "real_estate",
        "estimated_value": Decimal(value) if value is not None else None,
        "valued_on": date(2025, 1, 1) if value is not None else None,
    } | extra
    return asset_record(
        asset=Asset(case=case, owner=owner or case.debtor, description=description, **fields), user=user
    )


def _measure(asset, user, *, applicant, ours, registered, claim="500000.00", expires=None):
    registered_at = datetime(*registered, 10, 0, tzinfo=UTC)
    return measure_record(
        measure=PreservationMeasure(
            asset=asset,
            ours=ours,
            applicant=applicant,
            claim_amount=Decimal(claim) if claim is not None else None,
            court="上海市浦东新区人民法院",
            ruling_number=f"(2024)沪0115执保{registered[1]}{registered[2]}号",
            kind="seizure",
            stage="in_suit",
            measured_on=registered_at.date(),
            registered_at=registered_at,
            expires_on=expires or registered_at.date() + timedelta(days=3 * 365 - 1),
        ),
        user=user,
    )


def _company_case(make_case, assignee, user):
    """A case whose asset belongs to a company guarantor (a legal person)."""
    case = make_case(assignee=assignee)
    company = Party.objects.create(
        kind=PartyKind.COMPANY, name="上海某某实业有限公司", id_number="91310115MA1K000001"
    )
    CaseParty.objects.create(case=case, party=company, role=PartyRole.GUARANTOR)
    return case, company


@pytest.fixture
def two_cases(staff, make_case):
    """The lawyer's case in Shanghai and another lawyer's case in Hangzhou, one asset each."""
    mine = make_case(assignee=staff["lawyer"])
    theirs = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    return {
        "mine": _asset(mine, staff["head"], description="我的房产", plate=""),
        "theirs": _asset(theirs, staff["head"], description="别人的房产"),
    }


def _upload(asset, user, name="photo.png", content=b"\x89PNG\r\n\x1a\nfake"):
    from assets.file_services import asset_file_upload

    return asset_file_upload(
        upload=AssetFile(asset=asset, kind="photo", file=SimpleUploadedFile(name, content), caption="外观"),
        user=user,
    )


# --- scoping ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, sees_mine, sees_theirs",
    [
        ("lawyer", True, False),
        ("other_lawyer", False, True),
        ("manager", True, False),
        ("other_manager", False, True),
        ("head", True, True),
        ("auditor", True, True),
    ],
)
def test_each_role_sees_the_assets_of_its_cases_only(
    client, staff, two_cases, role, sees_mine, sees_theirs, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    files = {key: _upload(asset, staff["head"]) for key, asset in two_cases.items()}
    client.force_login(staff[role])
    listing = client.get(reverse(LIST)).content.decode()
    for key, expected in (("mine", sees_mine), ("theirs", sees_theirs)):
        asset = two_cases[key]
        assert (asset.description in listing) is expected, (role, key)
        page = client.get(reverse(INSPECT, args=[asset.pk]))
        assert page.status_code == (200 if expected else 404), (role, key)
        download = client.get(reverse("assets_file_download", args=[files[key].pk]))
        assert download.status_code == (200 if expected else 404), (role, key)
        if expected:
            assert b"".join(download.streaming_content).startswith(b"\x89PNG")
        edit = client.get(reverse("wagtailsnippets_assets_asset:edit", args=[asset.pk]))
        # The admin turns a refusal into a redirect home with a message.
        assert edit.status_code == (404 if not expected else 302 if role == "auditor" else 200), (role, key)


@pytest.mark.django_db
def test_asset_files_are_not_served_as_media(client, staff, two_cases, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = _upload(two_cases["mine"], staff["head"])
    assert (tmp_path / upload.file.name).is_file()
    client.force_login(staff["head"])
    for path in (f"/media/{upload.file.name}", f"/media/proofs/%2e%2e/{upload.file.name}"):
        response = client.get(path)
        assert response.status_code == 404 and not response.streaming, path


@pytest.mark.django_db
def test_an_asset_file_is_stored_under_a_random_name_and_downloads_under_its_own(
    client, staff, two_cases, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = _upload(two_cases["mine"], staff["lawyer"], name="房产证（正本）.png", content=png_bytes())
    assert re.fullmatch(r"assets/[0-9a-f]{32}\.png", upload.file.name), upload.file.name
    assert AssetFile.objects.get(pk=upload.pk).original_name == "房产证（正本）.png"
    assert str(upload) == "外观"
    client.force_login(staff["lawyer"])
    response = client.get(reverse("assets_file_download", args=[upload.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.isascii()
    assert f"filename*=UTF-8''{quote('房产证（正本）.png')}" in disposition


@pytest.mark.django_db
def test_the_asset_file_edit_form_links_the_file_to_its_download_not_to_media(
    client, staff, two_cases, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = _upload(two_cases["mine"], staff["lawyer"], name="房产证.png", content=png_bytes())
    client.force_login(staff["lawyer"])
    page = client.get(reverse("wagtailsnippets_assets_assetfile:edit", args=[upload.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{reverse("assets_file_download", args=[upload.pk])}"' in html
    assert "房产证.png" in html
    assert "/media/" not in html and upload.file.name not in html


@pytest.mark.django_db
def test_an_asset_file_is_not_downloaded_anonymously_or_once_lost(
    client, staff, two_cases, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = _upload(two_cases["mine"], staff["lawyer"])
    url = reverse("assets_file_download", args=[upload.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response.url
    (tmp_path / upload.file.name).unlink()
    client.force_login(staff["lawyer"])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, content",
    [("scan.pdf", HTML), ("photo.jpg", MZ), ("report.docx", ooxml_bytes(content_types=False))],
)
def test_an_asset_file_is_refused_when_its_content_is_not_what_its_name_says(
    staff, two_cases, settings, tmp_path, name, content
):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as raised:
        _upload(two_cases["mine"], staff["lawyer"], name=name, content=content)
    assert list(raised.value.message_dict) == ["file"]
    assert not AssetFile.objects.exists()
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, content",
    [("scan.pdf", pdf_bytes()), ("photo.png", png_bytes()), ("report.docx", ooxml_bytes())],
)
def test_an_asset_file_is_accepted_by_its_content(staff, two_cases, settings, tmp_path, name, content):
    settings.MEDIA_ROOT = tmp_path
    upload = _upload(two_cases["mine"], staff["lawyer"], name=name, content=content)
    assert (tmp_path / upload.file.name).read_bytes() == content


@pytest.mark.django_db
def test_the_asset_file_form_refuses_a_disguised_file_on_its_field(
    client, staff, two_cases, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff["lawyer"])
    response = client.post(
        reverse("wagtailsnippets_assets_assetfile:add"),
        {
            "asset": two_cases["mine"].pk,
            "kind": "document",
            "caption": "判决书",
            "file": SimpleUploadedFile("judgment.pdf", HTML),
        },
    )
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not AssetFile.objects.exists()


@pytest.mark.django_db
def test_lawyers_add_and_change_assets_but_do_not_delete_them(client, staff, two_cases):
    lawyer = staff["lawyer"]
    for model in ("asset", "securityinterest", "preservationmeasure", "assetfile"):
        assert lawyer.has_perm(f"assets.view_{model}")
        assert lawyer.has_perm(f"assets.add_{model}")
        assert lawyer.has_perm(f"assets.change_{model}")
    assert not lawyer.has_perm("assets.delete_asset")
    client.force_login(lawyer)
    response = client.get(reverse("wagtailsnippets_assets_asset:delete", args=[two_cases["mine"].pk]))
    assert response.status_code in (302, 403)
    assert Asset.objects.filter(pk=two_cases["mine"].pk).exists()


@pytest.mark.django_db
def test_auditor_reads_but_cannot_renew_or_end(client, staff, two_cases):
    measure = _measure(two_cases["mine"], staff["head"], applicant="我行", ours=True, registered=(2024, 5, 6))
    client.force_login(staff["auditor"])
    page = client.get(reverse(INSPECT, args=[two_cases["mine"].pk])).content.decode()
    assert "我行" in page
    assert reverse(f"{MEASURES}:renew", args=[measure.pk]) not in page
    # The admin turns each refusal into a redirect home with a message.
    for name in ("renew", "end", "edit", "add"):
        args = [] if name == "add" else [measure.pk]
        response = client.get(reverse(f"{MEASURES}:{name}", args=args))
        assert (response.status_code, response.get("Location")) == (302, reverse("wagtailadmin_home")), name
    response = client.post(
        reverse(f"{MEASURES}:end", args=[measure.pk]),
        {"status": "lifted", "ended_on": "2024-06-01", "reason": "x"},
    )
    assert response.status_code == 302
    assert PreservationMeasure.objects.get(pk=measure.pk).status == MeasureStatus.ACTIVE


@pytest.mark.django_db
def test_a_lawyer_cannot_renew_another_lawyers_measure(client, staff, two_cases):
    measure = _measure(
        two_cases["theirs"], staff["head"], applicant="我行", ours=True, registered=(2024, 5, 6)
    )
    client.force_login(staff["lawyer"])
    for name in ("renew", "end", "edit", "history"):
        assert client.get(reverse(f"{MEASURES}:{name}", args=[measure.pk])).status_code == 404
    response = client.post(
        reverse(f"{MEASURES}:end", args=[measure.pk]),
        {"status": "lifted", "ended_on": "2024-06-01", "reason": "x"},
    )
    assert response.status_code == 404
    assert PreservationMeasure.objects.get(pk=measure.pk).status == MeasureStatus.ACTIVE


@pytest.mark.django_db
def test_forms_offer_only_the_users_assets(client, staff, two_cases):
    client.force_login(staff["lawyer"])
    form = client.get(reverse(f"{MEASURES}:add") + f"?asset={two_cases['mine'].pk}").content.decode()
    assert "我的房产" in form and "别人的房产" not in form
    response = client.post(
        reverse(f"{MEASURES}:add"),
        _measure_post(two_cases["theirs"], "2024-05-06 10:00"),
    )
    assert response.status_code == 200  # the form again, with the choice refused
    assert not PreservationMeasure.objects.exists()


# --- measures through the admin ----------------------------------------------------------------


def _measure_post(asset, registered_at, **overrides):
    return {
        "asset": asset.pk,
        "ours": "on",
        "applicant": "我行",
        "court": "上海市浦东新区人民法院",
        "ruling_number": "(2024)沪0115财保1号",
        "kind": "seizure",
        "stage": "in_suit",
        "claim_amount": "600000.00",
        "measured_on": registered_at[:10],
        "registered_at": registered_at,
        "expires_on": "2027-05-05",
    } | overrides


@pytest.mark.django_db
def test_recording_a_measure_in_the_admin_ranks_it(client, staff, two_cases):
    asset = two_cases["mine"]
    _measure(asset, staff["head"], applicant="某资产管理公司", ours=False, registered=(2024, 3, 1))
    client.force_login(staff["lawyer"])
    response = client.post(reverse(f"{MEASURES}:add"), _measure_post(asset, "2024-05-06 10:00"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse(INSPECT, args=[asset.pk])
    ours = PreservationMeasure.objects.get(asset=asset, ours=True)
    assert ours.position == 2 and ours.status == MeasureStatus.ACTIVE and ours.recorded_by == staff["lawyer"]
    # An earlier registration recorded later still ranks by registration time.
    response = client.post(
        reverse(f"{MEASURES}:add"),
        _measure_post(asset, "2024-01-02 09:00", applicant="早先的债权人", ours=""),
    )
    assert response.status_code == 302
    positions = dict(PreservationMeasure.objects.filter(asset=asset).values_list("applicant", "position"))
    assert positions == {"早先的债权人": 1, "某资产管理公司": 2, "我行": 3}
    page = client.get(reverse(INSPECT, args=[asset.pk])).content.decode()
    rows = [page.index(f'data-creditor="{name}"') for name in ("早先的债权人", "某资产管理公司", "我行")]
    assert rows == sorted(rows)


@pytest.mark.django_db
def test_editing_a_measure_keeps_its_rank(client, staff, two_cases):
    asset = two_cases["mine"]
    first = _measure(asset, staff["head"], applicant="甲", ours=False, registered=(2024, 3, 1))
    second = _measure(asset, staff["head"], applicant="我行", ours=True, registered=(2024, 5, 6))
    client.force_login(staff["lawyer"])
    form = client.get(reverse(f"{MEASURES}:edit", args=[second.pk])).content.decode()
    assert "position" not in {f for f in ("id_position",) if f in form}
    # The registration time is fixed once recorded: a changed value is ignored.
    response = client.post(
        reverse(f"{MEASURES}:edit", args=[second.pk]),
        _measure_post(asset, "2023-01-01 09:00", court="上海市第一中级人民法院"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.court == "上海市第一中级人民法院"
    assert (first.position, second.position) == (1, 2)
    assert second.registered_at == datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_renew_form_records_the_renewal_and_audits_it(client, staff, two_cases):
    measure = _measure(
        two_cases["mine"],
        staff["head"],
        applicant="我行",
        ours=True,
        registered=(2024, 5, 6),
        expires=date(2027, 5, 5),
    )
    client.force_login(staff["lawyer"])
    url = reverse(f"{MEASURES}:renew", args=[measure.pk])
    assert client.get(url).status_code == 200
    # A new expiry before the current one is refused, on the field.
    response = client.post(
        url, {"renewed_on": "2026-04-20", "new_expires_on": "2027-01-01", "ruling_number": ""}
    )
    assert response.status_code == 200 and "new_expires_on" in response.context["form"].errors
    response = client.post(
        url,
        {"renewed_on": "2026-04-20", "new_expires_on": "2030-05-04", "ruling_number": "(2026)沪0115执恢1号"},
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.expires_on == date(2030, 5, 4)
    renewal = MeasureRenewal.objects.get(measure=measure)
    assert renewal.ruling_number == "(2026)沪0115执恢1号"
    entries = ModelLogEntry.objects.filter(object_id=str(measure.pk), user=staff["lawyer"])
    assert any(e.data.get("changes", {}).get("expires_on") == ["2027-05-05", "2030-05-04"] for e in entries)
    page = client.get(reverse(INSPECT, args=[measure.asset_id])).content.decode()
    assert "2026-04-20 → 2030-05-04" in page


@pytest.mark.django_db
def test_renewing_after_expiry_is_refused_on_the_form(client, staff, two_cases):
    measure = _measure(
        two_cases["mine"],
        staff["head"],
        applicant="我行",
        ours=True,
        registered=(2024, 5, 6),
        expires=date(2025, 5, 5),
    )
    client.force_login(staff["lawyer"])
    response = client.post(
        reverse(f"{MEASURES}:renew", args=[measure.pk]),
        {"renewed_on": "2025-05-10", "new_expires_on": "2028-05-09", "ruling_number": ""},
    )
    assert response.status_code == 200
    assert "renewed_on" in response.context["form"].errors
    assert not MeasureRenewal.objects.exists()


@pytest.mark.django_db
def test_lifting_the_first_seizure_moves_ours_up(client, staff, two_cases):
    asset = two_cases["mine"]
    first = _measure(asset, staff["head"], applicant="竞争债权人", ours=False, registered=(2024, 3, 1))
    ours = _measure(asset, staff["head"], applicant="我行", ours=True, registered=(2024, 5, 6))
    client.force_login(staff["lawyer"])
    response = client.post(
        reverse(f"{MEASURES}:end", args=[first.pk]),
        {"status": "lifted", "ended_on": "2025-02-01", "reason": "申请人撤回保全申请"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    ours.refresh_from_db()
    assert (first.status, first.position, first.end_reason) == ("lifted", None, "申请人撤回保全申请")
    assert (ours.position, ours.converted_on) == (1, date(2025, 2, 1))
    assert ModelLogEntry.objects.filter(object_id=str(first.pk), user=staff["lawyer"]).exists()
    page = client.get(reverse(INSPECT, args=[asset.pk])).content.decode()
    assert "申请人撤回保全申请" in page and "ended-measure-row" in page
    assert page.index('data-testid="measure-position"') < page.index("ended-measure-row")
    # An ended measure cannot be ended again: back to the asset page.
    again = client.get(reverse(f"{MEASURES}:end", args=[first.pk]))
    assert again.status_code == 302


@pytest.mark.django_db
def test_measures_are_never_deleted(client, staff, two_cases):
    measure = _measure(two_cases["mine"], staff["head"], applicant="我行", ours=True, registered=(2024, 5, 6))
    client.force_login(staff["head"])
    with pytest.raises(Exception):  # noqa: B017 - NoReverseMatch: there is no delete view
        reverse(f"{MEASURES}:delete", args=[measure.pk])
    listing = client.get(reverse(f"{MEASURES}:list")).content.decode()
    assert reverse(f"{MEASURES}:renew", args=[measure.pk]) in listing


# --- the asset page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_asset_page_lists_encumbrances_in_legal_order_with_the_renewal_deadline(client, staff, two_cases):
    asset = two_cases["mine"]
    head = staff["head"]
    for creditor, registered in (
        ("无登记质权人", None),
        ("第二抵押权人", date(2021, 1, 1)),
        ("第一抵押权人", date(2019, 5, 1)),
    ):
        security_interest_record(
            interest=SecurityInterest(
                asset=asset,
                kind="mortgage",
                creditor=creditor,
                secured_amount=Decimal("100000.00"),
                registered_on=registered,
            ),
            user=head,
        )
    ours = _measure(asset, head, applicant="我行", ours=True, registered=(2024, 7, 1))
    _measure(asset, head, applicant="首封债权人", ours=False, registered=(2024, 5, 6))
    lapsed = _measure(asset, head, applicant="失效债权人", ours=False, registered=(2024, 6, 1))
    measure_end(measure=lapsed, status="lapsed", ended_on=date(2025, 6, 1), reason="未续封", user=head)
    renewal = Deadline.objects.filter(
        key__endswith=f":measure:{ours.pk}", kind="preservation_renewal"
    ).first()
    client.force_login(staff["lawyer"])
    page = client.get(reverse(INSPECT, args=[asset.pk])).content.decode()
    order = ["第一抵押权人", "第二抵押权人", "无登记质权人", "首封债权人", "我行", "失效债权人"]
    positions = [
        page.index(f'data-creditor="{name}"') if name != "失效债权人" else page.index(name) for name in order
    ]
    assert positions == sorted(positions), order
    assert "首封" in page and "轮候" in page
    assert renewal is not None and renewal.safe_end.isoformat() in page


@pytest.mark.django_db
def test_waterfall_form_shows_our_expected_recovery_for_a_legal_person(client, staff, make_case):
    case, company = _company_case(make_case, staff["lawyer"], staff["head"])
    asset = _asset(case, staff["head"], owner=company, value="2000000.00", description="厂房")
    security_interest_record(
        interest=SecurityInterest(
            asset=asset,
            kind="mortgage",
            creditor="A银行",
            secured_amount=Decimal("1200000.00"),
            registered_on=date(2019, 5, 1),
        ),
        user=staff["head"],
    )
    _measure(asset, staff["head"], applicant="B公司", ours=False, registered=(2024, 5, 6), claim="800000.00")
    _measure(asset, staff["head"], applicant="我行", ours=True, registered=(2024, 7, 1), claim="500000.00")
    client.force_login(staff["lawyer"])
    url = reverse(INSPECT, args=[asset.pk])
    blank = client.get(url)
    assert blank.context["waterfall"]["form"]["proceeds"].value() == Decimal("2000000.00")
    assert blank.context["waterfall"]["result"] is None
    before = ModelLogEntry.objects.count()
    page = client.get(url, {"proceeds": "2500000.00", "costs": "50000.00"})
    result = page.context["waterfall"]["result"]
    # 2,500,000 − 50,000 costs − 1,200,000 mortgage − 800,000 first seizure = 450,000 for us.
    assert result.expected_for_us == Decimal("450000.00") and result.our_shortfall == Decimal("50000.00")
    html = page.content.decode()
    assert 'data-testid="our-expected">450000.00<' in html
    assert "执行工作规定第55条" in html or "民诉法解释第514条" in html
    assert ModelLogEntry.objects.count() == before  # the form writes nothing


@pytest.mark.django_db
def test_waterfall_form_shares_pro_rata_for_a_natural_person(client, staff, two_cases):
    asset = two_cases["mine"]  # owned by the (natural-person) debtor
    _measure(asset, staff["head"], applicant="B公司", ours=False, registered=(2024, 5, 6), claim="600000.00")
    _measure(asset, staff["head"], applicant="我行", ours=True, registered=(2024, 7, 1), claim="400000.00")
    client.force_login(staff["lawyer"])
    page = client.get(reverse(INSPECT, args=[asset.pk]), {"proceeds": "500000.00", "costs": "0"})
    result = page.context["waterfall"]["result"]
    assert result.expected_for_us == Decimal("200000.00")  # 400k of 1m claims share 500k
    assert "参与分配" in page.content.decode()


@pytest.mark.django_db
def test_waterfall_form_refuses_bad_input(client, staff, two_cases):
    client.force_login(staff["lawyer"])
    page = client.get(reverse(INSPECT, args=[two_cases["mine"].pk]), {"proceeds": "-5", "costs": "abc"})
    form = page.context["waterfall"]["form"]
    assert "proceeds" in form.errors and "costs" in form.errors
    assert page.context["waterfall"]["result"] is None


# --- the case page -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_section_lists_assets_and_the_total_expected_recovery(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    house = _asset(case, staff["head"], value="300000.00", description="住宅")
    _asset(case, staff["head"], value=None, description="未估值车辆", kind="vehicle", plate="沪A12345")
    _measure(house, staff["head"], applicant="我行", ours=True, registered=(2024, 5, 6), claim="500000.00")
    client.force_login(staff["lawyer"])
    page = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])).content.decode()
    assert 'data-testid="case-assets"' in page
    assert 'data-testid="case-expected-total">300000.00<' in page
    not_valued = page[page.index('data-testid="case-assets-not-valued"') :]
    assert "未估值车辆" in not_valued[:300]
    assert "首封" in page


# --- the listing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_listing_filters_and_search(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    today = timezone.localdate()
    first = _asset(case, staff["head"], description="我方首封房产")
    waiting = _asset(case, staff["head"], description="我方轮候车辆", kind="vehicle", plate="沪B77777")
    _measure(
        first,
        staff["head"],
        applicant="我行",
        ours=True,
        registered=(2024, 5, 6),
        expires=today + timedelta(days=10),
    )
    _measure(
        waiting,
        staff["head"],
        applicant="他人",
        ours=False,
        registered=(2024, 5, 6),
        expires=today + timedelta(days=400),
    )
    _measure(
        waiting,
        staff["head"],
        applicant="我行",
        ours=True,
        registered=(2024, 7, 6),
        expires=today + timedelta(days=400),
    )
    client.force_login(staff["lawyer"])

    def shown(query):
        return {a.description for a in client.get(reverse(LIST) + query).context["object_list"]}

    assert shown("") == {"我方首封房产", "我方轮候车辆"}
    assert shown("?first_seizure=ours") == {"我方首封房产"}
    assert shown("?first_seizure=others") == {"我方轮候车辆"}
    assert shown("?expiring=true") == {"我方首封房产"}
    assert shown("?kind=vehicle") == {"我方轮候车辆"}
    assert shown(f"?assignee={staff['lawyer'].pk}") == {"我方首封房产", "我方轮候车辆"}
    assert shown("?q=B7777") == {"我方轮候车辆"}
    rows = {a.description: a for a in client.get(reverse(LIST)).context["object_list"]}
    assert rows["我方轮候车辆"].our_best_position == 2
    assert rows["我方轮候车辆"].first_seizure_holder == "他人"
    assert rows["我方首封房产"].next_expiry == today + timedelta(days=10)
    assert rows["我方轮候车辆"].active_measures == 2


def _listing_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _assets_with_measures(case, user, count, start):
    for n in range(start, start + count):
        asset = _asset(case, user, description=f"资产{n}")
        _measure(asset, user, applicant="他人", ours=False, registered=(2024, 3, 1))
        _measure(asset, user, applicant="我行", ours=True, registered=(2024, 5, 6))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["head", "lawyer"])
def test_listing_costs_the_same_queries_for_5_and_40_assets(client, staff, make_case, role):
    case = make_case(assignee=staff["lawyer"])
    _assets_with_measures(case, staff["head"], 5, 0)
    client.force_login(staff[role])
    url = reverse(LIST) + "?per_page=50"
    client.get(url)  # warm caches (content types, permissions)
    with_5 = _listing_queries(client, url)
    filtered_5 = _listing_queries(client, url + "&first_seizure=others&expiring=false&kind=real_estate")
    _assets_with_measures(case, staff["head"], 35, 5)
    assert len(client.get(url).context["object_list"]) == 40
    assert _listing_queries(client, url) == with_5
    assert (
        _listing_queries(client, url + "&first_seizure=others&expiring=false&kind=real_estate") == filtered_5
    )
    # Pinned (session, user, profile, permissions, filter choices, count, page…): a change that
    # adds a query per row, or more fixed ones, shows here.
    assert with_5 == 13, with_5
