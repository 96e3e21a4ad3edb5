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
    text: str  # the legal reasoning in Chinese, as the deadline engine's steps
    text_en: str  # an English gloss for English readers

    def for_reader(self, language: str) -> str:
        text = self.text_en if language.startswith("en") else self.text
        return f"{text} ({self.source})" if language.startswith("en") else f"{text}（{self.source}）"


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
                    f"Nothing that preserves the guarantee was done against {guarantor.name} within "
                    "his guarantee period (joint: a demand on him; general: a suit or arbitration "
                    "against the debtor): he is released",
                ),
                CoGuarantorStep(
                    "担保解释第29条第1款",
                    "已向其他保证人行使权利的，不视为已向该保证人行使权利",
                    "Acting against the other guarantors did not preserve the guarantee against him",
                ),
            ),
        )
    lapsed = [other for other in everyone if other.period_lapsed and other.name != guarantor.name]
    if not lapsed:
        return CoGuarantorOutcome(guarantor.name, False, exposure.quantize(FEN), ZERO, (), ())
    gone = [other for other in lapsed if other.recourse] if guarantor.recourse else []
    lapsed_names = "、".join(other.name for other in lapsed)
    steps = [
        CoGuarantorStep(
            "担保解释第29条第1款",
            f"共同保证人{lapsed_names}的保证期间已届满且未被主张，"
            f"对其行使的权利不及于{guarantor.name}，反之亦然：须在{guarantor.name}本人的保证期间内向其主张",
            f"Co-guarantor {lapsed_names}'s guarantee period lapsed unclaimed; what is done against one "
            f"guarantor never preserves the guarantee against another: claim against {guarantor.name} "
            "within his own guarantee period",
        )
    ]
    if not gone or pool_weight <= 0:
        steps.append(
            CoGuarantorStep(
                "担保解释第13条",
                f"{guarantor.name}与其无相互追偿权（未约定追偿或连带共同担保，也未在同一份合同书上签章），"
                "其保证责任不因此减少",
                f"{guarantor.name} has no recourse against him (no recourse or joint co-guarantee "
                "agreed, no common contract signed): his liability is not reduced",
            )
        )
        return CoGuarantorOutcome(guarantor.name, False, exposure.quantize(FEN), ZERO, (), tuple(steps))
    share = sum((max(other.exposure, ZERO) for other in gone), ZERO) / pool_weight
    # Rounded down: we never ask for a fen of the share he can no longer recover.
    remaining = max(exposure - exposure * share, ZERO).quantize(FEN, rounding=ROUND_DOWN)
    reduced_by = (exposure - remaining).quantize(FEN)
    gone_names = "、".join(other.name for other in gone)
    steps.append(
        CoGuarantorStep(
            "担保解释第13条",
            f"保证人之间相互有追偿权，按担保数额比例分担：{gone_names}应分担的比例合计为 {share:.4%}",
            f"The guarantors have recourse against one another, sharing in proportion to what each "
            f"guaranteed: {gone_names}'s share is {share:.4%}",
        )
    )
    steps.append(
        CoGuarantorStep(
            "担保解释第29条第2款",
            f"债权人未在保证期间内向其主张权利，致{guarantor.name}承担保证责任后丧失对其追偿权，"
            f"{guarantor.name}可在不能追偿的范围内（{reduced_by} 元）免除保证责任；"
            f"仍可向其主张 {remaining} 元",
            f"Having let that period lapse, the creditor cost {guarantor.name} his recourse: he is "
            f"released from what he can no longer recover ({reduced_by} yuan); "
            f"{remaining} yuan can still be claimed from him",
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
