"""Turn one raw hand-over row into a typed `HandoverRow`, or into every `RowError` it has.

Pure: no database. What needs the database (does the assignee exist, is the contract new)
is the import service's job; it can report those problems with `RowValidator.error`.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from datetime import date
from decimal import Decimal
from typing import Any

from recovery.checks.cells import looks_like_formula
from recovery.checks.dates import supported_date_error, today_in_shanghai
from recovery.handover.parsing import (
    FORMULA_START_MESSAGE,
    SECURITY_TYPES,
    BorrowerKind,
    CellError,
    DateParser,
    Guarantor,
    cell_text,
    is_blank,
    optional_text,
    parse_amount,
    parse_borrower_type,
    parse_collateral,
    parse_guarantors,
    parse_id_number,
    parse_phones,
    parse_security_types,
)
from recovery.handover.reading import COLUMNS_BY_FIELD, RawRow

ZERO = Decimal("0.00")
MIN_LOAN_AMOUNT = Decimal("0.01")

# The longest text each column may hold once stored (the docket's field sizes; a test keeps
# the two in step), so that nothing is cut short or refused half-way through a write.
MAX_LENGTHS = {
    "contract_no": 64,
    "borrower": 200,
    "address": 300,
    "phone": 200,
    "guarantors": 200,  # each guarantor's name
    "collateral": 300,  # each item
    "branch": 100,
}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one row: `row` as Excel shows it, `column` as the file names it, `field`
    the standard field (what tells a page whether `value` is an ID number or a phone)."""

    row: int
    column: str
    value: str
    message: str
    field: str = dc_field(default="", compare=False)  # derived from the column: not identity

    def as_dict(self) -> dict[str, Any]:
        """The contract's four keys (the command's --json)."""
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}

    def as_record(self) -> dict[str, Any]:
        """As kept on the import run: with the field, for masking when shown."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class HandoverRow:
    row: int  # Excel row number, for errors found later (e.g. unknown assignee)
    contract_no: str
    borrower_name: str
    borrower_type: BorrowerKind
    id_number: str  # normalized: no spaces, upper case
    phones: tuple[str, ...]
    address: str | None
    loan_amount: Decimal
    principal_outstanding: Decimal
    interest_outstanding: Decimal
    penalty_interest: Decimal
    disbursed_on: date
    due_on: date
    last_payment_on: date | None
    security_types: tuple[str, ...]  # codes: credit, guarantee, mortgage, pledge
    guarantors: tuple[Guarantor, ...]
    collateral: tuple[str, ...]
    handed_over_on: date
    assignee: str | None  # username or e-mail as written; resolved by the import service
    branch: str | None


_BORROWER_TYPE_WORDS = {"person": "个人", "company": "企业"}
_GUARANTEE_TYPE_WORDS = {"general": "一般", "joint": "连带"}
_SECURITY_TYPE_WORDS = {code: word for word, code in SECURITY_TYPES.items()}


def normalized_cells(row: HandoverRow) -> dict[str, str]:
    """The row as a clean hand-over file would write it, field by field: what the import
    read (dates as YYYY-MM-DD, amounts in yuan with two decimals, defaults filled in), for a
    preview to show before anything is written."""

    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    return {
        "contract_no": row.contract_no,
        "borrower": row.borrower_name,
        "borrower_type": _BORROWER_TYPE_WORDS.get(row.borrower_type, row.borrower_type),
        "id_number": row.id_number,
        "phone": ";".join(row.phones),
        "address": row.address or "",
        "loan_amount": str(row.loan_amount),
        "principal_outstanding": str(row.principal_outstanding),
        "interest_outstanding": str(row.interest_outstanding),
        "penalty_interest": str(row.penalty_interest),
        "disbursed_on": day(row.disbursed_on),
        "due_on": day(row.due_on),
        "last_payment_on": day(row.last_payment_on),
        "security_type": "+".join(_SECURITY_TYPE_WORDS[code] for code in row.security_types),
        "guarantors": ";".join(
            f"{guarantor.name},{guarantor.id_number},{_GUARANTEE_TYPE_WORDS[guarantor.guarantee_type]}"
            for guarantor in row.guarantors
        ),
        "collateral": ";".join(row.collateral),
        "handed_over_on": day(row.handed_over_on),
        "assignee": row.assignee or "",
        "branch": row.branch or "",
    }


def column_label(field: str, headers: Mapping[str, str] | None = None) -> str:
    """The column named in errors: its header as written in the file, else the standard name."""
    if headers and field in headers:
        return headers[field]
    return COLUMNS_BY_FIELD[field].chinese


class DuplicateContractTracker:
    """Remembers each 合同编号 of a file; the second occurrence is the one in error.

    Numbers are compared after trimming, as written otherwise: `HT-001` and `ht-001` may be
    different contracts in a bank's system.
    """

    def __init__(self) -> None:
        self._first_row: dict[str, int] = {}

    def first_row(self, row: int, contract_no: str) -> int | None:
        """Record `contract_no` at `row`; return the earlier row using it, or None."""
        first = self._first_row.setdefault(contract_no, row)
        return None if first == row else first


class _RowChecker:
    """Collects the errors of one row while reading its cells, so that all are reported."""

    def __init__(self, row: int, raw: RawRow, headers: Mapping[str, str] | None) -> None:
        self.row = row
        self.raw = raw
        self.headers = headers
        self.errors: list[RowError] = []

    def error(self, field: str, message: str, value: str | None = None) -> None:
        shown = self.text(field) if value is None else value
        self.errors.append(RowError(self.row, column_label(field, self.headers), shown, message, field))

    def text(self, field: str) -> str:
        return cell_text(self.raw.get(field))

    def required(self, field: str, parse: Callable[[Any], Any]) -> Any:
        value = self.raw.get(field)
        if is_blank(value):
            name = COLUMNS_BY_FIELD[field]
            self.error(field, f"{name.chinese}不能为空（{name.english} is required）")
            return None
        return self.optional(field, parse)

    def optional(self, field: str, parse: Callable[[Any], Any], default: Any = None) -> Any:
        value = self.raw.get(field)
        if is_blank(value):
            return default
        try:
            return parse(value)
        except CellError as problem:
            for message, shown in problem.problems:
                self.error(field, message, shown)
            # What the cell's valid items parse to (None for a one-item cell): the rules
            # about them are still checked, so that the row reports all its problems at once.
            return problem.partial

    def text_field(self, field: str) -> str | None:
        """A required name or number kept as text, refused when a spreadsheet would run it."""
        text: str | None = self.required(field, _text)
        if text and looks_like_formula(text):
            self.error(field, f"{COLUMNS_BY_FIELD[field].chinese}{FORMULA_START_MESSAGE}")
            return None
        return text

    def supported(self, field: str, value: date | None) -> date | None:
        """`value` when the product can compute with it, else None and the row's error."""
        if value is None:
            return None
        problem = supported_date_error(value)
        if problem:
            self.error(
                field,
                f"{COLUMNS_BY_FIELD[field].chinese}“{value.isoformat()}”超出支持的日期范围（{problem}）",
            )
            return None
        return value


def _text(value: object) -> str:
    return cell_text(value)


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row with problems of its own (`errors`), and what the import service still checks
    against the docket (is there such a user, may this branch be imported, whose is this
    contract) as far as its cells could be read: so that an unknown assignee is reported
    beside a bad date. `HandoverRow` has the same attributes but `errors`."""

    row: int
    contract_no: str | None
    id_number: str | None
    assignee: str | None
    branch: str | None
    errors: list[RowError]


def validate_row(
    row: int,
    raw: RawRow,
    *,
    headers: Mapping[str, str] | None = None,
    parse_date: Callable[[object], date] | None = None,
    duplicates: DuplicateContractTracker | None = None,
    today: date | None = None,
) -> HandoverRow | list[RowError]:
    """Validate one raw row (as yielded by `HandoverSheet.rows()`).

    `headers` (field -> header text in the file) names the columns in errors; `parse_date`
    should be one shared `DateParser` for the whole file (it caches); `duplicates`, shared
    over the file, reports a 合同编号 seen on an earlier row. `today` (the importer's day in
    Asia/Shanghai) refuses facts dated after it: a disbursement or a repayment still to come.
    """
    checked = check_row(row, raw, headers=headers, parse_date=parse_date, duplicates=duplicates, today=today)
    return checked.errors if isinstance(checked, RejectedRow) else checked


def check_row(
    row: int,
    raw: RawRow,
    *,
    headers: Mapping[str, str] | None = None,
    parse_date: Callable[[object], date] | None = None,
    duplicates: DuplicateContractTracker | None = None,
    today: date | None = None,
) -> HandoverRow | RejectedRow:
    """`validate_row`, a rejected row keeping what the docket checks need beside its errors
    (one object per row, as many as rows: no wrapper around the accepted ones)."""
    parse_date = parse_date or DateParser()
    check = _RowChecker(row, raw, headers)

    contract_no = check.text_field("contract_no")
    if contract_no and duplicates is not None:
        _check_duplicate(check, duplicates, row, contract_no)
    borrower_name = check.text_field("borrower")
    id_number, kind = _check_identity(check)
    phones = check.optional("phone", parse_phones, ())
    address = optional_text(raw.get("address"))
    loan_amount, principal, interest, penalty = _check_amounts(check)
    # Every date must lie in the range the deadline engine computes with (1949-10-01 …
    # 2099-12-31): a later expiry would make its deadlines silently vanish.
    disbursed_on = check.supported("disbursed_on", check.required("disbursed_on", parse_date))
    due_on = check.supported("due_on", check.required("due_on", parse_date))
    last_payment_on = check.supported("last_payment_on", check.optional("last_payment_on", parse_date))
    handed_over_on = check.supported("handed_over_on", check.required("handed_over_on", parse_date))
    if today is not None:
        # Dates of what happened; the due date and the hand-over date may lie ahead.
        disbursed_on = _not_after_today(check, "disbursed_on", disbursed_on, today)
        last_payment_on = _not_after_today(check, "last_payment_on", last_payment_on, today)
    _check_date_order(check, disbursed_on, due_on, last_payment_on, handed_over_on)

    security_types = check.optional("security_type", parse_security_types, ())
    guarantors = check.optional("guarantors", parse_guarantors, ())
    if id_number and any(guarantor.id_number == id_number for guarantor in guarantors or ()):
        check.error(
            "guarantors",
            "借款人不能同时是本笔贷款的保证人（the borrower cannot guarantee their own loan）",
            id_number,
        )
    collateral = parse_collateral(raw.get("collateral"))
    assignee = optional_text(raw.get("assignee"))
    branch = optional_text(raw.get("branch"))
    _check_lengths(
        check,
        {
            "contract_no": [contract_no or ""],
            "borrower": [borrower_name or ""],
            "address": [address or ""],
            "phone": [";".join(phones or ())],
            "guarantors": [guarantor.name for guarantor in guarantors or ()],
            "collateral": list(collateral),
            "branch": [branch or ""],
        },
    )

    if check.errors:
        return RejectedRow(row, contract_no, id_number, assignee, branch, check.errors)
    # A required cell reads as None only together with its error, so none is None here.
    assert (  # noqa: S101  narrows the types; the errors above are the validation
        contract_no is not None
        and borrower_name is not None
        and kind is not None
        and id_number is not None
        and loan_amount is not None
        and principal is not None
        and interest is not None
        and penalty is not None
        and disbursed_on is not None
        and due_on is not None
        and handed_over_on is not None
    )
    return HandoverRow(
        row=row,
        contract_no=contract_no,
        borrower_name=borrower_name,
        borrower_type=kind,
        id_number=id_number,
        phones=phones,
        address=address,
        loan_amount=loan_amount,
        principal_outstanding=principal,
        interest_outstanding=interest,
        penalty_interest=penalty,
        disbursed_on=disbursed_on,
        due_on=due_on,
        last_payment_on=last_payment_on,
        security_types=security_types,
        guarantors=guarantors,
        collateral=collateral,
        handed_over_on=handed_over_on,
        assignee=assignee,
        branch=branch,
    )


def _check_duplicate(
    check: "_RowChecker", duplicates: DuplicateContractTracker, row: int, contract_no: str
) -> None:
    first = duplicates.first_row(row, contract_no)
    if first is not None:
        check.error(
            "contract_no",
            f"合同编号“{contract_no}”与第 {first} 行重复"
            f"（duplicate contract number, first used in row {first}）",
        )


def _check_identity(check: "_RowChecker") -> tuple[str | None, BorrowerKind | None]:
    """The normalized identity number and the kind of party it belongs to, when valid."""
    borrower_type = check.optional("borrower_type", parse_borrower_type)
    # Checked against the declared type; when the type itself is bad (already reported) or
    # blank, the kind is guessed from the number.
    identified = check.required("id_number", lambda value: parse_id_number(value, borrower_type))
    if identified:
        id_number, kind = identified
        return id_number, kind
    return None, None


def _check_amounts(
    check: "_RowChecker",
) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
    """Loan amount, principal, interest and penalty interest (None where unreadable)."""
    loan_amount = check.required("loan_amount", parse_amount)
    principal = check.required("principal_outstanding", parse_amount)
    interest = check.optional("interest_outstanding", parse_amount, ZERO)
    penalty = check.optional("penalty_interest", parse_amount, ZERO)
    if loan_amount is not None and loan_amount < MIN_LOAN_AMOUNT:
        check.error("loan_amount", "贷款金额应不少于 0.01 元（loan amount must be at least 0.01）")
        loan_amount = None  # no further comparison against a meaningless amount
    for field, amount in (
        ("principal_outstanding", principal),
        ("interest_outstanding", interest),
        ("penalty_interest", penalty),
    ):
        if amount is not None and amount < 0:
            name = COLUMNS_BY_FIELD[field]
            check.error(field, f"{name.chinese}不能为负数（{name.english} must not be negative）")
    if loan_amount is not None and principal is not None and principal > loan_amount:
        check.error(
            "principal_outstanding",
            f"本金余额 {principal} 大于贷款金额 {loan_amount}"
            f"（principal outstanding exceeds the loan amount）",
        )
    return loan_amount, principal, interest, penalty


def _not_after_today(check: "_RowChecker", field: str, value: date | None, today: date) -> date | None:
    """`value`, or None and the row's error when it lies after `today`."""
    if value is None or value <= today:
        return value
    name = COLUMNS_BY_FIELD[field]
    check.error(
        field,
        f"{name.chinese} {value} 晚于今天 {today}：只能记录已经发生的事实"
        f"（{name.english} is after today: only what has happened counts）",
    )
    return None


def _check_date_order(
    check: "_RowChecker",
    disbursed_on: date | None,
    due_on: date | None,
    last_payment_on: date | None,
    handed_over_on: date | None,
) -> None:
    if disbursed_on and due_on and due_on < disbursed_on:
        check.error(
            "due_on",
            f"到期日 {due_on} 早于放款日 {disbursed_on}（due date is before the disbursement date）",
        )
    if last_payment_on and disbursed_on and last_payment_on < disbursed_on:
        check.error(
            "last_payment_on",
            f"最后还款日 {last_payment_on} 早于放款日 {disbursed_on}"
            f"（last payment date is before the disbursement date）",
        )
    if handed_over_on and disbursed_on and handed_over_on < disbursed_on:
        check.error(
            "handed_over_on",
            f"移交日期 {handed_over_on} 早于放款日 {disbursed_on}"
            f"（hand-over date is before the disbursement date）",
        )
    if last_payment_on and handed_over_on and last_payment_on > handed_over_on:
        check.error(
            "last_payment_on",
            f"最后还款日 {last_payment_on} 晚于移交日期 {handed_over_on}"
            f"（last payment date is after the hand-over date）",
        )


def _check_lengths(check: "_RowChecker", texts: Mapping[str, list[str]]) -> None:
    for field, values in texts.items():
        limit = MAX_LENGTHS[field]
        if any(len(value) > limit for value in values):
            name = COLUMNS_BY_FIELD[field]
            check.error(
                field, f"{name.chinese}超过 {limit} 个字符（{name.english} longer than {limit} characters）"
            )


class RowValidator:
    """Validates the rows of one file: one date cache, one duplicate tracker, the file's
    own column names in errors."""

    def __init__(self, headers: Mapping[str, str] | None = None, today: date | None = None) -> None:
        self.headers = dict(headers or {})
        self.parse_date = DateParser()
        self.duplicates = DuplicateContractTracker()
        self.today = today or today_in_shanghai()

    def validate(self, row: int, raw: RawRow) -> HandoverRow | list[RowError]:
        return validate_row(
            row,
            raw,
            headers=self.headers,
            parse_date=self.parse_date,
            duplicates=self.duplicates,
            today=self.today,
        )

    def check(self, row: int, raw: RawRow) -> HandoverRow | RejectedRow:
        return check_row(
            row,
            raw,
            headers=self.headers,
            parse_date=self.parse_date,
            duplicates=self.duplicates,
            today=self.today,
        )

    def validate_all(self, rows: Iterable[tuple[int, RawRow]]) -> Iterator[HandoverRow | list[RowError]]:
        for row, raw in rows:
            yield self.validate(row, raw)

    def error(self, row: int, field: str, value: object, message: str) -> RowError:
        """A RowError for a problem found later, e.g. an assignee no user matches."""
        return RowError(row, column_label(field, self.headers), cell_text(value), message, field)
