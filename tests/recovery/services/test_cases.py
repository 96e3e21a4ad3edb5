"""Services write, validate and audit; nothing is half-written."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import ModelLogEntry

from recovery.checks.identity import resident_id_with_check
from recovery.lib import audit
from recovery.models import Case, CollectionAction, Loan, Party, PartyKind
from recovery.services import RecoveryError
from recovery.services.cases import (
    CASE_OPENED,
    CASE_REASSIGNED,
    case_open,
    case_reassign,
    record_create,
    record_delete,
    record_update,
)
from recovery.services.collection import collection_action_record


@pytest.mark.django_db
def test_it_numbers_cases_by_year(make_case, staff):
    first = make_case(assignee=staff["lawyer"])
    second = make_case(assignee=staff["lawyer"])
    assert first.number == "RD2024000001"
    assert second.number == "RD2024000002"


@pytest.mark.django_db
def test_it_audits_a_case_opening_with_its_values(staff, branches):
    # The manager adds the debtor (through the service, so it is theirs) and opens the case.
    debtor = record_create(
        instance=Party(
            kind=PartyKind.PERSON, name="新债务人", id_number=resident_id_with_check("31011519800101001")
        ),
        user=staff["manager"],
    )
    case = case_open(
        case=Case(
            debtor=debtor, branch=branches["上海分行"], assignee=staff["lawyer"], opened_on=date(2024, 1, 2)
        ),
        user=staff["manager"],
    )
    entry = ModelLogEntry.objects.get(action=CASE_OPENED, object_id=str(case.pk), content_type__model="case")
    assert entry.user == staff["manager"]
    assert entry.data["case"] == case.pk
    assert entry.data["values"]["assignee"] == "lawyer"


@pytest.mark.django_db
def test_it_audits_old_and_new_values_of_a_change(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    loan = case.loans.get()
    loan.principal_outstanding = Decimal("70000.00")
    loan.due_on = date(2023, 2, 1)
    changes = record_update(instance=loan, user=staff["manager"], source="test")
    assert changes == {
        "principal_outstanding": ["80000.00", "70000.00"],
        "due_on": ["2023-01-01", "2023-02-01"],
    }
    entry = ModelLogEntry.objects.filter(action=audit.CHANGE, content_type__model="loan").latest("timestamp")
    assert entry.user == staff["manager"]
    assert entry.data["changes"]["due_on"] == ["2023-01-01", "2023-02-01"]
    assert entry.data["case"] == case.pk


@pytest.mark.django_db
def test_it_logs_nothing_when_nothing_changed(make_case, staff):
    loan = make_case(assignee=staff["lawyer"]).loans.get()
    before = ModelLogEntry.objects.count()
    assert record_update(instance=loan, user=staff["lawyer"]) == {}
    assert ModelLogEntry.objects.count() == before


@pytest.mark.django_db
def test_it_audits_reassignment(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    case_reassign(case=case, assignee=staff["other_lawyer"], user=staff["manager"])
    entry = ModelLogEntry.objects.filter(action=CASE_REASSIGNED, content_type__model="case").latest(
        "timestamp"
    )
    assert entry.data["changes"]["assignee"] == ["lawyer", "other_lawyer"]


@pytest.mark.django_db
def test_it_audits_deletes_and_keeps_the_values(make_case, staff, make_action):
    action = make_action(make_case(assignee=staff["lawyer"]), kind="call")
    pk = action.pk
    record_delete(instance=action, user=staff["lawyer"])
    assert not CollectionAction.objects.filter(pk=pk).exists()
    entry = ModelLogEntry.objects.get(action=audit.DELETE, object_id=str(pk))
    assert entry.deleted and entry.data["values"]["kind"] == "call"


@pytest.mark.django_db
def test_it_refuses_to_delete_a_case_that_still_has_loans(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    with pytest.raises(RecoveryError):
        record_delete(instance=case, user=staff["head"])
    assert Case.objects.filter(pk=case.pk).exists()
    assert not ModelLogEntry.objects.filter(action=audit.DELETE, object_id=str(case.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, field",
    [
        ({"due_on": date(2021, 12, 31)}, "due_on"),
        ({"principal_outstanding": Decimal("100000.01")}, "principal_outstanding"),
        ({"last_payment_on": date(2021, 1, 1)}, "last_payment_on"),
        ({"security_types": "mortgage,bribe"}, "security_types"),
    ],
)
def test_it_refuses_an_inconsistent_loan_and_writes_nothing(make_case, staff, fields, field):
    loan = make_case(assignee=staff["lawyer"]).loans.get()
    for name, value in fields.items():
        setattr(loan, name, value)
    with pytest.raises(ValidationError) as error:
        record_update(instance=loan, user=staff["lawyer"])
    assert field in error.value.message_dict
    assert Loan.objects.get(pk=loan.pk).due_on == date(2023, 1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, field",
    [
        ({"reached": True}, "delivered_on"),
        ({"delivered_on": date(2024, 3, 2)}, "reached"),
        ({"reached": True, "delivered_on": date(2024, 2, 28)}, "delivered_on"),
        ({"kind": "repayment"}, "amount"),
        ({"amount": Decimal("5.00")}, "amount"),
    ],
)
def test_it_refuses_an_inconsistent_collection_action(make_case, staff, fields, field):
    case = make_case(assignee=staff["lawyer"])
    action = CollectionAction(case=case, kind="letter", acted_on=date(2024, 3, 1))
    for name, value in fields.items():
        setattr(action, name, value)
    with pytest.raises(ValidationError) as error:
        collection_action_record(action=action, user=staff["lawyer"])
    assert field in error.value.message_dict
    assert not case.collection_actions.exists()


@pytest.mark.django_db
def test_a_delivered_demand_counts_from_its_delivery_date(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    action = collection_action_record(
        action=CollectionAction(
            case=case, kind="letter", acted_on=date(2024, 3, 1), reached=True, delivered_on=date(2024, 3, 4)
        ),
        user=staff["lawyer"],
    )
    assert action.effective_on == date(2024, 3, 4)
    assert action.recorded_by == staff["lawyer"] and action.performed_by == staff["lawyer"]
    assert not action.has_proof
    undelivered = CollectionAction(case=case, kind="letter", acted_on=date(2024, 3, 1))
    assert undelivered.effective_on is None


@pytest.mark.django_db
def test_case_open_rolls_back_when_the_case_is_invalid(branches, staff):
    from recovery.models import Party

    debtor = Party.objects.create(kind="person", name="甲", id_number="11010519491231002X")
    with pytest.raises(ValidationError):
        case_open(
            case=Case(
                debtor=debtor,
                branch=branches["上海分行"],
                opened_on=date(2024, 5, 1),
                closed_on=date(2024, 4, 1),
            ),
            user=staff["head"],
        )
    assert not Case.objects.exists()
    assert not ModelLogEntry.objects.filter(content_type__model="case").exists()


@pytest.mark.django_db
def test_a_lawyer_cannot_reassign_their_case(make_case, staff):
    from recovery.services.cases import case_update

    case = make_case(assignee=staff["lawyer"])
    case.assignee = staff["other_lawyer"]
    with pytest.raises(RecoveryError) as error:
        case_update(case=case, user=staff["lawyer"])
    assert error.value.field == "assignee"
    case.refresh_from_db()
    assert case.assignee == staff["lawyer"]
    case.assignee = staff["other_lawyer"]
    case_update(case=case, user=staff["manager"])
    case.refresh_from_db()
    assert case.assignee == staff["other_lawyer"]


@pytest.mark.django_db
def test_the_history_page_shows_old_and_new_values(client, make_case, staff):
    from django.urls import reverse

    loan = make_case(assignee=staff["lawyer"]).loans.get()
    loan.principal_outstanding = Decimal("70000.00")
    record_update(instance=loan, user=staff["lawyer"])
    client.force_login(staff["lawyer"])
    page = client.get(reverse("wagtailsnippets_recovery_loan:history", args=[loan.pk])).content.decode()
    assert "80000.00 → 70000.00" in page
