"""Money received on a loan (applied per CC 561), the loan's write-off (账销案存: nothing else
changes, deadlines and alerts live on) and its complete termination (呆账办法 art. 16: off the
docket, its deadlines gone, the case closed with its last loan)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from recovery.models import CaseStatus, Deadline, Loan, LoanReceipt, ReceiptSource
from recovery.services import RecoveryError
from recovery.services.alerts import plan_alerts
from recovery.services.deadlines import deadlines_recompute
from recovery.services.receipts import (
    LOAN_TERMINATED,
    LOAN_WRITTEN_OFF,
    RECEIPT_RECORDED,
    loan_receipt_record,
    loan_terminate,
    loan_write_off_mark,
)

D = Decimal
WRITTEN_OFF_ON = date(2025, 3, 31)


@pytest.fixture
def case(make_case, staff):
    """Two loans due 2025-06-01 and -02 (their limitation runs to 2028), balances set."""
    case = make_case(assignee=staff["lawyer"], loans=2)
    for index, loan in enumerate(case.loans.order_by("contract_no")):
        Loan.objects.filter(pk=loan.pk).update(
            due_on=date(2025, 6, 1) + timedelta(days=index),
            principal_outstanding=D("80000.00"),
            interest_outstanding=D("3000.00"),
            penalty_interest=D("500.00"),
        )
    deadlines_recompute(case_ids=[case.pk])
    return case


def loans_of(case):
    return list(case.loans.order_by("contract_no"))


def loan_deadlines(case, loan):
    return list(
        Deadline.objects.filter(case=case, subject=f"贷款 {loan.contract_no}")
        .order_by("key")
        .values_list("key", "kind", "act_by", "legal_end", "done")
    )


def write_off(loan, user, **overrides):
    values = {
        "written_off_on": WRITTEN_OFF_ON,
        "principal": D("80000.00"),
        "interest": D("3500.00"),
        "reference": "核销〔2025〕12号",
    }
    return loan_write_off_mark(loan=loan, user=user, **(values | overrides))


# --- receipts --------------------------------------------------------------------------------


def test_a_receipt_pays_the_costs_then_interest_then_penalty_then_principal_and_lowers_the_balances(
    case, staff
):
    loan = loans_of(case)[0]
    receipt = loan_receipt_record(
        loan=loan,
        amount=D("5000.00"),
        received_on=date(2025, 5, 6),
        source=ReceiptSource.DISPOSAL,
        costs=D("1000.00"),
        reference="处置〔2025〕3号",
        user=staff["lawyer"],
    )
    assert (
        receipt.costs,
        receipt.interest,
        receipt.penalty_interest,
        receipt.principal,
        receipt.surplus,
    ) == (
        D("1000.00"),
        D("3000.00"),
        D("500.00"),
        D("500.00"),
        D("0.00"),
    )
    assert receipt.after_write_off is False
    assert receipt.recorded_by == staff["lawyer"]
    loan.refresh_from_db()
    assert (loan.principal_outstanding, loan.interest_outstanding, loan.penalty_interest) == (
        D("79500.00"),
        D("0.00"),
        D("0.00"),
    )
    entries = ModelLogEntry.objects.filter(action=RECEIPT_RECORDED)
    assert {entry.content_type.model for entry in entries} == {"loanreceipt", "loan"}
    change = entries.get(content_type__model="loan")
    assert change.data["changes"]["principal_outstanding"] == ["80000.00", "79500.00"]
    assert change.data["case"] == case.pk


def test_a_receipt_beyond_the_whole_debt_leaves_a_surplus_and_nothing_owed(case, staff):
    loan = loans_of(case)[0]
    receipt = loan_receipt_record(
        loan=loan,
        amount=D("90000.00"),
        received_on=date(2025, 5, 6),
        source=ReceiptSource.ENFORCEMENT,
        user=staff["lawyer"],
    )
    assert receipt.surplus == D("6500.00")
    loan.refresh_from_db()
    assert loan.total_outstanding == 0


def test_a_receipt_on_or_after_the_write_off_is_a_recovery_after_write_off(case, staff):
    loan = loans_of(case)[0]
    before = loan_receipt_record(
        loan=loan,
        amount=D("100.00"),
        received_on=WRITTEN_OFF_ON - timedelta(days=1),
        source=ReceiptSource.REPAYMENT,
        user=staff["lawyer"],
    )
    write_off(loan, staff["lawyer"], interest=D("3400.00"))
    on_the_day = loan_receipt_record(
        loan=loan, amount=D("100.00"), received_on=WRITTEN_OFF_ON, source="repayment", user=staff["lawyer"]
    )
    late_entry = loan_receipt_record(
        loan=loan,
        amount=D("100.00"),
        received_on=WRITTEN_OFF_ON - timedelta(days=5),
        source="repayment",
        user=staff["lawyer"],
    )
    assert (before.after_write_off, on_the_day.after_write_off, late_entry.after_write_off) == (
        False,
        True,
        False,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": D("0.00")}, "amount"),
        ({"amount": D("-5.00")}, "amount"),
        ({"amount": D("1.005")}, "amount"),
        ({"costs": D("-1.00")}, "costs"),
        ({"source": "gift"}, "source"),
        ({"reference": "x" * 101}, "reference"),
        ({"received_on": "future"}, "received_on"),
        ({"received_on": date(2021, 12, 31)}, "received_on"),  # before the loan was disbursed
    ],
)
def test_a_bad_receipt_is_refused_naming_the_field_and_nothing_is_written(case, staff, overrides, field):
    loan = loans_of(case)[0]
    values = {"amount": D("100.00"), "received_on": date(2025, 5, 6), "source": "repayment"} | overrides
    if values["received_on"] == "future":
        values["received_on"] = timezone.localdate() + timedelta(days=1)
    with pytest.raises(RecoveryError) as refused:
        loan_receipt_record(loan=loan, user=staff["lawyer"], **values)
    assert refused.value.field == field
    assert not LoanReceipt.objects.exists()
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("80000.00")


@pytest.mark.parametrize("who", ["other_lawyer", "other_manager", "auditor", None])
def test_a_loan_outside_the_users_editable_cases_is_refused(case, staff, who):
    loan = loans_of(case)[0]
    user = staff[who] if who else None
    with pytest.raises(RecoveryError) as refused:
        loan_receipt_record(
            loan=loan, amount=D("100.00"), received_on=date(2025, 5, 6), source="repayment", user=user
        )
    assert refused.value.field == "loan"
    with pytest.raises(RecoveryError) as refused:
        write_off(loan, user)
    assert refused.value.field == "loan"
    assert not LoanReceipt.objects.exists()
    loan.refresh_from_db()
    assert loan.written_off_on is None


def test_the_manager_of_the_branch_and_the_head_may_record(case, staff):
    for who in ("manager", "head"):
        loan_receipt_record(
            loan=loans_of(case)[0],
            amount=D("1.00"),
            received_on=date(2025, 5, 6),
            source="other",
            user=staff[who],
        )
    assert LoanReceipt.objects.count() == 2


# --- write-off ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"principal": D("80000.01")}, "principal"),
        ({"interest": D("3500.01")}, "interest"),  # interest 3000 + penalty 500
        ({"principal": D("0"), "interest": D("0")}, "principal"),
        ({"principal": D("-1")}, "principal"),
        ({"written_off_on": "future"}, "written_off_on"),
        ({"reference": "x" * 41}, "reference"),
    ],
)
def test_a_write_off_beyond_what_is_owed_or_otherwise_wrong_is_refused_naming_the_field(
    case, staff, overrides, field
):
    loan = loans_of(case)[0]
    if overrides.get("written_off_on") == "future":
        overrides["written_off_on"] = timezone.localdate() + timedelta(days=1)
    with pytest.raises(RecoveryError) as refused:
        write_off(loan, staff["lawyer"], **overrides)
    assert refused.value.field == field
    loan.refresh_from_db()
    assert loan.written_off_on is None


def test_a_write_off_changes_only_its_fields_deadlines_and_alerts_live_on(case, staff):
    loan, other = loans_of(case)
    deadlines = loan_deadlines(case, loan)
    assert deadlines
    act_by = min(row[2] for row in deadlines)
    today = act_by - timedelta(days=3)
    planned = {alert.deadline_id for alert in plan_alerts(today=today)}
    assert planned

    write_off(loan, staff["lawyer"])

    loan.refresh_from_db()
    assert (loan.written_off_on, loan.written_off_principal, loan.written_off_interest) == (
        WRITTEN_OFF_ON,
        D("80000.00"),
        D("3500.00"),
    )
    assert loan.write_off_reference == "核销〔2025〕12号"
    assert (loan.principal_outstanding, loan.interest_outstanding, loan.penalty_interest) == (
        D("80000.00"),
        D("3000.00"),
        D("500.00"),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    deadlines_recompute(case_ids=[case.pk])
    assert loan_deadlines(case, loan) == deadlines
    assert {alert.deadline_id for alert in plan_alerts(today=today)} == planned
    entry = ModelLogEntry.objects.get(action=LOAN_WRITTEN_OFF)
    assert set(entry.data["changes"]) == {
        "written_off_on",
        "written_off_principal",
        "written_off_interest",
        "write_off_reference",
    }


def test_a_loan_is_written_off_once(case, staff):
    loan = loans_of(case)[0]
    write_off(loan, staff["lawyer"], principal=D("1000.00"))
    with pytest.raises(RecoveryError) as refused:
        write_off(loan, staff["lawyer"], principal=D("1000.00"))
    assert refused.value.field == "loan"


# --- complete termination -------------------------------------------------------------------


def terminate(loan, user, **overrides):
    values = {
        "terminated_on": date(2025, 9, 1),
        "ground": "被法院驳回起诉，并经2年以上补救未果（第16条第（七）项）",
        "reference": "终结〔2025〕4号",
    }
    return loan_terminate(loan=loan, user=user, **(values | overrides))


def test_only_a_written_off_loan_can_be_terminated(case, staff):
    loan = loans_of(case)[0]
    with pytest.raises(RecoveryError) as refused:
        terminate(loan, staff["lawyer"])
    assert refused.value.field == "loan"
    assert "16" in refused.value.message
    loan.refresh_from_db()
    assert loan.terminated_on is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ground": "  "}, "ground"),
        ({"terminated_on": WRITTEN_OFF_ON - timedelta(days=1)}, "terminated_on"),
        ({"reference": "x" * 41}, "reference"),
    ],
)
def test_a_termination_without_ground_or_before_the_write_off_is_refused(case, staff, overrides, field):
    loan = loans_of(case)[0]
    write_off(loan, staff["lawyer"])
    with pytest.raises(RecoveryError) as refused:
        terminate(loan, staff["lawyer"], **overrides)
    assert refused.value.field == field


def test_a_terminated_loans_deadlines_go_and_the_case_closes_with_its_last_loan(case, staff):
    loan, other = loans_of(case)
    other_deadlines = loan_deadlines(case, other)
    assert loan_deadlines(case, loan) and other_deadlines
    write_off(loan, staff["lawyer"])
    write_off(other, staff["lawyer"])

    terminate(loan, staff["lawyer"])

    assert loan_deadlines(case, loan) == []
    assert loan_deadlines(case, other) == other_deadlines
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.closed_on is None
    act_by = min(row[2] for row in other_deadlines)
    planned = {alert.deadline_id for alert in plan_alerts(today=act_by - timedelta(days=3))}
    ids = set(Deadline.objects.filter(case=case).values_list("pk", flat=True))
    assert planned & ids
    loan.refresh_from_db()
    assert loan.termination_reference == "终结〔2025〕4号"
    assert ModelLogEntry.objects.filter(action=LOAN_TERMINATED, object_id=str(loan.pk)).exists()

    terminate(other, staff["lawyer"], terminated_on=date(2025, 10, 9))

    assert loan_deadlines(case, other) == []
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.closed_on == date(2025, 10, 9)
    assert not {alert.deadline_id for alert in plan_alerts(today=act_by - timedelta(days=3))} & ids


def test_a_written_off_case_closes_too_when_its_last_loan_is_terminated(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    type(case).objects.filter(pk=case.pk).update(status=CaseStatus.WRITTEN_OFF)
    loan = case.loans.get()
    write_off(loan, staff["lawyer"], interest=D("0"))
    terminate(loan, staff["lawyer"])
    case.refresh_from_db()
    assert (case.status, case.closed_on) == (CaseStatus.CLOSED, date(2025, 9, 1))


def test_a_terminated_loan_takes_no_receipt_write_off_or_second_termination(case, staff):
    loan = loans_of(case)[0]
    write_off(loan, staff["lawyer"])
    terminate(loan, staff["lawyer"])
    with pytest.raises(RecoveryError) as refused:
        loan_receipt_record(
            loan=loan, amount=D("1.00"), received_on=date(2025, 9, 2), source="other", user=staff["lawyer"]
        )
    assert refused.value.field == "loan"
    with pytest.raises(RecoveryError):
        terminate(loan, staff["lawyer"])


def test_a_case_a_manager_marks_written_off_keeps_its_alerts(case, staff):
    """账销案存 (呆账办法第14条): the case's status says written off, its deadlines still alert."""
    loan, _other = loans_of(case)
    act_by = min(row[2] for row in loan_deadlines(case, loan))
    today = act_by - timedelta(days=3)
    planned = {alert.deadline_id for alert in plan_alerts(today=today)}
    type(case).objects.filter(pk=case.pk).update(status=CaseStatus.WRITTEN_OFF)
    assert planned and {alert.deadline_id for alert in plan_alerts(today=today)} == planned
    assert type(case).objects.open().filter(pk=case.pk).exists()
