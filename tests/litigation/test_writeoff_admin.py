"""Write-offs in the admin (issue #15): the request form offers the cross-default ground only
with a 終本 on the docket and only the user's choices, the write-off page shows the ground and
its evidence checklist against the balance, submission without the evidence is refused, the
listing filters and exports, and evidence files are served only to those who may see the case."""

from decimal import Decimal

import pytest
from django.urls import reverse

from litigation.models import WriteOff, WriteOffGround
from tests.litigation.writeoff_helpers import (
    OPINION,
    approve,
    ground,
    request,
    round_closed,
    upload_all_evidence,
)

pytestmark = pytest.mark.django_db

ADD = "wagtailsnippets_litigation_writeoff:add"
EDIT = "wagtailsnippets_litigation_writeoff:edit"
INSPECT = "wagtailsnippets_litigation_writeoff:inspect"
LIST = "wagtailsnippets_litigation_writeoff:list"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _choices(response, name):
    form = response.context["form"]
    return set(form.fields[name].queryset.values_list("pk", flat=True))


def test_the_form_offers_cross_default_only_with_a_round_closed_of_another_debt(client, staff, make_case):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    client.force_login(lawyer)
    page = client.get(reverse(ADD) + f"?case={case.pk}")
    assert page.status_code == 200
    assert ground("cross_default").pk not in _choices(page, "write_off_ground")
    assert ground("bankruptcy").pk in _choices(page, "write_off_ground")

    other = make_case(assignee=lawyer)
    ruling = round_closed(other, lawyer)
    type(case).objects.filter(pk=other.pk).update(debtor=case.debtor)
    page = client.get(reverse(ADD) + f"?case={case.pk}")
    assert ground("cross_default").pk in _choices(page, "write_off_ground")
    assert _choices(page, "cross_default_enforcement") == {ruling.pk}
    assert page.context["form"].initial["cross_default_enforcement"] == ruling.pk


def test_another_lawyers_case_is_not_a_choice_and_its_write_offs_are_404(client, staff, make_case):
    mine = make_case(assignee=staff["lawyer"])
    theirs = make_case(assignee=staff["other_lawyer"])
    write_off = request(theirs, staff["other_lawyer"])
    client.force_login(staff["lawyer"])
    page = client.get(reverse(ADD))
    assert mine.pk in _choices(page, "case") and theirs.pk not in _choices(page, "case")
    assert client.get(reverse(INSPECT, args=[write_off.pk])).status_code == 404
    assert client.get(reverse(EDIT, args=[write_off.pk])).status_code == 404
    assert str(write_off) not in client.get(reverse(LIST)).content.decode()


def test_saving_a_draft_through_the_form_and_refusing_its_submission_without_evidence(
    client, staff, make_case
):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    client.force_login(lawyer)
    data = {
        "case": case.pk,
        "loan": "",
        "write_off_ground": ground("bankruptcy").pk,
        "cross_default_enforcement": "",
        "principal": "80000.01",
        "interest": "0",
        "legal_opinion": OPINION,
    }
    refused = client.post(reverse(ADD), data)
    assert refused.status_code == 200 and "principal" in refused.context["form"].errors
    assert not WriteOff.objects.exists()
    data["principal"] = "1000.00"
    client.post(reverse(ADD), data)
    write_off = WriteOff.objects.get()
    assert write_off.requested_by == lawyer and not write_off.live
    assert write_off.get_latest_revision() is not None
    assert write_off.get_workflow() is not None  # recovery keeps one per approval kind
    submitted = client.post(reverse(EDIT, args=[write_off.pk]), data | {"action-submit": "1"}, follow=True)
    shown = [str(message) for message in submitted.context["messages"]]
    assert any("内部清收报告" in message for message in shown), shown
    assert write_off.workflow_states.count() == 0
    upload_all_evidence(write_off, lawyer)
    client.post(reverse(EDIT, args=[write_off.pk]), data | {"action-submit": "1"})
    assert write_off.workflow_states.filter(status="in_progress").count() == 1
    in_review = client.get(reverse(LIST) + "?status=in_review").context["object_list"]
    assert [row.pk for row in in_review] == [write_off.pk]
    assert not client.get(reverse(LIST) + "?status=draft").context["object_list"]


def test_the_write_off_page_shows_the_ground_the_checklist_and_the_balance(client, staff, make_case):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    unverified = WriteOffGround.objects.create(
        code="criminal",
        name="借款人被判处刑罚",
        article="附件1（六）",
        evidence_items="刑事判决书\n内部清收报告",
    )
    from litigation.writeoff_services import write_off_create

    write_off = write_off_create(
        write_off=WriteOff(
            case=case, write_off_ground=unverified, principal=Decimal("500.00"), legal_opinion=OPINION
        ),
        user=lawyer,
    )
    client.force_login(lawyer)
    body = client.get(reverse(INSPECT, args=[write_off.pk])).content.decode()
    assert 'data-testid="unverified"' in body
    assert body.count('data-provided="no"') == 2
    assert "80000.00" in body and "500.00" in body  # the balance beside the amount


def test_evidence_is_downloaded_only_by_those_who_see_the_case(client, staff, make_case):
    lawyer = staff["lawyer"]
    write_off = request(make_case(assignee=lawyer), lawyer)
    upload_all_evidence(write_off, lawyer)
    upload = write_off.evidence.first()
    url = reverse("litigation_write_off_evidence", args=[upload.pk])
    client.force_login(staff["other_lawyer"])
    assert client.get(url).status_code == 404
    client.force_login(staff["other_manager"])
    assert client.get(url).status_code == 404
    client.force_login(lawyer)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(f"/media/{upload.file.name}").status_code == 404


def test_the_listing_filters_by_status_and_amount_and_exports(client, staff, make_case):
    lawyer = staff["lawyer"]
    draft = request(make_case(assignee=lawyer), lawyer, principal="100.00")
    done = request(make_case(assignee=lawyer), lawyer, principal="5000.00")
    upload_all_evidence(done, lawyer)
    approve(done, staff["manager"])
    client.force_login(lawyer)

    def listed(query):
        page = client.get(reverse(LIST) + query)
        return {row.pk for row in page.context["object_list"]}

    assert listed("") == {draft.pk, done.pk}
    assert listed("?status=approved") == {done.pk}
    page = client.get(reverse(INSPECT, args=[done.pk])).content.decode()
    assert reverse("recovery_receipts:index") + "?after_write_off=true" in page
    assert (
        'data-testid="recoveries-after-write-off"'
        not in client.get(reverse(INSPECT, args=[draft.pk])).content.decode()
    )
    assert listed("?status=draft") == {draft.pk}
    assert listed("?total_min=1000") == {done.pk}
    assert listed("?total_max=1000") == {draft.pk}
    from datetime import timedelta

    from django.utils import timezone

    WriteOff.objects.filter(pk=draft.pk).update(created_at=timezone.now() - timedelta(days=100))
    assert listed("?age=90") == {draft.pk}
    assert listed("?age=365") == set()
    csv = client.get(reverse(LIST) + "?export=csv")
    assert csv.status_code == 200
    content = b"".join(csv.streaming_content).decode() if csv.streaming else csv.content.decode()
    assert "5000.00" in content and done.case.number in content


def test_only_the_head_changes_the_grounds(client, staff):
    pk = ground("bankruptcy").pk
    client.force_login(staff["lawyer"])
    assert client.get(reverse("wagtailsnippets_litigation_writeoffground:list")).status_code == 200
    assert client.get(reverse("wagtailsnippets_litigation_writeoffground:edit", args=[pk])).status_code != 200
    client.force_login(staff["head"])
    assert client.get(reverse("wagtailsnippets_litigation_writeoffground:edit", args=[pk])).status_code == 200


def test_opened_from_the_menu_every_ground_is_offered_and_the_case_decides_on_submit(
    client, staff, make_case
):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    client.force_login(lawyer)
    page = client.get(reverse(ADD))
    assert ground("cross_default").pk in _choices(page, "write_off_ground")
    refused = client.post(
        reverse(ADD),
        {
            "case": case.pk,
            "write_off_ground": ground("cross_default").pk,
            "principal": "100.00",
            "interest": "0",
            "legal_opinion": OPINION,
        },
    )
    assert "write_off_ground" in refused.context["form"].errors
    assert not WriteOff.objects.exists()


def test_the_case_page_lists_the_write_offs_and_links_to_request_one(client, staff, make_case):
    from recovery.lib.links import case_path

    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    write_off = request(case, lawyer)
    client.force_login(lawyer)
    body = client.get(case_path(case.pk)).content.decode()
    assert reverse(INSPECT, args=[write_off.pk]) in body
    assert f"{reverse(ADD)}?case={case.pk}" in body
    client.force_login(staff["auditor"])
    body = client.get(case_path(case.pk)).content.decode()
    assert reverse(INSPECT, args=[write_off.pk]) in body and f"{reverse(ADD)}?case={case.pk}" not in body
