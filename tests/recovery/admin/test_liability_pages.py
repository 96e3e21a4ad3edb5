"""The liability matrix as people use it: co-guarantors released by a lapsed guarantee period on
the case page (担保解释 13, 29), the guarantor's recourse recorded through the party-role form,
the portfolio listing's "joint guarantors not yet demanded, guarantee period ending within 60
days", and a move refused on its field without a 500 — in Chinese and in English."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from recovery.models import (
    CaseParty,
    ClaimStatus,
    CoGuarantorRecourse,
    LiabilityClaim,
    LoanParty,
    ObligorBasis,
    PartyRole,
)
from recovery.services.deadlines import deadlines_recompute
from recovery.services.liability import liability_claim_move, liability_claims_sync
from tests.recovery.admin.test_estate_admin import person
from tests.recovery.services.test_deadlines import demand
from tests.recovery.services.test_estates import person as own_person

pytestmark = pytest.mark.django_db

INSPECT = "wagtailsnippets_recovery_case:inspect"
LISTING = "recovery_liability:index"


@pytest.fixture
def case(make_case, staff):
    return make_case(assignee=staff["lawyer"])  # one loan of 80,000 due 2023-01-01


@pytest.fixture
def lawyer(client, staff):
    client.force_login(staff["lawyer"])
    return client


def joint_guarantor(case, loan, name: str, recourse: str = CoGuarantorRecourse.NOT_RECORDED) -> LoanParty:
    role = CaseParty.objects.create(case=case, party=person(name), role=PartyRole.GUARANTOR)
    return LoanParty.objects.create(
        case_party=role, loan=loan, guarantee_type="joint", co_guarantor_recourse=recourse
    )


def claim_row(page: str, link: LoanParty) -> str:
    claim = LiabilityClaim.objects.get(link=link)
    start = page.index(f'id="claim-{claim.pk}"')
    return page[start : page.index("</tr>", start)]


def notes_after(page: str, link: LoanParty) -> str:
    claim = LiabilityClaim.objects.get(link=link)
    start = page.index(f'id="claim-{claim.pk}"')
    following = page.index("</tr>", start)
    return page[following : page.index("</tr>", following + 5)]


@pytest.fixture
def co_guarantors(case, staff):
    """Two joint guarantors of the one loan, who signed the same contract: 甲 was demanded within
    his guarantee period (to 2023-07-01), 乙 never was, and his period lapsed."""
    loan = case.loans.get()
    kept = joint_guarantor(case, loan, "保证人甲", CoGuarantorRecourse.SAME_CONTRACT)
    lapsed = joint_guarantor(case, loan, "保证人乙", CoGuarantorRecourse.SAME_CONTRACT)
    demand(
        case,
        staff["lawyer"],
        addressed_to=kept.case_party.party,
        acted_on=date(2023, 3, 1),
        reached=True,
        delivered_on=date(2023, 3, 2),
        tracking_number="EMS-CO-1",
    )
    deadlines_recompute(case_ids=[case.pk])
    liability_claims_sync(case_ids=[case.pk])
    return kept, lapsed


@pytest.mark.parametrize(
    ("language", "released", "reduced"),
    [
        ("zh-hans", "已免责：保证期间届满", "可在不能追偿的范围内"),
        ("en", "Released: the guarantee period lapsed", "released from what he can no longer recover"),
    ],
)
def test_the_case_page_shows_who_was_released_and_what_the_other_still_owes(
    lawyer, case, co_guarantors, language, released, reduced
):
    kept, lapsed = co_guarantors
    page = lawyer.get(reverse(INSPECT, args=[case.pk]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    lapsed_row = claim_row(page, lapsed)
    assert 'data-released="1"' in lapsed_row and released in lapsed_row
    assert "0.00" in lapsed_row
    kept_row = claim_row(page, kept)
    assert 'data-released="0"' in kept_row
    # 80,000 owed; 乙's share in proportion to what each guaranteed is half: 40,000 is left.
    assert "40000.00" in kept_row
    notes = notes_after(page, kept)
    assert reduced in notes and "担保解释第29条第2款" in notes and "担保解释第13条" in notes
    assert "民法典第693条" in notes_after(page, lapsed)


@pytest.mark.parametrize(
    ("recourse", "still_owed", "said"),
    [
        # No recourse among them: the lapsed one's release takes nothing off the other.
        (CoGuarantorRecourse.NONE, "80000.00", "不因此减少"),
        # Not recorded: read as recourse (the reading that asks him for less), and said so.
        (CoGuarantorRecourse.NOT_RECORDED, "40000.00", "追偿权未记录"),
    ],
)
def test_what_the_other_guarantor_owes_follows_the_recourse_recorded(
    lawyer, case, co_guarantors, recourse, still_owed, said
):
    kept, lapsed = co_guarantors
    LoanParty.objects.filter(pk__in=[kept.pk, lapsed.pk]).update(co_guarantor_recourse=recourse)
    page = lawyer.get(reverse(INSPECT, args=[case.pk])).content.decode()
    assert still_owed in claim_row(page, kept)
    assert said in notes_after(page, kept)


def test_the_recourse_is_recorded_through_the_party_role_form(lawyer, case, staff):
    loan = case.loans.get()
    guarantor = own_person("保证人丙", by=staff["lawyer"])
    response = lawyer.post(
        reverse("wagtailsnippets_recovery_caseparty:add"),
        {
            "case": case.pk,
            "party": guarantor.pk,
            "role": PartyRole.GUARANTOR,
            "loans": [loan.pk],
            "guarantee_type": "joint",
            "co_guarantor_recourse": CoGuarantorRecourse.AGREED,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    link = LoanParty.objects.get(case_party__party=guarantor)
    assert link.co_guarantor_recourse == CoGuarantorRecourse.AGREED
    # A contact has no guarantee: the recourse is refused on the guarantee's field.
    contact = own_person("联系人", by=staff["lawyer"])
    response = lawyer.post(
        reverse("wagtailsnippets_recovery_caseparty:add"),
        {
            "case": case.pk,
            "party": contact.pk,
            "role": PartyRole.CONTACT,
            "co_guarantor_recourse": CoGuarantorRecourse.AGREED,
        },
    )
    assert response.status_code == 200
    assert "guarantee_type" in response.context["form"].errors
    assert not CaseParty.objects.filter(party=contact).exists()


def test_the_portfolio_listing_finds_joint_guarantors_not_yet_demanded_whose_period_ends_soon(
    client, staff, make_case
):
    today = timezone.localdate()
    soon = make_case(assignee=staff["lawyer"])
    later = make_case(assignee=staff["lawyer"])
    # Due 150 days ago: six months of guarantee period end within the next 60 days (CC 692).
    soon.loans.update(due_on=today - timedelta(days=150))
    later.loans.update(due_on=today - timedelta(days=30))
    wanted = joint_guarantor(soon, soon.loans.get(), "连带保证人甲")
    demanded = joint_guarantor(soon, soon.loans.get(), "连带保证人乙")
    general = CaseParty.objects.create(case=soon, party=person("一般保证人丙"), role=PartyRole.GUARANTOR)
    LoanParty.objects.create(case_party=general, loan=soon.loans.get(), guarantee_type="general")
    too_late = joint_guarantor(later, later.loans.get(), "连带保证人丁")
    deadlines_recompute(case_ids=[soon.pk, later.pk])
    liability_claims_sync(case_ids=[soon.pk, later.pk])
    liability_claim_move(
        claim=LiabilityClaim.objects.get(link=demanded), status=ClaimStatus.DEMANDED, user=staff["lawyer"]
    )
    filters = {
        "basis": ObligorBasis.JOINT_GUARANTOR,
        "status": ClaimStatus.NOT_PURSUED,
        "guarantee_period": "60",
    }
    client.force_login(staff["manager"])
    page = client.get(reverse(LISTING), filters, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "连带保证人甲" in page
    for absent in ("连带保证人乙", "一般保证人丙", "连带保证人丁"):
        assert absent not in page
    assert "Liability claims" in page
    export = client.get(reverse(LISTING), {**filters, "export": "csv"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = [line for line in text.splitlines() if line.strip()]
    assert len(rows) == 2 and "连带保证人甲" in rows[1] and "责任类型" in rows[0]
    assert wanted.pk and too_late.pk
    # Another branch's manager sees none of them.
    client.force_login(staff["other_manager"])
    assert "连带保证人甲" not in client.get(reverse(LISTING), filters).content.decode()


def test_a_move_back_without_a_reason_is_refused_with_its_field_no_500(lawyer, case, staff):
    liability_claims_sync(case_ids=[case.pk])
    claim = LiabilityClaim.objects.get(case=case, basis=ObligorBasis.BORROWER)
    liability_claim_move(claim=claim, status=ClaimStatus.SUED, on=date(2024, 5, 1), user=staff["lawyer"])
    response = lawyer.post(
        reverse("recovery_claim_move", args=[claim.pk]), {"status": ClaimStatus.DEMANDED}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "退回或重新开启" in page or "说明" in page
    assert LiabilityClaim.objects.get(pk=claim.pk).status == ClaimStatus.SUED
    response = lawyer.post(
        reverse("recovery_claim_move", args=[claim.pk]), {"status": "bogus", "on": "2024-13-01"}, follow=True
    )
    assert response.status_code == 200
    assert LiabilityClaim.objects.get(pk=claim.pk).status == ClaimStatus.SUED


def test_the_listing_and_its_export_show_the_release_as_the_matrix_does(client, staff, case, co_guarantors):
    kept, lapsed = co_guarantors
    client.force_login(staff["manager"])
    page = client.get(reverse(LISTING), {"basis": ObligorBasis.JOINT_GUARANTOR}).content.decode()
    assert page.count("已免责：保证期间届满") == 1
    export = client.get(reverse(LISTING), {"basis": ObligorBasis.JOINT_GUARANTOR, "export": "csv"})
    rows = {
        line.split(",")[2]: line
        for line in b"".join(export.streaming_content).decode("utf-8-sig").splitlines()[1:]
        if line.strip()
    }
    assert ",40000.00," in rows["保证人甲"] and ",是," not in rows["保证人甲"]
    assert ",0.00," in rows["保证人乙"] and ",是," in rows["保证人乙"]


def test_the_listing_costs_the_same_queries_with_more_co_guarantors(client, staff, make_case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff["manager"])

    def cases_with_guarantors(n: int) -> None:
        for _ in range(n):
            case = make_case(assignee=staff["lawyer"])
            for name in ("甲", "乙", "丙"):
                joint_guarantor(case, case.loans.get(), f"保证人{name}")
            deadlines_recompute(case_ids=[case.pk])
            liability_claims_sync(case_ids=[case.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(LISTING)).status_code == 200
        return len(queries)

    cases_with_guarantors(2)
    few = count()
    cases_with_guarantors(4)
    assert count() == few
