"""Who pays a deceased borrower's debts, and how much: CC 1159, 1161–1163; 继承编解释一 32–37
(contract: estate-liability.md). Money in whole fen, every split exact."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

STATUTORY_HEIR, TESTAMENTARY_HEIR, LEGATEE = "statutory_heir", "testamentary_heir", "legatee"
RECIPIENT_KINDS = (STATUTORY_HEIR, TESTAMENTARY_HEIR, LEGATEE)
_KIND_NAMES = {STATUTORY_HEIR: "法定继承人", TESTAMENTARY_HEIR: "遗嘱继承人", LEGATEE: "受遗赠人"}


class EstateFactError(ValueError):
    """Facts the rules cannot hold (a renouncer who received something, an unknown kind)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Debt:
    creditor: str
    amount: Decimal


@dataclass(frozen=True)
class Recipient:
    name: str
    kind: str
    received: Decimal = Decimal("0")
    protected: Decimal = Decimal("0")
    renounced: bool = False


@dataclass(frozen=True)
class EstateFacts:
    claimant: str
    debts: tuple[Debt, ...]
    recipients: tuple[Recipient, ...]
    taxes: Decimal = Decimal("0")


@dataclass(frozen=True)
class EstateStep:
    source: str
    text: str


@dataclass(frozen=True)
class RecipientShare:
    name: str
    kind: str
    cap: Decimal
    bears: Decimal


@dataclass(frozen=True)
class DebtPayment:
    creditor: str
    amount: Decimal
    paid: Decimal
    shortfall: Decimal


@dataclass(frozen=True)
class ClaimantPart:
    name: str
    amount: Decimal


@dataclass(frozen=True)
class ClaimantResult:
    creditor: str
    recoverable: Decimal
    shortfall: Decimal
    from_: tuple[ClaimantPart, ...]


@dataclass(frozen=True)
class EstateLiability:
    available: Decimal
    taxes_paid: Decimal
    recipients: tuple[RecipientShare, ...]
    debts: tuple[DebtPayment, ...]
    claimant: ClaimantResult
    steps: tuple[EstateStep, ...]


def _fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _text(fen: int) -> str:
    whole, cents = divmod(fen, 100)
    return f"{whole:,}.{cents:02d}元"


def split_pro_rata(available: int, weights: Sequence[int]) -> list[int]:
    """`available` fen shared in proportion to `weights`, rounded down to the fen, the leftover
    fen one each to the largest remainders (ties: earlier first), so the shares add up exactly."""
    total = sum(weights)
    if total == 0 or available == 0:
        return [0] * len(weights)
    shares, remainders = [], []
    for weight in weights:
        share, remainder = divmod(available * weight, total)
        shares.append(share)
        remainders.append(remainder)
    leftover = available - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: -remainders[i])[:leftover]:
        shares[index] += 1
    return shares


def estate_fact_errors(recipient: Recipient) -> list[tuple[str, str]]:
    """What is wrong with one recipient's facts (field, message)."""
    errors = []
    if recipient.kind not in RECIPIENT_KINDS:
        errors.append(("kind", f"must be one of {', '.join(RECIPIENT_KINDS)}, got {recipient.kind!r}"))
    if recipient.renounced and recipient.received > 0:
        # CC 1161: whoever renounced received nothing from the estate.
        errors.append(("received", "a recipient who renounced cannot have received anything"))
    return errors


def estate_liability(facts: EstateFacts) -> EstateLiability:
    for index, recipient in enumerate(facts.recipients):
        for name, message in estate_fact_errors(recipient):
            raise EstateFactError(f"recipients[{index}].{name}", message)
    if facts.claimant not in {debt.creditor for debt in facts.debts}:
        raise EstateFactError("claimant", "must be the creditor of one of the debts")
    steps: list[EstateStep] = []
    # CC 1159, 1161: each answers up to what he received, less a dependant's protected share.
    caps = [0 if r.renounced else max(_fen(r.received) - _fen(r.protected), 0) for r in facts.recipients]
    available = sum(caps)
    renouncers = [r.name for r in facts.recipients if r.renounced]
    steps.append(
        EstateStep(
            "民法典第1161条",
            f"各继承人、受遗赠人以所得遗产实际价值为限清偿（扣除为缺乏劳动能力又无生活来源的继承人保留的必要遗产），"
            f"可供清偿的遗产合计 {_text(available)}"
            + (f"；{'、'.join(renouncers)} 已放弃继承，不负清偿责任" if renouncers else "")
            + "。",
        )
    )
    taxes = _fen(facts.taxes)
    taxes_paid = min(taxes, available)
    if taxes:
        steps.append(
            EstateStep(
                "税收征收管理法第45条",
                f"先清偿被继承人欠缴税款 {_text(taxes)}，实际清偿 {_text(taxes_paid)}。",
            )
        )
    remaining = available - taxes_paid
    amounts = [_fen(debt.amount) for debt in facts.debts]
    if remaining >= sum(amounts):
        paid = amounts
        steps.append(
            EstateStep(
                "民法典第1159条", f"剩余遗产 {_text(remaining)} 足以清偿全部债务 {_text(sum(amounts))}。"
            )
        )
    else:
        paid = split_pro_rata(remaining, amounts)
        steps.append(
            EstateStep(
                "民法典第1159条",
                f"剩余遗产 {_text(remaining)} 不足以清偿全部债务 {_text(sum(amounts))}，"
                "各普通债权人按债权比例受偿。",
            )
        )
    total_paid = taxes_paid + sum(paid)
    bears = _bearing(facts.recipients, caps, total_paid, steps)
    ours_paid = sum(p for p, debt in zip(paid, facts.debts, strict=True) if debt.creditor == facts.claimant)
    ours_amount = sum(
        a for a, debt in zip(amounts, facts.debts, strict=True) if debt.creditor == facts.claimant
    )
    parts = split_pro_rata(ours_paid, bears)
    steps.append(
        EstateStep(
            "民法典第1161条",
            f"{facts.claimant}可受偿 {_text(ours_paid)}，按各人承担额向其主张；"
            f"不能受偿 {_text(ours_amount - ours_paid)}"
            + ("，列为核销候选。" if ours_amount > ours_paid else "。"),
        )
    )
    return EstateLiability(
        available=_yuan(available),
        taxes_paid=_yuan(taxes_paid),
        recipients=tuple(
            RecipientShare(r.name, r.kind, _yuan(cap), _yuan(bear))
            for r, cap, bear in zip(facts.recipients, caps, bears, strict=True)
        ),
        debts=tuple(
            DebtPayment(debt.creditor, _yuan(amount), _yuan(p), _yuan(amount - p))
            for debt, amount, p in zip(facts.debts, amounts, paid, strict=True)
        ),
        claimant=ClaimantResult(
            creditor=facts.claimant,
            recoverable=_yuan(ours_paid),
            shortfall=_yuan(ours_amount - ours_paid),
            from_=tuple(
                ClaimantPart(r.name, _yuan(part))
                for r, part in zip(facts.recipients, parts, strict=True)
                if part
            ),
        ),
        steps=tuple(steps),
    )


def _bearing(
    recipients: Sequence[Recipient], caps: list[int], total_paid: int, steps: list[EstateStep]
) -> list[int]:
    """CC 1163: statutory heirs bear what is paid first, pro rata to their caps; the excess falls
    on testamentary heirs and legatees together, pro rata to theirs."""
    statutory = [i for i, r in enumerate(recipients) if r.kind == STATUTORY_HEIR]
    others = [i for i, r in enumerate(recipients) if r.kind != STATUTORY_HEIR]
    first = min(total_paid, sum(caps[i] for i in statutory))
    bears = [0] * len(recipients)
    for index, share in zip(statutory, split_pro_rata(first, [caps[i] for i in statutory]), strict=True):
        bears[index] = share
    rest = total_paid - first
    for index, share in zip(others, split_pro_rata(rest, [caps[i] for i in others]), strict=True):
        bears[index] = share
    steps.append(
        EstateStep(
            "民法典第1163条",
            f"清偿总额 {_text(total_paid)}：法定继承人先按所得比例承担 {_text(first)}"
            + (f"，超出部分 {_text(rest)} 由遗嘱继承人和受遗赠人按所得比例承担" if rest else "")
            + "。",
        )
    )
    return bears


def kind_name(kind: str) -> str:
    return _KIND_NAMES.get(kind, kind)
