"""How a payment received on a loan discharges it, in whole fen (0.01 yuan)."""

# CC 561: a payment short of the whole debt goes first to the costs of realising the claim
# (实现债权的有关费用), then to interest (利息), then to the principal debt (主债务).

from dataclasses import dataclass
from decimal import Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PaymentAllocation:
    """What a payment paid of each part of the debt, and what was left over (`surplus`)."""

    costs: Decimal
    interest: Decimal
    penalty_interest: Decimal
    principal: Decimal
    surplus: Decimal

    @property
    def applied(self) -> Decimal:
        """What the payment discharged (all of it but the surplus)."""
        return self.costs + self.interest + self.penalty_interest + self.principal


def _checked(name: str, value: Decimal) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{name} must be a finite Decimal, not {value!r}")
    if value < 0:
        raise ValueError(f"{name} cannot be negative: {value}")
    if value != value.quantize(FEN):
        raise ValueError(f"{name} must be in whole fen (two decimal places): {value}")
    return value.quantize(FEN)


def allocate_payment(
    amount: Decimal, *, costs: Decimal, interest: Decimal, penalty_interest: Decimal, principal: Decimal
) -> PaymentAllocation:
    """Apply `amount` to what is owed, part by part: costs, interest, penalty interest, principal.

    Penalty interest (罚息, the overdue rate) is interest in law, so it is paid before the
    principal (CC 561); it comes after the ordinary interest because that fell due first, and
    among debts of one kind the one due first is discharged first (CC 560 para 2). What exceeds
    the whole debt is the surplus, owed back to whoever paid. Every amount is in whole fen and
    never negative (ValueError otherwise)."""
    remaining = _checked("amount", amount)
    owed = (
        ("costs", _checked("costs", costs)),
        ("interest", _checked("interest", interest)),
        ("penalty_interest", _checked("penalty_interest", penalty_interest)),
        ("principal", _checked("principal", principal)),
    )
    paid: dict[str, Decimal] = {}
    for name, due in owed:
        paid[name] = min(remaining, due)
        remaining -= paid[name]
    return PaymentAllocation(**paid, surplus=remaining)
