"""Recording an estate, a loan's extension or a first-recourse exception recomputes the stored
deadlines in the same write (issue 14): the suspension while no heir or administrator is known
(CC 194), a demand on the administrator (总则编解释 38), the guarantee period after an
extension (CC 695) and the general guarantor's own limitation (CC 694; 担保解释 28)."""

from datetime import date
from decimal import Decimal

import pytest

from litigation.models import Enforcement, Judgment, Lawsuit, LitigationDeadlineKind
from recovery.models import (
    CaseParty,
    Deadline,
    DeadlineKind,
    Estate,
    EstateRecipient,
    FirstRecourseException,
    LoanChange,
    PartyRole,
)
from recovery.services.cases import record_create, record_update
from recovery.services.deadlines import deadlines_recompute
from tests.recovery.services.test_deadlines import demand, limitation_of, on_loans, person

# The loan of make_case is due 2023-01-01: limitation to 2026-01-01, its last six months from
# 2025-07-02; a guarantee period of six months to 2023-07-01.
TODAY = date(2025, 12, 1)


@pytest.fixture
def case(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    deadlines_recompute(case_ids=[case.pk], today=TODAY)
    return case


def estate_of(case, user, **fields):
    values = {"deceased": case.debtor, "died_on": date(2025, 8, 1)} | fields
    return record_create(instance=Estate(case=case, **values), user=user)


def recompute(case):
    deadlines_recompute(case_ids=[case.pk], today=TODAY)


def test_a_death_inside_the_last_six_months_suspends_the_borrowers_limitation(case, staff):
    before = limitation_of(case)
    assert before.raw_end == date(2026, 1, 1)
    estate = estate_of(case, staff["lawyer"])
    after = limitation_of(case)
    assert after.pk == before.pk
    assert (after.status, after.act_by) == ("suspended", None)  # nobody determined yet
    assert any("继承开始后未确定继承人或遗产管理人" in step["text"] for step in after.steps)

    administrator = person("遗产管理人", "31011519750101005")
    CaseParty.objects.create(case=case, party=administrator, role=PartyRole.ESTATE_ADMINISTRATOR)
    estate.administrator = administrator
    estate.administrator_kind = "elected"
    estate.administrator_known_on = date(2025, 9, 10)
    record_update(instance=estate, user=staff["lawyer"])
    recompute(case)
    after = limitation_of(case)
    # CC 194: six months after the obstacle was removed.
    assert (after.status, after.raw_end) == ("running", date(2026, 3, 10))
    assert after.act_by == date(2026, 3, 10)  # a Tuesday
    note = next(step for step in after.steps if step["source"] == "民法典第194条第1款第3项")
    assert "2025年8月1日死亡" in note["text"] and "2025年9月10日确定" in note["text"]

    # 总则编解释 38: a demand delivered to the administrator interrupts the deceased's limitation.
    demand(
        case,
        staff["lawyer"],
        addressed_to=administrator,
        acted_on=date(2025, 10, 8),
        reached=True,
        delivered_on=date(2025, 10, 9),
        tracking_number="EMS1",
    )
    recompute(case)
    after = limitation_of(case)
    assert after.raw_end == date(2028, 10, 9)
    assert any("遗产管理人" in fact["label"] and "总则编解释第38条" in fact["label"] for fact in after.facts)


def test_an_heir_accepting_ends_the_suspension(case, staff):
    estate = estate_of(case, staff["lawyer"], died_on=date(2025, 7, 10))
    heir = person("继承人", "31011520000101006")
    CaseParty.objects.create(case=case, party=heir, role=PartyRole.HEIR)
    record_create(
        instance=EstateRecipient(
            estate=estate, party=heir, kind="statutory_heir", accepted_on=date(2025, 8, 20)
        ),
        user=staff["lawyer"],
    )
    recompute(case)
    assert limitation_of(case).raw_end == date(2026, 2, 20)


def test_a_death_long_before_the_last_six_months_changes_no_date(case, staff):
    estate_of(
        case,
        staff["lawyer"],
        died_on=date(2024, 1, 10),
        administrator_kind="civil_affairs",
        administrator_known_on=date(2024, 5, 1),
    )
    recompute(case)
    deadline = limitation_of(case)
    assert deadline.raw_end == date(2026, 1, 1)
    assert any(step["source"] == "民法典第194条" and "不在" in step["text"] for step in deadline.steps)


def test_an_extension_moves_the_guarantee_period_only_for_the_guarantor_who_consented(case, staff):
    loan = case.loans.get()
    consenting = person("同意的保证人", "31011519700101003")
    silent = person("未同意的保证人", "31011519700101011")
    on_loans(case, consenting, PartyRole.GUARANTOR, guarantee_type="joint")
    on_loans(case, silent, PartyRole.GUARANTOR, guarantee_type="joint")
    consenting_link = loan.party_links.get(case_party__party=consenting)
    change = record_create(
        instance=LoanChange(
            loan=loan,
            kind="extension",
            agreed_on=date(2022, 12, 20),
            previous_due_on=date(2023, 1, 1),
            new_due_on=date(2023, 7, 1),
        ),
        user=staff["lawyer"],
        m2m={"consenting_guarantors": [consenting_link]},
    )
    loan.due_on = date(2023, 7, 1)
    record_update(instance=loan, user=staff["lawyer"])
    recompute(case)

    def period(party):
        return Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTEE_PERIOD, party=party)

    assert (period(consenting).trigger, period(consenting).raw_end) == (date(2023, 7, 1), date(2024, 1, 1))
    assert (period(silent).trigger, period(silent).raw_end) == (date(2023, 1, 1), date(2023, 7, 1))
    assert any(step["source"] == "民法典第695条第2款" for step in period(silent).steps)
    assert limitation_of(case).trigger == date(2023, 7, 1)  # the borrower: the current due date

    record_update(instance=change, user=staff["lawyer"], m2m={"consenting_guarantors": []})
    recompute(case)
    assert period(consenting).trigger == date(2023, 1, 1)


def suit_and_enforcement(case, user, *, filed_on, applied_on=None, round_closed_on=None):
    suit = record_create(
        instance=Lawsuit(
            case=case,
            court="上海市浦东新区人民法院",
            cause_of_action="金融借款合同纠纷",
            claim_amount=Decimal("80000"),
            filed_on=filed_on,
            ended_on=date(2023, 9, 1),
        ),
        user=user,
    )
    if applied_on:
        record_create(
            instance=Judgment(
                lawsuit=suit,
                served_on=date(2023, 8, 1),
                effective_on=date(2023, 8, 17),
                performance_deadline=date(2023, 8, 27),
                amount_awarded=Decimal("80000"),
            ),
            user=user,
        )
        record_create(
            instance=Enforcement(lawsuit=suit, applied_on=applied_on, round_closed_on=round_closed_on),
            user=user,
        )
    return suit


def own_limitation(case, party):
    return Deadline.objects.filter(case=case, kind=DeadlineKind.GUARANTOR_LIMITATION, party=party).first()


def test_a_general_guarantors_limitation_runs_from_the_round_closed_or_the_years_mark(case, staff):
    guarantor = person("一般保证人", "31011519700101003")
    on_loans(case, guarantor, PartyRole.GUARANTOR, guarantee_type="general")
    suit_and_enforcement(case, staff["lawyer"], filed_on=date(2023, 5, 5))
    recompute(case)
    assert own_limitation(case, guarantor) is None  # kept, but the defence still stands

    suit = case.lawsuits.get()
    record_create(
        instance=Judgment(
            lawsuit=suit,
            served_on=date(2023, 8, 1),
            effective_on=date(2023, 8, 17),
            performance_deadline=date(2023, 8, 27),
            amount_awarded=Decimal("80000"),
        ),
        user=staff["lawyer"],
    )
    enforcement = record_create(
        instance=Enforcement(lawsuit=suit, applied_on=date(2024, 3, 1)), user=staff["lawyer"]
    )
    recompute(case)
    own = own_limitation(case, guarantor)
    # 担保解释 28(1)(2): no 终本 ruling within a year of 2024-03-01: from 2025-03-01 to 2028-03-01.
    assert (own.trigger, own.raw_end) == (date(2025, 3, 1), date(2028, 3, 1))
    assert any(step["source"] == "担保解释第28条第1款第2项" for step in own.steps)

    enforcement.round_closed_on = date(2024, 4, 10)
    record_update(instance=enforcement, user=staff["lawyer"])
    recompute(case)
    own = own_limitation(case, guarantor)
    # law.md §3.5: the 终本 ruling of 2024-04-10 → raw end 2027-04-10 (a Saturday).
    assert (own.trigger, own.raw_end) == (date(2024, 4, 10), date(2027, 4, 10))
    assert own.act_by == date(2027, 4, 9)


def test_a_recorded_exception_starts_the_general_guarantors_limitation(case, staff):
    guarantor = person("一般保证人", "31011519700101003")
    on_loans(case, guarantor, PartyRole.GUARANTOR, guarantee_type="general")
    suit_and_enforcement(case, staff["lawyer"], filed_on=date(2023, 5, 5))
    link = case.loans.get().party_links.get(case_party__party=guarantor)
    # Written directly: its service (issue 14's liability claims) tells the docket itself.
    FirstRecourseException.objects.create(
        link=link, kind="written_waiver", known_on=date(2023, 6, 1), evidence="保证人书面声明"
    )
    recompute(case)
    own = own_limitation(case, guarantor)
    assert (own.trigger, own.raw_end) == (date(2023, 6, 1), date(2026, 6, 1))
    step = next(step for step in own.steps if step["source"].startswith("担保解释第28条第2款"))
    assert "书面" in step["text"] and "先诉抗辩权消灭" in step["text"]


def test_the_enforcement_deadline_notes_the_judgment_debtors_death(case, staff):
    suit_and_enforcement(case, staff["lawyer"], filed_on=date(2023, 5, 5), applied_on=date(2024, 3, 1))
    estate_of(case, staff["lawyer"], died_on=date(2025, 3, 1))
    recompute(case)
    enforcement = Deadline.objects.get(case=case, kind=LitigationDeadlineKind.ENFORCEMENT)
    assert any(step["source"] == "民事诉讼法第267条第1款第3项" for step in enforcement.steps)


def test_recomputing_cases_with_estates_and_extensions_costs_the_statements_of_one_chunk(make_case, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def with_facts():
        case = make_case(assignee=staff["lawyer"])
        guarantor = person(f"保证人{case.pk}", f"31011519700101{case.pk % 1000:03d}")
        on_loans(case, guarantor, PartyRole.GUARANTOR, guarantee_type="general")
        link = case.loans.get().party_links.get(case_party__party=guarantor)
        change = LoanChange.objects.create(
            loan=case.loans.get(),
            kind="extension",
            agreed_on=date(2022, 12, 1),
            previous_due_on=date(2023, 1, 1),
            new_due_on=date(2023, 4, 1),
        )
        change.consenting_guarantors.add(link)
        FirstRecourseException.objects.create(
            link=link, kind="cannot_pay", known_on=date(2024, 1, 1), evidence="x"
        )
        estate = Estate.objects.create(case=case, deceased=case.debtor, died_on=date(2025, 8, 1))
        EstateRecipient.objects.create(
            estate=estate, party=guarantor, kind="statutory_heir", accepted_on=date(2025, 9, 1)
        )
        return case.pk

    few = [with_facts() for _ in range(2)]
    many = few + [with_facts() for _ in range(6)]
    Deadline.objects.all().delete()
    with CaptureQueriesContext(connection) as small:
        deadlines_recompute(case_ids=few, today=TODAY)
    Deadline.objects.all().delete()
    with CaptureQueriesContext(connection) as large:
        deadlines_recompute(case_ids=many, today=TODAY)
    assert len(small) == len(large)
    assert Deadline.objects.filter(kind=DeadlineKind.LIMITATION, raw_end=date(2026, 3, 1)).count() == len(
        many
    )
