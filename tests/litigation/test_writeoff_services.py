"""Write-offs and complete terminations (issue #15, law.md §8) through their services: the
refusals name their field, the approval writes the loans off without touching their deadlines
(账销案存), the art. 19 fault determination goes on the docket, and a complete termination
takes the loan's deadlines off it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from litigation.models import (
    CompleteTermination,
    TerminationGround,
    WriteOff,
    WriteOffEvidence,
    WriteOffGround,
)
from litigation.services import complete_termination_approve
from litigation.writeoff_deadlines import WRITE_OFF_FAULT
from litigation.writeoff_rules import WRITE_OFF_GROUNDS, fault_determination_due
from litigation.writeoff_rules import TerminationGround as RuleGround
from litigation.writeoff_selectors import cross_default_rulings, grounds_offered
from litigation.writeoff_services import (
    WRITE_OFF_APPLIED,
    complete_termination_create,
    write_off_evidence_upload,
    write_off_fault_determine,
    write_off_submit_check,
    write_off_update,
)
from recovery.models import Case, Deadline, Loan
from recovery.services import RecoveryError
from recovery.services.alerts import plan_alerts
from tests.assets.preservation_helpers import make_asset, make_measure
from tests.litigation.writeoff_helpers import (
    approve,
    ground,
    pdf,
    request,
    round_closed,
    upload_all_evidence,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _same_debtor(case, other):
    Case.objects.filter(pk=other.pk).update(debtor=case.debtor)
    other.refresh_from_db()
    return other


def deadline_rows(case):
    fields = ("key", "kind", "trigger", "raw_end", "safe_end", "act_by", "status", "done")
    return list(Deadline.objects.filter(case=case).order_by("key").values_list(*fields))


# --- the grounds ---------------------------------------------------------------------------------


def test_the_migration_seeds_the_rules_grounds_verified():
    seeded = {g.code: g for g in WriteOffGround.objects.all()}
    for rule in WRITE_OFF_GROUNDS:
        stored = seeded[rule.code]
        assert stored.verified and stored.active
        assert (stored.name, stored.article, stored.cross_default) == (
            rule.name,
            rule.article,
            rule.cross_default,
        )
        assert tuple(stored.evidence_list) == rule.evidence


def test_an_unverified_ground_says_so_in_its_choice_label():
    added = WriteOffGround.objects.create(
        code="criminal", name="借款人被判处刑罚", article="附件1（六）", evidence_items="判决书"
    )
    assert "[unverified]" in str(added) or "未经核实" in str(added)
    assert "unverified" not in str(ground("bankruptcy")) and "未经核实" not in str(ground("bankruptcy"))


def test_the_model_and_the_rules_know_the_same_art_16_grounds():
    assert set(TerminationGround.values) == {g.value for g in RuleGround}


# --- refusals, named by field --------------------------------------------------------------------


def test_more_principal_than_outstanding_is_refused_on_principal(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    with pytest.raises(RecoveryError) as refused:
        request(case, staff["lawyer"], principal="80000.01")
    assert refused.value.field == "principal"
    assert not WriteOff.objects.exists()


def test_more_interest_than_interest_and_penalty_outstanding_is_refused_on_interest(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    Loan.objects.filter(case=case).update(
        interest_outstanding=Decimal("300.00"), penalty_interest=Decimal("200.00")
    )
    request(case, staff["lawyer"], interest="500.00")  # interest and penalty together
    with pytest.raises(RecoveryError) as refused:
        request(case, staff["lawyer"], interest="500.01")
    assert refused.value.field == "interest"


def test_a_case_wide_write_off_is_checked_against_the_sum_of_its_open_loans(staff, make_case):
    case = make_case(assignee=staff["lawyer"], loans=2)
    request(case, staff["lawyer"], principal="160000.00")
    loan = case.loans.first()
    with pytest.raises(RecoveryError) as refused:
        request(case, staff["lawyer"], loan=loan, principal="80000.01")
    assert refused.value.field == "principal"
    with pytest.raises(RecoveryError) as refused:
        request(case, staff["lawyer"], principal="160000.01")
    assert refused.value.field == "principal"


def test_a_ground_without_its_evidence_is_refused_on_submission_and_approval(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    write_off = request(case, staff["lawyer"])  # a draft may lack evidence
    items = write_off.write_off_ground.evidence_list
    write_off_evidence_upload(
        upload=WriteOffEvidence(write_off=write_off, item=items[0], file=pdf()), user=staff["lawyer"]
    )
    with pytest.raises(RecoveryError) as refused:
        write_off_submit_check(write_off=write_off, user=staff["lawyer"])
    assert refused.value.field == "evidence"
    assert items[1] in refused.value.message and items[0] not in refused.value.message
    with pytest.raises(RecoveryError) as refused:
        approve(write_off, staff["manager"])
    assert refused.value.field == "evidence"
    assert WriteOff.objects.get(pk=write_off.pk).approved_at is None
    assert Loan.objects.get(case=case).written_off_on is None


def test_evidence_for_an_item_the_ground_does_not_name_is_refused(staff, make_case):
    write_off = request(make_case(assignee=staff["lawyer"]), staff["lawyer"])
    with pytest.raises(RecoveryError) as refused:
        write_off_evidence_upload(
            upload=WriteOffEvidence(write_off=write_off, item="随便一份材料", file=pdf()),
            user=staff["lawyer"],
        )
    assert refused.value.field == "item"


def test_the_cross_default_ground_without_a_round_closed_on_the_docket_is_refused(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    assert not grounds_offered(case_id=case.pk, user=staff["lawyer"]).filter(cross_default=True).exists()
    with pytest.raises(RecoveryError) as refused:
        request(case, staff["lawyer"], code="cross_default")
    assert refused.value.field == "write_off_ground"


def test_the_cross_default_ground_is_offered_with_the_other_debts_round_closed(staff, make_case):
    lawyer = staff["lawyer"]
    first = make_case(assignee=lawyer)
    ruling = round_closed(first, lawyer)
    second = _same_debtor(first, make_case(assignee=lawyer))
    assert list(cross_default_rulings(case_id=second.pk, user=lawyer)) == [ruling]
    assert grounds_offered(case_id=second.pk, user=lawyer).filter(code="cross_default").exists()
    # A case's own 终本 is no cross-default for itself.
    assert not cross_default_rulings(case_id=first.pk, user=lawyer).exists()
    with pytest.raises(RecoveryError) as refused:
        request(second, lawyer, code="cross_default")
    assert refused.value.field == "cross_default_enforcement"
    write_off = request(second, lawyer, code="cross_default", cross_default_enforcement=ruling)
    assert write_off.cross_default_enforcement == ruling
    with pytest.raises(RecoveryError) as refused:
        request(second, lawyer, code="bankruptcy", cross_default_enforcement=ruling)
    assert refused.value.field == "cross_default_enforcement"


def test_the_debtor_as_borrower_on_another_case_counts_for_cross_default(staff, make_case):
    from recovery.models import CaseParty, PartyRole

    lawyer = staff["lawyer"]
    other = make_case(assignee=lawyer)
    ruling = round_closed(other, lawyer)
    case = make_case(assignee=lawyer)
    CaseParty.objects.create(case=other, party=case.debtor, role=PartyRole.CO_BORROWER)
    assert list(cross_default_rulings(case_id=case.pk, user=lawyer)) == [ruling]


def test_another_lawyers_ruling_is_neither_offered_nor_accepted(staff, make_case):
    lawyer, other_lawyer = staff["lawyer"], staff["other_lawyer"]
    theirs = make_case(assignee=other_lawyer)
    ruling = round_closed(theirs, other_lawyer)
    mine = _same_debtor(theirs, make_case(assignee=lawyer))
    assert not cross_default_rulings(case_id=mine.pk, user=lawyer).exists()
    with pytest.raises(RecoveryError) as refused:
        request(mine, lawyer, code="cross_default", cross_default_enforcement=ruling)
    assert refused.value.field == "write_off_ground"


def test_another_branchs_lawyer_cannot_request_a_write_off_of_the_case(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    with pytest.raises(RecoveryError) as refused:
        request(case, staff["other_lawyer"])
    assert refused.value.field == "case"
    write_off = request(case, staff["lawyer"])
    write_off.principal = Decimal("10.00")
    with pytest.raises(RecoveryError):
        write_off_update(write_off=write_off, user=staff["other_lawyer"])


def test_a_loan_of_another_case_is_refused(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    other = make_case(assignee=staff["lawyer"])
    with pytest.raises(RecoveryError) as refused:
        request(case, staff["lawyer"], loan=other.loans.first())
    assert refused.value.field == "loan"


# --- approval --------------------------------------------------------------------------------------


def test_approval_writes_the_loans_off_and_leaves_every_deadline_and_alert_as_it_was(staff, make_case):
    lawyer, manager = staff["lawyer"], staff["manager"]
    case = make_case(assignee=lawyer, loans=2)
    Loan.objects.filter(case=case).update(interest_outstanding=Decimal("1000.00"))
    asset = make_asset(case, user=lawyer)
    make_measure(asset, user=lawyer, expires="2028-03-02")
    before = deadline_rows(case)
    renewal = Deadline.objects.get(case=case, kind="preservation_renewal")
    ids = list(Deadline.objects.filter(case=case).values_list("pk", flat=True))
    planned_before = plan_alerts(today=renewal.act_by - timedelta(days=7), deadline_ids=ids)
    assert planned_before  # the renewal is warned about a week ahead

    write_off = request(case, lawyer, principal="120000.00", interest="1500.00")
    assert write_off.total == Decimal("121500.00") and write_off.approval_amount() == Decimal("121500.00")
    assert write_off.requested_by == lawyer
    upload_all_evidence(write_off, lawyer)
    approved = approve(write_off, manager)

    today = timezone.localdate()
    assert approved.approved_by == manager and approved.written_off_on == today
    assert approved.live and approved.approval_reference
    loans = list(Loan.objects.filter(case=case).order_by("contract_no"))
    assert [loan.written_off_on for loan in loans] == [today, today]
    # Over the case's open loans: principal pro rata to principal, interest to interest + penalty.
    assert [loan.written_off_principal for loan in loans] == [Decimal("60000.00"), Decimal("60000.00")]
    assert [loan.written_off_interest for loan in loans] == [Decimal("750.00"), Decimal("750.00")]
    assert {loan.write_off_reference for loan in loans} == {approved.approval_reference}
    assert [loan.principal_outstanding for loan in loans] == [Decimal("80000.00")] * 2  # 账销案存
    # Nothing about the deadlines changed: limitation, guarantees and the renewal still run.
    assert deadline_rows(case) == before
    assert Deadline.objects.get(case=case, kind="preservation_renewal").done is False
    assert plan_alerts(today=renewal.act_by - timedelta(days=7), deadline_ids=ids) == planned_before
    assert not Deadline.objects.filter(case=case, kind=WRITE_OFF_FAULT).exists()
    assert ModelLogEntry.objects.filter(object_id=str(approved.pk), action=WRITE_OFF_APPLIED).exists()


def test_the_approved_amounts_are_the_revisions_not_the_live_rows(staff, make_case):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    write_off = request(case, lawyer, principal="1000.00")
    upload_all_evidence(write_off, lawyer)
    revision = write_off.get_latest_revision()
    WriteOff.objects.filter(pk=write_off.pk).update(principal=Decimal("5000.00"))
    from litigation.services import write_off_approve

    write_off_approve(write_off=revision.as_object(), revision=revision, user=staff["manager"])
    assert Loan.objects.get(case=case).written_off_principal == Decimal("1000.00")


def test_a_loan_written_off_cannot_be_written_off_again(staff, make_case):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    loan = case.loans.get()
    first = request(case, lawyer, loan=loan)
    second = request(case, lawyer, loan=loan)
    upload_all_evidence(first, lawyer)
    upload_all_evidence(second, lawyer)
    approve(first, staff["manager"])
    with pytest.raises(RecoveryError) as refused:
        approve(second, staff["manager"])
    assert refused.value.field == "loan"


def test_an_approved_write_off_can_no_longer_be_changed(staff, make_case):
    lawyer = staff["lawyer"]
    write_off = request(make_case(assignee=lawyer), lawyer)
    upload_all_evidence(write_off, lawyer)
    approved = approve(write_off, staff["manager"])
    approved.principal = Decimal("1.00")
    with pytest.raises(RecoveryError):
        write_off_update(write_off=approved, user=lawyer)
    with pytest.raises(RecoveryError):
        write_off_evidence_upload(
            upload=WriteOffEvidence(
                write_off=approved, item=approved.write_off_ground.evidence_list[0], file=pdf()
            ),
            user=lawyer,
        )


def test_a_loss_attributed_to_fault_puts_the_art_19_determination_on_the_docket(staff, make_case):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    write_off = request(case, lawyer, fault_suspected=True)
    upload_all_evidence(write_off, lawyer)
    assert not Deadline.objects.filter(case=case, kind=WRITE_OFF_FAULT).exists()  # not before approval
    approved = approve(write_off, staff["manager"])
    deadline = Deadline.objects.get(case=case, kind=WRITE_OFF_FAULT)
    today = timezone.localdate()
    assert deadline.trigger == today
    assert deadline.raw_end == fault_determination_due(today)
    assert deadline.done is False and deadline.steps[0]["source"] == "呆账办法第19条"

    with pytest.raises(RecoveryError) as refused:
        write_off_fault_determine(
            write_off=approved, determined_on=today + timedelta(days=1), determination="x", user=lawyer
        )
    assert refused.value.field == "fault_determined_on"
    with pytest.raises(RecoveryError) as refused:
        write_off_fault_determine(write_off=approved, determined_on=today, determination=" ", user=lawyer)
    assert refused.value.field == "fault_determination"
    write_off_fault_determine(
        write_off=approved,
        determined_on=today,
        determination="经认定，系借款人欺诈所致，无内部人员过错。",
        user=lawyer,
    )
    deadline.refresh_from_db()
    assert deadline.done and str(today) in deadline.done_note


# --- complete termination ------------------------------------------------------------------------


def _written_off_case(staff, make_case, *, loans=2):
    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer, loans=loans)
    write_off = request(case, lawyer, principal="1000.00")
    upload_all_evidence(write_off, lawyer)
    approve(write_off, staff["manager"])
    return case


def termination(case, user, *, loan=None, ground=TerminationGround.COURT_TERMINATED, ground_date=None):
    return complete_termination_create(
        complete_termination=CompleteTermination(
            case=case,
            loan=loan or case.loans.order_by("contract_no").first(),
            ground=ground,
            ground_date=ground_date,
            opinion="法院裁定终结执行，债权债务关系已终止。",
        ),
        user=user,
    )


def test_a_termination_of_a_loan_not_written_off_is_refused_on_loan(staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    with pytest.raises(RecoveryError) as refused:
        termination(case, staff["lawyer"])
    assert refused.value.field == "loan"


def test_a_termination_before_its_eligible_date_is_refused_on_ground_date(staff, make_case):
    case = _written_off_case(staff, make_case)
    today = timezone.localdate()
    almost = today.replace(year=today.year - 2) if not (today.month == 2 and today.day == 29) else today
    with pytest.raises(RecoveryError) as refused:
        termination(case, staff["lawyer"], ground=TerminationGround.BANKRUPTCY_TERMINATED, ground_date=almost)
    assert refused.value.field == "ground_date"  # "more than 2 years": not on the anniversary itself
    with pytest.raises(RecoveryError) as refused:
        termination(case, staff["lawyer"], ground=TerminationGround.BANKRUPTCY_TERMINATED)
    assert refused.value.field == "ground_date"  # a dated ground needs its date
    request_ok = termination(
        case,
        staff["lawyer"],
        ground=TerminationGround.BANKRUPTCY_TERMINATED,
        ground_date=almost - timedelta(days=1),
    )
    assert request_ok.eligible_on == today


def test_termination_removes_the_loans_deadlines_and_keeps_the_others(staff, make_case):
    case = _written_off_case(staff, make_case)
    first, second = case.loans.order_by("contract_no")
    assert Deadline.objects.filter(case=case, subject__contains=first.contract_no).exists()
    request_ = termination(case, staff["lawyer"], loan=first)
    assert request_.approval_amount() == first.written_off_principal + first.written_off_interest
    revision = request_.get_latest_revision()
    complete_termination_approve(
        complete_termination=revision.as_object(), revision=revision, user=staff["manager"]
    )
    first.refresh_from_db()
    assert first.terminated_on == timezone.localdate()
    assert not Deadline.objects.filter(case=case, subject__contains=first.contract_no).exists()
    assert Deadline.objects.filter(case=case, subject__contains=second.contract_no).exists()
    approved = CompleteTermination.objects.get(pk=request_.pk)
    assert approved.approved_by == staff["manager"] and approved.terminated_on == timezone.localdate()


def test_termination_is_checked_again_at_approval(staff, make_case):
    case = _written_off_case(staff, make_case, loans=1)
    loan = case.loans.get()
    first = termination(case, staff["lawyer"], loan=loan)
    second = termination(case, staff["lawyer"], loan=loan)
    for request_ in (first, second):
        revision = request_.get_latest_revision()
        if request_ is second:
            with pytest.raises(RecoveryError) as refused:
                complete_termination_approve(
                    complete_termination=revision.as_object(), revision=revision, user=staff["manager"]
                )
            assert refused.value.field == "loan"
        else:
            complete_termination_approve(
                complete_termination=revision.as_object(), revision=revision, user=staff["manager"]
            )
    assert Case.objects.get(pk=case.pk).status == "closed"  # its only loan is terminated


def test_the_managers_approval_on_the_workflow_writes_the_loans_off(staff, make_case):
    from recovery.services.approvals import workflow_task_act

    lawyer = staff["lawyer"]
    case = make_case(assignee=lawyer)
    write_off = request(case, lawyer, principal="2000.00")
    upload_all_evidence(write_off, lawyer)
    write_off.get_workflow().start(write_off, lawyer)
    workflow_task_act(instance=WriteOff.objects.get(pk=write_off.pk), user=staff["manager"], action="approve")
    approved = WriteOff.objects.get(pk=write_off.pk)
    assert approved.approved_by == staff["manager"] and approved.approval_reference.startswith("write_off-")
    assert Loan.objects.get(case=case).written_off_principal == Decimal("2000.00")
