"""A guarantor's deadlines after a loan was extended (CC 695 para 2) and once a general
guarantor's first-recourse defence is gone (CC 694 para 1; 担保解释 28). Pure."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.deadlines import EventKind, default_calendar
from recovery.deadlines.docket import CaseFacts, FactEvent, LoanLink, case_specs, evaluate
from recovery.deadlines.facts import LoanExtension
from recovery.deadlines.guarantee import (
    EXCEPTION_LABELS,
    enforcement_recourse_end,
    exception_recourse_end,
    guarantee_trigger,
)
from recovery.models import FirstRecourseExceptionKind

BORROWER_ID, GUARANTOR_ID, LINK_ID, OTHER_LINK_ID = 10, 12, 6, 7
JOINT = LoanLink(GUARANTOR_ID, "guarantor", "L1", "joint", None, pk=LINK_ID)
GENERAL = LoanLink(GUARANTOR_ID, "guarantor", "L1", "general", None, pk=LINK_ID)


def test_the_exceptions_are_the_models_kinds():
    assert set(EXCEPTION_LABELS) == set(FirstRecourseExceptionKind.values)


def extension(agreed_on, previous, new, consenting=(), pk=1):
    return LoanExtension("L1", agreed_on, previous, new, frozenset(consenting), pk)


# law.md §3.3: loan due 2021-03-15, no agreed period: the guarantee period ends 2021-09-15.
D0, D1, D2 = date(2021, 3, 15), date(2021, 9, 15), date(2022, 3, 15)
FIRST = extension(date(2021, 3, 1), D0, D1, pk=1)
SECOND = extension(date(2021, 9, 1), D1, D2, pk=2)


@pytest.mark.parametrize(
    ("extensions", "trigger", "source"),
    [
        ([], D2, None),  # no extension: the loan's (current) due date
        ([FIRST], D0, "民法典第695条第2款"),  # extended without consent: the original date
        ([extension(date(2021, 3, 1), D0, D1, {LINK_ID})], D1, "民法典第695条第2款"),  # consented
        (
            [extension(date(2021, 3, 1), D0, D1, {OTHER_LINK_ID})],
            D0,
            "民法典第695条第2款",
        ),  # another's consent
        # Two extensions, consent to the second only: he agreed to the due date it sets.
        ([FIRST, extension(date(2021, 9, 1), D1, D2, {LINK_ID}, pk=2)], D2, "民法典第695条第2款"),
        # Consent to the first only: the second (unconsented) does not move it further.
        ([extension(date(2021, 3, 1), D0, D1, {LINK_ID}), SECOND], D1, "民法典第695条第2款"),
        # Given in any order: chain order is the agreement dates'.
        ([SECOND, FIRST], D0, "民法典第695条第2款"),
        # Consent given after his period (from D0, to 2021-09-15) had ended revives nothing.
        ([FIRST, extension(date(2021, 10, 1), D1, D2, {LINK_ID}, pk=2)], D0, "担保解释第34条第2款"),
        # The original due date not recorded: counted from the day the extension was agreed.
        ([extension(date(2021, 3, 1), None, D1)], date(2021, 3, 1), "民法典第695条第2款"),
    ],
)
def test_the_guarantee_period_moves_only_with_the_guarantors_written_consent(extensions, trigger, source):
    result = guarantee_trigger(D2, extensions, JOINT)
    assert result.on == trigger
    if source is None:
        assert result.notes == []
    else:
        assert any(note["source"] == source for note in result.notes)


def test_the_steps_say_which_extension_he_consented_to():
    result = guarantee_trigger(D2, [FIRST, extension(date(2021, 9, 1), D1, D2, {LINK_ID}, pk=2)], JOINT)
    texts = [note["text"] for note in result.notes]
    assert "第1次展期" in texts[0] and "未经该保证人书面同意" in texts[0] and "2021年3月15日" in texts[0]
    assert "第2次展期" in texts[1] and "经该保证人书面同意" in texts[1] and "2022年3月15日" in texts[1]


def case(links=(GENERAL,), extensions=(), events=(), ends=(), due_on=D1):
    facts = CaseFacts(case_id=1, debtor_id=BORROWER_ID, loans=[("L1", due_on, "")], links=list(links))
    facts.loan_extensions.extend(extensions)
    facts.events.extend(events)
    facts.first_recourse_ends.extend(ends)
    return facts


def values(facts, kind, party_id=GUARANTOR_ID, today=date(2024, 6, 1)):
    specs = [spec for spec in case_specs(facts) if spec.kind == kind and spec.party_id == party_id]
    return [evaluate(spec, today=today, calendar=default_calendar()) for spec in specs]


def test_an_unconsented_extension_leaves_the_period_at_the_original_date_and_the_borrower_at_the_new():
    facts = case(links=(JOINT,), extensions=[FIRST])
    (period,) = values(facts, "guarantee_period")
    assert (period["trigger"], period["raw_end"]) == (D0, date(2021, 9, 15))
    assert any(step["source"] == "民法典第695条第2款" for step in period["steps"])
    (borrower,) = values(facts, "limitation", BORROWER_ID)
    assert borrower["trigger"] == D1  # the borrower's limitation runs from the current due date


def test_a_demand_after_the_original_period_keeps_nothing_without_consent():
    demand = FactEvent(EventKind.DEMAND_DELIVERED, date(2021, 12, 1), "催收函", GUARANTOR_ID)
    assert values(case(links=(JOINT,), extensions=[FIRST], events=[demand]), "guarantor_limitation") == []
    consented = [extension(date(2021, 3, 1), D0, D1, {LINK_ID})]
    (own,) = values(case(links=(JOINT,), extensions=consented, events=[demand]), "guarantor_limitation")
    assert own["trigger"] == date(2021, 12, 1)


SUIT = FactEvent(EventKind.SUIT_FILED, date(2022, 1, 5), "起诉 浦东法院（2022-01-05）")


@pytest.mark.parametrize(
    ("ends", "trigger", "raw_end", "source"),
    [
        # law.md §3.5: the 终本 ruling served on 2024-04-10 → 2027-04-10.
        (
            [
                enforcement_recourse_end(
                    applied_on=date(2023, 9, 1), round_closed_on=date(2024, 4, 10), label="执"
                )
            ],
            date(2024, 4, 10),
            date(2027, 4, 10),
            "担保解释第28条第1款第1项",
        ),
        # law.md §3.5: no 终本, application received 2024-03-01 → starts 2025-03-01, ends 2028-03-01.
        (
            [enforcement_recourse_end(applied_on=date(2024, 3, 1), round_closed_on=None, label="执")],
            date(2025, 3, 1),
            date(2028, 3, 1),
            "担保解释第28条第1款第2项",
        ),
        # A 终本 ruling more than a year after the application: the year's mark came first.
        (
            [
                enforcement_recourse_end(
                    applied_on=date(2023, 3, 1), round_closed_on=date(2024, 6, 1), label="执"
                )
            ],
            date(2024, 3, 1),
            date(2027, 3, 1),
            "担保解释第28条第1款第2项",
        ),
        # A CC 687 exception known earlier than enforcement ended: from the day it was known.
        (
            [
                enforcement_recourse_end(
                    applied_on=date(2023, 9, 1), round_closed_on=date(2024, 4, 10), label="执"
                ),
                exception_recourse_end(
                    link_id=LINK_ID, kind="bankruptcy_accepted", known_on=date(2023, 5, 8)
                ),
            ],
            date(2023, 5, 8),
            date(2026, 5, 8),
            "担保解释第28条第2款；民法典第687条第2款",
        ),
        # A written waiver likewise.
        (
            [exception_recourse_end(link_id=LINK_ID, kind="written_waiver", known_on=date(2022, 2, 1))],
            date(2022, 2, 1),
            date(2025, 2, 1),
            "担保解释第28条第2款；民法典第687条第2款",
        ),
        # Another guarantor's exception is not his.
        (
            [exception_recourse_end(link_id=OTHER_LINK_ID, kind="written_waiver", known_on=date(2022, 2, 1))],
            None,
            None,
            None,
        ),
        # Known before the debt fell due: his limitation runs from the due date.
        (
            [exception_recourse_end(link_id=LINK_ID, kind="debtor_missing", known_on=date(2021, 6, 1))],
            D1,
            date(2024, 9, 15),
            "担保解释第28条第2款；民法典第687条第2款",
        ),
    ],
)
def test_a_general_guarantor_kept_in_time_gets_his_limitation_once_his_defence_is_gone(
    ends, trigger, raw_end, source
):
    # Loan due 2021-09-15; period to 2022-03-15; the suit on 2022-01-05 kept it (CC 693 para 1).
    own = values(case(events=[SUIT], ends=ends), "guarantor_limitation")
    (period,) = values(case(events=[SUIT], ends=ends), "guarantee_period")
    assert period["done"]
    if trigger is None:
        assert own == []
        assert any(step["source"] == "民法典第694条第1款" for step in period["steps"])
        return
    (own,) = own
    assert (own["trigger"], own["raw_end"]) == (trigger, raw_end)
    step = next(step for step in own["steps"] if step["source"] == source)
    assert "先诉抗辩权消灭" in step["text"] and "起诉 浦东法院" in step["text"]


def test_a_general_guarantor_not_kept_in_time_gets_no_limitation_even_with_an_exception():
    late_suit = FactEvent(EventKind.SUIT_FILED, date(2022, 4, 1), "起诉（2022-04-01）")
    waiver = exception_recourse_end(link_id=LINK_ID, kind="written_waiver", known_on=date(2021, 10, 1))
    facts = case(events=[late_suit], ends=[waiver])
    assert values(facts, "guarantor_limitation") == []
    (period,) = values(facts, "guarantee_period")
    assert not period["done"]
    assert any(step["source"] == "民法典第693条第1款" for step in period["steps"])


def test_a_demand_on_the_general_guarantor_interrupts_his_own_limitation():
    ends = [
        enforcement_recourse_end(applied_on=date(2023, 9, 1), round_closed_on=date(2024, 4, 10), label="执")
    ]
    demand = FactEvent(EventKind.DEMAND_DELIVERED, date(2025, 1, 6), "催收函", GUARANTOR_ID)
    (own,) = values(case(events=[SUIT, demand], ends=ends), "guarantor_limitation")
    assert own["raw_end"] == date(2028, 1, 6)


days = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def chains(draw):
    start = draw(days)
    steps = draw(st.lists(st.tuples(st.integers(1, 400), st.integers(-30, 30), st.booleans()), max_size=4))
    extensions, due = [], start
    for pk, (length, agreed_offset, consented) in enumerate(steps, start=1):
        new = due + timedelta(days=length)
        agreed = due + timedelta(days=agreed_offset)
        extensions.append(extension(agreed, due, new, {LINK_ID} if consented else (), pk))
        due = new
    return start, extensions


@settings(max_examples=300, deadline=None)
@given(chain=chains())
def test_the_trigger_is_the_original_date_or_a_consented_new_date(chain):
    original, extensions = chain
    current = extensions[-1].new_due_on if extensions else original
    result = guarantee_trigger(current, extensions, JOINT)
    consented = {ext.new_due_on for ext in extensions if LINK_ID in ext.consenting}
    assert result.on == original or result.on in consented
    # Nobody's consent: never moved. The loan's other guarantors' consent changes nothing for him.
    unconsented = [extension(e.agreed_on, e.previous_due_on, e.new_due_on, (), e.pk) for e in extensions]
    assert guarantee_trigger(current, unconsented, JOINT).on == original
    others = [
        extension(e.agreed_on, e.previous_due_on, e.new_due_on, {OTHER_LINK_ID}, e.pk) for e in extensions
    ]
    assert guarantee_trigger(current, others, JOINT).on == original
