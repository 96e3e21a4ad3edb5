"""Bad input in the admin forms gets a message on the field, and nothing is saved."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recovery.models import CollectionAction, Loan

ADD_ACTION = "wagtailsnippets_recovery_collectionaction:add"


def _action_form(case, **overrides):
    data = {
        "case": case.pk,
        "kind": "letter",
        "acted_on": "2024-03-01",
        "reached": "on",
        "delivered_on": "2024-03-04",
        "tracking_number": "EMS123",
        "outcome": "签收",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _field_errors(response):
    form = response.context["form"]
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


@pytest.mark.django_db
def test_it_records_an_action_with_a_proof_and_returns_to_the_case(
    client, staff, make_case, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    case = make_case(assignee=staff["lawyer"])
    client.force_login(staff["lawyer"])
    proof = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 signed receipt", content_type="application/pdf")
    response = client.post(reverse(ADD_ACTION), _action_form(case, proof_file=proof))
    assert response.status_code == 302
    assert response.url == reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])
    action = CollectionAction.objects.get(case=case)
    assert action.proof_file.name.endswith(".pdf") and action.recorded_by == staff["lawyer"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"delivered_on": "2024-02-01"}, "delivered_on"),
        ({"delivered_on": None}, "delivered_on"),
        ({"acted_on": "2024-02-30"}, "acted_on"),
        ({"acted_on": "next tuesday"}, "acted_on"),
        ({"kind": "repayment"}, "amount"),
        ({"kind": "bribe"}, "kind"),
    ],
)
def test_it_refuses_bad_action_input_on_the_field(client, staff, make_case, overrides, field):
    case = make_case(assignee=staff["lawyer"])
    client.force_login(staff["lawyer"])
    response = client.post(reverse(ADD_ACTION), _action_form(case, **overrides))
    assert response.status_code == 200
    assert field in _field_errors(response)
    assert not CollectionAction.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_upload_of_the_wrong_type(client, staff, make_case, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    case = make_case(assignee=staff["lawyer"])
    client.force_login(staff["lawyer"])
    bad = SimpleUploadedFile("virus.exe", b"MZ...", content_type="application/octet-stream")
    response = client.post(reverse(ADD_ACTION), _action_form(case, proof_file=bad))
    assert "proof_file" in _field_errors(response)
    assert not CollectionAction.objects.exists()
    assert not any(tmp_path.rglob("*.exe"))


@pytest.mark.django_db
def test_it_refuses_an_upload_over_the_limit(client, staff, make_case, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.MAX_UPLOAD_BYTES = 1024
    case = make_case(assignee=staff["lawyer"])
    client.force_login(staff["lawyer"])
    big = SimpleUploadedFile("receipt.pdf", b"%PDF" + b"0" * 2048, content_type="application/pdf")
    response = client.post(reverse(ADD_ACTION), _action_form(case, proof_file=big))
    assert any("MB" in message for message in _field_errors(response)["proof_file"])
    assert not CollectionAction.objects.exists()


def test_the_upload_limit_is_20_mb_by_default():
    assert settings.MAX_UPLOAD_BYTES == 20 * 1024 * 1024


@pytest.mark.django_db
def test_it_refuses_a_loan_due_before_disbursement(client, staff, make_case):
    case = make_case(assignee=staff["manager"], loans=0)
    client.force_login(staff["manager"])
    response = client.post(
        reverse("wagtailsnippets_recovery_loan:add"),
        {
            "case": case.pk,
            "contract_no": "NEW-1",
            "branch": case.branch_id,
            "amount": "1000.00",
            "principal_outstanding": "1000.00",
            "interest_outstanding": "0",
            "penalty_interest": "0",
            "disbursed_on": "2024-05-01",
            "due_on": "2024-04-01",
            "handed_over_on": "2024-06-01",
        },
    )
    assert "due_on" in _field_errors(response)
    assert not Loan.objects.filter(contract_no="NEW-1").exists()


@pytest.mark.django_db
def test_it_refuses_a_malformed_id_number(client, staff):
    client.force_login(staff["head"])
    response = client.post(
        reverse("wagtailsnippets_recovery_party:add"),
        {"kind": "person", "name": "张三", "id_number": "110105194912310021", "marital_status": "unknown"},
    )
    errors = _field_errors(response)
    assert "id_number" in errors and "GB 11643" in errors["id_number"][0]
