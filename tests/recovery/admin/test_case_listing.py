"""The docket listing: search, filters, export, masking, and a query count that does not grow."""

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from litigation.models import Lawsuit
from recovery.models import DefaultCause

LIST_URL = "wagtailsnippets_recovery_case:list"


def _listing_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_listing_costs_the_same_queries_for_10_and_100_cases(client, staff, make_case):
    client.force_login(staff["head"])
    for _ in range(10):
        make_case(assignee=staff["lawyer"], loans=2)
    url = reverse(LIST_URL) + "?per_page=100"
    client.get(url)  # warm caches (content types, permissions)
    with_10 = _listing_queries(client, url)
    for _ in range(90):
        make_case(assignee=staff["lawyer"], loans=2)
    with_100 = _listing_queries(client, url)
    assert with_10 == with_100, (with_10, with_100)


@pytest.mark.django_db
def test_the_export_costs_the_same_queries_for_10_and_100_cases(client, staff, make_case):
    client.force_login(staff["head"])
    for _ in range(10):
        make_case(assignee=staff["lawyer"])
    url = reverse(LIST_URL) + "?export=csv"

    def count():
        with CaptureQueriesContext(connection) as ctx:
            b"".join(client.get(url).streaming_content)
        return len(ctx.captured_queries)

    count()
    with_10 = count()
    for _ in range(90):
        make_case(assignee=staff["lawyer"])
    assert count() == with_10


def _numbers(response):
    return {line.split(",")[0] for line in b"".join(response.streaming_content).decode().splitlines()[1:]}


@pytest.fixture
def docket(staff, make_case):
    a = make_case(assignee=staff["lawyer"], name="王大明")
    b = make_case(assignee=staff["other_lawyer"], name="李小红", branch="杭州分行")
    Lawsuit.objects.create(
        case=b,
        court="杭州市西湖区人民法院",
        court_case_number="(2024)浙0106民初555号",
        cause_of_action="金融借款合同纠纷",
        claim_amount=Decimal("1.00"),
        filed_on=date(2024, 1, 1),
    )
    return a, b


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, which",
    [("王大明", "a"), ("李小", "b"), ("浙0106民初555", "b"), ("C-", "ab")],
)
def test_it_searches_name_contract_and_court_case_number(client, staff, docket, query, which):
    client.force_login(staff["head"])
    found = _numbers(client.get(reverse(LIST_URL), {"q": query, "export": "csv"}))
    expected = {c.number for key, c in zip("ab", docket, strict=True) if key in which}
    assert found == expected


@pytest.mark.django_db
def test_it_searches_by_id_number(client, staff, docket):
    client.force_login(staff["head"])
    a, _b = docket
    found = _numbers(client.get(reverse(LIST_URL), {"q": a.debtor.id_number.lower(), "export": "csv"}))
    assert found == {a.number}


@pytest.mark.django_db
def test_it_filters_by_assignee_branch_status_and_cause(client, staff, docket):
    client.force_login(staff["head"])
    a, b = docket
    cause = DefaultCause.objects.get(code="disappeared")
    b.default_cause = cause
    b.status = "litigation"
    b.save()
    url = reverse(LIST_URL)
    assert _numbers(client.get(url, {"assignee": staff["lawyer"].pk, "export": "csv"})) == {a.number}
    assert _numbers(client.get(url, {"branch": b.branch_id, "export": "csv"})) == {b.number}
    assert _numbers(client.get(url, {"status": "litigation", "export": "csv"})) == {b.number}
    assert _numbers(client.get(url, {"default_cause": cause.pk, "export": "csv"})) == {b.number}


@pytest.mark.django_db
def test_it_filters_by_overdue_bucket(client, staff, make_case):
    client.force_login(staff["head"])
    today = date.today()
    recent = make_case(assignee=staff["lawyer"])
    recent.loans.update(due_on=today - timedelta(days=30))
    old = make_case(assignee=staff["lawyer"])
    old.loans.update(due_on=today - timedelta(days=800), disbursed_on=today - timedelta(days=1500))
    url = reverse(LIST_URL)
    assert _numbers(client.get(url, {"overdue": "m0_3", "export": "csv"})) == {recent.number}
    assert _numbers(client.get(url, {"overdue": "y1_3", "export": "csv"})) == {old.number}


@pytest.mark.django_db
def test_it_sorts_by_outstanding_principal(client, staff, make_case):
    client.force_login(staff["head"])
    small = make_case(assignee=staff["lawyer"], loans=1)
    big = make_case(assignee=staff["lawyer"], loans=3)
    rows = b"".join(
        client.get(reverse(LIST_URL), {"ordering": "-principal_total", "export": "csv"}).streaming_content
    ).decode()
    assert rows.index(big.number) < rows.index(small.number)


@pytest.mark.django_db
def test_it_exports_xlsx(client, staff, docket):
    client.force_login(staff["head"])
    response = client.get(reverse(LIST_URL), {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert len(rows) == 3
    assert {rows[1][0], rows[2][0]} == {c.number for c in docket}


@pytest.mark.django_db
@pytest.mark.parametrize("role, masked", [("head", False), ("lawyer", False), ("auditor", True)])
def test_it_masks_personal_data_for_users_without_the_permission(client, staff, docket, role, masked):
    a, _b = docket
    client.force_login(staff[role])
    page = client.get(reverse(LIST_URL)).content.decode()
    export = b"".join(client.get(reverse(LIST_URL), {"export": "csv"}).streaming_content).decode()
    masked_id = a.debtor.id_number[:6] + "********" + a.debtor.id_number[-4:]
    for text in (page, export):
        assert (a.debtor.id_number in text) is not masked
        assert (masked_id in text) is masked
    assert ("13812345678" in export) is not masked
    assert ("138****5678" in export) is masked
    case_page = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[a.pk])).content.decode()
    assert (a.debtor.id_number in case_page) is not masked
