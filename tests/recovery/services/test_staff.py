"""The permission matrix: every role × every object type × list, detail, edit, export."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from litigation.models import Enforcement, Hearing, Judgment, Lawsuit
from recovery.models import CaseParty, CollectionAction, Loan

MODELS = [
    "case",
    "party",
    "loan",
    "caseparty",
    "collectionaction",
    "lawsuit",
    "hearing",
    "judgment",
    "enforcement",
]
APP = {
    "lawsuit": "litigation",
    "hearing": "litigation",
    "judgment": "litigation",
    "enforcement": "litigation",
}

# role -> (sees own-branch case, sees other-branch case, may edit what it sees)
MATRIX = {
    "lawyer": (True, False, True),
    "other_lawyer": (False, True, True),
    "manager": (True, False, True),
    "other_manager": (False, True, True),
    "head": (True, True, True),
    "auditor": (True, True, False),
}


def _objects_of(case):
    suit = Lawsuit.objects.create(
        case=case,
        court="某法院",
        cause_of_action="金融借款合同纠纷",
        claim_amount=Decimal("1.00"),
        filed_on=date(2024, 1, 1),
    )
    return {
        "case": case,
        "party": case.debtor,
        "loan": Loan.objects.filter(case=case).first(),
        "caseparty": CaseParty.objects.filter(case=case).first(),
        "collectionaction": CollectionAction.objects.create(
            case=case, kind="call", acted_on=date(2024, 2, 1)
        ),
        "lawsuit": suit,
        "hearing": Hearing.objects.create(lawsuit=suit, date=date(2024, 5, 1)),
        "judgment": Judgment.objects.create(
            lawsuit=suit, served_on=date(2024, 6, 1), amount_awarded=Decimal("1.00")
        ),
        "enforcement": Enforcement.objects.create(
            lawsuit=suit, applied_on=date(2024, 7, 1), enforcement_case_number="X1"
        ),
    }


@pytest.fixture
def world(staff, make_case):
    own = make_case(assignee=staff["lawyer"], branch="上海分行")
    other = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    return {"own": _objects_of(own), "other": _objects_of(other)}


def _url(model, view, obj=None):
    name = f"wagtailsnippets_{APP.get(model, 'recovery')}_{model}:{view}"
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("model", MODELS)
def test_it_enforces_the_matrix(client, staff, world, role, model):
    sees_own, sees_other, may_edit = MATRIX[role]
    client.force_login(staff[role])
    listing = client.get(_url(model, "list"))
    assert listing.status_code == 200
    export = client.get(_url(model, "list") + "?export=csv")
    assert export.status_code == 200
    exported = b"".join(export.streaming_content).decode()
    for which, visible in (("own", sees_own), ("other", sees_other)):
        obj = world[which][model]
        edit_url = _url(model, "edit", obj)
        listed_url = edit_url if may_edit else _url(model, "inspect", obj)
        assert (f'href="{listed_url}' in listing.content.decode()) == visible, f"{role} list {which} {model}"
        detail = client.get(_url(model, "inspect", obj))
        assert detail.status_code == (200 if visible else 404), f"{role} detail {which} {model}"
        if may_edit:
            history = client.get(_url(model, "history", obj))
            assert history.status_code == (200 if visible else 404), f"{role} history {which} {model}"
        edit = client.get(edit_url)
        # Wagtail answers a refused permission with a redirect to the dashboard and a message.
        expected_edit = 404 if not visible else (200 if may_edit else 302)
        assert edit.status_code == expected_edit, f"{role} edit {which} {model}"
        if expected_edit == 302:
            assert edit.url == reverse("wagtailadmin_home")
        post = client.post(_url(model, "delete", obj))
        assert post.status_code in ({404} if not visible else {200, 302}), f"{role} delete {which} {model}"
        if model == "case":
            assert (obj.number in exported) == visible


@pytest.mark.django_db
def test_it_refuses_edits_posted_by_an_auditor(client, staff, world):
    case = world["own"]["case"]
    client.force_login(staff["auditor"])
    response = client.post(_url("case", "edit", case), {"status": "closed"})
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    case.refresh_from_db()
    assert case.status == "open"


@pytest.mark.django_db
def test_it_offers_a_lawyer_only_their_own_cases_in_forms(client, staff, world):
    client.force_login(staff["lawyer"])
    page = client.get(_url("collectionaction", "add")).content.decode()
    assert world["own"]["case"].number in page
    assert world["other"]["case"].number not in page


@pytest.mark.django_db
def test_it_refuses_a_lawyer_recording_on_another_lawyers_case(client, staff, world):
    client.force_login(staff["lawyer"])
    other_case = world["other"]["case"]
    response = client.post(
        _url("collectionaction", "add"), {"case": other_case.pk, "kind": "call", "acted_on": "2024-03-01"}
    )
    assert response.status_code == 200  # the form is shown again with an error
    assert not CollectionAction.objects.filter(case=other_case, acted_on=date(2024, 3, 1)).exists()


@pytest.mark.django_db
def test_it_shows_a_shared_case_to_the_lawyer_it_is_shared_with(client, staff, world):
    case = world["other"]["case"]
    case.shared_with.add(staff["lawyer"])
    client.force_login(staff["lawyer"])
    assert client.get(_url("case", "inspect", case)).status_code == 200


@pytest.mark.django_db
def test_it_serves_proof_files_only_to_those_who_see_the_case(client, staff, world, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    action = world["other"]["collectionaction"]
    action.proof_file.save("receipt.pdf", ContentFile(b"%PDF-1.4 proof"))
    url = reverse("recovery_collection_action_proof", args=[action.pk])
    client.force_login(staff["lawyer"])
    assert client.get(url).status_code == 404
    client.force_login(staff["other_lawyer"])
    assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role, status", [("lawyer", 404), ("manager", 404), ("head", 200), ("auditor", 200)])
def test_only_those_who_see_every_case_read_the_site_history(client, staff, world, role, status):
    client.force_login(staff[role])
    response = client.get("/admin/reports/site-history/")
    assert response.status_code == status
    if status == 200:
        assert world["other"]["case"].number in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/bulk/recovery/case/delete/?id=all",
        "/admin/bulk/recovery/loan/delete/?id=1",
        "/admin/bulk/litigation/lawsuit/delete/?id=all",
        "/admin/bulk/assets/asset/delete/?id=all",
    ],
)
def test_bulk_actions_do_not_exist_for_docket_records(client, staff, make_case, url):
    """They would skip the case scoping (even the confirmation page lists titles) and the
    audited services: refused for everyone, the head included."""
    case = make_case(assignee=staff["other_lawyer"])
    client.force_login(staff["head"])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert case.loans.exists() and type(case).objects.filter(pk=case.pk).exists()


def test_docket_listings_have_no_bulk_checkboxes(client, staff, make_case):
    make_case(assignee=staff["lawyer"])
    client.force_login(staff["lawyer"])
    response = client.get("/admin/snippets/recovery/case/")
    assert response.status_code == 200
    assert b"data-bulk-action-checkbox" not in response.content
