"""The liability matrix's rules, pure: why each kind of obligor answers (and the article), how
much a guarantor or mortgagor can be asked for, and how a claim's status may move.

The vocabulary (bases, statuses) is the values recovery.models stores; a test checks that they
are the same."""

from dataclasses import dataclass
from decimal import Decimal

BORROWER = "borrower"
CO_BORROWER = "co_borrower"
GENERAL_GUARANTOR = "general_guarantor"
JOINT_GUARANTOR = "joint_guarantor"
MORTGAGOR = "mortgagor"
PLEDGOR = "pledgor"
SPOUSE = "spouse"
STATUTORY_HEIR = "statutory_heir"
TESTAMENTARY_HEIR = "testamentary_heir"
LEGATEE = "legatee"
ESTATE_ADMINISTRATOR = "estate_administrator"

NOT_PURSUED, DEMANDED, SUED, JUDGMENT, ENFORCED = "not_pursued", "demanded", "sued", "judgment", "enforced"
SETTLED, RELEASED, TIME_BARRED, UNCOLLECTABLE = "settled", "released", "time_barred", "uncollectable"

# The pursuit in order; a claim moves forward along it, skipping stages when the facts did.
PURSUIT = (NOT_PURSUED, DEMANDED, SUED, JUDGMENT, ENFORCED)
# Where a pursuit ends; it can be reopened (a time-barred debt acknowledged, assets found).
ENDINGS = (SETTLED, RELEASED, TIME_BARRED, UNCOLLECTABLE)
STATUSES = PURSUIT + ENDINGS


@dataclass(frozen=True)
class Basis:
    """Why an obligor answers: the article, and what bounds the liability (Chinese, shown)."""

    article: str
    extent: str


BASES: dict[str, Basis] = {
    # CC 675: the borrower repays the loan on time.
    BORROWER: Basis("民法典第675条", "借款本金、利息及罚息"),
    # CC 518: co-borrowers are jointly liable for the whole debt.
    CO_BORROWER: Basis("民法典第518条", "连带清偿全部借款本息"),
    # CC 687: a general guarantor pays only once enforcement against the debtor has failed.
    GENERAL_GUARANTOR: Basis("民法典第687条", "保证范围内补充清偿；先诉抗辩权消灭前不得单独追索"),
    # CC 688: the creditor may claim against the joint guarantor directly.
    JOINT_GUARANTOR: Basis("民法典第688条", "保证范围内连带清偿"),
    # CC 394, 419: a third-party mortgagor answers only with the mortgaged property.
    MORTGAGOR: Basis("民法典第394条", "仅以抵押财产价值为限"),
    # CC 425: a pledgor answers only with the pledged property.
    PLEDGOR: Basis("民法典第425条", "仅以质押财产价值为限"),
    # CC 1064: the spouse answers for a joint debt of the spouses.
    SPOUSE: Basis("民法典第1064条", "夫妻共同债务，连带清偿"),
    # CC 1161, 1163: a statutory heir answers up to the estate received, and first.
    STATUTORY_HEIR: Basis("民法典第1161条", "以所得遗产实际价值为限，法定继承人先行清偿"),
    # CC 1163: testamentary heirs answer for what the statutory heirs' shares do not cover.
    TESTAMENTARY_HEIR: Basis("民法典第1163条", "以所得遗产为限，清偿法定继承人所得不足部分"),
    # CC 1162, 1163: a legacy cannot prejudice the debts.
    LEGATEE: Basis("民法典第1162条", "以所受遗赠为限，清偿法定继承人所得不足部分"),
    # CC 1145, 1147: the administrator settles the estate's debts; a demand on him interrupts
    # limitation (总则编解释 38); he is personally liable only for intent or gross negligence (CC 1148).
    ESTATE_ADMINISTRATOR: Basis(
        "民法典第1147条", "以遗产清偿；本人仅就故意或重大过失造成的损失担责（民法典第1148条）"
    ),
}

BASIS_VALUES = tuple(BASES)


class StatusMoveRefused(ValueError):
    """A status move the rules do not allow; `reason` says why (Chinese and English)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def status_move_check(current: str, target: str, *, note: str) -> None:
    """Whether a claim may move from `current` to `target`: forward along the pursuit, or to an
    ending, freely; backward or out of an ending (a correction, a reopening) only with a note
    that says why. Raises StatusMoveRefused."""
    if target not in STATUSES:
        raise StatusMoveRefused(f"未知状态 {target!r}（unknown status）")
    if target == current:
        raise StatusMoveRefused("状态未变（the claim already has this status）")
    if status_move_needs_reason(current, target) and not note.strip():
        raise StatusMoveRefused("退回或重新开启须写明原因（say why the claim moves back or reopens）")


def status_move_needs_reason(current: str, target: str) -> bool:
    if target in ENDINGS:
        return current in ENDINGS  # one ending for another is a correction
    if current in ENDINGS:
        return True
    return PURSUIT.index(target) < PURSUIT.index(current)


def guarantor_exposure(
    outstanding: Decimal, *, max_amount: Decimal | None, unconsented_increase: Decimal = Decimal("0")
) -> Decimal:
    """What a guarantor can be asked for on one loan: what is owed, less any increase of the
    debt he did not consent to in writing (CC 695 para 1), and no more than the maximum amount
    he guaranteed (CC 690)."""
    exposure = max(outstanding - unconsented_increase, Decimal("0.00"))
    if max_amount is not None:
        exposure = min(exposure, max_amount)
    return exposure.quantize(Decimal("0.01"))


def collateral_exposure(outstanding: Decimal, *, collateral_expected: Decimal | None) -> Decimal | None:
    """What a mortgagor or pledgor can be made to give up for one loan: what the collateral is
    expected to fetch for us, no more than is owed (CC 394); None when nobody valued it."""
    if collateral_expected is None:
        return None
    return min(outstanding, max(collateral_expected, Decimal("0.00"))).quantize(Decimal("0.01"))
