"""CC 561: a payment goes to the costs of realising the claim, then interest (penalty interest
after the ordinary interest), then the principal; what exceeds the debt is the surplus."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.money.allocation import PaymentAllocation, allocate_payment

D = Decimal


@pytest.mark.parametrize(
    ("amount", "owed", "expected"),
    [
        # (costs, interest, penalty, principal) → (costs, interest, penalty, principal, surplus)
        ("0.00", ("100", "200", "50", "1000"), ("0", "0", "0", "0", "0")),
        ("80.00", ("100", "200", "50", "1000"), ("80", "0", "0", "0", "0")),
        ("100.00", ("100", "200", "50", "1000"), ("100", "0", "0", "0", "0")),
        ("250.00", ("100", "200", "50", "1000"), ("100", "150", "0", "0", "0")),
        ("320.00", ("100", "200", "50", "1000"), ("100", "200", "20", "0", "0")),
        ("350.01", ("100", "200", "50", "1000"), ("100", "200", "50", "0.01", "0")),
        ("1350.00", ("100", "200", "50", "1000"), ("100", "200", "50", "1000", "0")),
        ("1500.00", ("100", "200", "50", "1000"), ("100", "200", "50", "1000", "150")),
        # Nothing owed of a part: the payment passes to the next.
        ("500.00", ("0", "0", "0", "800000"), ("0", "0", "0", "500", "0")),
        ("500.00", ("0", "300", "0", "800000"), ("0", "300", "0", "200", "0")),
        # A debt fully paid already: everything is surplus.
        ("12.34", ("0", "0", "0", "0"), ("0", "0", "0", "0", "12.34")),
        # The auction of §6: 1.2m of proceeds on 1m principal, 150k interest, 30k penalty, 20k costs.
        (
            "1200000.00",
            ("20000", "150000", "30000", "1000000"),
            ("20000", "150000", "30000", "1000000", "0"),
        ),
    ],
)
def test_a_payment_is_applied_costs_interest_penalty_principal(amount, owed, expected):
    costs, interest, penalty, principal = (D(v) for v in owed)
    result = allocate_payment(
        D(amount), costs=costs, interest=interest, penalty_interest=penalty, principal=principal
    )
    assert result == PaymentAllocation(*(D(v) for v in expected))
    assert result.applied + result.surplus == D(amount)


@pytest.mark.parametrize(
    ("amount", "costs"),
    [("-0.01", "0"), ("1", "-1"), ("1.001", "0"), ("1", "0.005"), ("NaN", "0"), ("Infinity", "0")],
)
def test_negative_fractional_or_infinite_amounts_are_refused(amount, costs):
    with pytest.raises(ValueError):
        allocate_payment(D(amount), costs=D(costs), interest=D(0), penalty_interest=D(0), principal=D(1))


fen = st.integers(min_value=0, max_value=10**13).map(lambda n: Decimal(n) / 100)


@given(amount=fen, costs=fen, interest=fen, penalty=fen, principal=fen)
def test_the_parts_sum_to_the_payment_none_exceeds_its_debt_and_the_order_holds(
    amount, costs, interest, penalty, principal
):
    result = allocate_payment(
        amount, costs=costs, interest=interest, penalty_interest=penalty, principal=principal
    )
    parts = (result.costs, result.interest, result.penalty_interest, result.principal)
    owed = (costs, interest, penalty, principal)
    assert sum(parts) + result.surplus == amount
    assert all(Decimal(0) <= paid <= due for paid, due in zip(parts, owed, strict=True))
    assert result.surplus >= 0
    # A later part gets anything only once every earlier part is paid in full.
    for index, paid in enumerate(parts):
        if paid > 0:
            assert parts[:index] == owed[:index]
    # There is a surplus only when the whole debt is paid.
    if result.surplus > 0:
        assert parts == owed
    # Every part is whole fen.
    assert all(value == value.quantize(Decimal("0.01")) for value in (*parts, result.surplus))
