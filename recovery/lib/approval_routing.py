"""Who approves a request, by its amount: the branch manager always, the head of recovery as
well above the kind's limit (the bank's delegation of authority; no statute sets it). Pure:
the workflow task asks this and writes the answer into the request's history."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def yuan(amount: Decimal) -> str:
    """¥1,234,567.89 — and ¥500,000 for a whole amount, as approvers read limits."""
    amount = amount.quantize(FEN, rounding=ROUND_HALF_UP)
    if amount == amount.to_integral_value():
        return f"¥{amount:,.0f}"
    return f"¥{amount:,.2f}"


@dataclass(frozen=True)
class ApprovalRoute:
    amount: Decimal
    manager_limit: Decimal

    @property
    def head_needed(self) -> bool:
        # At the limit the manager's approval suffices: the limit is what a manager may approve.
        return self.amount > self.manager_limit

    @property
    def comparison(self) -> str:
        sign = ">" if self.head_needed else "≤"
        return f"{yuan(self.amount)} {sign} {yuan(self.manager_limit)}"


def approval_route(amount: Decimal, *, manager_limit: Decimal) -> ApprovalRoute:
    if amount < 0:
        raise ValueError("An amount to approve is never negative")
    if manager_limit < 0:
        raise ValueError("An approval limit is never negative")
    return ApprovalRoute(amount=amount, manager_limit=manager_limit)
