"""The "Recoveries" listing (receipts of the user's cases, the recoveries after write-off apart)
and its exports, the form a lawyer records a receipt with, and the case page's word on a loan
written off or terminated."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from recovery.checks.cells import FORMULA_TRIGGERS
from recovery.models import Loan, LoanReceipt
from recovery.services.receipts import loan_receipt_record, loan_terminate, loan_write_off_mark

pytestmark = pytest.mark.django_db

LISTING = "recovery_receipts:index"
RECORD = "recovery_receipts:record"
INSPECT = "wagtailsnippets_recovery_case:inspect"
D = Decimal


@pytest.fixture
def cases(make_case, staff):
    """A case of `lawyer` (one receipt before and one after its write-off) and one of
    `other_lawyer` in Hangzhou (one receipt)."""
    own = make_case(assignee=staff["lawyer"])
    other = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    loan = own.loans.get()
    Loan.objects.filter(pk=loan.pk).update(interest_outstanding=D("1000.00"))
    loan.refresh_from_db()
    lawyer = staff["lawyer"]
    loan_receipt_record(
        loan=loan,
        amount=D("1500.00"),
        received_on=date(2024, 3, 1),
        source="repayment",
        reference='=HYPERLINK("x")',
        user=lawyer,
    )
    loan_write_off_mark(
        loan=loan,
        written_off_on=date(2024, 6, 30),
        principal=D("79500.00"),
        interest=D("0"),
        reference="核销〔2024〕8号",
        user=lawyer,
    )
    loan_receipt_record(
        loan=loan,
        amount=D("2000.00"),
        received_on=date(2024, 9, 2),
        source="disposal",
        costs=D("300.00"),
        reference="+1",
        user=lawyer,
    )
    loan_receipt_record(
        loan=other.loans.get(),
        amount=D("700.00"),
        received_on=date(2024, 10, 8),
        source="enforcement",
        reference="其他律师的回款",
        user=staff["other_lawyer"],
    )
    return {"own": own, "other": other}


def listed_loans(client, **params) -> set[str]:
    response = client.get(reverse(LISTING), params)
    assert response.status_code == 200
    page = response.content.decode()
    return {loan.contract_no for loan in Loan.objects.all() if loan.contract_no in page}


def test_a_lawyer_lists_the_receipts_of_his_own_cases_only_the_head_all(client, staff, cases):
    own, other = cases["own"].loans.get().contract_no, cases["other"].loans.get().contract_no
    client.force_login(staff["lawyer"])
    assert listed_loans(client) == {own}
    page = client.get(reverse(LISTING)).content.decode()
    assert "其他律师的回款" not in page
    assert cases["own"].number in page
    client.force_login(staff["head"])
    assert listed_loans(client) == {own, other}
    client.force_login(staff["auditor"])
    assert listed_loans(client) == {own, other}


def amounts_listed(client, **params) -> set[str]:
    """The receipts' amounts (1500, 2000, 700) the listing shows."""
    page = client.get(reverse(LISTING), params).content.decode()
    return {amount for amount in ("1500.00", "2000.00", "700.00") if re.search(rf"(?<![\d.]){amount}", page)}


def test_the_listing_filters_after_write_off_date_range_and_source(client, staff, cases):
    client.force_login(staff["head"])
    own, other = cases["own"].loans.get().contract_no, cases["other"].loans.get().contract_no
    assert amounts_listed(client) == {"1500.00", "2000.00", "700.00"}
    assert amounts_listed(client, after_write_off="true") == {"2000.00"}
    assert amounts_listed(client, after_write_off="false") == {"1500.00", "700.00"}
    assert amounts_listed(client, received_on_from="2024-09-01", received_on_to="2024-09-30") == {"2000.00"}
    assert listed_loans(client, source="enforcement") == {other}
    assert listed_loans(client, source="disposal") == {own}


@pytest.mark.parametrize("role", ["lawyer", "head"])
def test_the_export_is_scoped_and_has_no_live_formula(client, staff, cases, role):
    client.force_login(staff[role])
    response = client.get(reverse(LISTING), {"export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("x")' in cells and "'+1" in cells
    assert not [c for c in cells if c.startswith(FORMULA_TRIGGERS)]
    assert ("其他律师的回款" in cells) == (role == "head")
    assert len(rows) == 1 + (3 if role == "head" else 2)

    response = client.get(reverse(LISTING), {"export": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = []
    for row in workbook.active.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            values.append(cell.value)
    assert "'+1" in values
    texts = [value for value in values if isinstance(value, str)]
    assert not [text for text in texts if text.startswith(FORMULA_TRIGGERS)]


def test_a_lawyer_records_a_receipt_on_his_own_loans_only(client, staff, cases):
    client.force_login(staff["lawyer"])
    own_loan, other_loan = cases["own"].loans.get(), cases["other"].loans.get()
    form = client.get(reverse(RECORD))
    assert form.status_code == 200
    page = form.content.decode()
    assert own_loan.contract_no in page and other_loan.contract_no not in page

    refused = client.post(
        reverse(RECORD),
        {"loan": other_loan.pk, "received_on": "2024-11-01", "amount": "10.00", "source": "repayment"},
    )
    assert refused.status_code == 200  # the form again, with the error on the loan
    assert "loan" in refused.context["form"].errors
    assert LoanReceipt.objects.filter(loan=other_loan).count() == 1

    future = client.post(
        reverse(RECORD),
        {"loan": own_loan.pk, "received_on": "2999-01-01", "amount": "10.00", "source": "repayment"},
    )
    assert future.status_code == 200 and future.context["form"].errors

    done = client.post(
        reverse(RECORD) + f"?case={cases['own'].pk}",
        {
            "loan": own_loan.pk,
            "received_on": "2024-11-01",
            "amount": "10.00",
            "source": "settlement",
            "costs": "4.00",
            "reference": "和解〔2024〕1号",
        },
    )
    assert done.status_code == 302 and done["Location"] == reverse(INSPECT, args=[cases["own"].pk])
    receipt = LoanReceipt.objects.get(reference="和解〔2024〕1号")
    assert (receipt.costs, receipt.interest, receipt.principal, receipt.after_write_off) == (
        D("4.00"),
        D("0.00"),
        D("6.00"),
        True,
    )
    assert receipt.recorded_by == staff["lawyer"]


def test_the_form_of_another_lawyers_case_is_not_found_and_auditors_may_not_record(client, staff, cases):
    client.force_login(staff["lawyer"])
    assert client.get(reverse(RECORD), {"case": cases["other"].pk}).status_code == 404
    client.force_login(staff["auditor"])
    response = client.post(
        reverse(RECORD),
        {"loan": cases["own"].loans.get().pk, "received_on": "2024-11-01", "amount": "1", "source": "other"},
    )
    assert response.status_code in (302, 403)
    assert LoanReceipt.objects.count() == 3
    listing = client.get(reverse(LISTING)).content.decode()
    assert reverse(RECORD) not in listing


def test_the_case_page_says_when_a_loan_was_written_off_and_terminated(client, staff, cases):
    loan = cases["own"].loans.get()
    client.force_login(staff["lawyer"])
    page = client.get(reverse(INSPECT, args=[cases["own"].pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Written off on 2024-06-30" in page and "核销〔2024〕8号" in page
    assert "Terminated on" not in page
    assert reverse(RECORD) + f"?case={cases['own'].pk}" in page
    loan_terminate(
        loan=loan,
        terminated_on=date(2024, 12, 1),
        ground="市场化处置，受让人已履约（第16条第（六）项）",
        reference="终结〔2024〕2号",
        user=staff["lawyer"],
    )
    page = client.get(reverse(INSPECT, args=[cases["own"].pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Terminated on 2024-12-01" in page and "终结〔2024〕2号" in page
