"""Deadlines on the docket: computed from the recorded facts, recomputed in the transaction of
every fact change, by one service."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from litigation.models import Enforcement, Judgment, Lawsuit, LitigationDeadlineKind
from recovery.models import (
    CaseParty,
    CollectionAction,
    Deadline,
    DeadlineKind,
    HolidayYear,
    Loan,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.services.cases import record_create, record_delete, record_update
from recovery.services.collection import collection_action_record
from recovery.services.deadlines import deadlines_recompute, holiday_year_save
from recovery.services.loan_parties import GuaranteeTerms, case_party_save
from tests.recovery.handover import resident_id

TODAY = date(2024, 6, 1)


def person(name, first17):
    return Party.objects.create(kind=PartyKind.PERSON, name=name, id_number=resident_id(first17))


def limitation_of(case, party=None, contract_no=None):
    rows = Deadline.objects.filter(case=case, kind=DeadlineKind.LIMITATION, party=party or case.debtor)
    if contract_no:
        rows = rows.filter(subject=f"贷款 {contract_no}")
    return rows.get()


@pytest.fixture
def case(make_case, staff):
    case = make_case(assignee=staff["lawyer"])  # one loan due 2023-01-01
    deadlines_recompute(case_ids=[case.pk], today=TODAY)
    return case


def on_loans(case, party, role, *, loans=None, **terms):
    """The party in this role on these loans of the case (all of them by default)."""
    return case_party_save(
        case_party=CaseParty(case=case, party=party, role=role),
        loans=case.loans.all() if loans is None else loans,
        terms=GuaranteeTerms(**terms),
        user=None,
    )


def demand(case, user, **fields):
    values = {"kind": "notice", "acted_on": date(2024, 3, 1)} | fields
    return collection_action_record(action=CollectionAction(case=case, **values), user=user)


def test_a_loan_gets_its_limitation_from_the_due_date(case):
    deadline = limitation_of(case)
    # Due 2023-01-01, three years (CC 188): 2026-01-01 is New Year's Day, a holiday.
    assert (deadline.trigger, deadline.raw_end, deadline.safe_end) == (
        date(2023, 1, 1),
        date(2026, 1, 1),
        date(2025, 12, 31),
    )
    assert deadline.legal_end > deadline.raw_end  # rolled over the holiday (CC 203)
    assert deadline.status == "running" and not deadline.done and not deadline.at_risk
    assert deadline.party_role == PartyRole.BORROWER
    assert any(step["source"].startswith("民法典") for step in deadline.steps)


def test_a_delivered_notice_moves_the_limitation_and_an_undelivered_one_does_not(case, staff):
    demand(case, staff["lawyer"], reached=False)
    assert limitation_of(case).raw_end == date(2026, 1, 1)

    demand(case, staff["lawyer"], reached=True, delivered_on=date(2024, 3, 4), tracking_number="EMS1")
    deadline = limitation_of(case)
    assert deadline.raw_end == date(2027, 3, 4)
    [fact] = deadline.facts
    assert (fact["date"], fact["kind"], fact["proven"]) == ("2024-03-04", "demand_delivered", True)
    assert not deadline.at_risk


def test_a_demand_without_proof_of_delivery_is_at_risk_with_the_conservative_date(case, staff):
    demand(case, staff["lawyer"], reached=True, delivered_on=date(2024, 3, 4))
    deadline = limitation_of(case)
    assert deadline.raw_end == date(2027, 3, 4)
    assert deadline.at_risk and "无送达凭证" in deadline.at_risk_note
    assert deadline.conservative_safe_end == date(2025, 12, 31)


def test_correcting_a_fact_recomputes_and_keeps_the_deadline_id(case, staff):
    action = demand(case, staff["lawyer"], reached=True, delivered_on=date(2024, 3, 4), tracking_number="E1")
    before = limitation_of(case)
    action.delivered_on = date(2024, 5, 6)
    record_update(instance=action, user=staff["lawyer"])
    after = limitation_of(case)
    assert after.pk == before.pk and after.raw_end == date(2027, 5, 6)
    record_delete(instance=action, user=staff["lawyer"])
    assert limitation_of(case).raw_end == date(2026, 1, 1)


def test_co_borrowers_share_interruptions(case, staff):
    co_borrower = person("共同借款人", "31011519850101002")
    on_loans(case, co_borrower, PartyRole.CO_BORROWER)
    demand(
        case,
        staff["lawyer"],
        addressed_to=co_borrower,
        reached=True,
        delivered_on=date(2024, 3, 4),
        tracking_number="E1",
    )
    # 时效规定 15: an interruption against one joint debtor interrupts against the others.
    assert limitation_of(case).raw_end == date(2027, 3, 4)
    assert limitation_of(case, co_borrower).raw_end == date(2027, 3, 4)


def test_a_guarantee_period_is_never_extended_by_acts_against_the_borrower(case, staff):
    guarantor = person("保证人", "31011519700101003")
    on_loans(case, guarantor, PartyRole.GUARANTOR, guarantee_type="joint")
    demand(
        case,
        staff["lawyer"],
        acted_on=date(2023, 3, 1),
        reached=True,
        delivered_on=date(2023, 3, 4),
        tracking_number="E1",
    )
    period = Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTEE_PERIOD, party=guarantor)
    # CC 692: six months from the due date 2023-01-01, whatever was done against the borrower.
    assert period.raw_end == date(2023, 7, 1) and not period.done
    assert not Deadline.objects.filter(kind=DeadlineKind.GUARANTOR_LIMITATION).exists()


def test_a_joint_guarantor_asked_in_time_gets_their_own_limitation(case, staff):
    guarantor = person("保证人", "31011519700101003")
    on_loans(case, guarantor, PartyRole.GUARANTOR, guarantee_type="joint", guarantee_months=12)
    demand(
        case,
        staff["lawyer"],
        addressed_to=guarantor,
        acted_on=date(2023, 8, 28),
        reached=True,
        delivered_on=date(2023, 9, 1),
        tracking_number="E1",
    )
    period = Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTEE_PERIOD, party=guarantor)
    assert period.raw_end == date(2024, 1, 1) and period.done and "连带保证人" in period.done_note
    own = Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTOR_LIMITATION, party=guarantor)
    # CC 694(2): the guarantor's limitation runs from the day they were asked to pay.
    assert (own.trigger, own.raw_end) == (date(2023, 9, 1), date(2026, 9, 1))
    assert any(step["source"] == "民法典第694条第2款" for step in own.steps)
    # The borrower's limitation is untouched by a demand on the guarantor.
    assert limitation_of(case).raw_end == date(2026, 1, 1)


def test_a_general_guarantee_is_preserved_by_suing_the_debtor_in_time(case, staff):
    guarantor = person("保证人", "31011519700101003")
    on_loans(case, guarantor, PartyRole.GUARANTOR, guarantee_type="general")
    record_create(
        instance=Lawsuit(
            case=case,
            court="上海市浦东新区人民法院",
            cause_of_action="金融借款合同纠纷",
            claim_amount=Decimal("80000"),
            filed_on=date(2023, 5, 5),
        ),
        user=staff["lawyer"],
    )
    period = Deadline.objects.get(case=case, kind=DeadlineKind.GUARANTEE_PERIOD, party=guarantor)
    assert period.done and "起诉" in period.done_note
    limitation = limitation_of(case)
    assert limitation.status == "pending_proceedings" and limitation.safe_end is None and limitation.done


def test_a_mortgage_lives_within_the_main_claims_limitation(case, staff):
    mortgagor = person("抵押人", "31011519600101004")
    loan = case.loans.get()
    loan.security_types = "mortgage"
    record_update(instance=loan, user=staff["lawyer"])
    on_loans(case, mortgagor, PartyRole.MORTGAGOR)
    mortgage = Deadline.objects.get(case=case, kind=DeadlineKind.MORTGAGE, party=mortgagor)
    assert mortgage.safe_end == limitation_of(case).safe_end
    assert any(step["source"] == "民法典第419条" for step in mortgage.steps)


def test_judgments_open_appeal_and_enforcement_deadlines(case, staff):
    suit = record_create(
        instance=Lawsuit(
            case=case,
            court="上海市浦东新区人民法院",
            cause_of_action="金融借款合同纠纷",
            claim_amount=Decimal("80000"),
            filed_on=date(2024, 1, 5),
        ),
        user=staff["lawyer"],
    )
    judgment = record_create(
        instance=Judgment(lawsuit=suit, served_on=date(2024, 4, 1), amount_awarded=Decimal("80000")),
        user=staff["lawyer"],
    )
    appeal = Deadline.objects.get(case=case, kind=LitigationDeadlineKind.APPEAL_JUDGMENT)
    assert appeal.raw_end == date(2024, 4, 16) and not appeal.done  # CPL 171: 15 days

    judgment.effective_on = date(2024, 4, 17)
    judgment.performance_deadline = date(2024, 5, 17)
    record_update(instance=judgment, user=staff["lawyer"])
    appeal.refresh_from_db()
    assert appeal.done
    enforcement = Deadline.objects.get(case=case, kind=LitigationDeadlineKind.ENFORCEMENT)
    assert enforcement.raw_end == date(2026, 5, 17) and not enforcement.done  # CPL 250: two years
    assert limitation_of(case).done  # the judgment replaced the limitation period

    record_create(instance=Enforcement(lawsuit=suit, applied_on=date(2024, 6, 3)), user=staff["lawyer"])
    enforcement.refresh_from_db()
    assert enforcement.done and "申请执行" in enforcement.done_note


def test_entering_a_holiday_year_recomputes_its_provisional_deadlines(make_case, staff):
    case = make_case(assignee=staff["lawyer"])
    loan = case.loans.get()
    loan.due_on = date(2027, 10, 1)  # limitation ends 2030-10-01: no official calendar yet
    loan.disbursed_on = date(2026, 1, 1)
    loan.handed_over_on = date(2027, 10, 2)
    record_update(instance=loan, user=staff["manager"])
    deadline = limitation_of(case)
    assert deadline.calendar_provisional
    assert deadline.legal_end == date(2030, 10, 4)  # no notice yet: the statutory 1-3 October are rest days

    holiday_year_save(
        holiday_year=HolidayYear(
            year=2030,
            notice="国务院办公厅关于2030年部分节假日安排的通知",
            holidays="2030-01-01\n2030-09-30..2030-10-07  # 国庆节（假设）",
            make_up_working_days="2030-09-29\n2030-10-12",
        ),
        user=staff["head"],
    )
    deadline.refresh_from_db()
    assert not deadline.calendar_provisional
    assert deadline.legal_end == date(2030, 10, 8)
    assert deadline.safe_end == date(2030, 9, 29)  # a Sunday made a working day by the notice


def test_a_loan_removed_takes_its_deadlines_along(case, staff):
    second = Loan.objects.create(
        case=case,
        contract_no="C-X",
        amount=Decimal("1000"),
        principal_outstanding=Decimal("1000"),
        disbursed_on=date(2022, 1, 1),
        due_on=date(2023, 6, 1),
        handed_over_on=date(2023, 7, 1),
        branch=case.branch,
    )
    deadlines_recompute(case_ids=[case.pk], today=TODAY)
    assert Deadline.objects.filter(case=case, kind=DeadlineKind.LIMITATION).count() == 2
    record_delete(instance=second, user=staff["manager"])
    assert Deadline.objects.filter(case=case, kind=DeadlineKind.LIMITATION).count() == 1


def test_a_failing_recompute_rolls_the_fact_back(case, staff, monkeypatch):
    from recovery.services import deadlines as docket_deadlines

    def broken(*args, **kwargs):
        raise RuntimeError("engine down")

    monkeypatch.setattr(docket_deadlines, "evaluate", broken)
    with pytest.raises(RuntimeError):
        demand(case, staff["lawyer"], reached=True, delivered_on=date(2024, 3, 4))
    assert not CollectionAction.objects.exists()


def test_recompute_command_repairs_one_case_or_all(case, make_case):
    other = make_case()
    Deadline.objects.all().delete()
    out = io.StringIO()
    call_command("recompute_deadlines", "--case", case.number, stdout=out)
    assert "1 cases" in out.getvalue()
    assert set(Deadline.objects.values_list("case_id", flat=True)) == {case.pk}
    call_command("recompute_deadlines", stdout=io.StringIO())
    assert set(Deadline.objects.values_list("case_id", flat=True)) == {case.pk, other.pk}
    out = io.StringIO()
    call_command("recompute_deadlines", stdout=out)
    assert "0 deadlines new, 0 changed" in out.getvalue()


def test_imported_loans_arrive_with_their_deadlines(tmp_path, staff):
    from recovery.services.handover_import import handover_import
    from tests.recovery.services.test_handover_import import row, write_csv

    handover_import(source=write_csv(tmp_path / "h.csv", [row("HT-1"), row("HT-2")]), user=staff["head"])
    kinds = sorted(Deadline.objects.values_list("kind", "subject"))
    # Each row names the guarantor and a mortgaged house: a guarantee and a mortgage (CC 419,
    # the borrower as mortgagor while no other is recorded) per loan.
    assert kinds == [
        ("guarantee_period", "贷款 HT-1"),
        ("guarantee_period", "贷款 HT-2"),
        ("limitation", "贷款 HT-1"),
        ("limitation", "贷款 HT-2"),
        ("mortgage", "贷款 HT-1"),
        ("mortgage", "贷款 HT-2"),
    ]


def test_recomputing_many_cases_costs_the_statements_of_one_chunk(make_case, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few = [make_case(assignee=staff["lawyer"]).pk for _ in range(3)]
    many = few + [make_case(assignee=staff["lawyer"]).pk for _ in range(27)]
    Deadline.objects.all().delete()
    with CaptureQueriesContext(connection) as small:
        deadlines_recompute(case_ids=few, today=TODAY)
    Deadline.objects.all().delete()
    with CaptureQueriesContext(connection) as large:
        deadlines_recompute(case_ids=many, today=TODAY)
    assert len(small) == len(large)
