"""The named services the admin's add, edit and delete views call: each writes its record with
its domain audit code, and refuses a user outside the record's scope (record_scope_check runs
whoever calls, a form or a script)."""

from datetime import date
from decimal import Decimal

import pytest
from wagtail.models import ModelLogEntry

from assets.models import SecurityInterest
from assets.services import (
    ASSET_DELETED,
    SECURITY_INTEREST_DELETED,
    asset_delete,
    security_interest_delete,
    security_interest_record,
)
from litigation.models import Hearing, Lawsuit, Stage
from litigation.services import (
    HEARING_DELETED,
    LAWSUIT_DELETED,
    hearing_delete,
    hearing_schedule,
    lawsuit_delete,
    lawsuit_file,
)
from recovery.checks.identity import resident_id_with_check
from recovery.models import (
    AlertPolicy,
    Branch,
    Case,
    CaseParty,
    CaseStatus,
    CollectionAction,
    DefaultCause,
    Instalment,
    Loan,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.selectors.access import parties_in_scope
from recovery.services import RecoveryError
from recovery.services.alerts import ALERT_POLICY_UPDATED, alert_policy_update
from recovery.services.cases import (
    BRANCH_ADDED,
    BRANCH_UPDATED,
    CASE_DELETED,
    CASE_UPDATED,
    DEFAULT_CAUSE_ADDED,
    DEFAULT_CAUSE_DELETED,
    INSTALMENT_DELETED,
    INSTALMENT_RECORDED,
    LOAN_RECORDED,
    LOAN_UPDATED,
    PARTY_ADDED,
    PARTY_DELETED,
    branch_delete,
    branch_update,
    case_delete,
    case_update,
    default_cause_add,
    default_cause_delete,
    instalment_delete,
    instalment_record,
    loan_record,
    loan_update,
    party_add,
    party_delete,
)
from recovery.services.collection import (
    COLLECTION_ACTION_DELETED,
    COLLECTION_ACTION_UPDATED,
    collection_action_delete,
    collection_action_update,
)
from recovery.services.loan_parties import CASE_PARTY_REMOVED, case_party_remove
from tests.assets.preservation_helpers import make_asset

pytestmark = pytest.mark.django_db


def _entry(instance, action: str, *, pk: int | None = None) -> ModelLogEntry:
    """The entry `action` wrote for `instance` (`pk`: its id before a delete cleared it)."""
    return ModelLogEntry.objects.get(
        action=action, object_id=str(pk or instance.pk), content_type__model=instance._meta.model_name
    )


def _party(n: int) -> Party:
    return Party(
        kind=PartyKind.PERSON, name=f"新当事人{n}", id_number=resident_id_with_check(f"31011519900101{n:03d}")
    )


def _loan(case: Case, number: str) -> Loan:
    return Loan(
        case=case,
        contract_no=number,
        amount=Decimal("1000.00"),
        principal_outstanding=Decimal("800.00"),
        disbursed_on=date(2022, 1, 1),
        due_on=date(2023, 1, 1),
        handed_over_on=date(2023, 6, 1),
        branch=case.branch,
    )


def _suit(case: Case, user) -> Lawsuit:
    return lawsuit_file(
        lawsuit=Lawsuit(
            case=case,
            court="上海市浦东新区人民法院",
            cause_of_action="金融借款合同纠纷",
            claim_amount=Decimal("1000.00"),
            filed_on=date(2024, 4, 1),
        ),
        user=user,
    )


def test_a_party_added_is_the_adders_to_pick_and_deleted_only_by_who_may(staff):
    party = party_add(party=_party(1), user=staff["lawyer"])
    entry = _entry(party, PARTY_ADDED)
    assert entry.user == staff["lawyer"] and entry.data["values"]["name"] == "新当事人1"
    # On no case yet, the party is the lawyer's own to choose (found by its domain-coded entry).
    assert parties_in_scope(staff["lawyer"], write=True).filter(pk=party.pk).exists()
    with pytest.raises(RecoveryError):
        party_delete(party=party, user=staff["other_lawyer"])
    assert Party.objects.filter(pk=party.pk).exists()
    pk = party.pk
    party_delete(party=party, user=staff["lawyer"])
    assert not Party.objects.filter(pk=pk).exists()
    assert _entry(party, PARTY_DELETED, pk=pk).deleted


def test_a_case_edited_and_a_case_deleted(make_case, staff):
    case = make_case(assignee=staff["lawyer"], loans=0)
    case.summary = "债务人已失联"
    assert case_update(case=case, user=staff["lawyer"]) == {"summary": ["", "债务人已失联"]}
    assert _entry(case, CASE_UPDATED).data["changes"] == {"summary": ["", "债务人已失联"]}
    with pytest.raises(RecoveryError):
        case_delete(case=case, user=staff["other_lawyer"])
    CaseParty.objects.filter(case=case).delete()
    pk = case.pk
    case_delete(case=case, user=staff["head"])
    assert not Case.objects.filter(pk=pk).exists()
    assert _entry(case, CASE_DELETED, pk=pk).data["values"]["number"] == case.number


def test_a_case_with_records_on_it_is_not_deleted(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    with pytest.raises(RecoveryError):
        case_delete(case=case, user=staff["head"])
    assert Case.objects.filter(pk=case.pk).exists()
    assert not ModelLogEntry.objects.filter(action=CASE_DELETED).exists()


def test_a_loan_recorded_and_edited_on_ones_own_case_only(make_case, staff):
    mine = make_case(assignee=staff["lawyer"], loans=0)
    theirs = make_case(assignee=staff["other_lawyer"], loans=0)
    loan = loan_record(loan=_loan(mine, "HT-9"), user=staff["lawyer"])
    assert _entry(loan, LOAN_RECORDED).data["case"] == mine.pk
    with pytest.raises(RecoveryError) as refused:
        loan_record(loan=_loan(theirs, "HT-10"), user=staff["lawyer"])
    assert refused.value.field == "case"
    assert not Loan.objects.filter(contract_no="HT-10").exists()
    loan.principal_outstanding = Decimal("700.00")
    loan_update(loan=loan, user=staff["lawyer"])
    assert _entry(loan, LOAN_UPDATED).data["changes"] == {"principal_outstanding": ["800.00", "700.00"]}


def test_an_instalment_recorded_and_deleted(make_case, staff):
    loan = make_case(assignee=staff["lawyer"]).loans.get()
    instalment = instalment_record(
        instalment=Instalment(loan=loan, due_on=date(2023, 3, 1), amount=Decimal("100.00")),
        user=staff["lawyer"],
    )
    assert _entry(instalment, INSTALMENT_RECORDED).data["case"] == loan.case_id
    with pytest.raises(RecoveryError):
        instalment_delete(instalment=instalment, user=staff["other_lawyer"])
    pk = instalment.pk
    instalment_delete(instalment=instalment, user=staff["lawyer"])
    assert not Instalment.objects.exists()
    assert _entry(instalment, INSTALMENT_DELETED, pk=pk).deleted


def test_a_collection_action_corrected_and_deleted(make_case, make_action, staff):
    action = make_action(make_case(assignee=staff["lawyer"]), outcome="未接通")
    action.outcome = "已接通，承诺还款"
    collection_action_update(action=action, user=staff["lawyer"])
    assert _entry(action, COLLECTION_ACTION_UPDATED).data["changes"]["outcome"] == [
        "未接通",
        "已接通，承诺还款",
    ]
    with pytest.raises(RecoveryError):
        collection_action_delete(action=action, user=staff["other_lawyer"])
    pk = action.pk
    collection_action_delete(action=action, user=staff["lawyer"])
    assert not CollectionAction.objects.filter(pk=pk).exists()
    assert _entry(action, COLLECTION_ACTION_DELETED, pk=pk).deleted


def test_a_party_removed_from_a_case(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    guarantor = party_add(party=_party(2), user=staff["lawyer"])
    role = CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.CONTACT)
    with pytest.raises(RecoveryError):
        case_party_remove(case_party=role, user=staff["other_lawyer"])
    pk = role.pk
    case_party_remove(case_party=role, user=staff["lawyer"])
    assert not CaseParty.objects.filter(pk=pk).exists()
    assert _entry(role, CASE_PARTY_REMOVED, pk=pk).data["case"] == case.pk


def test_a_hearing_and_a_suit_deleted_leave_the_cases_stage_as_it_was(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    suit = _suit(case, staff["lawyer"])
    hearing = hearing_schedule(hearing=Hearing(lawsuit=suit, date=date(2024, 5, 1)), user=staff["lawyer"])
    with pytest.raises(RecoveryError):
        hearing_delete(hearing=hearing, user=staff["other_lawyer"])
    pk = hearing.pk
    hearing_delete(hearing=hearing, user=staff["lawyer"])
    assert not Hearing.objects.exists()
    assert _entry(hearing, HEARING_DELETED, pk=pk).data["case"] == case.pk
    suit.refresh_from_db()
    assert suit.stage == Stage.HEARING
    pk = suit.pk
    lawsuit_delete(lawsuit=suit, user=staff["manager"])
    assert not Lawsuit.objects.exists() and _entry(suit, LAWSUIT_DELETED, pk=pk).user == staff["manager"]
    assert Case.objects.get(pk=case.pk).status == CaseStatus.LITIGATION


def test_an_asset_and_its_security_interest_deleted(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    asset = make_asset(case, user=staff["lawyer"])
    interest = security_interest_record(
        interest=SecurityInterest(
            asset=asset,
            kind="mortgage",
            creditor="某银行",
            secured_amount=Decimal("500.00"),
            registered_on=date(2022, 1, 1),
        ),
        user=staff["lawyer"],
    )
    with pytest.raises(RecoveryError):
        security_interest_delete(interest=interest, user=staff["other_lawyer"])
    pk = interest.pk
    security_interest_delete(interest=interest, user=staff["lawyer"])
    assert _entry(interest, SECURITY_INTEREST_DELETED, pk=pk).data["case"] == case.pk
    with pytest.raises(RecoveryError):
        asset_delete(asset=asset, user=staff["other_lawyer"])
    pk = asset.pk
    asset_delete(asset=asset, user=staff["lawyer"])
    assert _entry(asset, ASSET_DELETED, pk=pk).data["values"]["description"] == asset.description


def test_an_alert_policy_changed_is_validated_and_audited(staff):
    policy = AlertPolicy.objects.order_by("kind").first()
    policy.thresholds = "30, 7"
    alert_policy_update(policy=policy, user=staff["head"])
    assert _entry(policy, ALERT_POLICY_UPDATED).data["changes"]["thresholds"][1] == "30, 7"
    policy.thresholds = "soon"
    with pytest.raises(Exception) as refused:
        alert_policy_update(policy=policy, user=staff["head"])
    assert "thresholds" in getattr(refused.value, "message_dict", {})


def test_a_branch_added_through_its_form_and_one_with_cases_not_deleted(client, make_case, staff):
    from django.urls import reverse

    client.force_login(staff["head"])
    response = client.post(reverse("wagtailsnippets_recovery_branch:add"), {"name": "苏州分行"})
    assert response.status_code == 302
    branch = Branch.objects.get(name="苏州分行")
    assert _entry(branch, BRANCH_ADDED).user == staff["head"]
    branch.name = "苏州支行"
    branch_update(branch=branch, user=staff["head"])
    assert _entry(branch, BRANCH_UPDATED).data["changes"] == {"name": ["苏州分行", "苏州支行"]}
    used = make_case(assignee=staff["lawyer"]).branch
    with pytest.raises(RecoveryError):
        branch_delete(branch=used, user=staff["head"])
    assert Branch.objects.filter(pk=used.pk).exists()


def test_a_default_cause_added_and_deleted(staff):
    cause = default_cause_add(
        default_cause=DefaultCause(code="job-loss", name="失业", strategy="协商分期"), user=staff["head"]
    )
    assert _entry(cause, DEFAULT_CAUSE_ADDED).data["values"]["name"] == "失业"
    pk = cause.pk
    default_cause_delete(default_cause=cause, user=staff["head"])
    assert not DefaultCause.objects.filter(pk=pk).exists()
    assert _entry(cause, DEFAULT_CAUSE_DELETED, pk=pk).deleted
