"""Bad-debt write-off and complete termination under the MOF's 呆账办法 (2017), law.md §8: the
grounds a write-off rests on with the evidence each needs, when a written-off debt may be
removed from 账销案存 management, and when the fault determination is due. Pure: dates and
strings only, no Django.

Annex 1 items (一)–(四) are read from a bank's internal copy of the 2017 annex (law.md §8.2, a
secondary source); items (五) onward are UNVERIFIED and are not seeded here: the head of recovery
may add them as grounds marked unverified. The evidence lists follow art. 8 (external evidence
or, where it cannot be had, the internal collection report; the legal opinion always)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from recovery.deadlines.periods import add_years

# Art. 8: the legal opinion (describing the litigation, or why there was none) is always required.
LEGAL_OPINION = "法律意见书（说明诉讼情况或未诉讼的原因）"
# Art. 8: the internal evidence when external evidence cannot be obtained.
COLLECTION_REPORT = "内部清收报告"


@dataclass(frozen=True)
class WriteOffGroundRule:
    """A ground a write-off may rest on: what it is called, where the rule is and what proves it."""

    code: str
    name: str
    article: str
    evidence: tuple[str, ...]
    cross_default: bool = False  # rests on another debt's 终本 / termination ruling (arts 9–10)


BANKRUPTCY = WriteOffGroundRule(
    # Annex 1 (一): bankrupt, closed, dissolved or revoked, and the proceedings ended (or 180 days on).
    code="bankruptcy",
    name="借款人被宣告破产、关闭、解散或撤销",
    article="呆账办法附件1第（一）项",
    evidence=("法院破产裁定或破产管理人证明", COLLECTION_REPORT, LEGAL_OPINION),
)
DEATH = WriteOffGroundRule(
    # Annex 1 (二): dead, declared missing or dead, or without civil or working capacity.
    code="death",
    name="借款人死亡、被宣告失踪或死亡、丧失民事行为能力或劳动能力",
    article="呆账办法附件1第（二）项",
    evidence=(
        "死亡证明，或法院宣告失踪、宣告死亡、认定丧失民事行为能力的判决",
        "向其财产或遗产及保证人追偿的证据",
        LEGAL_OPINION,
    ),
)
DISASTER = WriteOffGroundRule(
    # Annex 1 (三): major natural disaster or accident, no or insufficient insurance.
    code="disaster",
    name="遭受重大自然灾害或意外事故，未获保险赔偿或赔偿不足",
    article="呆账办法附件1第（三）项",
    evidence=("自然灾害或意外事故的证明", "保险赔偿情况的证明", COLLECTION_REPORT, LEGAL_OPINION),
)
LICENCE_REVOKED = WriteOffGroundRule(
    # Annex 1 (四): business completely ceased, licence cancelled or revoked.
    code="licence_revoked",
    name="借款人已完全停止经营活动，被注销或吊销营业执照",
    article="呆账办法附件1第（四）项",
    evidence=("营业执照被注销或吊销的证明", COLLECTION_REPORT, LEGAL_OPINION),
)
CROSS_DEFAULT = WriteOffGroundRule(
    # Arts 9–10: another debt of the borrower got a 终本 / termination (suspension) ruling.
    code="cross_default",
    name="同一借款人另一笔债务已取得终结（中止）执行或终结本次执行程序裁定",
    article="呆账办法第9条、第10条",
    evidence=("另一笔债务的终结（中止）执行或终结本次执行程序裁定", COLLECTION_REPORT, LEGAL_OPINION),
    cross_default=True,
)

WRITE_OFF_GROUNDS: tuple[WriteOffGroundRule, ...] = (
    BANKRUPTCY,
    DEATH,
    DISASTER,
    LICENCE_REVOKED,
    CROSS_DEFAULT,
)


def write_off_ground(code: str) -> WriteOffGroundRule:
    """The seeded ground `code` (KeyError for a ground the rules do not know)."""
    for ground in WRITE_OFF_GROUNDS:
        if ground.code == code:
            return ground
    raise KeyError(code)


def evidence_missing(required: tuple[str, ...] | list[str], provided: set[str]) -> list[str]:
    """The required evidence items (in their order) no file was provided for."""
    return [item for item in required if item not in provided]


CENT = Decimal("0.01")


def split_pro_rata(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `amount` (cents) over loans in proportion to `weights` (their outstanding balances),
    exactly: each share is rounded down to the cent, and the cents left over go one by one to
    the largest remainders (earlier loans first on a tie). No share exceeds its weight when the
    amount does not exceed the weights' sum, since a share is at most its exact part rounded up.
    Nothing to weigh by (all zero): everything to the first loan."""
    if not weights:
        raise ValueError("nothing to split over")
    total = sum(weights, Decimal("0"))
    if total <= 0:
        return [amount] + [Decimal("0.00")] * (len(weights) - 1)
    exact = [amount * weight / total for weight in weights]
    shares = [part.quantize(CENT, rounding=ROUND_DOWN) for part in exact]
    left = int((amount - sum(shares, Decimal("0"))) / CENT)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[:left]:
        shares[index] += CENT
    return shares


class TerminationGround(StrEnum):
    """Art. 16: when a written-off debt leaves 账销案存 management (完全终结)."""

    MERGER_BANKRUPTCY_PLAN = "merger_bankruptcy_plan"  # (一) national merger and bankruptcy plan
    STATE_COUNCIL = "state_council"  # (二) written off with State Council case approval
    COURT_TERMINATED = "court_terminated"  # (三) enforcement terminated / borrower not liable
    REORGANISATION_PERFORMED = "reorganisation_performed"  # (四) reorganisation or composition performed
    BANKRUPTCY_TERMINATED = "bankruptcy_terminated"  # (五) > 2 years since bankruptcy terminated
    MARKET_DISPOSAL = "market_disposal"  # (六) packaged sale, auction, transfer… performed
    DISMISSED_OR_TIME_BARRED = "dismissed_or_time_barred"  # (七) dismissed / time-barred + 2 years
    OTHER_LAWFUL = "other_lawful"  # (八) any other lawful termination


DATED_TERMINATION_GROUNDS = frozenset(
    {TerminationGround.BANKRUPTCY_TERMINATED, TerminationGround.DISMISSED_OR_TIME_BARRED}
)


class MissingGroundDate(ValueError):
    """A dated art. 16 ground was given without the date it runs from."""


@dataclass(frozen=True)
class TerminationFacts:
    # The date a dated ground runs from: the ruling that terminated the bankruptcy (五), or the
    # dismissal / expiry of limitation from which remedial efforts were made (七).
    ground_date: date | None = None


def complete_termination_eligible_on(ground: str, *, facts: TerminationFacts) -> date | None:
    """The first day the debt may be completely terminated on `ground`; None when the ground
    is not dated (it may be terminated once its condition is proven)."""
    ground = TerminationGround(ground)
    if ground not in DATED_TERMINATION_GROUNDS:
        return None
    if facts.ground_date is None:
        raise MissingGroundDate(f"{ground.value} runs from a date; none was given")
    if ground == TerminationGround.BANKRUPTCY_TERMINATED:
        # Art. 16 (五): "more than 2 years" — the day after the 2-year anniversary (conservative).
        return add_years(facts.ground_date, 2) + timedelta(days=1)
    # Art. 16 (七): "2 years or more" of failed remedial efforts — from the 2-year anniversary.
    return add_years(facts.ground_date, 2)


def fault_determination_due(written_off_on: date) -> date:
    """Art. 19: responsibility for a loss caused by fault is determined within 2 years after write-off."""
    return add_years(written_off_on, 2)
