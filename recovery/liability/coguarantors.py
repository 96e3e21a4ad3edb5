"""Co-guarantors of one loan (担保解释 13, 29): acting against one guarantor within the guarantee
period does not preserve the guarantee against the others; a guarantor whose period lapsed is
released (CC 693), and where the guarantors have recourse against one another, the others are
released in turn from the share they can no longer recover from him.

Pure: no Django. Money in whole fen; what we may still ask for is rounded down, never up."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CoGuarantor:
    name: str
    exposure: Decimal  # what he could be asked for on the loan before any release (caps applied)
    period_lapsed: bool  # his guarantee period ended without what preserves it (CC 693)
    recourse: bool  # has recourse against the loan's other guarantors (担保解释 13)


@dataclass(frozen=True)
class CoGuarantorStep:
    source: str
    text: str


@dataclass(frozen=True)
class CoGuarantorOutcome:
    name: str
    released: bool
    exposure: Decimal  # what we may still ask him for on the loan
    reduced_by: Decimal  # what the release of the others takes off (担保解释 29 para 2)
    released_with: tuple[str, ...]  # the released co-guarantors whose share he no longer bears
    steps: tuple[CoGuarantorStep, ...]


def co_guarantor_outcomes(guarantors: Sequence[CoGuarantor]) -> tuple[CoGuarantorOutcome, ...]:
    """For each guarantor of one loan, in input order: released or not, and what we may still
    ask him for once the released ones are taken into account.

    A remaining guarantor with recourse bears, against each released one with recourse, that
    one's proportional share of what he pays (担保解释 13: shares in proportion to what each
    guaranteed, here their exposures); he is released from it (担保解释 29 para 2)."""
    if len({guarantor.name for guarantor in guarantors}) != len(guarantors):
        raise ValueError("co-guarantors' names must be unique")
    pool = [guarantor for guarantor in guarantors if guarantor.recourse]
    pool_weight = sum((max(guarantor.exposure, ZERO) for guarantor in pool), ZERO)
    return tuple(_outcome(guarantor, guarantors, pool_weight) for guarantor in guarantors)


def _outcome(
    guarantor: CoGuarantor, everyone: Sequence[CoGuarantor], pool_weight: Decimal
) -> CoGuarantorOutcome:
    exposure = max(guarantor.exposure, ZERO)
    if guarantor.period_lapsed:
        return CoGuarantorOutcome(
            name=guarantor.name,
            released=True,
            exposure=ZERO,
            reduced_by=exposure.quantize(FEN),
            released_with=(),
            steps=(
                CoGuarantorStep(
                    "民法典第693条",
                    f"保证期间内未依法向{guarantor.name}主张权利（连带保证：请求保证人承担；"
                    "一般保证：对债务人起诉或仲裁），其不再承担保证责任",
                ),
                CoGuarantorStep(
                    "担保解释第29条第1款", "已向其他保证人行使权利的，不视为已向该保证人行使权利"
                ),
            ),
        )
    lapsed = [other for other in everyone if other.period_lapsed and other.name != guarantor.name]
    if not lapsed:
        return CoGuarantorOutcome(guarantor.name, False, exposure.quantize(FEN), ZERO, (), ())
    gone = [other for other in lapsed if other.recourse] if guarantor.recourse else []
    steps = [
        CoGuarantorStep(
            "担保解释第29条第1款",
            f"共同保证人{'、'.join(other.name for other in lapsed)}的保证期间已届满且未被主张，"
            f"对其行使的权利不及于{guarantor.name}，反之亦然：须在{guarantor.name}本人的保证期间内向其主张",
        )
    ]
    if not gone or pool_weight <= 0:
        steps.append(
            CoGuarantorStep(
                "担保解释第13条",
                f"{guarantor.name}与其无相互追偿权（未约定追偿或连带共同担保，也未在同一份合同书上签章），"
                "其保证责任不因此减少",
            )
        )
        return CoGuarantorOutcome(guarantor.name, False, exposure.quantize(FEN), ZERO, (), tuple(steps))
    share = sum((max(other.exposure, ZERO) for other in gone), ZERO) / pool_weight
    # Rounded down: we never ask for a fen of the share he can no longer recover.
    remaining = max(exposure - exposure * share, ZERO).quantize(FEN, rounding=ROUND_DOWN)
    reduced_by = (exposure - remaining).quantize(FEN)
    steps.append(
        CoGuarantorStep(
            "担保解释第13条",
            f"保证人之间相互有追偿权，按担保数额比例分担：{'、'.join(other.name for other in gone)}"
            f"应分担的比例合计为 {share:.4%}",
        )
    )
    steps.append(
        CoGuarantorStep(
            "担保解释第29条第2款",
            f"债权人未在保证期间内向其主张权利，致{guarantor.name}承担保证责任后丧失对其追偿权，"
            f"{guarantor.name}可在不能追偿的范围内（{reduced_by} 元）免除保证责任；"
            f"仍可向其主张 {remaining} 元",
        )
    )
    return CoGuarantorOutcome(
        name=guarantor.name,
        released=False,
        exposure=remaining,
        reduced_by=reduced_by,
        released_with=tuple(other.name for other in gone),
        steps=tuple(steps),
    )
