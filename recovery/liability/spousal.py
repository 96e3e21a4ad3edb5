"""Is the borrower's spouse liable? CC 1064; 婚姻家庭编解释一 33–36 (contract: spousal-debt.md)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

JOINT, NEEDS_EVIDENCE, PERSONAL = "joint", "needs_evidence", "personal"
CLASSIFICATIONS = (JOINT, NEEDS_EVIDENCE, PERSONAL)

CC_1064 = "民法典第1064条"
CC_1064_1 = "民法典第1064条第1款"
CC_1064_2 = "民法典第1064条第2款"
INTERPRETATION_33 = "婚姻家庭编解释一第33条"
INTERPRETATION_34 = "婚姻家庭编解释一第34条"
INTERPRETATION_35 = "婚姻家庭编解释一第35条"
INTERPRETATION_36 = "婚姻家庭编解释一第36条"

MISSING_FOR_JOINT = (
    "配偶共同签名或事后追认的证据",
    "借款用于夫妻共同生活的证据",
    "借款用于夫妻共同生产经营的证据",
    "基于夫妻双方共同意思表示的其他证据",
)


@dataclass(frozen=True)
class SpousalStep:
    source: str
    text: str


@dataclass(frozen=True)
class SpousalFacts:
    incurred_on: date
    amount: Decimal
    married_on: date | None = None
    divorced_on: date | None = None
    daily_needs_limit: Decimal = Decimal("50000.00")
    spouse_signed: bool = False
    spouse_ratified: bool = False
    joint_intent_evidence: bool = False
    used_for_joint_living: bool = False
    used_for_joint_business: bool = False
    used_for_family_after_marriage: bool = False
    fictitious: bool = False
    illegal_purpose: bool = False
    spouse_died_on: date | None = None


@dataclass(frozen=True)
class SpousalAssessment:
    classification: str
    basis: tuple[str, ...]
    missing_evidence: tuple[str, ...]
    steps: tuple[SpousalStep, ...]


def assess_spousal_debt(facts: SpousalFacts) -> SpousalAssessment:
    """The contract's rules, first match wins; the later-divorce and death notes follow a joint debt."""
    classification, basis, missing, steps = _classify(facts)
    if classification == JOINT:
        if facts.divorced_on is not None and facts.divorced_on > facts.incurred_on:
            # 解释一 35: a divorce agreement does not bind the creditor.
            steps.append(
                SpousalStep(
                    INTERPRETATION_35,
                    f"{facts.divorced_on.isoformat()} 离婚不影响已成立的夫妻共同债务："
                    "离婚协议或裁判对财产分割的处理"
                    "不能对抗债权人，债权人仍可向男女双方主张。",
                )
            )
        if facts.spouse_died_on is not None:
            # 解释一 36: on one spouse's death the survivor answers for the joint debt.
            steps.append(
                SpousalStep(
                    INTERPRETATION_36,
                    f"配偶一方于 {facts.spouse_died_on.isoformat()} 死亡，"
                    "生存一方仍应对夫妻共同债务承担清偿责任。",
                )
            )
    return SpousalAssessment(classification, tuple(basis), tuple(missing), tuple(steps))


def _classify(facts: SpousalFacts) -> tuple[str, list[str], list[str], list[SpousalStep]]:
    day = facts.incurred_on.isoformat()
    if facts.fictitious or facts.illegal_purpose:
        what = "虚构的债务" if facts.fictitious else "用于赌博、吸毒等违法犯罪活动的债务"
        return (
            PERSONAL,
            [INTERPRETATION_34],
            [],
            [SpousalStep(INTERPRETATION_34, f"该债务为{what}，不属于夫妻共同债务。")],
        )
    if facts.married_on is None:
        return (
            PERSONAL,
            [CC_1064],
            [],
            [SpousalStep(CC_1064, f"{day} 负债时债务人未婚，不存在夫妻共同债务。")],
        )
    married = facts.married_on.isoformat()
    if facts.incurred_on < facts.married_on:
        if facts.used_for_family_after_marriage:
            text = f"债务于 {day} 婚前所负，但有证据证明用于 {married} 婚后家庭共同生活，属夫妻共同债务。"
            return JOINT, [INTERPRETATION_33], [], [SpousalStep(INTERPRETATION_33, text)]
        text = f"债务于 {day} 婚前（{married} 结婚）所负，且无证据证明用于婚后家庭共同生活，属个人债务。"
        return PERSONAL, [INTERPRETATION_33], [], [SpousalStep(INTERPRETATION_33, text)]
    if facts.divorced_on is not None and facts.incurred_on >= facts.divorced_on:
        text = f"债务于 {day} 所负，婚姻关系已于 {facts.divorced_on.isoformat()} 解除，属个人债务。"
        return PERSONAL, [CC_1064], [], [SpousalStep(CC_1064, text)]
    during = SpousalStep(CC_1064, f"债务于 {day} 婚姻关系存续期间（{married} 结婚）所负。")
    if facts.spouse_signed or facts.spouse_ratified or facts.joint_intent_evidence:
        how = (
            "配偶共同签名"
            if facts.spouse_signed
            else "配偶事后追认"
            if facts.spouse_ratified
            else "有证据证明夫妻双方共同意思表示"
        )
        return JOINT, [CC_1064_1], [], [during, SpousalStep(CC_1064_1, f"{how}，属夫妻共同债务。")]
    if facts.amount <= facts.daily_needs_limit:
        text = (
            f"债务金额 {facts.amount} 元未超过本地家庭日常生活需要标准 {facts.daily_needs_limit} 元，"
            "推定为家庭日常生活需要所负，属夫妻共同债务；配偶可举证推翻该推定。"
        )
        return JOINT, [CC_1064_1], [], [during, SpousalStep(CC_1064_1, text)]
    over = f"债务金额 {facts.amount} 元超出家庭日常生活需要标准 {facts.daily_needs_limit} 元，"
    if facts.used_for_joint_living or facts.used_for_joint_business:
        use = "夫妻共同生活" if facts.used_for_joint_living else "夫妻共同生产经营"
        return (
            JOINT,
            [CC_1064_2],
            [],
            [during, SpousalStep(CC_1064_2, over + f"但有证据证明用于{use}，属夫妻共同债务。")],
        )
    text = (
        over
        + "须由债权人证明该债务用于夫妻共同生活、共同生产经营或基于夫妻双方共同意思表示，否则为个人债务。"
    )
    return NEEDS_EVIDENCE, [CC_1064_2], list(MISSING_FOR_JOINT), [during, SpousalStep(CC_1064_2, text)]
