"""The case page reads what it shows through selectors, in a number of queries that does not
grow with the case: loans, parties, collection actions, deadlines, lawsuits (with hearings,
judgments and enforcement) and assets (with the waterfall of each)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assets.models import Asset, PreservationMeasure, SecurityInterest
from litigation.models import Enforcement, Hearing, Judgment, Lawsuit
from recovery.models import (
    CaseParty,
    CollectionAction,
    Deadline,
    Loan,
    LoanParty,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.services.cases import case_facts_changed

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSPECT = "wagtailsnippets_recovery_case:inspect"
# The case page of a lawyer's own case, whatever its size. Pinned: a change that adds a query
# per row fails the constancy check; one that adds a constant query fails here, and should
# say why in the same change that moves this number.
# 38: the estate and marriage facts section reads marriages, estates, the loans' guarantor
# links and loan changes, and whether the user may edit the case (+5).
# 48: the write-offs section reads the case's write-offs and complete terminations (+2).
# 50: the documents section reads the case's generated documents (with their templates) and
# whether the user may edit the case, for the generate button (+2).
CASE_PAGE_QUERIES = 50


def _grow(case, n: int, start: int) -> None:
    """Add n of everything the case page shows to `case` (rows numbered from `start`)."""
    for i in range(start, start + n):
        loan = Loan.objects.create(
            case=case,
            contract_no=f"X-{case.pk}-{i}",
            amount=Decimal("100000.00"),
            principal_outstanding=Decimal("90000.00"),
            disbursed_on=date(2022, 1, 1),
            due_on=date(2023, 1, 1) + timedelta(days=i),
            handed_over_on=date(2023, 6, 1),
            branch=case.branch,
        )
        guarantor = Party.objects.create(
            kind=PartyKind.PERSON, name=f"保证人{i}", id_number=f"3101151970010{i:04d}"
        )
        role = CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.GUARANTOR)
        LoanParty.objects.create(case_party=role, loan=loan, guarantee_type="joint", guarantee_months=24)
        CollectionAction.objects.create(
            case=case, kind="notice", acted_on=date(2024, 3, 1) + timedelta(days=i), addressed_to=guarantor
        )
        asset = Asset.objects.create(
            case=case,
            owner=case.debtor,
            kind="real_estate",
            description=f"上海市浦东新区某路{i}号",
            estimated_value=Decimal("1000000.00"),
            valued_on=date(2025, 1, 1),
        )
        SecurityInterest.objects.create(
            asset=asset,
            kind="mortgage",
            creditor="他行",
            secured_amount=Decimal("300000.00"),
            registered_on=date(2020, 1, 1),
        )
        for position, (ours, day) in enumerate(((False, 2), (True, 3)), start=1):
            registered_at = datetime(2025, 3, day, 10, 0, tzinfo=SHANGHAI)
            PreservationMeasure.objects.create(
                asset=asset,
                ours=ours,
                applicant="我行" if ours else "竞争债权人",
                claim_amount=Decimal("500000.00"),
                court="上海市浦东新区人民法院",
                ruling_number=f"(2025)沪0115执保{i}{position}号",
                kind="seizure",
                stage="in_suit",
                measured_on=registered_at.date(),
                registered_at=registered_at,
                expires_on=date(2028, 3, day),
                position=position,
            )
        suit = Lawsuit.objects.create(
            case=case,
            court="上海市浦东新区人民法院",
            court_case_number=f"(2024)沪0115民初{i}号",
            cause_of_action="金融借款合同纠纷",
            claim_amount=Decimal("90000.00"),
            filed_on=date(2024, 1, 1) + timedelta(days=i),
        )
        Hearing.objects.create(lawsuit=suit, date=date(2024, 5, 1), courtroom="第12法庭")
        Judgment.objects.create(lawsuit=suit, served_on=date(2024, 6, 1), amount_awarded=Decimal("90000.00"))
        Enforcement.objects.create(
            lawsuit=suit, applied_on=date(2024, 7, 1), enforcement_case_number=f"执{i}"
        )
    case_facts_changed(case_ids={case.pk})  # the deadlines of the new loans, guarantees, measures


def _page(client, case):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(INSPECT, args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_case_page_costs_the_same_pinned_queries_for_3_and_6_of_everything(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"], loans=0)
    client.force_login(staff["lawyer"])
    _page(client, case)  # warm caches (content types, permissions)

    _grow(case, 3, 0)
    small, with_3 = _page(client, case)
    deadlines_3 = Deadline.objects.filter(case=case).count()
    _grow(case, 3, 3)
    large, with_6 = _page(client, case)

    # What the page shows did double: the counts below are what the queries must not follow.
    assert small.count('data-testid="case-asset-row"') == 3
    assert large.count('data-testid="case-asset-row"') == 6
    assert large.count('data-testid="guarantor"') == 6
    assert large.count("/snippets/litigation/lawsuit/edit/") == 6
    assert large.count("第12法庭") == 2 * 6  # each hearing in the suits' section and on the timeline
    assert Deadline.objects.filter(case=case).count() > deadlines_3 > 0
    assert large.count('data-testid="deadline-row"') == Deadline.objects.filter(case=case).count()
    # Each asset's waterfall: 1,000,000 pays the 300,000 mortgage first; the debtor is a natural
    # person, so the two seizures of 500,000 share the remaining 700,000 pro rata.
    assert large.count("<td>¥350000.00</td>") == 6
    assert 'data-testid="case-expected-total">2100000.00<' in large
    assert with_3 == with_6, (with_3, with_6)
    assert with_6 == CASE_PAGE_QUERIES


@pytest.mark.django_db
@pytest.mark.parametrize("role, masked", [("lawyer", False), ("auditor", True)])
def test_the_case_page_masks_what_its_selectors_read(client, staff, make_case, role, masked):
    case = make_case(assignee=staff["lawyer"])
    _grow(case, 1, 0)
    client.force_login(staff[role])
    page, _queries = _page(client, case)
    debtor = case.debtor
    assert (debtor.id_number in page) is not masked
    assert ("138****5678" in page) is masked
    assert (debtor.id_number[:6] + "********" + debtor.id_number[-4:] in page) is masked


@pytest.mark.django_db
def test_the_case_page_of_a_case_out_of_scope_is_not_found(client, staff, make_case):
    case = make_case(assignee=staff["other_lawyer"])
    client.force_login(staff["lawyer"])
    assert client.get(reverse(INSPECT, args=[case.pk])).status_code == 404
