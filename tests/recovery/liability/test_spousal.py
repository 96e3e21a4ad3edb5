"""CC 1064; 婚姻家庭编解释一 33–36: the spousal-debt assessment, from law.md §7.1 and edge cases."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.liability.spousal import (
    JOINT,
    NEEDS_EVIDENCE,
    PERSONAL,
    SpousalFacts,
    assess_spousal_debt,
)

D = Decimal
MARRIED = date(2015, 6, 1)


@pytest.mark.parametrize(
    ("facts", "classification", "basis"),
    [
        # law.md §7.1: the husband alone borrowed RMB 2m for his sole proprietorship.
        (
            {"incurred_on": date(2022, 4, 1), "amount": D("2000000"), "married_on": MARRIED},
            NEEDS_EVIDENCE,
            "民法典第1064条第2款",
        ),
        (
            {
                "incurred_on": date(2022, 4, 1),
                "amount": D("2000000"),
                "married_on": MARRIED,
                "used_for_joint_business": True,
            },
            JOINT,
            "民法典第1064条第2款",
        ),
        (
            {
                "incurred_on": date(2022, 4, 1),
                "amount": D("2000000"),
                "married_on": MARRIED,
                "spouse_signed": True,
            },
            JOINT,
            "民法典第1064条第1款",
        ),
        (
            {
                "incurred_on": date(2022, 4, 1),
                "amount": D("2000000"),
                "married_on": MARRIED,
                "spouse_ratified": True,
            },
            JOINT,
            "民法典第1064条第1款",
        ),
        (
            {"incurred_on": date(2022, 4, 1), "amount": D("50000.00"), "married_on": MARRIED},
            JOINT,
            "民法典第1064条第1款",
        ),
        (
            {"incurred_on": date(2022, 4, 1), "amount": D("50000.01"), "married_on": MARRIED},
            NEEDS_EVIDENCE,
            "民法典第1064条第2款",
        ),
        (
            {
                "incurred_on": date(2022, 4, 1),
                "amount": D("80000"),
                "married_on": MARRIED,
                "daily_needs_limit": D("100000"),
            },
            JOINT,
            "民法典第1064条第1款",
        ),
        # A debt incurred on the wedding day is incurred during the marriage.
        ({"incurred_on": MARRIED, "amount": D("1000"), "married_on": MARRIED}, JOINT, "民法典第1064条第1款"),
        (
            {"incurred_on": date(2015, 5, 31), "amount": D("1000"), "married_on": MARRIED},
            PERSONAL,
            "婚姻家庭编解释一第33条",
        ),
        (
            {
                "incurred_on": date(2015, 5, 31),
                "amount": D("1000"),
                "married_on": MARRIED,
                "used_for_family_after_marriage": True,
            },
            JOINT,
            "婚姻家庭编解释一第33条",
        ),
        # On the divorce day the marriage has ended.
        (
            {
                "incurred_on": date(2020, 1, 1),
                "amount": D("1000"),
                "married_on": MARRIED,
                "divorced_on": date(2020, 1, 1),
            },
            PERSONAL,
            "民法典第1064条",
        ),
        (
            {
                "incurred_on": date(2022, 4, 1),
                "amount": D("1000"),
                "married_on": MARRIED,
                "spouse_signed": True,
                "fictitious": True,
            },
            PERSONAL,
            "婚姻家庭编解释一第34条",
        ),
        (
            {
                "incurred_on": date(2022, 4, 1),
                "amount": D("1000"),
                "married_on": MARRIED,
                "illegal_purpose": True,
            },
            PERSONAL,
            "婚姻家庭编解释一第34条",
        ),
        ({"incurred_on": date(2022, 4, 1), "amount": D("1000")}, PERSONAL, "民法典第1064条"),
    ],
)
def test_classification_and_deciding_article(facts, classification, basis):
    result = assess_spousal_debt(SpousalFacts(**facts))
    assert result.classification == classification
    assert result.basis[0] == basis
    assert bool(result.missing_evidence) == (classification == NEEDS_EVIDENCE)


def test_a_later_divorce_and_the_spouses_death_leave_a_joint_debt_joint_and_say_so():
    result = assess_spousal_debt(
        SpousalFacts(
            incurred_on=date(2022, 4, 1),
            amount=D("1000"),
            married_on=MARRIED,
            divorced_on=date(2024, 1, 1),
            spouse_died_on=date(2025, 1, 1),
        )
    )
    assert result.classification == JOINT
    sources = [step.source for step in result.steps]
    assert "婚姻家庭编解释一第35条" in sources and "婚姻家庭编解释一第36条" in sources


@given(
    amount=st.decimals(min_value=0, max_value=10**9, places=2),
    limit=st.decimals(min_value=0, max_value=10**6, places=2),
)
def test_spouse_signature_always_makes_a_marital_debt_joint(amount, limit):
    result = assess_spousal_debt(
        SpousalFacts(
            incurred_on=date(2022, 4, 1),
            amount=amount,
            married_on=MARRIED,
            daily_needs_limit=limit,
            spouse_signed=True,
        )
    )
    assert result.classification == JOINT
