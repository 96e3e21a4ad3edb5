"""What is lost when a deadline's act-by date passes, and what follows. Pure: no Django.

A deadline is *lapsed* once its act-by date (the date that holds without unproven facts) has
passed and nothing recorded made it done. The lapse is said once, with its consequence, and
then decided by the lawyer; it does not stay "overdue" for ever.

Recovery's own kinds are in the table below. Other apps register theirs
(`register_lapse_consequence`, from their AppConfig.ready): litigation the appeal and
enforcement periods, assets the preservation periods. Legal text is Chinese, as the engine's
explanation steps are; each consequence has an English gloss for English readers.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class LapseConsequence:
    lost: str  # what was lost, in Chinese, with the rule
    follows: str  # what follows and what can still be done, in Chinese
    source: str  # the article(s)
    lost_en: str  # an English gloss of `lost`
    follows_en: str  # an English gloss of `follows`

    def text(self, language: str) -> dict[str, str]:
        """The consequence for a reader of `language`: English readers get the gloss and keep
        the Chinese legal text beside it."""
        if language.startswith("en"):
            return {
                "lost": self.lost_en,
                "follows": self.follows_en,
                "source": self.source,
                "legal_text": f"{self.lost}{self.follows}",
            }
        return {"lost": self.lost, "follows": self.follows, "source": self.source, "legal_text": ""}


def is_lapsed(act_by: date | None, done: bool, today: date) -> bool:
    """The act-by date has passed and nothing recorded made the deadline done."""
    return act_by is not None and not done and act_by < today


_CONSEQUENCES: dict[str, LapseConsequence] = {
    # CC 693: the guarantee period is a fixed period; when it ends unused the guarantor is released.
    "guarantee_period": LapseConsequence(
        lost="保证期间届满，保证人不再承担保证责任（民法典第693条）。",
        follows="保证期间不发生中止、中断和延长（民法典第692条），对该保证人的保证债权不能恢复；"
        "如已在期间内向保证人主张（连带保证）或对债务人起诉（一般保证）而尚未登记或缺少送达凭证，"
        "请立即补录，期限将重新计算；否则请就该保证人结案。",
        source="民法典第692条、第693条",
        lost_en="The guarantee period has ended: the guarantor is no longer liable.",
        follows_en="The period is never suspended, interrupted or extended, so the guarantee cannot be "
        "revived. If a demand on the guarantor (joint guarantee) or a suit against the debtor (general "
        "guarantee) was made in time but is not recorded or lacks proof of delivery, record it now and "
        "the deadline is recomputed; otherwise close the claim against this guarantor.",
    ),
    # CC 192: expiry of limitation gives the debtor a defence, it does not extinguish the claim.
    "limitation": LapseConsequence(
        lost="诉讼时效期间届满，债务人可以提出不履行义务的抗辩（民法典第192条）。",
        follows="但仍可起诉，人民法院不得主动适用诉讼时效（民法典第193条）；债务人同意履行的，"
        "不得再以时效届满为由抗辩，债务人自愿履行的不得请求返还（民法典第192条第2款）；"
        "债务人在催收通知单上签字或者盖章的，可以主张其放弃时效抗辩（时效规定第19条第3款）。",
        source="民法典第192条、第193条；时效规定第19条",
        lost_en="The limitation period has ended: the debtor can refuse to perform by raising the "
        "limitation defence.",
        follows_en="The claim can still be brought (the court does not raise limitation itself); a debtor "
        "who agrees to pay can no longer raise the defence, and what the debtor pays voluntarily cannot "
        "be reclaimed. A demand notice the debtor signs or seals can be argued as a waiver of the defence.",
    ),
    # CC 192 with CC 694: the guarantor's own limitation, once it ran from the demand on him.
    "guarantor_limitation": LapseConsequence(
        lost="保证债务的诉讼时效期间届满，保证人可以提出不履行保证责任的抗辩（民法典第192条、第694条）。",
        follows="但仍可起诉；保证人同意履行的，不得再以时效届满为由抗辩，保证人自愿履行的不得请求返还"
        "（民法典第192条第2款）；保证人在催收通知单上签字或者盖章的，可以主张其放弃时效抗辩。",
        source="民法典第192条、第694条",
        lost_en="The limitation period against the guarantor has ended: the guarantor can refuse to pay "
        "by raising the limitation defence.",
        follows_en="A suit can still be brought; a guarantor who agrees to pay can no longer raise the "
        "defence, and what the guarantor pays voluntarily cannot be reclaimed.",
    ),
    # CC 419: a mortgage not enforced within the main claim's limitation loses court protection.
    "mortgage": LapseConsequence(
        lost="抵押权人未在主债权诉讼时效期间行使抵押权，人民法院不予保护（民法典第419条）。",
        follows="抵押人可以主张不承担担保责任（担保解释第44条）；抵押物不再能通过诉讼变价受偿。"
        "对主债权本身的后果见诉讼时效（债务人可以提出时效抗辩，但仍可起诉）。",
        source="民法典第419条；担保解释第44条",
        lost_en="The mortgage was not enforced within the main claim's limitation period: the courts no "
        "longer protect it.",
        follows_en="The mortgagor can refuse liability, and the collateral can no longer be sold through "
        "the courts. The main claim itself: see the limitation period (a defence, not extinction).",
    ),
}

GENERIC = LapseConsequence(
    lost="该期限已届满，依赖该期限的权利可能已经丧失。",
    follows="请核实是否已在期限内采取措施（如有，请补录相关记录或送达凭证），并记录处理决定。",
    source="",
    lost_en="This deadline has passed: the right that depended on it may be lost.",
    follows_en="Check whether anything was done in time (if so, record it or its proof of delivery), "
    "then record a decision.",
)


def register_lapse_consequence(kind: str, consequence: LapseConsequence) -> None:
    """Another app's kind of deadline (litigation, assets): what its lapse means."""
    _CONSEQUENCES[kind] = consequence


def lapse_consequence(kind: str) -> LapseConsequence:
    return _CONSEQUENCES.get(kind, GENERIC)


def registered_kinds() -> frozenset[str]:
    return frozenset(_CONSEQUENCES)


__all__ = [
    "GENERIC",
    "LapseConsequence",
    "is_lapsed",
    "lapse_consequence",
    "register_lapse_consequence",
    "registered_kinds",
]
