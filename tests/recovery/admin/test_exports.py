"""Every CSV and XLSX export of every admin listing writes inert cells: text a spreadsheet would
evaluate (`=…`, `+…`, `-…`, `@…`) comes out prefixed with an apostrophe, as text; numbers,
negative ones included, stay numbers. The listings are found from the URL resolver, so a new
export is tested without touching this file."""

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import NoReverseMatch, get_resolver, reverse

from assets.models import Asset, AssetKind
from assets.services import asset_record
from litigation.models import Lawsuit
from recovery.checks.cells import FORMULA_TRIGGERS
from recovery.checks.identity import credit_code_with_check
from recovery.models import CaseParty, CollectionAction, Loan, LoanParty, Party, PartyKind, PartyRole
from recovery.services.cases import record_update
from recovery.services.deadlines import deadlines_recompute
from tests.recovery.lib.test_masking_everywhere import _walk

FORMULAS = ['=HYPERLINK("x")', "+1", "-1", "@SUM(1)"]


@pytest.fixture
def hostile(staff, make_case):
    """A case whose texts are formulas: the debtor's name, a guarantor's, a tracking number,
    a court, an asset description; and a loan with a negative amount."""
    case = make_case(assignee=staff["lawyer"])
    debtor = case.debtor
    debtor.name = FORMULAS[0]
    record_update(instance=debtor, user=staff["head"])
    guarantor = Party.objects.create(
        kind=PartyKind.COMPANY, name=FORMULAS[1], id_number=credit_code_with_check("91310115MA1K4AB7X")
    )
    role = CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.GUARANTOR)
    LoanParty.objects.create(
        case_party=role, loan=case.loans.get(), guarantee_type="general", guarantee_months=6
    )
    CollectionAction.objects.create(
        case=case, kind="notice", acted_on=date(2024, 3, 1), addressed_to=guarantor, tracking_number="-1"
    )
    Lawsuit.objects.create(
        case=case,
        court=FORMULAS[3],
        cause_of_action="-1",
        claim_amount=Decimal("1.00"),
        filed_on=date(2024, 1, 1),
    )
    asset_record(
        asset=Asset(case=case, owner=debtor, kind=AssetKind.REAL_ESTATE, description=FORMULAS[3]),
        user=staff["head"],
    )
    Loan.objects.filter(case=case).update(interest_outstanding=Decimal("-5.00"))
    deadlines_recompute(case_ids=[case.pk])
    return case


def _export_urls() -> list[str]:
    """The listing URL of every admin view that declares a `list_export`."""
    urls = []
    for name, _params in sorted(set(_walk(get_resolver()))):
        try:
            url = reverse(name)
        except NoReverseMatch:  # takes arguments (or matches many paths): not a listing
            continue
        callback = get_resolver().resolve(url).func
        view_class = getattr(callback, "view_class", None)
        initkwargs = getattr(callback, "view_initkwargs", {})
        list_export = initkwargs.get("list_export", getattr(view_class, "list_export", None))
        if list_export and not initkwargs.get("results_only"):
            urls.append(url)
    # The site history is a function that picks who may read it before calling Wagtail's view.
    urls.append(reverse("site_history"))
    return sorted(set(urls))


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def _csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def test_the_test_finds_every_export():
    urls = _export_urls()
    for expected in ("case", "party", "loan", "collectionaction", "lawsuit", "asset"):
        assert any(f"/{expected}/" in url for url in urls), (expected, urls)
    assert reverse("recovery_deadlines:index") in urls
    assert reverse("site_history") in urls


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["head", "auditor"])
def test_every_csv_export_is_inert(client, staff, hostile, role):
    client.force_login(staff[role])
    written: set[str] = set()
    for url in _export_urls():
        response = client.get(url, {"export": "csv"})
        if response.status_code != 200:
            assert url.startswith("/admin/reports/"), url  # Wagtail's page reports: no pages here
            continue
        cells = _csv_cells(b"".join(response.streaming_content))
        live = [c for c in cells if c.startswith(FORMULA_TRIGGERS) and not _is_number(c)]
        assert live == [], url
        written.update(cells)
    for formula in FORMULAS:
        assert "'" + formula in written
    assert "-5.00" in written  # a negative amount is a number, not neutralised


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["head", "auditor"])
def test_every_xlsx_export_is_inert(client, staff, hostile, role):
    client.force_login(staff[role])
    written: set[str] = set()
    numbers: list = []
    for url in _export_urls():
        response = client.get(url, {"export": "xlsx"})
        if response.status_code != 200:
            assert url.startswith("/admin/reports/"), url  # Wagtail's page reports: no pages here
            continue
        workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (url, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(FORMULA_TRIGGERS), (url, cell.coordinate, cell.value)
                        written.add(cell.value)
                    elif cell.data_type == "n" and cell.value is not None:
                        numbers.append(cell.value)
    for formula in FORMULAS:
        assert "'" + formula in written
    assert Decimal("-5") in [Decimal(str(n)) for n in numbers]
