"""The distribution waterfall: who is paid how much when a seized asset is sold.

Pure and Django-free, so the asset page, the `waterfall` command and the benchmark all call the
same code. The rules are those of /work/shared/contracts/waterfall-calculator.md (law.md §3.7,
§4.4–4.6): costs, statutory priorities, security interests by registration date, then ordinary
creditors by seizure date (legal-person debtor) or pro rata (natural-person debtor), surplus.

Money is Decimal at the edges and whole fen (int) inside: integer arithmetic is exact, and the
pro-rata split needs exact quotients and remainders to hand out leftover fen fairly.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, NamedTuple

from recovery.checks.dates import EARLIEST_SUPPORTED_DATE, LATEST_SUPPORTED_DATE
from recovery.checks.problems import json_type, shown


class DebtorType(StrEnum):
    LEGAL_PERSON = "legal_person"
    NATURAL_PERSON = "natural_person"


class ClaimKind(StrEnum):
    PRIORITY = "priority"
    MORTGAGE = "mortgage"
    PLEDGE = "pledge"
    SEIZURE = "seizure"
    TITLE_ONLY = "title_only"


class SeizureStatus(StrEnum):
    ACTIVE = "active"
    LIFTED = "lifted"
    LAPSED = "lapsed"


SECURITY_KINDS = frozenset({ClaimKind.MORTGAGE, ClaimKind.PLEDGE})

# On Python 3.11 reading a member through its enum class (ClaimKind.SEIZURE) costs ten times a
# module global; the per-claim loops of distribute() use these instead.
_PRIORITY = ClaimKind.PRIORITY
_MORTGAGE = ClaimKind.MORTGAGE
_PLEDGE = ClaimKind.PLEDGE
_SEIZURE = ClaimKind.SEIZURE
_ACTIVE = SeizureStatus.ACTIVE
_LEGAL_PERSON = DebtorType.LEGAL_PERSON

# No real asset is worth a billion billion yuan; the cap keeps a typo such as 1E+999999 from
# turning into a gigantic integer, and keeps every fen amount well inside Decimal's precision.
MAX_YUAN = Decimal(10) ** 18

_KIND_NAMES = {
    ClaimKind.PRIORITY: "优先权",
    ClaimKind.MORTGAGE: "抵押权",
    ClaimKind.PLEDGE: "质权",
    ClaimKind.SEIZURE: "查封债权",
    ClaimKind.TITLE_ONLY: "普通债权",
}


@dataclass(frozen=True, slots=True)
class Claim:
    """One right against the asset's proceeds.

    `reference` is the caller's own handle (e.g. an encumbrance's primary key); it is carried
    through to the allocation untouched and never used in the computation.
    """

    kind: ClaimKind
    amount: Decimal
    creditor: str | None = None
    registered_on: date | None = None  # mortgages and pledges; None means unregistered
    seized_on: date | None = None  # seizures
    status: SeizureStatus = SeizureStatus.ACTIVE  # seizures
    reference: Any = None

    def __post_init__(self) -> None:
        # Callers often hold plain strings (a model field's TextChoices value) and the waterfall
        # compares enum members by identity, so convert here, once.
        if type(self.kind) is not ClaimKind:
            object.__setattr__(self, "kind", ClaimKind(self.kind))
        if type(self.status) is not SeizureStatus:
            object.__setattr__(self, "status", SeizureStatus(self.status))
        if type(self.amount) is not Decimal:
            object.__setattr__(self, "amount", as_decimal(self.amount))

    @property
    def ranks_as_seizure(self) -> bool:
        """A lifted or lapsed seizure gives no rank: its creditor counts as title_only."""
        return self.kind is ClaimKind.SEIZURE and self.status is SeizureStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Allocation:
    claim: Claim
    rank: int | None  # None: a title_only creditor that takes nothing from a legal person's asset
    paid: Decimal

    @property
    def shortfall(self) -> Decimal:
        return _fen_to_decimal(_decimal_to_fen(self.claim.amount) - _decimal_to_fen(self.paid))


@dataclass(frozen=True, slots=True)
class Step:
    source: str
    text: str


@dataclass(frozen=True, slots=True)
class Distribution:
    costs_paid: Decimal
    surplus: Decimal
    allocations: tuple[Allocation, ...]  # every claim once, in paying order
    steps: tuple[Step, ...]


# --------------------------------------------------------------------------- money helpers


def as_decimal(value: Decimal | int | str) -> Decimal:
    """A yuan amount as Decimal; floats are refused, since they cannot hold most fen exactly."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"an amount must be a Decimal, int or str, not {type(value).__name__}")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not an amount") from exc


_MAX_FEN = int(MAX_YUAN) * 100
_ZERO = Decimal("0.00")
_UNNAMED = "（未具名债权人）"


def _decimal_to_fen(value: Decimal) -> int:
    """Exact whole fen of a yuan amount; ValueError unless it is a whole number of fen."""
    # adjusted() first, so that 1E+999999 is refused before it becomes a gigantic integer.
    if value.adjusted() >= 18:
        raise ValueError(f"{value} yuan is implausibly large")
    # ... and a non-zero amount under a fen before 1E-999999 becomes a gigantic denominator.
    if value.is_finite() and value and value.adjusted() < -2:
        raise ValueError(f"{value} yuan is not a whole number of fen")
    try:
        numerator, denominator = value.as_integer_ratio()
    except (ValueError, OverflowError) as exc:  # NaN, Infinity
        raise ValueError(f"{value} is not an amount") from exc
    fen, leftover = divmod(numerator * 100, denominator)
    if leftover or fen >= _MAX_FEN:
        raise ValueError(f"{value} yuan is not a whole number of fen below {MAX_YUAN:,} yuan")
    return fen


_ONE_FEN = Decimal("0.01")
# Our own context, so that a caller who lowered the thread's precision cannot round a payment;
# 40 digits hold any amount below _MAX_FEN.
_exact_multiply = Context(prec=40).multiply


def _amounts_in_fen(claims: Sequence[Claim]) -> list[int]:
    """_decimal_to_fen over every claim, unrolled because it runs once per claim."""
    amounts_fen = []
    for claim in claims:
        amount = claim.amount
        if amount.adjusted() >= 18 or not amount.is_finite() or (amount and amount.adjusted() < -2):
            _decimal_to_fen(amount)  # raises, with the reason
        numerator, denominator = amount.as_integer_ratio()
        fen, leftover = divmod(numerator * 100, denominator)
        if leftover:
            raise ValueError(
                f"the claim of {claim.creditor or _UNNAMED} ({amount} yuan) is not a whole number of fen"
            )
        amounts_fen.append(fen)
    return amounts_fen


def _fen_to_decimal(fen: int) -> Decimal:
    # Multiplying keeps the exponent of 0.01, so 100 fen is Decimal("1.00"), not Decimal("1").
    return _exact_multiply(_ONE_FEN, fen)


def _yuan(fen: int) -> str:
    """How steps write money: 1,200,000.00元."""
    whole, cents = divmod(fen, 100)
    return f"{whole:,}.{cents:02d}元"


def split_pro_rata(available: int, amounts: Sequence[int]) -> list[int]:
    """Share `available` fen among `amounts` (fen) in proportion, never beyond an amount.

    Each share is rounded down to the fen; the fen left over go one each to the largest
    remainders, ties to the earlier claim, so the shares add up exactly to what was shared.
    """
    return _split(available, amounts, sum(amounts))


def _split(available: int, amounts: Sequence[int], total: int) -> list[int]:
    if available >= total:
        return list(amounts)
    if available <= 0:
        return [0] * len(amounts)
    shares: list[int] = []
    remainders: list[int] = []
    for amount in amounts:
        share, remainder = divmod(available * amount, total)
        shares.append(share)
        remainders.append(remainder)
    leftover = available - sum(shares)
    if leftover:
        # sorted() is stable, so equal remainders keep input order (reverse=True would not).
        by_remainder = sorted(range(len(amounts)), key=lambda index: -remainders[index])
        for index in by_remainder[:leftover]:
            shares[index] += 1
    return shares


# The __init__ that dataclasses write for a frozen class sends every field through
# object.__setattr__, which made building allocations and steps the costliest part of
# distribute(). Writing the slots directly yields the same frozen objects in half the time.
_new_instance = object.__new__
_set_claim = Allocation.__dict__["claim"].__set__
_set_rank = Allocation.__dict__["rank"].__set__
_set_paid = Allocation.__dict__["paid"].__set__
_set_source = Step.__dict__["source"].__set__
_set_text = Step.__dict__["text"].__set__


def _allocations(
    claims: Sequence[Claim], paying_order: Sequence[int], ranks: Sequence[int | None], paid_fen: Sequence[int]
) -> tuple[Allocation, ...]:
    allocations = []
    for index in paying_order:
        allocation = _new_instance(Allocation)
        _set_claim(allocation, claims[index])
        _set_rank(allocation, ranks[index])
        fen = paid_fen[index]
        _set_paid(allocation, _exact_multiply(_ONE_FEN, fen) if fen else _ZERO)
        allocations.append(allocation)
    return tuple(allocations)


def _step(source: str, text: str) -> Step:
    step = _new_instance(Step)
    _set_source(step, source)
    _set_text(step, text)
    return step


# --------------------------------------------------------------------------- the waterfall

# A tier is the claims paid together, sharing one rank: (indexes, source, heading of its step).
_Tier = tuple[list[int], str, str]


def distribute(
    *,
    debtor_type: DebtorType | str,
    proceeds: Decimal | int | str,
    costs: Decimal | int | str = _ZERO,
    claims: Sequence[Claim],
) -> Distribution:
    """Pay `proceeds` out to `claims` in legal order; see the module docstring for the rules.

    :raises ValueError: a negative or non-fen amount, an unknown debtor type, or an active
        seizure without `seized_on` against a legal-person debtor (its rank would be unknown).
    :raises TypeError: a float amount.
    """
    if type(debtor_type) is not DebtorType:
        debtor_type = DebtorType(debtor_type)
    legal_person = debtor_type is _LEGAL_PERSON
    proceeds_fen = _decimal_to_fen(as_decimal(proceeds))
    costs_fen = _decimal_to_fen(as_decimal(costs))
    amounts_fen = _amounts_in_fen(claims)
    if proceeds_fen < 0 or costs_fen < 0 or (amounts_fen and min(amounts_fen) < 0):
        raise ValueError("proceeds, costs and claim amounts cannot be negative")
    names = [claim.creditor or _UNNAMED for claim in claims]

    steps: list[Step] = []
    # 民诉法解释 514 / 508: the costs of enforcement come off the proceeds before any creditor.
    costs_paid = min(costs_fen, proceeds_fen)
    remaining = proceeds_fen - costs_paid
    if costs_fen:
        steps.append(_costs_step(legal_person, proceeds_fen, costs_fen))

    tiers, unranked, notes = _tiers(legal_person, claims, names)

    paid_fen = [0] * len(claims)
    ranks: list[int | None] = [None] * len(claims)
    paying_order: list[int] = []
    for rank, (members, source, heading) in enumerate(tiers, start=1):
        if len(members) == 1:
            index = members[0]
            tier_total = amounts_fen[index]
            share = tier_total if tier_total <= remaining else remaining
            paid_fen[index] = share
            ranks[index] = rank
            remaining_after = remaining - share
        else:
            tier_amounts = [amounts_fen[index] for index in members]
            tier_total = sum(tier_amounts)
            for index, share in zip(members, _split(remaining, tier_amounts, tier_total), strict=True):
                paid_fen[index] = share
                ranks[index] = rank
            remaining_after = remaining - min(remaining, tier_total)
        steps.append(
            _step(source, f"第{rank}顺位：{heading}{_payment_text(len(members), tier_total, remaining)}")
        )
        remaining = remaining_after
        paying_order += members
    paying_order += unranked
    steps += notes

    if remaining:
        # 执行工作规定 34: what exceeds the debts and the costs goes back to the debtor.
        steps.append(Step("执行工作规定第34条", f"清偿后剩余{_yuan(remaining)}，退还被执行人。"))

    return Distribution(
        costs_paid=_fen_to_decimal(costs_paid),
        surplus=_fen_to_decimal(remaining),
        allocations=_allocations(claims, paying_order, ranks, paid_fen),
        steps=tuple(steps),
    )


def _costs_step(legal_person: bool, proceeds_fen: int, costs_fen: int) -> Step:
    source = "民诉法解释第514条" if legal_person else "民诉法解释第508条"
    if costs_fen >= proceeds_fen:
        return Step(
            source,
            f"执行费用{_yuan(costs_fen)}不低于变价款{_yuan(proceeds_fen)}，变价款全部用于支付执行费用，"
            "各债权人均无可分配款项。",
        )
    return Step(
        source,
        f"变价款{_yuan(proceeds_fen)}先扣除执行费用{_yuan(costs_fen)}，"
        f"余{_yuan(proceeds_fen - costs_fen)}供分配。",
    )


class _Groups(NamedTuple):
    """The claims' indexes sorted into the buckets the tiers are built from."""

    priority: list[int]
    registered: dict[date, list[int]]
    unregistered: list[int]
    seized: dict[date, list[int]]
    ordinary: list[int]  # natural person: every ordinary creditor; legal person: the unseized
    any_active_seizure: bool


def _tiers(
    legal_person: bool, claims: Sequence[Claim], names: Sequence[str]
) -> tuple[list[_Tier], list[int], list[Step]]:
    """Group claims into paying tiers, in order.

    Also returns the indexes that take nothing (legal-person debtor, no effective seizure) and
    the steps explaining why, which come after the tiers' own steps.
    """
    groups = _group_claims(legal_person, claims, names)
    tiers = _security_tiers(groups, claims, names)
    if not legal_person:
        tiers += _natural_person_tiers(groups.ordinary, names)
        return tiers, [], []
    tiers += _seizure_tiers(groups.seized, names)
    return tiers, groups.ordinary, _unseized_notes(groups.ordinary, claims, names)


def _group_claims(legal_person: bool, claims: Sequence[Claim], names: Sequence[str]) -> _Groups:
    """Sort the claims into priority, security (by registration date), seizure and ordinary.

    :raises ValueError: an active seizure without `seized_on` against a legal-person debtor.
    """
    # Local lists, not the tuple's attributes, in the per-claim loop: it runs for every claim.
    priority: list[int] = []
    registered: dict[date, list[int]] = {}
    unregistered: list[int] = []
    seized: dict[date, list[int]] = {}
    ordinary: list[int] = []
    any_active_seizure = False
    for index, claim in enumerate(claims):
        kind = claim.kind
        if kind is _PRIORITY:
            priority.append(index)
        elif kind is _MORTGAGE or kind is _PLEDGE:
            if claim.registered_on is None:
                unregistered.append(index)
            elif claim.registered_on in registered:
                registered[claim.registered_on].append(index)
            else:
                registered[claim.registered_on] = [index]
        elif kind is _SEIZURE and claim.status is _ACTIVE:
            any_active_seizure = True
            if not legal_person:
                ordinary.append(index)
            elif claim.seized_on is None:
                raise ValueError(f"the seizure of {names[index]} has no seized_on date, so it has no rank")
            elif claim.seized_on in seized:
                seized[claim.seized_on].append(index)
            else:
                seized[claim.seized_on] = [index]
        else:
            ordinary.append(index)
    return _Groups(priority, registered, unregistered, seized, ordinary, any_active_seizure)


def _security_tiers(groups: _Groups, claims: Sequence[Claim], names: Sequence[str]) -> list[_Tier]:
    """The tiers ahead of every ordinary creditor: statutory priorities, then security interests."""
    tiers: list[_Tier] = []
    priority = groups.priority
    if priority:
        # CC 807 (and other statutory priorities): ahead of every security interest.
        tiers.append(
            (
                priority,
                "民法典第807条",
                "法定优先权（如建设工程价款优先受偿权）先于担保物权受偿："
                f"{'、'.join([names[i] for i in priority])}"
                f"{'，相互按债权比例清偿' if len(priority) > 1 else ''}。",
            )
        )
    for registered_on in sorted(groups.registered):
        # CC 414(1), 415: registered security interests rank by registration date.
        members = groups.registered[registered_on]
        tiers.append(
            (
                members,
                "民法典第414条",
                f"{_security_names(claims, names, members)}，登记于{registered_on.isoformat()}，"
                "按登记先后受偿"
                f"{'；同日登记，按债权比例清偿' if len(members) > 1 else ''}。",
            )
        )
    unregistered = groups.unregistered
    if unregistered:
        # CC 414(2)(3): unregistered after all registered ones, pro rata among themselves.
        caution = ""
        if groups.any_active_seizure:
            # 担保解释 54(3) may defeat an unregistered movable mortgage against a seizing
            # creditor; the contract still ranks it first, so the lawyer must check.
            caution = (
                "（注意：未登记的动产抵押不得对抗已采取保全或执行措施的债权人，担保解释第54条；"
                "本计算仍按约定规则排序，请核实）"
            )
        tiers.append(
            (
                unregistered,
                "民法典第414条",
                f"未登记的担保物权{_security_names(claims, names, unregistered)}，排在已登记者之后"
                f"{'，相互按债权比例清偿' if len(unregistered) > 1 else ''}{caution}。",
            )
        )
    return tiers


def _natural_person_tiers(ordinary: list[int], names: Sequence[str]) -> list[_Tier]:
    if not ordinary:
        return []
    # 民诉法解释 506–508: 参与分配, all ordinary creditors pro rata, seizure dates irrelevant.
    return [
        (
            ordinary,
            "民诉法解释第508条",
            f"被执行人为自然人，普通债权人{'、'.join([names[i] for i in ordinary])}参与分配，"
            "按债权比例受偿，查封先后及查封是否有效均不影响顺序（部分地方法院对首封债权人适当多分，"
            "无全国性规定，UNVERIFIED，本计算未采用）。",
        )
    ]


def _seizure_tiers(seized: dict[date, list[int]], names: Sequence[str]) -> list[_Tier]:
    tiers: list[_Tier] = []
    label = "（首封）"
    for seized_on in sorted(seized):
        # 执行工作规定 55; 民诉法解释 514: ordinary claims against a legal person, by seizure date.
        members = seized[seized_on]
        tiers.append(
            (
                members,
                "执行工作规定第55条",
                f"{'、'.join([names[i] for i in members])}于{seized_on.isoformat()}查封{label}，"
                "普通债权按查封先后顺序受偿（民诉法解释第514条）"
                f"{'；同日查封，按债权比例清偿' if len(members) > 1 else ''}。",
            )
        )
        label = "（轮候查封）"
    return tiers


def _unseized_notes(ordinary: list[int], claims: Sequence[Claim], names: Sequence[str]) -> list[Step]:
    """Why a legal-person debtor's unseized ordinary creditors take nothing from this asset."""
    if not ordinary:
        return []
    notes = [
        _inactive_seizure_step(claims[index], names[index])
        for index in ordinary
        if claims[index].kind is _SEIZURE
    ]
    # 民诉法解释 514: only seizing creditors are paid from this asset.
    notes.append(
        Step(
            "民诉法解释第514条",
            "被执行人为法人，普通债权只按查封先后顺序从本财产受偿；"
            f"{'、'.join([names[i] for i in ordinary])}"
            "未有效查封本财产，不参加本财产的分配，列于最后、无顺位（可另行查封其他财产，或申请移送破产）。",
        )
    )
    return notes


def _security_names(claims: Sequence[Claim], names: Sequence[str], indexes: Sequence[int]) -> str:
    return "、".join([f"{names[index]}的{_KIND_NAMES[claims[index].kind]}" for index in indexes])


def _inactive_seizure_step(claim: Claim, name: str) -> Step:
    when = f"（{claim.seized_on.isoformat()}）" if claim.seized_on else ""
    if claim.status is SeizureStatus.LAPSED:
        # 查扣冻规定 27: a seizure not renewed before its term ends loses its effect.
        return Step(
            "查扣冻规定第27条",
            f"{name}的查封{when}期限届满未续行，已失效，不再享有查封顺位，按未查封的普通债权人处理。",
        )
    # 查扣冻规定 26: once a seizure is lifted, the next waiting seizure takes its place.
    return Step(
        "查扣冻规定第26条",
        f"{name}的查封{when}已解除，不再享有查封顺位，在后的轮候查封依次递进，按未查封的普通债权人处理。",
    )


def _payment_text(member_count: int, total: int, available: int) -> str:
    """Whether the `available` fen covered the tier's `total`; the shares are in the allocations."""
    if available >= total:
        return "全额清偿。"
    if available == 0:
        return "可分配款已用尽，本顺位未获清偿。"
    if member_count == 1:
        return f"可分配款仅余{_yuan(available)}，全部归本顺位，不足部分未获清偿。"
    return (
        f"可分配款仅余{_yuan(available)}，不足清偿本顺位，按债权比例分配"
        "（舍至分，余下的分按尾数大小依次补足，尾数相同者在前者优先）。"
    )


# --------------------------------------------------------------------------- the JSON face


class WaterfallInputError(ValueError):
    """Everything wrong with one JSON input: (field, message) pairs, field dotted like claims[2].amount."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))
        self.problems = tuple(problems)


_AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_money(raw: Any, field: str, problems: list[tuple[str, str]], suffix: str = "") -> Decimal | None:
    expected = 'an amount in yuan, a string such as "1200000.00" or a number'
    if isinstance(raw, bool) or raw is None:
        problems.append((field, f"must be {expected}, got {json_type(raw)}{suffix}"))
        return None
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, float):
        # Only when a caller parsed JSON without parse_float=Decimal: repr() gives back the
        # shortest decimal text of the number, which is what the user typed for ordinary amounts.
        try:
            value = Decimal(repr(raw))
        except InvalidOperation:
            value = Decimal("NaN")
    elif isinstance(raw, str):
        text = raw.strip()
        if not _AMOUNT_TEXT.fullmatch(text):
            problems.append((field, f"must be {expected}, got {shown(raw)}{suffix}"))
            return None
        value = Decimal(text)
    else:
        problems.append((field, f"must be {expected}, got {json_type(raw)}{suffix}"))
        return None
    if not value.is_finite():
        problems.append((field, f"must be a finite amount, got {shown(raw)}{suffix}"))
        return None
    if value < 0:
        problems.append((field, f"must not be negative, got {shown(raw)}{suffix}"))
        return None
    if value >= MAX_YUAN:
        problems.append((field, f"{shown(raw)} is implausibly large (limit {MAX_YUAN:,} yuan){suffix}"))
        return None
    if value != value.quantize(Decimal("0.01"), rounding="ROUND_DOWN"):
        problems.append(
            (
                field,
                f"{shown(raw)} has more than 2 decimal places; "
                f"the smallest unit is the fen (0.01 yuan){suffix}",
            )
        )
        return None
    # "+ 0" turns a typed "-0" into 0.00, so that no "-0.00" ever reaches the output.
    return value.quantize(_ONE_FEN) + 0


def _parse_date(raw: Any, field: str, problems: list[tuple[str, str]], suffix: str) -> date | None:
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            problems.append((field, f"{shown(raw)} is not a real date{suffix}"))
            return None
        # The product's one date range: the same dates the asset and measure records accept.
        if not EARLIEST_SUPPORTED_DATE <= day <= LATEST_SUPPORTED_DATE:
            first, last = EARLIEST_SUPPORTED_DATE.isoformat(), LATEST_SUPPORTED_DATE.isoformat()
            problems.append((field, f"{shown(raw)} is outside the supported dates {first} to {last}{suffix}"))
            return None
        return day
    problems.append((field, f"must be an ISO date YYYY-MM-DD, got {shown(raw)}{suffix}"))
    return None


def _is_member(raw: Any, values: type[StrEnum]) -> bool:
    return isinstance(raw, str) and raw in values._value2member_map_


def _one_of(values: type[StrEnum]) -> str:
    return ", ".join(member.value for member in values)


def parse_claim(
    raw: Any, field: str, debtor_type: DebtorType | None, problems: list[tuple[str, str]]
) -> Claim | None:
    """One JSON claim → Claim, or None with the reasons appended to `problems`."""
    if not isinstance(raw, Mapping):
        problems.append((field, f"must be an object, got {json_type(raw)}"))
        return None
    count_before = len(problems)
    creditor = _parse_creditor(raw, field, problems)
    suffix = f" (creditor {creditor!r})" if creditor else ""
    kind = _parse_kind(raw, field, problems, suffix)

    amount = None
    if "amount" not in raw:
        problems.append((f"{field}.amount", f"required{suffix}"))
    else:
        amount = _parse_money(raw["amount"], f"{field}.amount", problems, suffix)

    registered_on = _parse_registered_on(raw, field, kind, problems, suffix)
    status = _parse_status(raw, field, kind, problems, suffix)
    seized_on = _parse_seized_on(raw, field, kind, status, debtor_type, problems, suffix)

    if len(problems) > count_before or kind is None or amount is None:
        return None
    return Claim(
        kind=kind,
        amount=amount,
        creditor=creditor,
        registered_on=registered_on,
        seized_on=seized_on,
        status=status,
    )


def _parse_creditor(raw: Mapping[str, Any], field: str, problems: list[tuple[str, str]]) -> str | None:
    creditor = raw.get("creditor")
    if creditor is not None and not isinstance(creditor, str):
        problems.append((f"{field}.creditor", f"must be a string, got {json_type(creditor)}"))
        return None
    return creditor


def _parse_kind(
    raw: Mapping[str, Any], field: str, problems: list[tuple[str, str]], suffix: str
) -> ClaimKind | None:
    raw_kind = raw.get("kind")
    if raw_kind is None:
        problems.append((f"{field}.kind", f"required: one of {_one_of(ClaimKind)}{suffix}"))
        return None
    if not _is_member(raw_kind, ClaimKind):
        problems.append(
            (f"{field}.kind", f"unknown kind {raw_kind!r}; expected one of {_one_of(ClaimKind)}{suffix}")
        )
        return None
    return ClaimKind(raw_kind)


def _parse_registered_on(
    raw: Mapping[str, Any],
    field: str,
    kind: ClaimKind | None,
    problems: list[tuple[str, str]],
    suffix: str,
) -> date | None:
    if raw.get("registered_on") is None:
        return None
    if kind is not None and kind not in SECURITY_KINDS:
        problems.append(
            (f"{field}.registered_on", f"applies only to a mortgage or pledge, not {kind}{suffix}")
        )
        return None
    return _parse_date(raw["registered_on"], f"{field}.registered_on", problems, suffix)


def _parse_status(
    raw: Mapping[str, Any],
    field: str,
    kind: ClaimKind | None,
    problems: list[tuple[str, str]],
    suffix: str,
) -> SeizureStatus:
    raw_status = raw.get("status")
    if raw_status is None:
        return SeizureStatus.ACTIVE
    if not _is_member(raw_status, SeizureStatus):
        problems.append(
            (
                f"{field}.status",
                f"unknown status {raw_status!r}; expected one of {_one_of(SeizureStatus)}{suffix}",
            )
        )
        return SeizureStatus.ACTIVE
    if kind is not None and kind is not ClaimKind.SEIZURE and raw_status != SeizureStatus.ACTIVE:
        problems.append((f"{field}.status", f"{raw_status!r} applies only to a seizure, not {kind}{suffix}"))
        return SeizureStatus.ACTIVE
    return SeizureStatus(raw_status)


def _parse_seized_on(
    raw: Mapping[str, Any],
    field: str,
    kind: ClaimKind | None,
    status: SeizureStatus,
    debtor_type: DebtorType | None,
    problems: list[tuple[str, str]],
    suffix: str,
) -> date | None:
    if raw.get("seized_on") is not None:
        if kind is not None and kind is not ClaimKind.SEIZURE:
            problems.append((f"{field}.seized_on", f"applies only to a seizure, not {kind}{suffix}"))
            return None
        return _parse_date(raw["seized_on"], f"{field}.seized_on", problems, suffix)
    if (
        kind is ClaimKind.SEIZURE
        and status is SeizureStatus.ACTIVE
        and debtor_type is DebtorType.LEGAL_PERSON
    ):
        # Against a legal person an active seizure ranks by its date (执行工作规定 55).
        problems.append(
            (
                f"{field}.seized_on",
                f"required for an active seizure against a legal-person debtor (it gives the rank){suffix}",
            )
        )
    return None


@dataclass(frozen=True, slots=True)
class WaterfallInput:
    debtor_type: DebtorType
    proceeds: Decimal
    costs: Decimal
    claims: tuple[Claim, ...]


def parse_waterfall_input(item: Any) -> WaterfallInput:
    """Validate one JSON input object; raise WaterfallInputError listing every problem."""
    if not isinstance(item, Mapping):
        raise WaterfallInputError([("input", f"must be a JSON object, got {json_type(item)}")])
    problems: list[tuple[str, str]] = []

    debtor_type: DebtorType | None = None
    raw_debtor_type = item.get("debtor_type")
    if raw_debtor_type is None:
        problems.append(("debtor_type", f"required: one of {_one_of(DebtorType)}"))
    elif not _is_member(raw_debtor_type, DebtorType):
        problems.append(
            ("debtor_type", f"unknown debtor type {raw_debtor_type!r}; expected one of {_one_of(DebtorType)}")
        )
    else:
        debtor_type = DebtorType(raw_debtor_type)

    proceeds = None
    if "proceeds" not in item:
        problems.append(("proceeds", "required: what the sale brings, in yuan"))
    else:
        proceeds = _parse_money(item["proceeds"], "proceeds", problems)

    costs: Decimal | None = Decimal("0.00")
    if item.get("costs") is not None:
        costs = _parse_money(item["costs"], "costs", problems)

    claims: list[Claim] = []
    raw_claims = item.get("claims")
    if raw_claims is None:
        problems.append(("claims", "required: a list of claims (it may be empty)"))
    elif not isinstance(raw_claims, list):
        problems.append(("claims", f"must be an array of claims, got {json_type(raw_claims)}"))
    else:
        for index, raw_claim in enumerate(raw_claims):
            claim = parse_claim(raw_claim, f"claims[{index}]", debtor_type, problems)
            if claim is not None:
                claims.append(claim)

    if problems or debtor_type is None or proceeds is None or costs is None:
        raise WaterfallInputError(problems)
    return WaterfallInput(debtor_type=debtor_type, proceeds=proceeds, costs=costs, claims=tuple(claims))


def _money_text(value: Decimal) -> str:
    return f"{value:.2f}"


def distribution_to_json(
    distribution: Distribution, *, input_id: Any = None, echo_id: bool = False
) -> dict[str, Any]:
    """The contract's output object; `id` is present only when the input had one."""
    output: dict[str, Any] = {}
    if echo_id:
        output["id"] = input_id
    output["costs_paid"] = _money_text(distribution.costs_paid)
    output["surplus"] = _money_text(distribution.surplus)
    output["allocations"] = [
        {
            "creditor": allocation.claim.creditor,
            "kind": allocation.claim.kind.value,
            "rank": allocation.rank,
            "amount": _money_text(allocation.claim.amount),
            "paid": _money_text(allocation.paid),
            "shortfall": _money_text(allocation.shortfall),
        }
        for allocation in distribution.allocations
    ]
    output["steps"] = [{"source": step.source, "text": step.text} for step in distribution.steps]
    return output


def waterfall_json(item: Any) -> dict[str, Any]:
    """One contract input object → one contract output object; WaterfallInputError on bad input."""
    facts = parse_waterfall_input(item)
    distribution = distribute(
        debtor_type=facts.debtor_type, proceeds=facts.proceeds, costs=facts.costs, claims=facts.claims
    )
    return distribution_to_json(distribution, input_id=item.get("id"), echo_id="id" in item)
