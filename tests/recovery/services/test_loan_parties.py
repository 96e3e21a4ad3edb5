"""Guarantees and collateral belong to loans, not to cases (issue 12 §2).

A guarantor named on one row of the hand-over file guarantees that row's loan only: the
guarantee period runs for it alone. Co-borrowers and mortgagors are linked the same way; the
lawyer picks the loans (only the case's own); the case and loan pages show per loan who
guarantees and what secures it; imported collateral becomes an asset in one step."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from assets.models import Asset, SecurityInterest
from assets.services import collateral_convert_to_asset
from recovery.models import (
    CaseParty,
    Collateral,
    Deadline,
    DeadlineKind,
    Loan,
    LoanParty,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.services import RecoveryError
from recovery.services.deadlines import deadlines_recompute
from recovery.services.handover_import import handover_import
from recovery.services.loan_parties import (
    LOAN_PARTY_LINKED,
    LOAN_PARTY_UNLINKED,
    LOAN_PARTY_UPDATED,
    GuaranteeTerms,
    case_party_save,
    loan_parties_set,
    loan_party_confirm,
    loan_party_remove,
)
from tests.recovery.handover import PERSON_ID, resident_id
from tests.recovery.services.test_handover_import import GUARANTOR_ID, row, write_csv

OTHER_GUARANTOR_ID = resident_id("11010119700101002")


def deadline_subjects(kind, party=None):
    rows = Deadline.objects.filter(kind=kind)
    if party is not None:
        rows = rows.filter(party=party)
    return sorted(rows.values_list("subject", flat=True))


def person(name, first17):
    return Party.objects.create(kind=PartyKind.PERSON, name=name, id_number=resident_id(first17))


# --- the import ------------------------------------------------------------------------------


def test_a_guarantor_on_one_of_two_loans_guarantees_that_loan_only(tmp_path, staff):
    """The issue's file: one debtor, two loans, one guarantor on one of them. Before, the
    guarantor held his role on the case and a guarantee period ran for both loans."""
    path = write_csv(
        tmp_path / "h.csv",
        [row("HT-1", 担保方式="保证", 抵押物=""), row("HT-2", 保证人="", 担保方式="信用", 抵押物="")],
    )
    handover_import(source=path, user=staff["head"])

    guarantor = Party.objects.get(id_number=GUARANTOR_ID)
    links = LoanParty.objects.filter(case_party__party=guarantor)
    assert list(links.values_list("loan__contract_no", "guarantee_type", "needs_review")) == [
        ("HT-1", "joint", False)
    ]
    assert deadline_subjects(DeadlineKind.GUARANTEE_PERIOD) == ["贷款 HT-1"]
    # The borrower's limitation still runs for both.
    assert deadline_subjects(DeadlineKind.LIMITATION) == ["贷款 HT-1", "贷款 HT-2"]


def test_a_guarantor_on_two_rows_gets_two_links_and_a_reimport_changes_nothing(tmp_path, staff):
    path = write_csv(
        tmp_path / "h.csv",
        [
            row("HT-1", 抵押物=""),
            row("HT-2", 保证人=f"李四,{GUARANTOR_ID},一般;王五,{OTHER_GUARANTOR_ID},连带", 抵押物=""),
        ],
    )
    handover_import(source=path, user=staff["head"])
    expected = [
        ("HT-1", GUARANTOR_ID, "joint"),
        ("HT-2", GUARANTOR_ID, "general"),
        ("HT-2", OTHER_GUARANTOR_ID, "joint"),
    ]
    links = LoanParty.objects.values_list(
        "loan__contract_no", "case_party__party__id_number", "guarantee_type"
    )
    assert sorted(links) == expected
    assert CaseParty.objects.filter(role=PartyRole.GUARANTOR).count() == 2  # one role per person
    periods = sorted(
        Deadline.objects.filter(kind=DeadlineKind.GUARANTEE_PERIOD).values_list("key", flat=True)
    )
    assert len(periods) == 3

    outcome = handover_import(source=path, user=staff["head"])
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 2)
    assert sorted(links) == expected
    assert sorted(
        Deadline.objects.filter(kind=DeadlineKind.GUARANTEE_PERIOD).values_list("key", flat=True)
    ) == (periods)


def test_collateral_stays_with_its_rows_loan_and_feeds_that_loans_mortgage_deadline(tmp_path, staff):
    path = write_csv(
        tmp_path / "h.csv",
        [
            row("HT-1", 保证人="", 担保方式="信用", 抵押物=""),
            row("HT-2", 保证人="", 担保方式="抵押", 抵押物="上海市浦东新区XX路1号房产"),
        ],
    )
    handover_import(source=path, user=staff["head"])
    assert list(Collateral.objects.values_list("loan__contract_no", "description")) == [
        ("HT-2", "上海市浦东新区XX路1号房产")
    ]
    # CC 419 for the mortgaged loan only, against the borrower while no mortgagor is recorded.
    mortgage = Deadline.objects.get(kind=DeadlineKind.MORTGAGE)
    assert mortgage.subject == "贷款 HT-2" and mortgage.party.id_number == PERSON_ID
    assert any(step["source"] == "民法典第419条" for step in mortgage.steps)
    limitation = Deadline.objects.get(kind=DeadlineKind.LIMITATION, subject="贷款 HT-2")
    assert mortgage.safe_end == limitation.safe_end


def test_a_reimport_naming_the_guarantor_confirms_a_link_awaiting_review(tmp_path, staff):
    path = write_csv(tmp_path / "h.csv", [row("HT-1", 抵押物=""), row("HT-2", 保证人="", 抵押物="")])
    handover_import(source=path, user=staff["head"])
    link = LoanParty.objects.get()
    LoanParty.objects.filter(pk=link.pk).update(needs_review=True)
    outcome = handover_import(source=path, user=staff["head"])
    assert outcome.updated == 1
    link.refresh_from_db()
    assert not link.needs_review


# --- deadlines per loan ----------------------------------------------------------------------


@pytest.fixture
def two_loan_case(make_case, staff):
    case = make_case(assignee=staff["lawyer"], loans=2)  # C-n-0 due 2023-01-01, C-n-1 due 2023-01-02
    deadlines_recompute(case_ids=[case.pk])
    return case


def test_terms_of_each_link_drive_that_loans_guarantee_period(two_loan_case):
    case = two_loan_case
    first, second = case.loans.order_by("due_on")
    guarantor = person("保证人", "31011519700101003")
    case_party = case_party_save(
        case_party=CaseParty(case=case, party=guarantor, role=PartyRole.GUARANTOR),
        loans=[first],
        terms=GuaranteeTerms(guarantee_type="joint", guarantee_months=12),
        user=None,
    )
    period = Deadline.objects.get(kind=DeadlineKind.GUARANTEE_PERIOD, party=guarantor)
    assert period.subject == f"贷款 {first.contract_no}" and period.raw_end == date(2024, 1, 1)
    # Linked to the second loan too (six months, none agreed): its own period, same key form.
    loan_parties_set(case_party=case_party, loans=[first, second], terms=GuaranteeTerms(), user=None)
    periods = Deadline.objects.filter(kind=DeadlineKind.GUARANTEE_PERIOD, party=guarantor).order_by("trigger")
    assert [(p.key, p.raw_end) for p in periods] == [
        (f"guarantee_period:{guarantor.pk}:loan:{first.contract_no}", date(2023, 7, 1)),
        (f"guarantee_period:{guarantor.pk}:loan:{second.contract_no}", date(2023, 7, 2)),
    ]
    assert set(LoanParty.objects.values_list("guarantee_type", flat=True)) == {"general"}  # CC 686


def test_co_borrower_and_mortgagor_deadlines_run_only_for_their_loans(two_loan_case):
    case = two_loan_case
    first, second = case.loans.order_by("due_on")
    co_borrower = person("共同借款人", "31011519850101002")
    mortgagor = person("抵押人", "31011519600101004")
    case_party_save(
        case_party=CaseParty(case=case, party=co_borrower, role=PartyRole.CO_BORROWER),
        loans=[second],
        user=None,
    )
    case_party_save(
        case_party=CaseParty(case=case, party=mortgagor, role=PartyRole.MORTGAGOR), loans=[first], user=None
    )
    assert deadline_subjects(DeadlineKind.LIMITATION, co_borrower) == [f"贷款 {second.contract_no}"]
    assert deadline_subjects(DeadlineKind.MORTGAGE, mortgagor) == [f"贷款 {first.contract_no}"]


def test_a_link_is_only_to_a_loan_of_the_same_case_and_terms_only_for_guarantors(
    two_loan_case, make_case, staff
):
    case = two_loan_case
    other_loan = make_case(assignee=staff["lawyer"]).loans.get()
    guarantor = person("保证人", "31011519700101003")
    role = CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.GUARANTOR)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        loan_parties_set(case_party=role, loans=[other_loan], user=None)
    assert "loans" in refused.value.message_dict
    co_borrower = CaseParty.objects.create(
        case=case, party=person("共同借款人", "31011519850101002"), role=PartyRole.CO_BORROWER
    )
    with pytest.raises(ValidationError) as invalid:
        LoanParty(case_party=co_borrower, loan=case.loans.first(), guarantee_months=6).full_clean()
    assert "guarantee_type" in invalid.value.message_dict
    with pytest.raises(ValidationError) as future:
        LoanParty(
            case_party=role, loan=case.loans.first(), signed_on=timezone.localdate() + timedelta(days=1)
        ).full_clean()
    assert "signed_on" in future.value.message_dict


def test_a_lawyer_cannot_link_a_loan_of_a_case_outside_their_scope(two_loan_case, make_case, staff):
    case = two_loan_case
    foreign = make_case(assignee=staff["other_lawyer"], branch="杭州分行", loans=1).loans.get()
    role = CaseParty.objects.create(
        case=case, party=person("保证人", "31011519700101003"), role=PartyRole.GUARANTOR
    )
    with pytest.raises(RecoveryError) as refused:
        loan_parties_set(case_party=role, loans=[foreign], user=staff["lawyer"])
    assert refused.value.field == "loans"
    assert not LoanParty.objects.exists()


# --- the party-role form ---------------------------------------------------------------------


def test_the_party_role_form_offers_only_this_cases_loans_and_saves_the_terms(
    client, staff, two_loan_case, make_case
):
    case = two_loan_case
    other = make_case(assignee=staff["lawyer"])
    guarantor = person("保证人", "31011519700101003")
    CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.CONTACT)  # a party of the case
    client.force_login(staff["lawyer"])
    url = reverse("wagtailsnippets_recovery_caseparty:add")
    form = client.get(url, {"case": case.pk}).context["form"]
    assert set(form.fields["loans"].queryset) == set(case.loans.all())

    first = case.loans.order_by("due_on").first()
    data = {
        "case": case.pk,
        "party": guarantor.pk,
        "role": "guarantor",
        "guarantee_type": "joint",
        "guarantee_months": "12",
        "max_amount": "500000",
        "signed_on": "2021-12-01",
        "notes": "",
    }
    response = client.post(url, data | {"loans": [other.loans.get().pk]})
    assert response.status_code == 200 and "loans" in response.context["form"].errors
    assert not LoanParty.objects.exists()

    response = client.post(url, data | {"loans": [first.pk]})
    assert response.status_code == 302, response.context["form"].errors
    link = LoanParty.objects.get()
    assert (link.loan, link.guarantee_type, link.guarantee_months, link.max_amount, link.signed_on) == (
        first,
        "joint",
        12,
        Decimal("500000.00"),
        date(2021, 12, 1),
    )
    assert deadline_subjects(DeadlineKind.GUARANTEE_PERIOD, guarantor) == [f"贷款 {first.contract_no}"]
    assert (
        ModelLogEntry.objects.filter(content_type__model="loanparty", action=LOAN_PARTY_LINKED).count() == 1
    )

    # Editing shows the links and their terms; moving the guarantee to the other loan is audited.
    edit = reverse("wagtailsnippets_recovery_caseparty:edit", args=[link.case_party_id])
    form = client.get(edit).context["form"]
    assert list(form.initial["loans"]) == [first.pk] and form.initial["guarantee_months"] == 12
    second = case.loans.order_by("due_on").last()
    response = client.post(edit, data | {"loans": [second.pk]})
    assert response.status_code == 302
    assert list(LoanParty.objects.values_list("loan", flat=True)) == [second.pk]
    assert (
        ModelLogEntry.objects.filter(content_type__model="loanparty", action=LOAN_PARTY_UNLINKED).count() == 1
    )


def test_a_guarantor_must_be_given_a_loan(client, staff, two_loan_case):
    case = two_loan_case
    guarantor = person("保证人", "31011519700101003")
    CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.CONTACT)
    client.force_login(staff["lawyer"])
    response = client.post(
        reverse("wagtailsnippets_recovery_caseparty:add"),
        {"case": case.pk, "party": guarantor.pk, "role": "guarantor", "notes": ""},
    )
    assert response.status_code == 200 and "loans" in response.context["form"].errors
    assert not CaseParty.objects.filter(role=PartyRole.GUARANTOR).exists()


# --- the case and loan pages -----------------------------------------------------------------


def _case_with_security(make_case, staff, loans):
    case = make_case(assignee=staff["lawyer"], loans=loans)
    guarantor = person(f"保证人{loans}", f"3101151970010{loans:03d}3")
    case_party_save(
        case_party=CaseParty(case=case, party=guarantor, role=PartyRole.GUARANTOR),
        loans=case.loans.all(),
        terms=GuaranteeTerms(guarantee_type="joint", guarantee_months=24, max_amount=Decimal("90000")),
        user=None,
    )
    for loan in case.loans.all():
        Collateral.objects.create(case=case, loan=loan, description=f"房产 {loan.contract_no}")
    return case


def test_the_case_page_shows_per_loan_who_guarantees_and_what_secures_it_in_fixed_queries(
    client, staff, make_case, django_assert_num_queries
):
    client.force_login(staff["lawyer"])
    small = _case_with_security(make_case, staff, 1)
    url = reverse("wagtailsnippets_recovery_case:inspect", args=[small.pk])
    from django.db import connection

    with CaptureQueriesContext(connection) as one:
        response = client.get(url)
    text = response.content.decode()
    assert 'data-testid="loan-security"' in text and "保证人1" in text and "90000" in text
    assert "房产 " in text and 'data-testid="collateral-convert"' in text

    large = _case_with_security(make_case, staff, 4)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[large.pk]))
    assert response.content.decode().count('data-testid="guarantor"') == 4


def test_the_loan_page_shows_its_guarantors_and_collateral(client, staff, make_case):
    case = _case_with_security(make_case, staff, 2)
    loan = case.loans.order_by("due_on").first()
    client.force_login(staff["lawyer"])
    text = client.get(reverse("wagtailsnippets_recovery_loan:inspect", args=[loan.pk])).content.decode()
    assert "保证人2" in text and f"房产 {loan.contract_no}" in text
    assert f"房产 {case.loans.order_by('due_on').last().contract_no}" not in text


# --- collateral into an asset ----------------------------------------------------------------


def test_collateral_becomes_an_asset_with_our_security_interest_in_one_click(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    loan = case.loans.get()
    Loan.objects.filter(pk=loan.pk).update(security_types="mortgage")
    item = Collateral.objects.create(case=case, loan=loan, description="上海市浦东新区XX路1号房产")
    client.force_login(staff["lawyer"])
    url = reverse("assets_collateral_convert", args=[item.pk])

    response = client.post(url)
    asset = Asset.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/{asset.pk}/")
    assert (asset.case, asset.owner, asset.kind, asset.collateral) == (case, case.debtor, "real_estate", item)
    interest = SecurityInterest.objects.get()
    assert (interest.asset, interest.kind, interest.ours, interest.loan) == (asset, "mortgage", True, loan)
    assert interest.secured_amount == loan.amount
    assert ModelLogEntry.objects.filter(
        content_type__model="asset", data__source="collateral converted"
    ).exists()

    client.post(url)  # a second click
    assert Asset.objects.count() == 1 and SecurityInterest.objects.count() == 1
    page = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])).content.decode()
    assert 'data-testid="collateral-asset"' in page and 'data-testid="collateral-convert"' not in page


def test_converting_collateral_is_scoped(client, staff, make_case):
    case = make_case(assignee=staff["lawyer"])
    item = Collateral.objects.create(case=case, loan=case.loans.get(), description="沪A12345小客车")
    client.force_login(staff["other_lawyer"])
    assert client.post(reverse("assets_collateral_convert", args=[item.pk])).status_code == 404
    client.force_login(staff["auditor"])  # sees the case, changes nothing: refused
    response = client.post(reverse("assets_collateral_convert", args=[item.pk]))
    assert response.status_code in (302, 403) and "collateral" not in response.get("Location", "")
    with pytest.raises(RecoveryError):
        collateral_convert_to_asset(collateral=item, user=staff["other_lawyer"])
    assert not Asset.objects.exists()


# --- links awaiting review -------------------------------------------------------------------


def test_links_to_review_are_listed_and_confirmed_or_removed_by_a_lawyer(client, staff, two_loan_case):
    case = two_loan_case
    first, second = case.loans.order_by("due_on")
    guarantor = person("保证人", "31011519700101003")
    role = CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.GUARANTOR)
    keep = LoanParty.objects.create(case_party=role, loan=first, guarantee_type="joint", needs_review=True)
    drop = LoanParty.objects.create(case_party=role, loan=second, guarantee_type="joint", needs_review=True)
    deadlines_recompute(case_ids=[case.pk])
    assert len(deadline_subjects(DeadlineKind.GUARANTEE_PERIOD, guarantor)) == 2

    client.force_login(staff["lawyer"])
    page = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])).content.decode()
    assert 'data-testid="links-to-review"' in page
    assert reverse("recovery_loan_party_confirm", args=[keep.pk]) in page

    assert client.post(reverse("recovery_loan_party_confirm", args=[keep.pk])).status_code == 302
    assert client.post(reverse("recovery_loan_party_remove", args=[drop.pk])).status_code == 302
    keep.refresh_from_db()
    assert not keep.needs_review and not LoanParty.objects.filter(pk=drop.pk).exists()
    assert deadline_subjects(DeadlineKind.GUARANTEE_PERIOD, guarantor) == [f"贷款 {first.contract_no}"]
    entries = ModelLogEntry.objects.filter(content_type__model="loanparty", data__source="loan link review")
    assert sorted(entries.values_list("action", flat=True)) == sorted(
        [LOAN_PARTY_UPDATED, LOAN_PARTY_UNLINKED]
    )
    page = client.get(reverse("wagtailsnippets_recovery_case:inspect", args=[case.pk])).content.decode()
    assert 'data-testid="links-to-review"' not in page


def test_reviewing_a_link_is_scoped(staff, two_loan_case):
    case = two_loan_case
    role = CaseParty.objects.create(
        case=case, party=person("保证人", "31011519700101003"), role=PartyRole.GUARANTOR
    )
    link = LoanParty.objects.create(case_party=role, loan=case.loans.first(), needs_review=True)
    for service in (loan_party_confirm, loan_party_remove):
        with pytest.raises(RecoveryError):
            service(link=link, user=staff["other_lawyer"])
    link.refresh_from_db()
    assert link.needs_review
