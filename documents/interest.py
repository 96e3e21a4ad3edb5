"""Interest to a chosen date, as a table of rows: contract, penalty and compound interest
(`simple`), and the doubled part of the debt interest for late performance of a judgment
(`delay`, 迟延履行期间的加倍部分债务利息, CPL 264 and 法释〔2014〕8号).

Pure and Django-free, so that the case's documents, the case page and the `interest` command
call the same code. Rules: /work/shared/contracts/interest-calculator.md.

Public API
----------
Facts in, result out (frozen dataclasses; money is Decimal in yuan, dates are `date`):

- ``simple_interest(facts: SimpleInterestFacts) -> InterestResult``: interest on a principal
  at an annual rate from ``facts.start`` (counted) to ``facts.end`` (not counted), day basis
  360 or 365, with ``InterestChange``s (a new principal and/or a new rate from a day). Use it
  for contract interest, for penalty interest (overdue principal at the penalty rate) and for
  compound interest (unpaid interest at the compound rate): one call each.
- ``delay_interest(facts: DelayInterestFacts) -> InterestResult``: base × 0.0175% per day
  over the days d with ``facts.period_end`` < d ≤ ``facts.performed_on``, less the
  ``ExcludedSpan``s, with ``DelayPayment``s lowering the base after their day.
- ``interest_calculate(facts)``: either of the two, by the type of ``facts``.
- ``InterestFactsError(message, field=...)``: raised by the three above for facts that cannot
  all be true (``to`` before ``from``, a change or payment outside the span, payments above
  the base, a total too large to write in words); ``field`` names the contract's input key
  (``changes[1].on``, ``payments[0].amount``).
- ``InterestResult``: ``kind``, ``rows`` (``InterestRow``: start, end, days, base, rate label,
  interest rounded half up to the fen), ``total`` (the sum of the rows), ``total_in_words``
  (``amount_in_words(total)``) and ``steps`` (``InterestStep``: source, text).

The JSON face (the command's): ``parse_interest_facts(item)`` (InputProblems naming every bad
field), ``result_as_json(result)`` and ``interest_json(item)`` (one contract object in, one out).

Money is whole fen inside; each row's interest is computed exactly as a fraction of a fen and
rounded once, half up.
"""

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from documents.amount_words import amount_in_words
from recovery.checks.problems import InputProblem, InputProblems, iso_date, json_type, shown

SIMPLE = "simple"
DELAY = "delay"
KINDS = (SIMPLE, DELAY)

# Banks' rule (银发〔2005〕129号): daily rate = annual rate / 360; a contract may agree 365.
DEFAULT_DAY_BASIS = 360
DAY_BASES = (360, 365)
# 法释〔2014〕8号 art. 1: the doubled part is the unpaid debt × 日万分之一点七五 × days.
DELAY_DAILY_RATE = Fraction(175, 1_000_000)
DELAY_RATE_LABEL = "0.0175% per day"

SOURCE_CONTRACT_INTEREST = "民法典第674条"
SOURCE_OVERDUE_INTEREST = "民法典第676条"
SOURCE_DAY_BASIS = "银发〔2005〕129号"
SOURCE_CPL_DOUBLED = "民事诉讼法第264条"
SOURCE_DELAY_BASE = "法释〔2014〕8号第1条"
SOURCE_DELAY_START = "法释〔2014〕8号第2条"
SOURCE_DELAY_END = "法释〔2014〕8号第3条"
SOURCE_DELAY_EXCLUDED = "法释〔2014〕8号第3条第3款"
SOURCE_ROUNDING = "计算规则"

# amount-in-words.md: capitals are written below 10^16 yuan; inputs and totals stay below.
MAX_YUAN = Decimal(10) ** 16
_MAX_FEN = int(MAX_YUAN) * 100
# No agreed rate reaches 1000% a year; the bound keeps a typo from passing as a rate.
MAX_ANNUAL_RATE_PERCENT = Decimal(1000)
_MAX_RATE_PLACES = 8


class InterestFactsError(ValueError):
    """Facts that cannot all be true; `field` names the contract's input key."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.message = message
        self.field = field


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class InterestChange:
    """From day `on` (counted at the new values): a new principal and/or a new annual rate."""

    on: date
    principal: Decimal | None = None
    annual_rate_percent: Decimal | None = None


@dataclass(frozen=True)
class SimpleInterestFacts:
    """Interest on `principal` at `annual_rate_percent` from `start` (counted) to `end` (not
    counted): the contract's `from` and `to`."""

    principal: Decimal
    annual_rate_percent: Decimal
    start: date
    end: date
    day_basis: int = DEFAULT_DAY_BASIS
    changes: tuple[InterestChange, ...] = ()


@dataclass(frozen=True)
class DelayPayment:
    """`amount` of the judgment debt (without the general interest) paid on `on`."""

    on: date
    amount: Decimal


@dataclass(frozen=True)
class ExcludedSpan:
    """Days `first` to `last`, both counted, on which the doubled interest does not run."""

    first: date
    last: date


@dataclass(frozen=True)
class DelayInterestFacts:
    """The doubled interest on `base` from the day after `period_end` to `performed_on` (the
    contract's `to`), both of those counted."""

    base: Decimal
    period_end: date
    performed_on: date
    payments: tuple[DelayPayment, ...] = ()
    excluded: tuple[ExcludedSpan, ...] = ()


InterestFacts = SimpleInterestFacts | DelayInterestFacts


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class InterestRow:
    """One span with one base and one rate. For `simple`, `start` is the first counted day and
    `end` the span's end (not counted); for `delay`, the first and the last counted day."""

    start: date
    end: date
    days: int
    base: Decimal
    rate: str
    interest: Decimal


@dataclass(frozen=True)
class InterestStep:
    source: str
    text: str


@dataclass(frozen=True)
class InterestResult:
    kind: str
    rows: tuple[InterestRow, ...]
    total: Decimal
    total_in_words: str
    steps: tuple[InterestStep, ...] = ()


# --------------------------------------------------------------------------- money


def _fen(value: Decimal, field: str) -> int:
    """`value` yuan as whole fen; InterestFactsError unless a whole-fen amount, 0 ≤ it < 10^16."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InterestFactsError(f"{value} 不是金额（{value} is not an amount）", field=field)
    if value < 0:
        raise InterestFactsError(f"金额不得为负数：{value}（must not be negative: {value}）", field=field)
    if value.adjusted() >= 16:
        raise InterestFactsError(
            f"{value} 元超出范围（too large; amounts must be below 10^16 yuan）", field=field
        )
    if value and value.adjusted() < -2:  # under a fen: refused before it becomes a huge fraction
        raise InterestFactsError(
            f"{value} 元不是整分金额（not a whole number of fen; at most two decimal places）", field=field
        )
    numerator, denominator = value.as_integer_ratio()
    fen, leftover = divmod(numerator * 100, denominator)
    if leftover:
        raise InterestFactsError(
            f"{value} 元不是整分金额（not a whole number of fen; at most two decimal places）", field=field
        )
    return fen


def _decimal(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _yuan(fen: int) -> str:
    """How steps write money: 350,000.00元."""
    whole, cents = divmod(fen, 100)
    return f"{whole:,}.{cents:02d}元"


def _yuan_of(amount: Decimal) -> str:
    return _yuan(int(amount.scaleb(2)))


def _round_half_up(exact_fen: Fraction) -> int:
    """A non-negative amount of fen rounded half up to a whole fen (the contract's rounding)."""
    return int((exact_fen + Fraction(1, 2)).__floor__())


def _percent_text(rate: Decimal) -> str:
    """7.2, 6.9, 4.35: a rate as written, without trailing zeros or an exponent."""
    return format(rate.normalize(), "f")


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --------------------------------------------------------------------------- amount in words


def simple_interest(facts: SimpleInterestFacts) -> InterestResult:
    """Contract, penalty or compound interest from `start` (counted) to `end` (not counted)."""
    _check_simple(facts)
    principal = _fen(facts.principal, "principal")
    rate = facts.annual_rate_percent
    basis = facts.day_basis
    steps = [_simple_method_step(basis)]
    rows: list[InterestRow] = []
    cursor = facts.start
    for day, changes in _changes_by_day(facts.changes):
        if cursor < day:
            rows.append(_simple_row(cursor, day, principal, rate, basis))
            cursor = day
        for index, change in changes:
            if change.principal is not None:
                principal = _fen(change.principal, f"changes[{index}].principal")
            if change.annual_rate_percent is not None:
                rate = change.annual_rate_percent
        steps.append(_change_step(day, principal, rate))
    if cursor < facts.end:
        rows.append(_simple_row(cursor, facts.end, principal, rate, basis))
    steps.extend(_simple_row_step(row, basis) for row in rows)
    return _result(SIMPLE, rows, steps, "principal")


def _check_simple(facts: SimpleInterestFacts) -> None:
    # 算头不算尾 (contract): days = to − from, so `to` may not precede `from`.
    if facts.end < facts.start:
        raise InterestFactsError(
            f"计息截止日 {facts.end} 早于起算日 {facts.start}（`to` is before `from`）", field="to"
        )
    if facts.day_basis not in DAY_BASES:
        raise InterestFactsError(
            f"年计息天数应为 360 或 365，收到 {facts.day_basis}（day_basis must be 360 or 365）",
            field="day_basis",
        )
    _fen(facts.principal, "principal")
    _check_rate(facts.annual_rate_percent, "annual_rate_percent")
    for index, change in enumerate(facts.changes):
        if not facts.start <= change.on <= facts.end:
            raise InterestFactsError(
                f"变更日 {change.on} 不在计息期间 {facts.start} 至 {facts.end} 之内"
                "（a change outside the span from `from` to `to`）",
                field=f"changes[{index}].on",
            )
        if change.principal is None and change.annual_rate_percent is None:
            raise InterestFactsError(
                "变更应包含 principal 或 annual_rate_percent（a change must set a principal or a rate）",
                field=f"changes[{index}]",
            )
        if change.principal is not None:
            _fen(change.principal, f"changes[{index}].principal")
        if change.annual_rate_percent is not None:
            _check_rate(change.annual_rate_percent, f"changes[{index}].annual_rate_percent")


def _check_rate(rate: Decimal, field: str) -> None:
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0 or rate > MAX_ANNUAL_RATE_PERCENT:
        raise InterestFactsError(
            f"年利率（%）应在 0 至 {MAX_ANNUAL_RATE_PERCENT} 之间，收到 {rate}"
            f"（an annual rate in percent from 0 to {MAX_ANNUAL_RATE_PERCENT})",
            field=field,
        )


def _changes_by_day(
    changes: Sequence[InterestChange],
) -> list[tuple[date, list[tuple[int, InterestChange]]]]:
    """The changes grouped by day, days in order, each day's changes in input order (a later one
    overrides an earlier one on the same day)."""
    by_day: dict[date, list[tuple[int, InterestChange]]] = {}
    for index, change in enumerate(changes):
        by_day.setdefault(change.on, []).append((index, change))
    return sorted(by_day.items())


def _simple_rate_label(rate: Decimal, basis: int) -> str:
    return f"{_percent_text(rate)}% per year / {basis}"


def _simple_row(start: date, end: date, principal_fen: int, rate: Decimal, basis: int) -> InterestRow:
    days = (end - start).days
    # 民法典第674条、第676条: principal × annual rate / day basis × days, rounded half up once.
    exact = Fraction(principal_fen) * Fraction(rate) / 100 / basis * days
    return InterestRow(
        start=start,
        end=end,
        days=days,
        base=_decimal(principal_fen),
        rate=_simple_rate_label(rate, basis),
        interest=_decimal(_round_half_up(exact)),
    )


def _simple_method_step(basis: int) -> InterestStep:
    why = "银行计息规则" if basis == 360 else "按约定"
    return InterestStep(
        f"{SOURCE_CONTRACT_INTEREST}、{SOURCE_OVERDUE_INTEREST}、{SOURCE_DAY_BASIS}",
        f"利息＝基数×年利率÷{basis}×天数（日利率＝年利率÷{basis}，{why}）；罚息以逾期本金为基数、"
        "复利以欠付利息为基数，按各自利率同法计算。天数算头不算尾：起算日计入，截止日不计入。",
    )


def _change_step(day: date, principal_fen: int, rate: Decimal) -> InterestStep:
    return InterestStep(
        SOURCE_CONTRACT_INTEREST,
        f"自{_cn(day)}起（当日计入），基数为{_yuan(principal_fen)}，年利率{_percent_text(rate)}%。",
    )


def _simple_row_step(row: InterestRow, basis: int) -> InterestStep:
    return InterestStep(
        SOURCE_CONTRACT_INTEREST,
        f"{_cn(row.start)}至{_cn(row.end)}（不含）共{row.days}天：{_yuan_of(row.base)}×"
        f"{row.rate.split('%')[0]}%÷{basis}×{row.days}天＝{_yuan_of(row.interest)}。",
    )


# --------------------------------------------------------------------------- delay


def delay_interest(facts: DelayInterestFacts) -> InterestResult:
    """The doubled part of the debt interest for late performance (法释〔2014〕8号)."""
    _check_delay(facts)
    excluded = _merged_exclusions(facts)
    base = _fen(facts.base, "base")
    steps = _delay_method_steps(facts, base, excluded)
    rows: list[InterestRow] = []
    last_uncounted = facts.period_end
    for day, paid in _payments_by_day(facts.payments):
        row = _delay_row(last_uncounted, day, base, excluded)
        if row is not None:
            rows.append(row)
        base -= paid
        last_uncounted = day
        # 法释〔2014〕8号 art. 3: the paid part bears the doubled interest up to its day of payment.
        steps.append(
            InterestStep(
                SOURCE_DELAY_END,
                f"{_cn(day)}履行{_yuan(paid)}，该部分计至当日；次日起基数为{_yuan(base)}。",
            )
        )
    row = _delay_row(last_uncounted, facts.performed_on, base, excluded)
    if row is not None:
        rows.append(row)
    steps.extend(_delay_row_step(row) for row in rows)
    return _result(DELAY, rows, steps, "base")


def _check_delay(facts: DelayInterestFacts) -> None:
    base = _fen(facts.base, "base")
    # 法释〔2014〕8号 arts 2–3: the days after the period's end up to performance.
    if facts.performed_on < facts.period_end:
        raise InterestFactsError(
            f"履行完毕之日 {facts.performed_on} 早于履行期间届满之日 {facts.period_end}"
            "（`to` is before `period_end`）",
            field="to",
        )
    for index, payment in enumerate(facts.payments):
        if not facts.period_end < payment.on <= facts.performed_on:
            raise InterestFactsError(
                f"履行日 {payment.on} 不在迟延履行期间 {facts.period_end}（不含）至 {facts.performed_on} 之内"
                "（a payment outside the span after `period_end` up to `to`）",
                field=f"payments[{index}].on",
            )
        _fen(payment.amount, f"payments[{index}].amount")
    remaining = base
    for index, payment in sorted(enumerate(facts.payments), key=lambda pair: pair[1].on):
        remaining -= _fen(payment.amount, f"payments[{index}].amount")
        if remaining < 0:
            raise InterestFactsError(
                f"履行金额合计超过基数 {_yuan(base)}，基数将为负数"
                "（the payments exceed the base: the base would become negative）",
                field=f"payments[{index}].amount",
            )
    for index, span in enumerate(facts.excluded):
        if span.last < span.first:
            raise InterestFactsError(
                f"不计算期间的截止日 {span.last} 早于起始日 {span.first}（`to` is before `from`）",
                field=f"excluded[{index}].to",
            )


def _payments_by_day(payments: Iterable[DelayPayment]) -> list[tuple[date, int]]:
    """(day, fen paid that day), days in order: payments on one day make one split."""
    by_day: dict[date, int] = {}
    for payment in payments:
        by_day[payment.on] = by_day.get(payment.on, 0) + _fen(payment.amount, "payments")
    return sorted(by_day.items())


def _merged_exclusions(facts: DelayInterestFacts) -> list[tuple[date, date]]:
    """The excluded spans clipped to the counted days (after `period_end`, up to `to`),
    overlapping or adjacent ones merged, in order."""
    first_counted = facts.period_end + timedelta(days=1)
    clipped = sorted(
        (max(span.first, first_counted), min(span.last, facts.performed_on))
        for span in facts.excluded
        if span.last >= first_counted and span.first <= facts.performed_on
    )
    merged: list[tuple[date, date]] = []
    for first, last in clipped:
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _delay_row(
    after: date, through: date, base_fen: int, excluded: Sequence[tuple[date, date]]
) -> InterestRow | None:
    """The row for the days d with after < d ≤ through at `base_fen`, or None if none counts."""
    first, last = after + timedelta(days=1), through
    # 法释〔2014〕8号 art. 3 para 3: days of a suspension not requested by the debtor do not count.
    for span_first, span_last in excluded:
        if span_first <= first <= span_last:
            first = span_last + timedelta(days=1)
    for span_first, span_last in reversed(excluded):
        if span_first <= last <= span_last:
            last = span_first - timedelta(days=1)
    if last < first:
        return None
    days = (last - first).days + 1
    for span_first, span_last in excluded:
        overlap = (min(span_last, last) - max(span_first, first)).days + 1
        days -= max(overlap, 0)
    # 法释〔2014〕8号 art. 1: unpaid debt × 日万分之一点七五 × days, rounded half up once.
    exact = Fraction(base_fen) * DELAY_DAILY_RATE * days
    return InterestRow(
        start=first,
        end=last,
        days=days,
        base=_decimal(base_fen),
        rate=DELAY_RATE_LABEL,
        interest=_decimal(_round_half_up(exact)),
    )


def _delay_method_steps(
    facts: DelayInterestFacts, base_fen: int, excluded: Sequence[tuple[date, date]]
) -> list[InterestStep]:
    steps = [
        InterestStep(
            SOURCE_CPL_DOUBLED,
            "被执行人未按法律文书指定的期间履行给付金钱义务的，应当加倍支付迟延履行期间的债务利息。",
        ),
        InterestStep(
            SOURCE_DELAY_BASE,
            f"加倍部分债务利息＝尚未清偿的、不含一般债务利息的金钱债务（{_yuan(base_fen)}）"
            "×日万分之一点七五×迟延履行期间。",
        ),
        InterestStep(
            SOURCE_DELAY_START,
            f"履行期间于{_cn(facts.period_end)}届满，"
            f"自次日{_cn(facts.period_end + timedelta(days=1))}起计算；"
            f"计至履行完毕之日{_cn(facts.performed_on)}（当日计入）。",
        ),
    ]
    for first, last in excluded:
        steps.append(
            InterestStep(
                SOURCE_DELAY_EXCLUDED,
                f"{_cn(first)}至{_cn(last)}共{(last - first).days + 1}天，非因被执行人申请中止或暂缓执行，"
                "不计算加倍部分债务利息。",
            )
        )
    return steps


def _delay_row_step(row: InterestRow) -> InterestStep:
    return InterestStep(
        SOURCE_DELAY_BASE,
        f"{_cn(row.start)}至{_cn(row.end)}计{row.days}天：{_yuan_of(row.base)}×0.0175%×"
        f"{row.days}天＝{_yuan_of(row.interest)}。",
    )


# --------------------------------------------------------------------------- both


def interest_calculate(facts: InterestFacts) -> InterestResult:
    """`simple_interest` or `delay_interest`, by the type of `facts`."""
    if isinstance(facts, SimpleInterestFacts):
        return simple_interest(facts)
    return delay_interest(facts)


def _result(
    kind: str, rows: Sequence[InterestRow], steps: list[InterestStep], amount_field: str
) -> InterestResult:
    # Contract: each row rounded half up to the fen; the total is the sum of the rounded rows.
    total_fen = sum(int(row.interest.scaleb(2)) for row in rows)
    if total_fen >= _MAX_FEN:
        raise InterestFactsError(
            "利息合计达到 10^16 元，无法以大写金额表示（the total reaches 10^16 yuan, beyond words）",
            field=amount_field,
        )
    total = _decimal(total_fen)
    steps.append(
        InterestStep(
            SOURCE_ROUNDING,
            f"每行利息四舍五入至分，合计{_yuan(total_fen)}（{amount_in_words(total)}）。",
        )
    )
    return InterestResult(kind, tuple(rows), total, amount_in_words(total), tuple(steps))


# --------------------------------------------------------------------------- the JSON face

_NUMBER_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _number(raw: Any) -> Decimal | None:
    """A JSON number or a numeric string as an exact Decimal, or None."""
    value: Decimal | None = None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, float):  # only when the caller parsed JSON without parse_float=Decimal
        value = Decimal(repr(raw))
    elif isinstance(raw, str) and _NUMBER_TEXT.fullmatch(raw.strip()):
        value = Decimal(raw.strip())
    return value if value is not None and value.is_finite() else None


def _parse_money(
    item: Mapping[str, Any], key: str, field: str, problems: list[InputProblem]
) -> Decimal | None:
    raw = item.get(key)
    if raw is None:
        problems.append(InputProblem(field, "缺少金额（missing: an amount in yuan）"))
        return None
    value = _number(raw)
    if value is None:
        problems.append(
            InputProblem(
                field,
                f'应为金额（元），如 "350000.00" 或数字，收到 {shown(raw)}'
                f'（expected an amount in yuan, a string such as "350000.00" or a number）',
            )
        )
        return None
    try:
        _fen(value, field)
    except InterestFactsError as exc:
        problems.append(InputProblem(field, exc.message))
        return None
    return value.quantize(Decimal("0.01")) + 0  # "+ 0": a typed "-0" becomes 0.00


def _parse_rate(raw: Any, field: str, problems: list[InputProblem]) -> Decimal | None:
    value = _number(raw)
    if value is None or value < 0 or value > MAX_ANNUAL_RATE_PERCENT:
        problems.append(
            InputProblem(
                field,
                f'应为 0 至 {MAX_ANNUAL_RATE_PERCENT} 之间的年利率（%），如 "7.2"，收到 {shown(raw)}'
                f'（expected an annual rate in percent, such as "7.2"）',
            )
        )
        return None
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > _MAX_RATE_PLACES:
        problems.append(
            InputProblem(
                field,
                f"年利率最多 {_MAX_RATE_PLACES} 位小数，收到 {shown(raw)}"
                f"（at most {_MAX_RATE_PLACES} decimal places; never rounded silently）",
            )
        )
        return None
    return value + 0


def _parse_date(item: Mapping[str, Any], key: str, field: str, problems: list[InputProblem]) -> date | None:
    raw = item.get(key)
    if raw is None:
        problems.append(InputProblem(field, "缺少日期（missing: an ISO date YYYY-MM-DD）"))
        return None
    return iso_date(raw, field, problems)


def _objects(
    item: Mapping[str, Any], key: str, problems: list[InputProblem]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field prefix, object) of each entry of the optional array `key`, in order; an entry that
    is not an object becomes a problem when reached, so that problems come in index order."""
    raw = item.get(key)
    if raw is None:
        return
    if not isinstance(raw, list):
        problems.append(InputProblem(key, f"应为数组（expected an array, got {json_type(raw)}）"))
        return
    for index, entry in enumerate(raw):
        field = f"{key}[{index}]"
        if isinstance(entry, Mapping):
            yield field, entry
        else:
            problems.append(InputProblem(field, f"应为对象（expected an object, got {json_type(entry)}）"))


def _parse_day_basis(raw: Any, problems: list[InputProblem]) -> int:
    if raw is None:
        return DEFAULT_DAY_BASIS
    value = _number(raw)
    if value is None or value not in DAY_BASES:
        problems.append(
            InputProblem("day_basis", f"应为 360 或 365，收到 {shown(raw)}（expected 360 or 365）")
        )
        return DEFAULT_DAY_BASIS
    return int(value)


def _parse_change(
    field: str, entry: Mapping[str, Any], problems: list[InputProblem]
) -> InterestChange | None:
    found = len(problems)
    on = _parse_date(entry, "on", f"{field}.on", problems)
    principal = rate = None
    if entry.get("principal") is not None:
        principal = _parse_money(entry, "principal", f"{field}.principal", problems)
    if entry.get("annual_rate_percent") is not None:
        rate = _parse_rate(entry["annual_rate_percent"], f"{field}.annual_rate_percent", problems)
    if entry.get("principal") is None and entry.get("annual_rate_percent") is None:
        problems.append(
            InputProblem(
                field,
                "变更应包含 principal 或 annual_rate_percent（a change must set a principal or a rate）",
            )
        )
    if len(problems) > found or on is None:
        return None
    return InterestChange(on=on, principal=principal, annual_rate_percent=rate)


def _parse_simple(item: Mapping[str, Any], problems: list[InputProblem]) -> SimpleInterestFacts | None:
    principal = _parse_money(item, "principal", "principal", problems)
    rate = None
    if item.get("annual_rate_percent") is None:
        problems.append(
            InputProblem("annual_rate_percent", "缺少年利率（missing: the annual rate in percent）")
        )
    else:
        rate = _parse_rate(item["annual_rate_percent"], "annual_rate_percent", problems)
    start = _parse_date(item, "from", "from", problems)
    end = _parse_date(item, "to", "to", problems)
    basis = _parse_day_basis(item.get("day_basis"), problems)
    changes = [_parse_change(field, entry, problems) for field, entry in _objects(item, "changes", problems)]
    if principal is None or rate is None or start is None or end is None or None in changes:
        return None
    return SimpleInterestFacts(
        principal=principal,
        annual_rate_percent=rate,
        start=start,
        end=end,
        day_basis=basis,
        changes=tuple(change for change in changes if change is not None),
    )


def _parse_delay(item: Mapping[str, Any], problems: list[InputProblem]) -> DelayInterestFacts | None:
    base = _parse_money(item, "base", "base", problems)
    period_end = _parse_date(item, "period_end", "period_end", problems)
    performed_on = _parse_date(item, "to", "to", problems)
    payments: list[DelayPayment | None] = []
    for field, entry in _objects(item, "payments", problems):
        on = _parse_date(entry, "on", f"{field}.on", problems)
        amount = _parse_money(entry, "amount", f"{field}.amount", problems)
        payments.append(DelayPayment(on, amount) if on is not None and amount is not None else None)
    excluded: list[ExcludedSpan | None] = []
    for field, entry in _objects(item, "excluded", problems):
        first = _parse_date(entry, "from", f"{field}.from", problems)
        last = _parse_date(entry, "to", f"{field}.to", problems)
        excluded.append(ExcludedSpan(first, last) if first is not None and last is not None else None)
    if base is None or period_end is None or performed_on is None or None in payments or None in excluded:
        return None
    return DelayInterestFacts(
        base=base,
        period_end=period_end,
        performed_on=performed_on,
        payments=tuple(payment for payment in payments if payment is not None),
        excluded=tuple(span for span in excluded if span is not None),
    )


def parse_interest_facts(item: Mapping[str, Any]) -> InterestFacts:
    """One contract input object as SimpleInterestFacts or DelayInterestFacts; InputProblems
    naming every malformed field. Whether the facts fit together is the calculation's check."""
    problems: list[InputProblem] = []
    kind = item.get("kind")
    facts: InterestFacts | None = None
    if kind == SIMPLE:
        facts = _parse_simple(item, problems)
    elif kind == DELAY:
        facts = _parse_delay(item, problems)
    elif kind is None:
        problems.append(InputProblem("kind", f"缺少计算类别（missing; one of {', '.join(KINDS)}）"))
    else:
        problems.append(
            InputProblem("kind", f"未知的计算类别 {shown(kind)}（unknown kind; one of {', '.join(KINDS)}）")
        )
    if problems or facts is None:
        raise InputProblems(problems)
    return facts


def result_as_json(result: InterestResult) -> dict[str, Any]:
    """The contract's output object (without `id`)."""
    return {
        "kind": result.kind,
        "rows": [
            {
                "from": row.start.isoformat(),
                "to": row.end.isoformat(),
                "days": row.days,
                "base": f"{row.base:.2f}",
                "rate": row.rate,
                "interest": f"{row.interest:.2f}",
            }
            for row in result.rows
        ],
        "total": f"{result.total:.2f}",
        "total_in_words": result.total_in_words,
        "steps": [{"source": step.source, "text": step.text} for step in result.steps],
    }


def interest_json(item: Mapping[str, Any]) -> dict[str, Any]:
    """One contract input object in, one output object out (`id` echoed first when given); bad
    or inconsistent input raises InputProblems, each problem naming its field."""
    facts = parse_interest_facts(item)
    try:
        result = interest_calculate(facts)
    except InterestFactsError as exc:
        raise InputProblems([InputProblem(exc.field, exc.message)]) from None
    output: dict[str, Any] = {"id": item["id"]} if "id" in item else {}
    output.update(result_as_json(result))
    return output
