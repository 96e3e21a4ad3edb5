"""The two calculators' JSON: input read into the pure facts with every problem named by its
field, results written as the contracts show them (spousal-debt.md, estate-liability.md)."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from recovery.liability.estate import (
    RECIPIENT_KINDS,
    Debt,
    EstateFactError,
    EstateFacts,
    Recipient,
    estate_liability,
)
from recovery.liability.spousal import SpousalFacts, assess_spousal_debt

MAX_YUAN = Decimal("1000000000000")  # ten thousand yi: no NPL is larger
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SPOUSAL_FLAGS = (
    "spouse_signed",
    "spouse_ratified",
    "joint_intent_evidence",
    "used_for_joint_living",
    "used_for_joint_business",
    "used_for_family_after_marriage",
    "fictitious",
    "illegal_purpose",
)

Problems = list[tuple[str, str]]


class CalculatorInputError(ValueError):
    def __init__(self, problems: Problems) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))
        self.problems = problems


def _money(raw: Any, field: str, problems: Problems, *, default: Decimal | None = None) -> Decimal:
    if raw is None and default is not None:
        return default
    text = str(raw) if isinstance(raw, int | Decimal | str) and not isinstance(raw, bool) else None
    if text is not None and isinstance(raw, Decimal):
        try:
            value = raw.quantize(Decimal("0.01"))
        except InvalidOperation:
            value = None
        if value is not None and value == raw and Decimal("0") <= raw < MAX_YUAN:
            return value
        text = None
    if text is None or not _AMOUNT.fullmatch(text.strip()) or Decimal(text.strip()) >= MAX_YUAN:
        problems.append(
            (
                field,
                f"金额须为不小于 0、至多两位小数的数（an amount ≥ 0 with at most two decimals）, got {raw!r}",
            )
        )
        return Decimal("0.00")
    return Decimal(text.strip()).quantize(Decimal("0.01"))


def _day(raw: Any, field: str, problems: Problems, *, required: bool) -> date | None:
    if raw is None and not required:
        return None
    if isinstance(raw, str) and _ISO.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    problems.append((field, f"须为 YYYY-MM-DD 日期（an ISO date）, got {raw!r}"))
    return None


def _flag(raw: Any, field: str, problems: Problems) -> bool:
    if raw is None:
        return False
    if not isinstance(raw, bool):
        problems.append((field, f"须为 true 或 false（a boolean）, got {raw!r}"))
        return False
    return raw


def _echo_id(item: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], **output} if "id" in item else output


def spousal_json(item: dict[str, Any]) -> dict[str, Any]:
    problems: Problems = []
    incurred_on = _day(item.get("incurred_on"), "incurred_on", problems, required=True)
    if "amount" not in item:
        problems.append(("amount", "必填（required）"))
    amount = _money(item.get("amount"), "amount", problems)
    married_on = _day(item.get("married_on"), "married_on", problems, required=False)
    divorced_on = _day(item.get("divorced_on"), "divorced_on", problems, required=False)
    spouse_died_on = _day(item.get("spouse_died_on"), "spouse_died_on", problems, required=False)
    limit = _money(item.get("daily_needs_limit"), "daily_needs_limit", problems, default=Decimal("50000.00"))
    flags = {name: _flag(item.get(name), name, problems) for name in SPOUSAL_FLAGS}
    if divorced_on and married_on and divorced_on < married_on:
        problems.append(("divorced_on", "离婚日期早于结婚日期（divorce before marriage）"))
    if divorced_on and not married_on and "married_on" not in dict(problems):
        problems.append(("divorced_on", "有离婚日期须有结婚日期（a divorce needs a marriage date）"))
    if problems or incurred_on is None:
        raise CalculatorInputError(problems)
    result = assess_spousal_debt(
        SpousalFacts(
            incurred_on=incurred_on,
            amount=amount,
            married_on=married_on,
            divorced_on=divorced_on,
            daily_needs_limit=limit,
            spouse_died_on=spouse_died_on,
            **flags,
        )
    )
    return _echo_id(
        item,
        {
            "classification": result.classification,
            "basis": list(result.basis),
            "missing_evidence": list(result.missing_evidence),
            "steps": [{"source": step.source, "text": step.text} for step in result.steps],
        },
    )


def _recipients(raw: Any, problems: Problems) -> list[Recipient]:
    if not isinstance(raw, list):
        problems.append(("recipients", "须为数组（an array）"))
        return []
    recipients, names = [], set()
    for index, entry in enumerate(raw):
        field = f"recipients[{index}]"
        if not isinstance(entry, dict):
            problems.append((field, "须为对象（an object）"))
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append((f"{field}.name", "必填（required）"))
        elif name in names:
            problems.append((f"{field}.name", f"名称重复（duplicate name {name!r}）"))
        names.add(name)
        kind = entry.get("kind")
        if kind not in RECIPIENT_KINDS:
            problems.append(
                (f"{field}.kind", f"须为 {', '.join(RECIPIENT_KINDS)} 之一（unknown kind {kind!r}）")
            )
        received = _money(entry.get("received"), f"{field}.received", problems, default=Decimal("0.00"))
        protected = _money(entry.get("protected"), f"{field}.protected", problems, default=Decimal("0.00"))
        renounced = _flag(entry.get("renounced"), f"{field}.renounced", problems)
        if renounced and received > 0:
            problems.append(
                (f"{field}.received", "已放弃继承者不得有所得遗产（a renouncer received nothing）")
            )
        recipients.append(Recipient(str(name), str(kind), received, protected, renounced))
    return recipients


def _debts(raw: Any, problems: Problems) -> list[Debt]:
    if not isinstance(raw, list) or not raw:
        problems.append(("debts", "须为非空数组（a non-empty array）"))
        return []
    debts, creditors = [], set()
    for index, entry in enumerate(raw):
        field = f"debts[{index}]"
        if not isinstance(entry, dict):
            problems.append((field, "须为对象（an object）"))
            continue
        creditor = entry.get("creditor")
        if not isinstance(creditor, str) or not creditor.strip():
            problems.append((f"{field}.creditor", "必填（required）"))
        elif creditor in creditors:
            problems.append((f"{field}.creditor", f"债权人重复（duplicate creditor {creditor!r}）"))
        creditors.add(creditor)
        debts.append(Debt(str(creditor), _money(entry.get("amount"), f"{field}.amount", problems)))
    return debts


def estate_json(item: dict[str, Any]) -> dict[str, Any]:
    problems: Problems = []
    taxes = _money(item.get("taxes"), "taxes", problems, default=Decimal("0.00"))
    debts = _debts(item.get("debts"), problems)
    recipients = _recipients(item.get("recipients"), problems)
    claimant = item.get("claimant")
    if not isinstance(claimant, str) or claimant not in {debt.creditor for debt in debts}:
        problems.append(
            ("claimant", f"须为 debts 中的债权人（one of the debts' creditors）, got {claimant!r}")
        )
    if problems:
        raise CalculatorInputError(problems)
    try:
        result = estate_liability(
            EstateFacts(claimant=str(claimant), taxes=taxes, debts=tuple(debts), recipients=tuple(recipients))
        )
    except EstateFactError as error:
        raise CalculatorInputError([(error.field, error.message)]) from None
    return _echo_id(
        item,
        {
            "available": str(result.available),
            "taxes_paid": str(result.taxes_paid),
            "recipients": [
                {"name": r.name, "kind": r.kind, "cap": str(r.cap), "bears": str(r.bears)}
                for r in result.recipients
            ],
            "debts": [
                {
                    "creditor": d.creditor,
                    "amount": str(d.amount),
                    "paid": str(d.paid),
                    "shortfall": str(d.shortfall),
                }
                for d in result.debts
            ],
            "claimant": {
                "creditor": result.claimant.creditor,
                "recoverable": str(result.claimant.recoverable),
                "shortfall": str(result.claimant.shortfall),
                "from": [{"name": part.name, "amount": str(part.amount)} for part in result.claimant.from_],
            },
            "steps": [{"source": step.source, "text": step.text} for step in result.steps],
        },
    )
