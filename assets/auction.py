"""The judicial-auction plan: the price floors and the dates of each online auction round.

Pure and Django-free, so that the disposal plan page, the `auction_plan` command and the tests
call the same code. Rules: /work/shared/contracts/auction-plan.md, law.md §6.1–6.4.

Money is Decimal at the edges and whole fen (int) inside: a minimum price is the smallest whole
fen amount at or above its floor, computed exactly with integers.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from recovery.checks.problems import InputProblem, InputProblems, iso_date, json_type, shown
from recovery.deadlines.calendar import RestDayCalendar
from recovery.deadlines.model import cn_date, word_step
from recovery.deadlines.periods import UnsupportedDate, add_days
from recovery.deadlines.results import ROLLED_FORWARD, provisional_steps
from recovery.deadlines.rules import SOURCE_CPL_ROLLOVER

REAL_ESTATE = "real_estate"
MOVABLE = "movable"
OTHER_RIGHT = "other_right"
PROPERTY_KINDS = (REAL_ESTATE, MOVABLE, OTHER_RIGHT)

NEXT_FIRST_AUCTION = "first_auction"
NEXT_SECOND_AUCTION = "second_auction"
NEXT_SALE = "sale"

SOURCE_RESERVE = "网拍规定第10条"
SOURCE_NOTICE = "网拍规定第12条"
SOURCE_RELAUNCH = "网拍规定第26条"
SOURCE_IN_LIEU = "拍卖变卖规定第16条"

# 网拍规定 10: the first starting price is at least 70% of the reference price.
FIRST_FLOOR_PERCENT = 70
# 网拍规定 26: the second starting price is at most 20% below the first, i.e. at least 80% of it.
SECOND_FLOOR_PERCENT = 80
# 网拍规定 26: after a failed auction, the next one within 30 days.
RELAUNCH_DAYS = 30
# 网拍规定 12: first notice 30 days before for real estate and other rights, 15 for movables.
FIRST_NOTICE_DAYS = {REAL_ESTATE: 30, MOVABLE: 15, OTHER_RIGHT: 30}
# 网拍规定 26: second notice 15 days before for real estate and other rights, 7 for movables.
SECOND_NOTICE_DAYS = {REAL_ESTATE: 15, MOVABLE: 7, OTHER_RIGHT: 15}

_PROPERTY_NAMES = {REAL_ESTATE: "不动产", MOVABLE: "动产", OTHER_RIGHT: "其他财产权"}
_CN_DAYS = {7: "七", 15: "十五", 30: "三十"}

# The same bound as the waterfall: no asset is worth a billion billion yuan, and the bound keeps
# a typo such as 1E+999999 from becoming a gigantic integer.
MAX_YUAN = Decimal(10) ** 18
_MAX_FEN = int(MAX_YUAN) * 100

# The assets app's AssetKind values (assets/models.py) as the auction rules class property.
_PROPERTY_OF_ASSET_KIND = {
    "real_estate": REAL_ESTATE,
    "vehicle": MOVABLE,
    "other": MOVABLE,
    "deposit": OTHER_RIGHT,
    "equity": OTHER_RIGHT,
    "receivable": OTHER_RIGHT,
}


def property_of_asset_kind(kind: str) -> str:
    """The auction rules' class of property ("real_estate", "movable", "other_right") of an
    asset of AssetKind `kind`; ValueError for a kind the table does not know."""
    try:
        return _PROPERTY_OF_ASSET_KIND[kind]
    except KeyError:
        raise ValueError(f"unknown asset kind {kind!r}") from None


class AuctionFactsError(ValueError):
    """Facts that cannot all be true (a failure before its auction…); `field` names the input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AuctionFailure:
    """Round `round` (1 or 2) failed (流拍) on `on`: nobody bid."""

    round: int
    on: date


@dataclass(frozen=True)
class AuctionFacts:
    property: str  # "real_estate" | "movable" | "other_right"
    reference_price: Decimal  # appraisal or other reference price (参考价)
    first_starting_price: Decimal | None = None  # None: the minimum
    first_auction_on: date | None = None
    failures: tuple[AuctionFailure, ...] = ()
    second_starting_price: Decimal | None = None  # None: the minimum
    second_auction_on: date | None = None


@dataclass(frozen=True)
class AuctionStep:
    source: str
    text: str


@dataclass(frozen=True)
class AuctionRound:
    round: int
    min_starting_price: Decimal
    starting_price: Decimal
    notice_by: date | None = None  # known when the auction's date is
    latest_auction_on: date | None = None  # round 2: failure of round 1 + 30 days
    latest_auction_on_legal: date | None = None  # that day rolled past rest days (CPL 85)


@dataclass(frozen=True)
class AuctionPlan:
    rounds: tuple[AuctionRound, ...]
    next: str  # "first_auction" | "second_auction" | "sale"
    problems: tuple[str, ...]  # input fields that break a rule, in the order found
    steps: tuple[AuctionStep, ...]


# --------------------------------------------------------------------------- money in fen


def _fen(value: Decimal, field: str) -> int:
    """`value` yuan as whole fen; AuctionFactsError unless it is a plausible whole-fen amount."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise AuctionFactsError(f"{value} 不是金额（{value} is not an amount）", field=field)
    if value < 0:
        raise AuctionFactsError(f"金额不得为负数：{value}（must not be negative: {value}）", field=field)
    if value.adjusted() >= 18:
        raise AuctionFactsError(
            f"{value} 元超出合理范围（implausibly large; limit {MAX_YUAN:,} yuan）", field=field
        )
    # A non-zero amount under a fen is never whole fen: refused before 1E-99999999 becomes a
    # gigantic denominator.
    if value and value.adjusted() < -2:
        raise AuctionFactsError(
            f"{value} 元不是整分金额（not a whole number of fen; the smallest unit is 0.01 yuan）",
            field=field,
        )
    numerator, denominator = value.as_integer_ratio()
    fen, leftover = divmod(numerator * 100, denominator)
    if leftover or fen >= _MAX_FEN:
        raise AuctionFactsError(
            f"{value} 元不是整分金额（not a whole number of fen; the smallest unit is 0.01 yuan）",
            field=field,
        )
    return fen


def min_price_fen(base_fen: int, percent: int) -> int:
    """The smallest whole fen amount at or above `percent`% of `base_fen` (rounded up)."""
    return -(-base_fen * percent // 100)


def _decimal(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _yuan(fen: int) -> str:
    """How steps write money: 700,000.00元."""
    whole, cents = divmod(fen, 100)
    return f"{whole:,}.{cents:02d}元"


def _floor_text(base_fen: int, percent: int) -> str:
    """`percent`% of `base_fen` exactly, to the tenth of a fen where needed: 700,000.007元."""
    tenths = base_fen * percent // 10  # base_fen * percent / 100 fen, in tenths of a fen: exact
    fen, tenth = divmod(tenths, 10)
    return _yuan(fen) if not tenth else _yuan(fen)[:-1] + f"{tenth}元"


def _price_step(
    rule_text: str, base_fen: int, percent: int, given_fen: int | None, field: str
) -> tuple[int, int, str, bool]:
    """(minimum, starting price, the step's text, whether the given price is below the minimum)."""
    minimum = min_price_fen(base_fen, percent)
    floor = _floor_text(base_fen, percent)
    text = f"{rule_text}{_yuan(base_fen)}的{percent}%，即{floor}"
    text += f"，向上取整到分，最低起拍价为{_yuan(minimum)}。" if floor != _yuan(minimum) else "。"
    if given_fen is None:
        return minimum, minimum, text + f"未给出起拍价，按最低起拍价{_yuan(minimum)}计。", False
    if given_fen < minimum:
        text += f"拟定起拍价{_yuan(given_fen)}低于最低起拍价{_yuan(minimum)}，不符合本条（{field}）。"
        return minimum, given_fen, text, True
    return minimum, given_fen, text + f"拟定起拍价{_yuan(given_fen)}不低于最低起拍价。", False


# --------------------------------------------------------------------------- the facts


@dataclass(frozen=True)
class _Failed:
    index: int  # where it stands in AuctionFacts.failures, to name the field
    on: date


@dataclass(frozen=True)
class _CheckedFacts:
    reference: int  # fen
    first_price: int | None  # fen
    second_price: int | None  # fen
    first_failure: _Failed | None
    second_failure: _Failed | None


def _optional_fen(value: Decimal | None, field: str) -> int | None:
    return None if value is None else _fen(value, field)


def _failures_by_round(failures: tuple[AuctionFailure, ...]) -> dict[int, _Failed]:
    failed: dict[int, _Failed] = {}
    for index, failure in enumerate(failures):
        field = f"failures[{index}].round"
        if failure.round not in (1, 2):
            raise AuctionFactsError(
                f"流拍轮次应为 1 或 2，收到 {failure.round!r}（a failed round is 1 or 2）", field=field
            )
        if failure.round in failed:
            raise AuctionFactsError(
                f"第{failure.round}次拍卖重复流拍（round {failure.round} failed twice）", field=field
            )
        failed[failure.round] = _Failed(index, failure.on)
    if 2 in failed and 1 not in failed:
        raise AuctionFactsError(
            "第二次拍卖流拍，但第一次拍卖未流拍（round 2 failed without a failure of round 1）",
            field=f"failures[{failed[2].index}].round",
        )
    return failed


def _check_second_round(facts: AuctionFacts, first: _Failed, second: _Failed | None) -> None:
    """The second auction after the first failure, and its own failure on or after it."""
    if facts.second_auction_on and facts.second_auction_on < first.on:
        raise AuctionFactsError(
            f"第二次拍卖日{facts.second_auction_on}早于第一次拍卖流拍日{first.on}"
            "（the second auction is dated before the failure of round 1）",
            field="second_auction_on",
        )
    if second is None:
        return
    if facts.second_auction_on and second.on < facts.second_auction_on:
        raise AuctionFactsError(
            f"第二次拍卖流拍日{second.on}早于其拍卖日{facts.second_auction_on}"
            "（the failure of round 2 is dated before its auction）",
            field=f"failures[{second.index}].on",
        )
    if second.on < first.on:
        raise AuctionFactsError(
            f"第二次拍卖流拍日{second.on}早于第一次拍卖流拍日{first.on}"
            "（the failure of round 2 is dated before the failure of round 1）",
            field=f"failures[{second.index}].on",
        )


def _check_facts(facts: AuctionFacts) -> _CheckedFacts:
    """Refuse facts that cannot all be true (AuctionFactsError naming the field)."""
    if facts.property not in PROPERTY_KINDS:
        raise AuctionFactsError(
            f"未知的财产类别 {facts.property!r}（unknown property; one of {', '.join(PROPERTY_KINDS)}）",
            field="property",
        )
    reference = _fen(facts.reference_price, "reference_price")
    if reference == 0:
        raise AuctionFactsError(
            "参考价应大于零（the reference price must be above zero）", field="reference_price"
        )
    first_price = _optional_fen(facts.first_starting_price, "first_starting_price")
    second_price = _optional_fen(facts.second_starting_price, "second_starting_price")
    failed = _failures_by_round(facts.failures)
    first, second = failed.get(1), failed.get(2)
    if first is None:
        for field, value in (
            ("second_auction_on", facts.second_auction_on),
            ("second_starting_price", second_price),
        ):
            if value is not None:
                raise AuctionFactsError(
                    "第一次拍卖未流拍，不存在第二次拍卖（no second auction before round 1 has failed）",
                    field=field,
                )
    else:
        if facts.first_auction_on and first.on < facts.first_auction_on:
            raise AuctionFactsError(
                f"第一次拍卖流拍日{first.on}早于其拍卖日{facts.first_auction_on}"
                "（the failure of round 1 is dated before its auction）",
                field=f"failures[{first.index}].on",
            )
        _check_second_round(facts, first, second)
    return _CheckedFacts(reference, first_price, second_price, first, second)


def _days_before(day: date, days: int, field: str) -> date:
    try:
        return add_days(day, -days)
    except UnsupportedDate as exc:
        raise AuctionFactsError(str(exc), field=field) from None


# --------------------------------------------------------------------------- the plan


class _Explained:
    """The problems and steps of a plan being computed, in the order found."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.steps: list[AuctionStep] = []

    def step(self, source: str, text: str) -> None:
        self.steps.append(AuctionStep(source, text))

    def problem(self, field: str) -> None:
        if field not in self.problems:
            self.problems.append(field)


def auction_plan(facts: AuctionFacts, *, calendar: RestDayCalendar) -> AuctionPlan:
    """The rounds' minimum prices and dates, the next step, the broken rules and why.

    `calendar` is the deadline engine's rest-day calendar (in Django code:
    recovery.services.deadlines.deadline_calendar()). Raises AuctionFactsError (naming the
    field) for facts that cannot all be true; a plan that breaks a rule is computed and the
    fields at fault are listed in `problems`.
    """
    checked = _check_facts(facts)
    explained = _Explained()
    first = _first_round(facts, checked, explained)
    if checked.first_failure is None:
        return _plan((first,), NEXT_FIRST_AUCTION, explained)
    second = _second_round(facts, checked, checked.first_failure, first, calendar, explained)
    if checked.second_failure is None:
        return _plan((first, second), NEXT_SECOND_AUCTION, explained)
    # 网拍规定 26: after the second failure, sale (变卖) on the same platform.
    explained.step(
        SOURCE_RELAUNCH,
        f"第二次拍卖于{cn_date(checked.second_failure.on)}流拍，可以依法在同一网络司法拍卖平台变卖。",
    )
    # 拍卖变卖规定 16 (via 网拍规定 37): a creditor may take the property at the failed reserve.
    explained.step(
        SOURCE_IN_LIEU,
        f"流拍时，申请执行人或者其他执行债权人可以申请以该次拍卖的保留价"
        f"{_yuan(_fen(second.starting_price, 'second_starting_price'))}接受拍卖财产抵债"
        "（网拍规定第37条：网络司法拍卖未规定的，适用该规定）。",
    )
    return _plan((first, second), NEXT_SALE, explained)


def _plan(rounds: tuple[AuctionRound, ...], next_step: str, explained: _Explained) -> AuctionPlan:
    return AuctionPlan(rounds, next_step, tuple(explained.problems), tuple(explained.steps))


def _first_round(facts: AuctionFacts, checked: _CheckedFacts, explained: _Explained) -> AuctionRound:
    # 网拍规定 10: reserve price = starting price, at least 70% of the reference price.
    minimum, price, text, broken = _price_step(
        "网络司法拍卖的保留价即起拍价，第一次拍卖起拍价不得低于参考价",
        checked.reference,
        FIRST_FLOOR_PERCENT,
        checked.first_price,
        "first_starting_price",
    )
    explained.step(SOURCE_RESERVE, text)
    if broken:
        explained.problem("first_starting_price")
    # 网拍规定 12: first notice 30 days (real estate, other rights) or 15 days (movables) before.
    days = FIRST_NOTICE_DAYS[facts.property]
    rule = f"拍卖{_PROPERTY_NAMES[facts.property]}应当在拍卖{_CN_DAYS[days]}日前公告"
    notice_by = None
    if facts.first_auction_on is None:
        explained.step(SOURCE_NOTICE, f"{rule}；第一次拍卖日期未定，确定后据此计算公告日。")
    else:
        notice_by = _days_before(facts.first_auction_on, days, "first_auction_on")
        explained.step(
            SOURCE_NOTICE,
            f"{rule}：第一次拍卖定于{cn_date(facts.first_auction_on)}，"
            f"公告最迟应于{cn_date(notice_by)}发布（倒数计算的期限，不因休息日顺延）。",
        )
    return AuctionRound(1, _decimal(minimum), _decimal(price), notice_by=notice_by)


def _relaunch_deadline(
    failure: _Failed, calendar: RestDayCalendar, explained: _Explained
) -> tuple[date, date]:
    """(latest_auction_on, latest_auction_on_legal) of the auction after `failure`."""
    # 网拍规定 26: after a failure, the next auction within 30 days on the same platform.
    try:
        latest = add_days(failure.on, RELAUNCH_DAYS)
    except UnsupportedDate as exc:
        raise AuctionFactsError(str(exc), field=f"failures[{failure.index}].on") from None
    explained.step(
        SOURCE_RELAUNCH,
        f"第一次拍卖于{cn_date(failure.on)}流拍，应当在三十日内在同一网络司法拍卖平台再次拍卖"
        f"（流拍当日不计入），期间最后一日为{cn_date(latest)}。",
    )
    # CPL 85: a period ending on a rest day ends on the first working day after the rest days.
    legal = calendar.roll_forward(latest)
    if legal != latest:
        explained.step(SOURCE_CPL_ROLLOVER, ROLLED_FORWARD.format(cn_date(latest), cn_date(legal)))
    for entry in provisional_steps(calendar, sorted({latest.year, legal.year}), latest, legal, latest):
        calendar_step = word_step(entry)
        explained.step(calendar_step.source, calendar_step.text)
    return latest, legal


def _second_round(
    facts: AuctionFacts,
    checked: _CheckedFacts,
    failure: _Failed,
    first: AuctionRound,
    calendar: RestDayCalendar,
    explained: _Explained,
) -> AuctionRound:
    latest, legal = _relaunch_deadline(failure, calendar, explained)
    # 网拍规定 26: the second starting price at most 20% below the first.
    minimum, price, text, broken = _price_step(
        "再次拍卖的起拍价降价幅度不得超过前次起拍价的20%，故不得低于第一次起拍价",
        _fen(first.starting_price, "first_starting_price"),
        SECOND_FLOOR_PERCENT,
        checked.second_price,
        "second_starting_price",
    )
    explained.step(SOURCE_RELAUNCH, text)
    if broken:
        explained.problem("second_starting_price")
    # 网拍规定 26: second notice 15 days (real estate, other rights) or 7 days (movables) before.
    days = SECOND_NOTICE_DAYS[facts.property]
    rule = f"再次拍卖{_PROPERTY_NAMES[facts.property]}应当在拍卖{_CN_DAYS[days]}日前公告"
    auction_on = facts.second_auction_on
    notice_by = None
    if auction_on is not None:
        notice_by = _days_before(auction_on, days, "second_auction_on")
        explained.step(
            SOURCE_RELAUNCH,
            _second_date_text(auction_on, notice_by, legal, failure.on, days, rule, explained),
        )
    elif checked.second_failure is None:  # still to be fixed: the latest day and its notice
        last_notice = _days_before(legal, days, f"failures[{failure.index}].on")
        explained.step(
            SOURCE_RELAUNCH,
            f"{rule}；第二次拍卖日期未定：应不晚于{cn_date(legal)}举行，"
            f"若于该日拍卖，公告最迟应于{cn_date(last_notice)}发布。",
        )
    return AuctionRound(
        2,
        _decimal(minimum),
        _decimal(price),
        notice_by=notice_by,
        latest_auction_on=latest,
        latest_auction_on_legal=legal,
    )


def _second_date_text(
    auction_on: date,
    notice_by: date,
    legal: date,
    failed_on: date,
    days: int,
    rule: str,
    explained: _Explained,
) -> str:
    """The step judging the second auction's date: within the 30 days, and a notice period that
    can still be kept once round 1 has failed (网拍规定 26)."""
    if auction_on > legal:
        explained.problem("second_auction_on")
        timing = f"晚于最后期限{cn_date(legal)}，不符合三十日内再次拍卖的规定（second_auction_on）"
    else:
        timing = f"未晚于最后期限{cn_date(legal)}"
    text = (
        f"第二次拍卖定于{cn_date(auction_on)}，{timing}。{rule}："
        f"公告最迟应于{cn_date(notice_by)}发布（倒数计算的期限，不因休息日顺延）。"
    )
    if notice_by < failed_on:
        # The next auction's notice can only be published once the previous auction has failed.
        explained.problem("second_auction_on")
        text += (
            f"但该日早于第一次拍卖流拍日{cn_date(failed_on)}，流拍后已无法满足公告期，"
            f"第二次拍卖最早可定于{cn_date(add_days(failed_on, days))}（second_auction_on）。"
        )
    return text


# --------------------------------------------------------------------------- the JSON face

_AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _parse_money(raw: Any, field: str, problems: list[InputProblem]) -> Decimal | None:
    value: Decimal | None = None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, float):  # only when the caller parsed JSON without parse_float=Decimal
        try:
            value = Decimal(repr(raw))
        except InvalidOperation:
            value = None
    elif isinstance(raw, str) and _AMOUNT_TEXT.fullmatch(raw.strip()):
        value = Decimal(raw.strip())
    if value is None or not value.is_finite():
        written = shown(raw) if raw is not None else "null"
        problems.append(
            InputProblem(
                field,
                f'应为金额（元），如 "1000000.00" 或数字，收到 {written}'
                f'（expected an amount in yuan, a string such as "1000000.00" or a number, got {written}）',
            )
        )
        return None
    try:
        _fen(value, field)
    except AuctionFactsError as exc:
        problems.append(InputProblem(field, exc.message))
        return None
    return value.quantize(Decimal("0.01")) + 0  # "+ 0": a typed "-0" becomes 0.00


def _parse_failures(raw: Any, problems: list[InputProblem]) -> tuple[AuctionFailure, ...]:
    if not isinstance(raw, list):
        problems.append(
            InputProblem(
                "failures", f"应为流拍记录的数组（expected an array of failures, got {json_type(raw)}）"
            )
        )
        return ()
    failures = []
    for index, raw_failure in enumerate(raw):
        field = f"failures[{index}]"
        if not isinstance(raw_failure, Mapping):
            problems.append(
                InputProblem(
                    field,
                    '应为对象 {"round": 1, "on": "YYYY-MM-DD"}'
                    f"（expected an object, got {json_type(raw_failure)}）",
                )
            )
            continue
        round_number = raw_failure.get("round")
        if isinstance(round_number, bool) or round_number not in (1, 2) or not isinstance(round_number, int):
            problems.append(
                InputProblem(
                    f"{field}.round",
                    f"轮次应为 1 或 2，收到 {shown(round_number)}（expected the round, 1 or 2）",
                )
            )
            round_number = None
        on = iso_date(raw_failure.get("on"), f"{field}.on", problems)
        if round_number is not None and on is not None:
            failures.append(AuctionFailure(round_number, on))
    return tuple(failures)


def parse_auction_facts(item: Mapping[str, Any]) -> AuctionFacts:
    """One contract input object as AuctionFacts; InputProblems naming every malformed field.
    Whether the facts fit together is auction_plan's check (AuctionFactsError)."""
    problems: list[InputProblem] = []
    kind = item.get("property")
    if kind is None:
        problems.append(
            InputProblem("property", f"缺少财产类别（missing; one of {', '.join(PROPERTY_KINDS)}）")
        )
    elif kind not in PROPERTY_KINDS:
        problems.append(
            InputProblem(
                "property",
                f"未知的财产类别 {shown(kind)}（unknown property; one of {', '.join(PROPERTY_KINDS)}）",
            )
        )
    reference = None
    if item.get("reference_price") is None:
        problems.append(
            InputProblem("reference_price", "缺少参考价（missing: the appraisal or reference price）")
        )
    else:
        reference = _parse_money(item["reference_price"], "reference_price", problems)
    prices = {
        field: _parse_money(item[field], field, problems) if item.get(field) is not None else None
        for field in ("first_starting_price", "second_starting_price")
    }
    days = {
        field: iso_date(item[field], field, problems) if item.get(field) is not None else None
        for field in ("first_auction_on", "second_auction_on")
    }
    failures = _parse_failures(item["failures"], problems) if item.get("failures") is not None else ()
    if problems:
        raise InputProblems(problems)
    assert isinstance(kind, str) and reference is not None  # noqa: S101 - narrows after the check
    return AuctionFacts(
        property=kind,
        reference_price=reference,
        first_starting_price=prices["first_starting_price"],
        first_auction_on=days["first_auction_on"],
        failures=failures,
        second_starting_price=prices["second_starting_price"],
        second_auction_on=days["second_auction_on"],
    )


def plan_as_json(plan: AuctionPlan) -> dict[str, Any]:
    """The contract's output object (without `id`); a round's dates appear only when known."""
    rounds = []
    for auction_round in plan.rounds:
        shown: dict[str, Any] = {
            "round": auction_round.round,
            "min_starting_price": f"{auction_round.min_starting_price:.2f}",
            "starting_price": f"{auction_round.starting_price:.2f}",
        }
        for key in ("latest_auction_on", "latest_auction_on_legal", "notice_by"):
            day = getattr(auction_round, key)
            if day is not None:
                shown[key] = day.isoformat()
        rounds.append(shown)
    return {
        "rounds": rounds,
        "next": plan.next,
        "problems": list(plan.problems),
        "steps": [{"source": step.source, "text": step.text} for step in plan.steps],
    }


def auction_plan_json(item: Mapping[str, Any], *, calendar: RestDayCalendar) -> dict[str, Any]:
    """One contract input object in, one output object out (`id` echoed when given); bad or
    inconsistent input raises InputProblems, each problem naming its field."""
    facts = parse_auction_facts(item)
    try:
        plan = auction_plan(facts, calendar=calendar)
    except AuctionFactsError as exc:
        raise InputProblems([InputProblem(exc.field, exc.message)]) from None
    output: dict[str, Any] = {"id": item["id"]} if "id" in item else {}
    output.update(plan_as_json(plan))
    return output
