"""CC 1159, 1161–1163: who pays a deceased's debts (law.md §7.3, the contract's example, edge cases)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.liability.estate import Debt, EstateFactError, EstateFacts, Recipient, estate_liability

D = Decimal


def test_law_md_example_a_accepts_b_renounces_estate_800k():
    result = estate_liability(
        EstateFacts(
            claimant="我行",
            debts=(Debt("我行", D("1200000.00")),),
            recipients=(
                Recipient("A", "statutory_heir", D("800000.00")),
                Recipient("B", "statutory_heir", renounced=True),
            ),
        )
    )
    assert result.claimant.recoverable == D("800000.00")
    assert result.claimant.shortfall == D("400000.00")
    assert [(part.name, part.amount) for part in result.claimant.from_] == [("A", D("800000.00"))]


def test_contract_example():
    result = estate_liability(
        EstateFacts(
            claimant="我行",
            taxes=D("80000.00"),
            debts=(Debt("我行", D("1200000.00")), Debt("某小贷公司", D("300000.00"))),
            recipients=(
                Recipient("甲", "statutory_heir", D("500000.00")),
                Recipient("乙", "statutory_heir", renounced=True),
                Recipient("丙", "statutory_heir", D("250000.00"), D("150000.00")),
                Recipient("丁", "testamentary_heir", D("600000.00")),
                Recipient("戊", "legatee", D("200000.00")),
            ),
        )
    )
    assert result.available == D("1400000.00")
    assert result.taxes_paid == D("80000.00")
    # 1,320,000 left for 1,500,000 of debts: 88% each.
    assert [d.paid for d in result.debts] == [D("1056000.00"), D("264000.00")]
    # Statutory heirs bear their caps (600,000) first; the 800,000 above falls on 丁 and 戊 (their caps).
    assert [r.bears for r in result.recipients] == [
        D("500000.00"),
        D("0.00"),
        D("100000.00"),
        D("600000.00"),
        D("200000.00"),
    ]
    assert sum(part.amount for part in result.claimant.from_) == result.claimant.recoverable


@pytest.mark.parametrize(
    ("recipients", "recoverable"),
    [
        (
            (
                Recipient("A", "statutory_heir", renounced=True),
                Recipient("B", "statutory_heir", renounced=True),
            ),
            D("0.00"),
        ),
        (
            (Recipient("A", "statutory_heir", D("100.00"), D("300.00")),),
            D("0.00"),
        ),  # protected share above received
        (
            (
                Recipient("A", "statutory_heir", D("0.01")),
                Recipient("B", "statutory_heir", D("0.01")),
                Recipient("C", "statutory_heir", D("0.01")),
            ),
            D("0.03"),
        ),
    ],
)
def test_edge_cases(recipients, recoverable):
    result = estate_liability(
        EstateFacts(claimant="我行", debts=(Debt("我行", D("1000")),), recipients=recipients)
    )
    assert result.claimant.recoverable == recoverable


def test_fen_rounding_goes_to_the_largest_remainder_then_the_earlier():
    result = estate_liability(
        EstateFacts(
            claimant="我行",
            debts=(Debt("我行", D("0.01")), Debt("他行", D("0.01"))),
            recipients=(Recipient("A", "statutory_heir", D("0.01")),),
        )
    )
    assert [d.paid for d in result.debts] == [D("0.01"), D("0.00")]


def test_a_renouncer_who_received_something_is_refused():
    with pytest.raises(EstateFactError) as refused:
        estate_liability(
            EstateFacts(
                claimant="我行",
                debts=(Debt("我行", D("1")),),
                recipients=(Recipient("A", "statutory_heir", D("5"), renounced=True),),
            )
        )
    assert refused.value.field == "recipients[0].received"


money = st.decimals(min_value=0, max_value=10**7, places=2)
kinds = st.sampled_from(["statutory_heir", "testamentary_heir", "legatee"])
recipient = st.tuples(kinds, money, money)


@given(
    debts=st.lists(money, min_size=1, max_size=4),
    people=st.lists(recipient, min_size=1, max_size=5),
    taxes=money,
)
def test_payments_add_up_nobody_bears_more_than_the_cap_and_a_renouncer_changes_nothing(debts, people, taxes):
    facts = EstateFacts(
        claimant="c0",
        taxes=taxes,
        debts=tuple(Debt(f"c{i}", amount) for i, amount in enumerate(debts)),
        recipients=tuple(
            Recipient(f"r{i}", kind, received, protected)
            for i, (kind, received, protected) in enumerate(people)
        ),
    )
    result = estate_liability(facts)
    paid = result.taxes_paid + sum(d.paid for d in result.debts)
    assert sum(r.bears for r in result.recipients) == paid <= result.available
    assert all(r.bears <= r.cap for r in result.recipients)
    assert sum(p.amount for p in result.claimant.from_) == result.claimant.recoverable
    assert all(d.paid + d.shortfall == d.amount for d in result.debts)
    with_renouncer = estate_liability(
        EstateFacts(
            facts.claimant,
            facts.debts,
            (*facts.recipients, Recipient("x", "statutory_heir", renounced=True)),
            facts.taxes,
        )
    )
    assert with_renouncer.claimant.recoverable == result.claimant.recoverable
    assert with_renouncer.claimant.from_ == result.claimant.from_
