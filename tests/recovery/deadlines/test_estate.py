"""A deceased obligor's estate and the deadlines against him: suspension while no heir or
administrator is determined (CC 194 para 1 (三)), interruption by a demand on the administrator
(总则编解释 38 para 2), and the note on enforcement (CPL 267 para 1 (三)). Pure: CaseFacts in,
the stored values out."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.deadlines import EventKind, default_calendar
from recovery.deadlines.docket import CaseFacts, FactEvent, LoanLink, case_specs, evaluate
from recovery.deadlines.estate import (
    ADMINISTRATOR_LABELS,
    ALL_HEIRS,
    HEIR_KINDS,
    EstateFacts,
    HeirFacts,
    administrator_demands,
    enforcement_death_note,
    estate_death,
    estate_events,
    period_events,
)
from recovery.models import AdministratorKind, RecipientKind

BORROWER_ID, CO_BORROWER_ID, GUARANTOR_ID, ADMIN_ID, HEIR_ID, OTHER_HEIR_ID = 10, 11, 12, 20, 21, 22
# law.md §1.4: the period would have ended on 2025-06-30 (due 2022-06-30).
DUE = date(2022, 6, 30)
TODAY = date(2025, 5, 1)


def estate(
    *,
    died_on=date(2025, 2, 1),
    administrator_id=None,
    kind="",
    known_on=None,
    heirs=(),
    deceased_id=BORROWER_ID,
):
    return EstateFacts(
        deceased_id,
        "张三",
        died_on,
        administrator_id,
        "李律师" if administrator_id else "",
        kind,
        known_on,
        tuple(heirs),
    )


def heir(party_id=HEIR_ID, *, accepted_on=None, renounced=False, kind="statutory_heir", name="张小三"):
    return HeirFacts(party_id, name, kind, accepted_on, renounced)


def demand_on(party_id, on, label="催收通知书"):
    return FactEvent(EventKind.DEMAND_DELIVERED, on, f"{label}，{on.isoformat()} 送达", party_id, True, 7)


def facts(the_estate=None, events=(), links=()):
    case = CaseFacts(case_id=1, debtor_id=BORROWER_ID, loans=[("L1", DUE, "")], links=list(links))
    case.events.extend(events)
    if the_estate is not None:
        death = estate_death(the_estate)
        case.deaths.append(death)
        case.events.extend(administrator_demands(the_estate, case.events))
        case.events.extend(estate_events(death))
    return case


def limitation(case, party_id=BORROWER_ID, kind="limitation", today=TODAY):
    spec = next(spec for spec in case_specs(case) if spec.kind == kind and spec.party_id == party_id)
    return evaluate(spec, today=today, calendar=default_calendar())


def test_the_vocabulary_is_the_models():
    assert ALL_HEIRS == AdministratorKind.ALL_HEIRS.value
    assert set(ADMINISTRATOR_LABELS) == set(AdministratorKind.values)
    assert {RecipientKind.STATUTORY_HEIR.value, RecipientKind.TESTAMENTARY_HEIR.value} == HEIR_KINDS


@pytest.mark.parametrize(
    ("died_on", "known_on", "raw_end", "status"),
    [
        # law.md §1.4: death 2025-02-01 inside the last six months, administrator 2025-04-15.
        (date(2025, 2, 1), date(2025, 4, 15), date(2025, 10, 15), "running"),
        # Died and determined before the last six months (from 2025-01-01): no suspension.
        (date(2024, 3, 1), date(2024, 9, 1), date(2025, 6, 30), "running"),
        # Died earlier, but still undetermined inside the last six months: suspended.
        (date(2024, 3, 1), date(2025, 3, 1), date(2025, 9, 1), "running"),
        # Died before the loan fell due: the obstacle exists from the period's first day.
        (date(2022, 1, 10), date(2025, 3, 1), date(2025, 9, 1), "running"),
        # Died before the due date and determined before it: nothing to suspend.
        (date(2022, 1, 10), date(2022, 5, 1), date(2025, 6, 30), "running"),
        # No heir nor administrator ever determined: suspended, no end date yet.
        (date(2025, 2, 1), None, None, "suspended"),
    ],
)
def test_the_deceaseds_limitation_is_suspended_while_nobody_is_determined(died_on, known_on, raw_end, status):
    kind = AdministratorKind.CIVIL_AFFAIRS.value if known_on else ""
    values = limitation(
        facts(
            estate(
                died_on=died_on, administrator_id=ADMIN_ID if known_on else None, kind=kind, known_on=known_on
            )
        )
    )
    assert (values["raw_end"], values["status"]) == (raw_end, status)
    note = next(step for step in values["steps"] if step["source"] == "民法典第194条第1款第3项")
    assert "继承开始后未确定继承人或遗产管理人" in note["text"]
    assert f"{died_on.year}年{died_on.month}月{died_on.day}日死亡" in note["text"]
    if known_on:
        assert f"{known_on.year}年{known_on.month}月{known_on.day}日确定" in note["text"]
    else:
        assert "至今尚未确定" in note["text"] and "民法典第1146条" in note["text"]


def test_the_first_heir_to_accept_ends_the_obstacle_and_renouncers_and_legatees_do_not_count():
    heirs = [
        heir(HEIR_ID, accepted_on=date(2025, 5, 20)),
        heir(OTHER_HEIR_ID, accepted_on=date(2025, 3, 10), renounced=True),
        heir(30, accepted_on=date(2025, 3, 1), kind="legatee"),
    ]
    values = limitation(facts(estate(heirs=heirs, known_on=None)), today=date(2025, 6, 1))
    assert values["raw_end"] == date(2025, 11, 20)
    assert any("继承人张小三接受继承" in step["text"] for step in values["steps"])


def test_an_administrator_known_earlier_than_the_heirs_acceptance_ends_it():
    the_estate = estate(
        administrator_id=ADMIN_ID,
        kind="elected",
        known_on=date(2025, 3, 1),
        heirs=[heir(accepted_on=date(2025, 4, 1))],
    )
    assert limitation(facts(the_estate))["raw_end"] == date(2025, 9, 1)


@pytest.mark.parametrize(
    "the_estate",
    [
        estate(administrator_id=ADMIN_ID, kind="executor", known_on=None),  # administrator, no date
        estate(heirs=[heir(accepted_on=None)]),  # an heir who never renounced, no date
    ],
)
def test_a_determination_without_its_date_counts_no_suspension_and_asks_for_the_date(the_estate):
    values = limitation(facts(the_estate))
    assert values["raw_end"] == date(2025, 6, 30) and values["status"] == "running"
    note = next(step for step in values["steps"] if step["source"] == "民法典第194条第1款第3项")
    assert "按不发生中止保守计算" in note["text"]


def test_a_living_co_borrower_is_not_suspended_by_the_borrowers_death():
    case = facts(
        estate(known_on=None),
        links=[LoanLink(CO_BORROWER_ID, "co_borrower", "L1", pk=5)],
    )
    assert limitation(case)["status"] == "suspended"
    co_borrower = limitation(case, CO_BORROWER_ID)
    assert (co_borrower["status"], co_borrower["raw_end"]) == ("running", date(2025, 6, 30))
    assert not any(step["source"] == "民法典第194条第1款第3项" for step in co_borrower["steps"])


def test_a_co_borrowers_death_suspends_his_own_limitation_only():
    case = facts(
        estate(
            deceased_id=CO_BORROWER_ID, known_on=date(2025, 4, 15), administrator_id=ADMIN_ID, kind="elected"
        ),
        links=[LoanLink(CO_BORROWER_ID, "co_borrower", "L1", pk=5)],
    )
    assert limitation(case, CO_BORROWER_ID)["raw_end"] == date(2025, 10, 15)
    assert limitation(case)["raw_end"] == date(2025, 6, 30)


@pytest.mark.parametrize(
    ("the_estate", "addressed_to", "delivered_on", "raw_end"),
    [
        # 总则编解释 38: a demand on the administrator after the death interrupts: 3 years anew.
        (
            estate(administrator_id=ADMIN_ID, kind="elected", known_on=date(2025, 2, 10)),
            ADMIN_ID,
            date(2025, 3, 3),
            date(2028, 3, 3),
        ),
        # Before he was known as administrator: a letter to a stranger, no effect.
        (
            estate(administrator_id=ADMIN_ID, kind="elected", known_on=date(2025, 3, 10)),
            ADMIN_ID,
            date(2025, 3, 3),
            date(2025, 9, 10),
        ),
        # All heirs administer jointly: a demand on one heir counts.
        (
            estate(kind=ALL_HEIRS, heirs=[heir(accepted_on=date(2025, 2, 20))]),
            HEIR_ID,
            date(2025, 3, 3),
            date(2028, 3, 3),
        ),
        # …but not on an heir who renounced.
        (
            estate(
                kind=ALL_HEIRS,
                known_on=date(2025, 2, 20),
                heirs=[heir(accepted_on=date(2025, 2, 20)), heir(OTHER_HEIR_ID, renounced=True)],
            ),
            OTHER_HEIR_ID,
            date(2025, 3, 3),
            date(2025, 8, 20),
        ),
        # An elected administrator: a demand on an heir is no demand on the administrator.
        (
            estate(
                administrator_id=ADMIN_ID,
                kind="elected",
                known_on=date(2025, 2, 20),
                heirs=[heir(accepted_on=date(2025, 2, 20))],
            ),
            HEIR_ID,
            date(2025, 3, 3),
            date(2025, 8, 20),
        ),
    ],
)
def test_a_demand_on_the_administrator_interrupts_the_deceaseds_limitation(
    the_estate, addressed_to, delivered_on, raw_end
):
    values = limitation(facts(the_estate, [demand_on(addressed_to, delivered_on)]))
    assert values["raw_end"] == raw_end
    interrupted = raw_end == date(2028, 3, 3)
    assert any("视为向张三主张" in fact["label"] for fact in values["facts"]) is interrupted


def test_a_demand_on_the_administrator_before_the_death_is_none():
    the_estate = estate(administrator_id=ADMIN_ID, kind="executor", known_on=date(2025, 2, 1))
    assert administrator_demands(the_estate, [demand_on(ADMIN_ID, date(2025, 1, 5))]) == []


def test_the_mapped_demand_keeps_its_proof_and_action():
    the_estate = estate(administrator_id=ADMIN_ID, kind="executor", known_on=date(2025, 2, 1))
    original = FactEvent(EventKind.DEMAND_DELIVERED, date(2025, 3, 1), "短信", ADMIN_ID, False, 42)
    (mapped,) = administrator_demands(the_estate, [original])
    assert (mapped.against, mapped.proven, mapped.action_id, mapped.on) == (
        BORROWER_ID,
        False,
        42,
        original.on,
    )
    assert "遗产管理人李律师" in mapped.label and "总则编解释第38条第2款" in mapped.label


def test_a_deceased_joint_guarantors_own_limitation_is_suspended_too():
    guarantor = LoanLink(GUARANTOR_ID, "guarantor", "L1", "joint", 12, pk=6)
    the_estate = estate(
        deceased_id=GUARANTOR_ID,
        died_on=date(2025, 4, 1),
        administrator_id=ADMIN_ID,
        kind="elected",
        known_on=date(2025, 6, 1),
    )
    # Asked in time (period to 2023-06-30) on 2022-09-01: his limitation would end 2025-09-01.
    case = facts(the_estate, [demand_on(GUARANTOR_ID, date(2022, 9, 1))], links=[guarantor])
    values = limitation(case, GUARANTOR_ID, "guarantor_limitation", today=date(2025, 7, 1))
    assert values["trigger"] == date(2022, 9, 1)
    assert values["raw_end"] == date(2025, 12, 1)  # six months after 2025-06-01 (CC 194)
    assert any(step["source"] == "民法典第194条第1款第3项" for step in values["steps"])
    # The borrower is alive: his limitation is untouched; the guarantee period never suspends.
    assert limitation(case)["raw_end"] == date(2025, 6, 30)
    assert limitation(case, GUARANTOR_ID, "guarantee_period")["raw_end"] == date(2023, 6, 30)


def test_the_enforcement_note_says_enforcement_is_suspended():
    note = enforcement_death_note(
        estate_death(estate(known_on=date(2025, 4, 15), administrator_id=ADMIN_ID, kind="elected"))
    )
    assert note["source"] == "民事诉讼法第267条第1款第3项"
    assert "中止执行" in note["text"] and "2025年4月15日确定" in note["text"]


def test_period_events_move_an_obstacle_open_at_the_start_and_drop_one_removed_before():
    start = FactEvent(EventKind.OBSTACLE_STARTED, date(2020, 1, 1), "死亡", BORROWER_ID)
    end = FactEvent(EventKind.OBSTACLE_ENDED, date(2023, 1, 1), "确定", BORROWER_ID)
    moved = period_events([start, end], date(2022, 6, 30))
    assert [(event.kind, event.on) for event in moved] == [
        (EventKind.OBSTACLE_STARTED, date(2022, 7, 1)),
        (EventKind.OBSTACLE_ENDED, date(2023, 1, 1)),
    ]
    assert period_events([start, end], date(2023, 1, 1)) == []


obstacle_days = st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=200, deadline=None)
@given(died_on=obstacle_days, lasted=st.one_of(st.none(), st.integers(0, 1500)))
def test_a_death_never_shortens_the_limitation_and_never_ends_it_while_undetermined(died_on, lasted):
    known_on = died_on + timedelta(days=lasted) if lasted is not None else None
    without = limitation(facts(), today=date(2027, 1, 1))
    admin = ADMIN_ID if known_on else None
    kind = "elected" if known_on else ""
    values = limitation(
        facts(estate(died_on=died_on, known_on=known_on, administrator_id=admin, kind=kind)),
        today=date(2027, 1, 1),
    )
    if values["raw_end"] is None:
        assert known_on is None and died_on <= without["raw_end"]
    else:
        assert values["raw_end"] >= without["raw_end"]
    if known_on is None and died_on <= date(2025, 6, 30):
        assert values["status"] == "suspended"
