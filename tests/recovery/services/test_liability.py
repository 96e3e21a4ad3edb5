"""The liability matrix's rows: kept in step with the loans, links and estates; moved through
the pursuit by the lawyer, audited; a spouse pursued only where the debt is not personal."""

from datetime import date
from decimal import Decimal

import pytest

from recovery.liability import claims as rules
from recovery.models import (
    ClaimStatus,
    Estate,
    EstateItem,
    LiabilityClaim,
    LoanChange,
    MarriageRecord,
    ObligorBasis,
)
from recovery.selectors.liability import case_liability, claim_listing, claims_visible_to
from recovery.services import RecoveryError
from recovery.services.estates import (
    estate_item_add,
    estate_recipient_add,
    estate_record,
    estate_update,
    marriage_record_add,
)
from recovery.services.liability import (
    CLAIM_MOVED,
    liability_claim_move,
    liability_claims_sync,
    spouse_claims_open,
)
from tests.recovery.services.test_estates import codes, guarantor_link, heir, person


@pytest.fixture
def case(make_case, staff):
    return make_case(assignee=staff["lawyer"])


@pytest.fixture
def estate(case, staff):
    return estate_record(
        estate=Estate(case=case, deceased=case.debtor, died_on=date(2024, 11, 3)), user=staff["lawyer"]
    )


def test_the_vocabulary_is_the_models():
    assert set(rules.BASIS_VALUES) == set(ObligorBasis.values)
    assert set(rules.STATUSES) == set(ClaimStatus.values)


def bases(case) -> set[tuple[str, str]]:
    return set(LiabilityClaim.objects.filter(case=case).values_list("party__name", "basis"))


def test_rows_follow_the_borrower_the_guarantors_and_the_estate(case, staff, estate):
    loan = case.loans.get()
    guarantor_link(case, loan, name="连带保证人", guarantee_type="joint")
    guarantor_link(case, loan, name="一般保证人")
    liability_claims_sync(case_ids=[case.pk])
    assert bases(case) >= {
        (case.debtor.name, ObligorBasis.BORROWER),
        ("连带保证人", ObligorBasis.JOINT_GUARANTOR),
        ("一般保证人", ObligorBasis.GENERAL_GUARANTOR),
    }
    lawyer = staff["lawyer"]
    estate_item_add(
        item=EstateItem(estate=estate, description="房产", value=Decimal("800000.00")), user=lawyer
    )
    accepted = estate_recipient_add(recipient=heir(estate, "甲", received=Decimal("50000.00")), user=lawyer)
    estate_recipient_add(
        recipient=heir(estate, "乙", renounced=True, renounced_on=date(2024, 12, 10)), user=lawyer
    )
    # The recipients' services tell the docket; the heir who accepted has a row, the renouncer none.
    assert ("甲", ObligorBasis.STATUTORY_HEIR) in bases(case)
    assert ("乙", ObligorBasis.STATUTORY_HEIR) not in bases(case)
    data = case_liability(case)
    row = next(row for row in data.rows if row.claim.party_id == accepted.party_id)
    # 80,000 owed, 50,000 received: the heir answers for 50,000 (CC 1161).
    assert row.owed == Decimal("50000.00") and row.basis.article == "民法典第1161条"
    (view,) = data.estates
    assert view.write_off_candidate == Decimal("30000.00")


def test_a_row_nobody_acted_on_goes_with_its_link_a_moved_one_stays(case, staff):
    loan = case.loans.get()
    link = guarantor_link(case, loan, name="保证人甲", guarantee_type="joint")
    other = guarantor_link(case, loan, name="保证人乙", guarantee_type="joint")
    liability_claims_sync(case_ids=[case.pk])
    moved = LiabilityClaim.objects.get(link=other)
    liability_claim_move(claim=moved, status=ClaimStatus.DEMANDED, on=date(2024, 3, 1), user=staff["lawyer"])
    link.delete()
    other.delete()
    liability_claims_sync(case_ids=[case.pk])
    assert ("保证人甲", ObligorBasis.JOINT_GUARANTOR) not in bases(case)
    assert LiabilityClaim.objects.filter(pk=moved.pk).exists()


def test_moves_forward_freely_back_only_with_a_reason_and_audited(case, staff):
    liability_claims_sync(case_ids=[case.pk])
    claim = LiabilityClaim.objects.get(case=case, basis=ObligorBasis.BORROWER)
    lawyer = staff["lawyer"]
    claim = liability_claim_move(claim=claim, status=ClaimStatus.SUED, on=date(2024, 5, 1), user=lawyer)
    assert codes(claim) == [CLAIM_MOVED]
    with pytest.raises(RecoveryError) as refused:
        liability_claim_move(claim=claim, status=ClaimStatus.DEMANDED, user=lawyer)
    assert refused.value.field == "status"
    with pytest.raises(RecoveryError) as refused:
        liability_claim_move(claim=claim, status=ClaimStatus.JUDGMENT, on=date(2024, 4, 1), user=lawyer)
    assert refused.value.field == "status_on"
    liability_claim_move(claim=claim, status=ClaimStatus.DEMANDED, note="录入错误", user=lawyer)
    assert LiabilityClaim.objects.get(pk=claim.pk).status == ClaimStatus.DEMANDED


def test_another_branchs_lawyer_cannot_move_the_claim(case, staff):
    liability_claims_sync(case_ids=[case.pk])
    claim = LiabilityClaim.objects.get(case=case, basis=ObligorBasis.BORROWER)
    with pytest.raises(RecoveryError):
        liability_claim_move(claim=claim, status=ClaimStatus.DEMANDED, user=staff["other_manager"])
    assert LiabilityClaim.objects.get(pk=claim.pk).status == ClaimStatus.NOT_PURSUED


def test_the_spouse_is_assessed_per_loan_and_pursued_only_where_not_personal(case, staff):
    lawyer = staff["lawyer"]
    spouse = person("配偶", by=lawyer)
    marriage = marriage_record_add(
        marriage=MarriageRecord(case=case, party=case.debtor, spouse=spouse, married_on=date(2015, 6, 1)),
        user=lawyer,
    )
    data = case_liability(case)
    (row,) = data.spousal
    # 100,000 lent in 2022 by one spouse alone, above the 50,000 default: needs evidence.
    assert row.assessment.classification == "needs_evidence"
    loan = case.loans.get()
    with pytest.raises(RecoveryError):
        spouse_claims_open(
            marriage=marriage, loans=[loan], classifications={loan.pk: "personal"}, user=lawyer
        )
    (claim,) = spouse_claims_open(
        marriage=marriage, loans=[loan], classifications={loan.pk: row.assessment.classification}, user=lawyer
    )
    assert claim.basis == ObligorBasis.SPOUSE
    liability_claims_sync(case_ids=[case.pk])
    assert LiabilityClaim.objects.filter(pk=claim.pk).exists()  # the sync never removes a spouse


def test_guarantor_cap_and_unconsented_increase_in_the_matrix_and_the_listing(case, staff):
    loan = case.loans.get()
    link = guarantor_link(case, loan, name="最高额保证人", guarantee_type="joint")
    link.max_amount = Decimal("70000.00")
    link.save()
    LoanChange.objects.create(
        loan=loan, kind="increase", agreed_on=date(2023, 2, 1), amount=Decimal("20000.00")
    )
    liability_claims_sync(case_ids=[case.pk])
    row = next(row for row in case_liability(case).rows if row.claim.link_id == link.pk)
    # 80,000 owed less 20,000 not consented to = 60,000, under the 70,000 cap (CC 690, 695).
    assert row.owed == Decimal("60000.00")
    listed = claim_listing(claims_visible_to(staff["lawyer"])).get(link=link)
    assert listed.owed == Decimal("60000.00")
    assert not claim_listing(claims_visible_to(staff["other_manager"])).filter(link=link).exists()


def test_estate_update_keeps_the_administrator_row(case, staff, estate):
    lawyer = staff["lawyer"]
    estate.administrator = person("管理人", by=lawyer)
    estate.administrator_kind = "elected"
    estate_update(estate=estate, user=lawyer)
    assert ("管理人", ObligorBasis.ESTATE_ADMINISTRATOR) in bases(case)


def test_a_third_party_mortgagor_answers_with_what_the_collateral_is_expected_to_fetch(case, staff):
    from assets.models import SecurityInterest
    from recovery.models import CaseParty, LoanParty, PartyRole
    from tests.assets.preservation_helpers import make_asset

    loan = case.loans.get()
    mortgagor = person("第三人抵押人")
    role = CaseParty.objects.create(case=case, party=mortgagor, role=PartyRole.MORTGAGOR)
    LoanParty.objects.create(case_party=role, loan=loan)
    asset = make_asset(case, owner=mortgagor, value="60000.00")
    SecurityInterest.objects.create(
        asset=asset,
        kind="mortgage",
        ours=True,
        creditor="我行",
        loan=loan,
        secured_amount=Decimal("100000.00"),
        registered_on=date(2022, 1, 1),
    )
    liability_claims_sync(case_ids=[case.pk])
    row = next(row for row in case_liability(case).rows if row.claim.basis == ObligorBasis.MORTGAGOR)
    # 80,000 owed, the house expected to fetch 60,000 for us: he answers only with it (CC 394).
    assert (row.owed, row.expected, row.expected_source) == (
        Decimal("60000.00"),
        Decimal("60000.00"),
        "collateral",
    )
    assert asset.description in row.collateral
