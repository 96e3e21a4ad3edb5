"""Guarantee rules the docket applies before the engine runs: from which day a guarantor's
guarantee period runs when the loan was extended (CC 695 para 2), and from which day a general
guarantor's own limitation runs once his first-recourse defence is gone (CC 694 para 1;
担保解释 28). Pure functions over the plain facts of recovery.deadlines.facts."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from .facts import FirstRecourseEnd, LoanExtension, LoanLink
from .model import cn_date
from .periods import add_months, add_years
from .rules import DEFAULT_GUARANTEE_MONTHS

SOURCE_EXTENSION = "民法典第695条第2款"
SOURCE_NO_REVIVAL = "担保解释第34条第2款"
SOURCE_ROUND_CLOSED = "担保解释第28条第1款第1项"
SOURCE_ONE_YEAR = "担保解释第28条第1款第2项"
SOURCE_EXCEPTION = "担保解释第28条第2款；民法典第687条第2款"

# CC 687 para 2's exceptions in the statute's words, by the values recovery.models stores
# (FirstRecourseExceptionKind; a test checks them): explanations are Chinese whoever reads.
EXCEPTION_LABELS = {
    "debtor_missing": "债务人下落不明，且无财产可供执行",
    "bankruptcy_accepted": "人民法院已经受理债务人破产案件",
    "cannot_pay": "债权人有证据证明债务人的财产不足以履行全部债务或者丧失履行债务能力",
    "written_waiver": "保证人书面表示放弃先诉抗辩权",
}


@dataclass(frozen=True, slots=True)
class GuaranteeTrigger:
    """The day a guarantor's guarantee period runs from, and the steps that explain it."""

    on: date
    notes: list[dict[str, str]] = field(default_factory=list)


def _note(on: date, source: str, text: str) -> dict[str, str]:
    return {"date": on.isoformat(), "source": source, "text": text}


def guarantee_trigger(due_on: date, extensions: Sequence[LoanExtension], link: LoanLink) -> GuaranteeTrigger:
    """The day `link`'s guarantee period runs from, given the loan's extensions.

    CC 695 para 2: an extension the guarantor did not consent to in writing leaves his guarantee
    period where it was: it runs from the loan's original due date (the earliest previous due
    date recorded). An extension he consented to moves it to the new due date — only that one:
    his consent to a later extension moves it to that extension's new date, an earlier extension
    he did not consent to never moved it. Consent given after his period had already ended
    revives nothing (担保解释 34 para 2). Without extensions it is the loan's due date."""
    if not extensions:
        return GuaranteeTrigger(due_on)
    chain = sorted(extensions, key=lambda extension: (extension.agreed_on, extension.pk))
    recorded = [extension.previous_due_on for extension in chain if extension.previous_due_on]
    notes: list[dict[str, str]] = []
    if recorded:  # the original due date: the earliest due date an extension moved
        trigger = min(recorded)
    else:
        # 贷款通则 12: an extension is asked for before the due date, so the day it was agreed
        # is no later than the original due date: the earlier, safer day to count from.
        trigger = chain[0].agreed_on
        notes.append(
            _note(
                trigger,
                SOURCE_EXTENSION,
                f"展期未登记原到期日：保证期间按首次展期协议日{cn_date(trigger)}保守起算，请补录展期前的到期日。",
            )
        )
    months = link.guarantee_months or DEFAULT_GUARANTEE_MONTHS
    for number, extension in enumerate(chain, start=1):
        agreed, new = cn_date(extension.agreed_on), cn_date(extension.new_due_on)
        what = f"第{number}次展期（{agreed}协议，到期日延至{new}）"
        if link.pk is None or link.pk not in extension.consenting:
            notes.append(
                _note(
                    extension.agreed_on,
                    SOURCE_EXTENSION,
                    f"{what}未经该保证人书面同意：保证期间不受影响，仍自{cn_date(trigger)}起算。",
                )
            )
            continue
        period_end = add_months(trigger, months)
        if extension.agreed_on > period_end:
            notes.append(
                _note(
                    extension.agreed_on,
                    SOURCE_NO_REVIVAL,
                    f"{what}虽经该保证人书面同意，但自{cn_date(trigger)}起算的保证期间已于{cn_date(period_end)}届满，"
                    "届满后的同意不使保证责任恢复（另有新的保证合同的除外）：保证期间不变。",
                )
            )
            continue
        trigger = extension.new_due_on
        notes.append(
            _note(
                extension.agreed_on,
                SOURCE_EXTENSION,
                f"{what}经该保证人书面同意：保证期间自展期后的到期日{cn_date(trigger)}起算。",
            )
        )
    if trigger != due_on:
        notes.append(
            _note(
                trigger,
                SOURCE_EXTENSION,
                f"贷款当前到期日为{cn_date(due_on)}（借款人的诉讼时效自该日起算），"
                f"该保证人的保证期间自{cn_date(trigger)}起算。",
            )
        )
    return GuaranteeTrigger(trigger, notes)


def enforcement_recourse_end(
    *, applied_on: date, round_closed_on: date | None, label: str
) -> FirstRecourseEnd:
    """担保解释 28 para 1: enforcement applied for against the debtor ends the general
    guarantor's first-recourse defence on the day the ruling closing the round (终本) is
    served, or, with no such ruling within a year of the application, on that year's mark.
    The recorded closing date stands for its service (service is never earlier), and the
    application date for the court's receipt of it: both the earlier, safer reading."""
    year_mark = add_years(applied_on, 1)
    if round_closed_on is not None and round_closed_on <= year_mark:
        text = (
            f"{label}：{cn_date(round_closed_on)}裁定终结本次执行程序，保证债务的诉讼时效自裁定送达债权人之日起算"
            "（按记录的终本日期计，送达不早于该日，较为稳妥）"
        )
        return FirstRecourseEnd(None, round_closed_on, f"{label} 终本", SOURCE_ROUND_CLOSED, text)
    text = (
        f"{label}：法院收到申请执行书（按申请日{cn_date(applied_on)}计）后一年内未作出终本裁定，"
        f"保证债务的诉讼时效自满一年之日{cn_date(year_mark)}起算（保证人证明债务人仍有财产可供执行的除外）"
    )
    return FirstRecourseEnd(None, year_mark, f"{label} 申请执行满一年", SOURCE_ONE_YEAR, text)


def exception_recourse_end(*, link_id: int, kind: str, known_on: date) -> FirstRecourseEnd:
    """担保解释 28 para 2: a CC 687 para 2 exception (including a written waiver) ends the
    defence on the day the creditor knew or should have known of it."""
    kind_label = EXCEPTION_LABELS.get(kind, kind)
    text = f"先诉抗辩权的例外情形：{kind_label}，债权人自{cn_date(known_on)}知道或者应当知道"
    return FirstRecourseEnd(link_id, known_on, kind_label, SOURCE_EXCEPTION, text)


def first_recourse_end(ends: Iterable[FirstRecourseEnd], link: LoanLink) -> FirstRecourseEnd | None:
    """The earliest day the defence of this general guarantor was extinguished, if any."""
    mine = [end for end in ends if end.link_id is None or end.link_id == link.pk]
    return min(mine, key=lambda end: end.on) if mine else None
