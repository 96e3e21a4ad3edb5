"""Pure parsers of single hand-over cells: each returns a clean value or raises `CellError`.

Nothing here touches the database. Every message is Chinese with the English in brackets, and
quotes the cell's text so the bank can find and fix it. Nothing is ever guessed: a value that
could mean two things is rejected rather than read one way.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

import dateparser

from recovery.checks.cells import looks_like_formula
from recovery.checks.identity import credit_code_error, normalize_id_number, resident_id_error

BorrowerKind = Literal["person", "company"]
GuaranteeType = Literal["general", "joint"]


class CellError(ValueError):
    """One cell cannot be read; `message` is shown to the user as it is. `value`, when set,
    is the part of the cell in error (reported instead of the whole cell: a guarantor cell's
    other, valid entries are personal data that the report has no reason to repeat).

    A cell of several items (phones, guarantors, security types) may have several problems:
    `problems` lists each as (message, value), one line of the error report apiece, and
    `message` joins them. `partial` holds what the cell's valid items parse to, so that rules
    about them (lengths, the borrower guaranteeing their own loan) are still checked."""

    def __init__(
        self,
        message: str,
        value: str | None = None,
        *,
        problems: list[tuple[str, str | None]] | None = None,
        partial: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.problems = problems or [(message, value)]
        self.partial = partial


def _several_problems(problems: list[tuple[str, str]], partial: object) -> CellError:
    """The CellError of a cell whose items have `problems` (message, item in error)."""
    return CellError(
        "；".join(message for message, _item in problems),
        value="；".join(dict.fromkeys(item for _message, item in problems)),
        problems=list(problems),
        partial=partial,
    )


# Full-width ASCII (U+FF01–U+FF5E) typed with a Chinese input method, e.g. `２０２３－０５－２６`
# or `，`. Folded to ASCII only where the content is digits and separators, never in names.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


# The rejection of text a spreadsheet would evaluate (names, contract numbers): stored, it
# would come back out of every export and report as a live formula.
FORMULA_START_MESSAGE = (
    "不能以 = + - @ 或制表符、回车开头（must not start with =, +, -, @, a tab or a carriage return）"
)


def to_halfwidth(text: str) -> str:
    return text.translate(_HALFWIDTH)


def cell_text(value: object) -> str:
    """How a raw cell reads as text: for error messages and for text columns.

    Numbers that Excel stores as integral floats (a contract number typed as 12345) read
    without the `.0` Excel never showed.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def optional_text(value: object) -> str | None:
    """A free-text cell: trimmed text, or None when the cell is blank."""
    text = cell_text(value)
    return text or None


# --- dates -------------------------------------------------------------------------------

# Excel counts days from 1899-12-30 (the off-by-one of its fictitious 1900-02-29 only
# matters below serial 61, far outside the accepted range).
_EXCEL_EPOCH = date(1899, 12, 30)
# Serials 20000–79999 are 1954-10-03 … 2119-01-10: plausible loan dates, and disjoint from
# 8-digit yyyymmdd numbers such as 20230526.
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000
_YEAR_MIN, _YEAR_MAX = 1900, 2100

_TIME_SUFFIX = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
# 2023-05-26, 2023/5/26, 2023.5.26 (one separator used twice), optionally with a midnight time
# as CSV exports of datetime columns carry it.
_YMD_SEPARATED = re.compile(r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})" + _TIME_SUFFIX)
_YMD_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]" + _TIME_SUFFIX)
_YMD_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?")
# Numeric forms whose reading depends on a convention: 05/06/2023 (May 6 or June 5?),
# 23-05-26 or 26.05.23 (which part is the year, which century?), 230526.
_DAY_MONTH_FIRST = re.compile(r"\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{4}" + _TIME_SUFFIX)
_TWO_DIGIT_YEAR = re.compile(r"(?:\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}|\d{6})" + _TIME_SUFFIX)
# 二〇二三年五月二十六日: numerals as written in contracts and court papers. Converted here with
# a strict reader of 0–9999 / 1–39 rather than cn2an, which warns on and half-converts
# malformed numbers (十十) instead of failing.
_CHINESE_NUMERAL_DATE = re.compile(
    r"([〇零○O一二三四五六七八九]{4})\s*年\s*([〇零一二三四五六七八九十]{1,3})\s*月"
    r"\s*([〇零一二三四五六七八九十廿卅]{1,3})\s*[日号]"
)
_CHINESE_DIGITS = {
    char: value
    for value, chars in enumerate(("〇零○O", "一", "二", "三", "四", "五", "六", "七", "八", "九"))
    for char in chars
}
_CHINESE_TENS = re.compile(r"([一二三]?十|廿|卅)([一二三四五六七八九]?)")
_FOUR_DIGIT_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_HAS_LETTER = re.compile(r"[A-Za-z]")

_DATEPARSER_SETTINGS = {
    # Only absolute dates: no "yesterday", no timestamps, no guessing of missing parts.
    "PARSERS": ["absolute-time"],
    "STRICT_PARSING": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
}
# Fixed languages: auto-detection costs ~1 s on the first call and may pick a wrong language.
_DATEPARSER_LANGUAGES = ["zh", "en"]


def _checked_date(year: int, month: int, day: int, text: str) -> date:
    if not _YEAR_MIN <= year <= _YEAR_MAX:
        raise CellError(f"日期“{text}”的年份 {year} 不合理（year {year} is out of range）")
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(f"日期“{text}”不存在（no such date）") from None


def _chinese_number(text: str) -> int | None:
    """二〇二三 → 2023, 〇五 → 5, 十二 → 12, 二十六 → 26, 廿六 → 26; None for anything else."""
    if all(char in _CHINESE_DIGITS for char in text):
        return int("".join(str(_CHINESE_DIGITS[char]) for char in text))
    match = _CHINESE_TENS.fullmatch(text)
    if match is None:
        return None
    tens_text, units_text = match.groups()
    tens = {"十": 1, "廿": 2, "卅": 3}.get(tens_text) or _CHINESE_DIGITS[tens_text[0]]
    return tens * 10 + (_CHINESE_DIGITS[units_text] if units_text else 0)


def _serial_to_date(serial: float, text: str) -> date:
    if not _SERIAL_MIN <= serial < _SERIAL_MAX:
        raise CellError(
            f"无法识别的日期“{text}”：数字不是合理的 Excel 日期序号，也不是 8 位年月日"
            f"（unrecognised date: not a plausible Excel serial number nor yyyymmdd）"
        )
    # A fractional serial is a date-time; the time of day does not matter here.
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(value: object) -> date:
    """Read a date cell. Blank cells are the caller's business (required or optional)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError(f"无法识别的日期“{cell_text(value)}”（unrecognised date）")
    if isinstance(value, int):
        text = str(value)
        if len(text) == 8:
            return _parse_date_text(text)
        return _serial_to_date(value, text)
    if isinstance(value, float):
        if value.is_integer() and 10_000_000 <= value < 100_000_000:
            return _parse_date_text(str(int(value)))
        if not math.isfinite(value):
            raise CellError(f"无法识别的日期“{value}”（unrecognised date）")
        return _serial_to_date(value, cell_text(value))
    if isinstance(value, str):
        return _parse_date_text(value)
    raise CellError(f"无法识别的日期“{cell_text(value)}”（unrecognised date）")


def _parse_date_text(raw: str) -> date:
    text = to_halfwidth(raw).strip()
    match = _YMD_SEPARATED.fullmatch(text)
    if match:
        return _checked_date(int(match[1]), int(match[3]), int(match[4]), raw.strip())
    match = _YMD_CHINESE.fullmatch(text)
    if match:
        return _checked_date(int(match[1]), int(match[2]), int(match[3]), raw.strip())
    match = _YMD_COMPACT.fullmatch(text)
    if match:
        return _checked_date(int(match[1]), int(match[2]), int(match[3]), raw.strip())
    if _SERIAL_TEXT.fullmatch(text):
        return _serial_to_date(float(text), raw.strip())
    if _DAY_MONTH_FIRST.fullmatch(text):
        raise CellError(
            f"日期“{raw.strip()}”的日、月顺序有歧义，请写成 YYYY-MM-DD"
            f"（ambiguous day/month order; write YYYY-MM-DD）"
        )
    if _TWO_DIGIT_YEAR.fullmatch(text):
        raise CellError(
            f"日期“{raw.strip()}”的年份不完整或顺序有歧义，请写成 YYYY-MM-DD"
            f"（two-digit year or ambiguous order; write YYYY-MM-DD）"
        )
    match = _CHINESE_NUMERAL_DATE.fullmatch(text)
    if match:
        year, month, day = (_chinese_number(part) for part in match.groups())
        if year is not None and month is not None and day is not None:
            return _checked_date(year, month, day, raw.strip())
    return _parse_date_with_dateparser(text, raw.strip())


def _parse_date_with_dateparser(text: str, shown: str) -> date:
    # The fallback only sees spelled-out months ("26 May 2023") with a four-digit year: every
    # all-numeric form was decided above, so dateparser never has to pick a day/month order.
    year = _FOUR_DIGIT_YEAR.search(text)
    if year and _HAS_LETTER.search(text):
        parsed = dateparser.parse(text, languages=_DATEPARSER_LANGUAGES, settings=_DATEPARSER_SETTINGS)
        if parsed is not None and parsed.year == int(year[1]):
            return _checked_date(parsed.year, parsed.month, parsed.day, shown)
    raise CellError(f"无法识别的日期“{shown}”，请写成 YYYY-MM-DD（unrecognised date; write YYYY-MM-DD）")


class DateParser:
    """`parse_date` with a cache per distinct cell value.

    A hand-over file repeats the same few thousand dates over 100,000 rows; the dateparser
    fallback costs ~0.7 ms a call, so each distinct text is parsed once (failures included).
    """

    def __init__(self) -> None:
        self._cache: dict[object, date | CellError] = {}

    def __call__(self, value: object) -> date:
        if isinstance(value, date):  # datetime included: nothing worth caching
            return value.date() if isinstance(value, datetime) else value
        key = (type(value), value)  # 1 and 1.0 and "1" are different cells
        try:
            result = self._cache[key]
        except KeyError:
            try:
                result = parse_date(value)
            except CellError as error:
                result = error
            self._cache[key] = result
        if isinstance(result, CellError):
            raise CellError(result.message)
        return result


# --- amounts -----------------------------------------------------------------------------

CENT = Decimal("0.01")
# DecimalField(max_digits=15, decimal_places=2): up to 9,999,999,999,999.99 yuan.
MAX_AMOUNT = Decimal("9999999999999.99")
_AMOUNT_NOISE = re.compile(r"[¥￥元,，\s]|^RMB|^CNY", re.IGNORECASE)
_AMOUNT_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_amount(value: object) -> Decimal:
    """Read an amount in yuan as a Decimal with exactly two places. Never through a float
    rounding: more than two decimals is an error, not a rounding."""
    if isinstance(value, bool):
        raise CellError(f"金额“{cell_text(value)}”不是数字（not a number）")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = _float_amount(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = _AMOUNT_NOISE.sub("", to_halfwidth(value))
        if not _AMOUNT_TEXT.fullmatch(text):
            raise CellError(f"金额“{value.strip()}”不是数字（not a number）")
        amount = Decimal(text)
    else:
        raise CellError(f"金额“{cell_text(value)}”不是数字（not a number）")
    if not amount.is_finite():
        raise CellError(f"金额“{cell_text(value)}”不是数字（not a number）")
    try:
        rounded = amount.quantize(CENT)
    except InvalidOperation:
        raise CellError(f"金额“{cell_text(value)}”过大（amount too large）") from None
    if rounded != amount:
        raise CellError(
            f"金额“{cell_text(value)}”超过两位小数，不做四舍五入（more than 2 decimal places; not rounded）"
        )
    if abs(rounded) > MAX_AMOUNT:
        raise CellError(f"金额“{cell_text(value)}”过大（amount too large）")
    return rounded


def _float_amount(value: float) -> Decimal:
    """A numeric Excel cell. `repr` is the shortest text that round-trips, so 1234.56 reads as
    1234.56; a formula result such as 1234.5600000000002 differs from the two-decimal amount
    only by binary noise (a few ulps) and is read as that amount; anything else keeps its
    digits and is rejected by the caller as having more than two decimals."""
    if not math.isfinite(value):
        raise CellError(f"金额“{value}”不是数字（not a number）")
    amount = Decimal(repr(value))
    rounded = amount.quantize(CENT) if abs(amount) < MAX_AMOUNT * 10 else amount
    tolerance = 8 * math.ulp(value)
    if rounded != amount and tolerance < 0.001 and abs(float(rounded) - value) <= tolerance:
        return rounded
    return amount


# --- phones ------------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[;；、,，/\n]+")
_PHONE_FILLER = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_COUNTRY_PREFIX = re.compile(r"(?:\+|00)?86(?=1\d{10}$)")


def parse_phones(value: object) -> tuple[str, ...]:
    """Mainland mobile numbers, normalized to 11 digits, in file order without repeats."""
    if is_blank(value):
        return ()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise CellError(f"手机号“{cell_text(value)}”无效（not a mobile number）")
    phones: list[str] = []
    problems: list[tuple[str, str]] = []  # every bad number of the cell, not just the first
    for item in _PHONE_SEPARATORS.split(to_halfwidth(str(value))):
        number = _COUNTRY_PREFIX.sub("", _PHONE_FILLER.sub("", item))
        if not number:
            continue
        if not _MOBILE.fullmatch(number):
            shown = item.strip()
            problems.append((f"手机号“{shown}”不是有效的大陆手机号码（not a mainland mobile number）", shown))
        elif number not in phones:
            phones.append(number)
    if problems:
        raise _several_problems(problems, tuple(phones))
    return tuple(phones)


# --- identity numbers and borrower type --------------------------------------------------

_PERSON_WORDS = {"个人", "自然人", "person", "individual", "personal"}
_COMPANY_WORDS = {
    "企业",
    "公司",
    "单位",
    "法人",
    "对公",
    "company",
    "enterprise",
    "corporate",
    "organization",
}


def parse_borrower_type(value: object) -> BorrowerKind | None:
    """个人 / 企业 (also person / company); None when blank, i.e. to be guessed from the ID."""
    text = cell_text(value)
    if not text:
        return None
    word = text.lower()
    if word in _PERSON_WORDS:
        return "person"
    if word in _COMPANY_WORDS:
        return "company"
    raise CellError(f"借款人类型“{text}”应为 个人 或 企业（should be 个人/person or 企业/company）")


def id_text(value: object) -> str:
    """The identity number as text, normalized (no spaces, upper case, half-width)."""
    if isinstance(value, float):
        # Excel shows an 18-digit number as 1.10105E+17 and keeps only 15 significant digits.
        raise CellError(
            f"证件号码“{cell_text(value)}”被 Excel 存成了数字，后几位已丢失，请把该列设为文本"
            f"（stored as a number by Excel, digits lost; format the column as text）"
        )
    return normalize_id_number(to_halfwidth(cell_text(value)))


def parse_id_number(value: object, kind: BorrowerKind | None = None) -> tuple[str, BorrowerKind]:
    """Validate an identity number; return it normalized with the kind of party it belongs to.

    With `kind` given, the number must pass that kind's checksum. Without it, the kind is
    guessed: a valid resident ID is a person, a valid credit code a company.
    """
    number = id_text(value)
    if not number:
        raise CellError("证件号码为空（ID number is blank）")
    if kind == "person":
        error = resident_id_error(number)
        if error:
            raise CellError(f"证件号码“{number}”不是有效的居民身份证号码（{error}）")
        return number, "person"
    if kind == "company":
        error = credit_code_error(number)
        if error:
            raise CellError(f"证件号码“{number}”不是有效的统一社会信用代码（{error}）")
        return number, "company"
    person_error = resident_id_error(number)
    if person_error is None:
        return number, "person"
    company_error = credit_code_error(number)
    if company_error is None:
        return number, "company"
    # Neither: report against the kind the number resembles (resident IDs are digits but
    # possibly the last; credit codes carry letters).
    if len(number) != 18 and not number[:-1].isdigit():
        raise CellError(
            f"证件号码“{number}”应为 18 位居民身份证号码或统一社会信用代码"
            f"（should be an 18-character resident ID or unified social credit code）"
        )
    if number[:-1].isdigit():
        raise CellError(f"证件号码“{number}”不是有效的居民身份证号码（{person_error}）")
    raise CellError(f"证件号码“{number}”不是有效的统一社会信用代码（{company_error}）")


# --- security types ----------------------------------------------------------------------

SECURITY_TYPES = {"信用": "credit", "保证": "guarantee", "抵押": "mortgage", "质押": "pledge"}
_SECURITY_ORDER = tuple(SECURITY_TYPES.values())
_SECURITY_ALIASES = SECURITY_TYPES | {code: code for code in _SECURITY_ORDER}
_SECURITY_SEPARATORS = re.compile(r"[+＋、,，;；/]+")


def parse_security_types(value: object) -> tuple[str, ...]:
    """信用/保证/抵押/质押 joined by `+` or `、` → codes credit/guarantee/mortgage/pledge,
    in that canonical order so the same set always compares equal."""
    text = cell_text(value)
    if not text:
        return ()
    found: set[str] = set()
    problems: list[tuple[str, str]] = []
    for item in _SECURITY_SEPARATORS.split(text):
        word = item.strip()
        if not word:
            continue
        # "抵押担保", "信用贷款" are common spellings of the same four words.
        word = word.removesuffix("担保").removesuffix("贷款").lower() or word
        code = _SECURITY_ALIASES.get(word)
        if code is None:
            problems.append(
                (
                    f"担保方式“{item.strip()}”应为 信用、保证、抵押、质押 之一"
                    f"（should be 信用/保证/抵押/质押, joined by + or 、）",
                    item.strip(),
                )
            )
        else:
            found.add(code)
    codes = tuple(code for code in _SECURITY_ORDER if code in found)
    if problems:
        raise _several_problems(problems, codes)
    return codes


# --- guarantors --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Guarantor:
    name: str
    id_number: str
    kind: BorrowerKind
    guarantee_type: GuaranteeType


_ENTRY_SEPARATORS = re.compile(r"[;；\n]+")
_FIELD_SEPARATORS = re.compile(r"[,，]")
_GUARANTEE_TYPES: dict[str, GuaranteeType] = {
    "一般": "general",
    "一般保证": "general",
    "general": "general",
    "连带": "joint",
    "连带责任": "joint",
    "连带保证": "joint",
    "连带责任保证": "joint",
    "joint": "joint",
}


def parse_guarantors(value: object) -> tuple[Guarantor, ...]:
    """`name,id_number,一般|连带` entries separated by `;` (full-width `，` `；` too).

    Without a type the guarantee is general (一般保证): Civil Code art. 686 presumes it when
    the contract does not say. Every problem of the cell is reported at once, each naming the
    entry by its position (第2位保证人); the error's `value` holds only the entries in error.
    """
    text = cell_text(value)
    if not text:
        return ()
    guarantors: list[Guarantor] = []
    problems: list[tuple[str, str]] = []  # (message, the entry in error): one line each
    seen: set[str] = set()
    entries = [entry.strip() for entry in _ENTRY_SEPARATORS.split(text) if entry.strip()]
    for position, entry in enumerate(entries, start=1):
        who = f"第{position}位保证人"
        fields = [field.strip() for field in _FIELD_SEPARATORS.split(entry)]
        if len(fields) not in (2, 3) or not fields[0] or not fields[1]:
            problems.append(
                (f"{who}“{entry}”应写成 姓名,证件号码,一般|连带（should be name,id_number,一般|连带）", entry)
            )
            continue
        name, raw_id = fields[0], fields[1]
        entry_ok = True
        if looks_like_formula(name):
            # A spreadsheet would run it as a formula wherever the name is exported again.
            problems.append((f"{who}姓名“{name}”{FORMULA_START_MESSAGE}", entry))
            entry_ok = False
        kind_text = fields[2] if len(fields) == 3 and fields[2] else "一般"
        guarantee_type = _GUARANTEE_TYPES.get(kind_text.lower())
        if guarantee_type is None:
            problems.append(
                (f"{who}“{name}”的保证方式“{kind_text}”应为 一般 或 连带（should be 一般 or 连带）", entry)
            )
            entry_ok = False
        try:
            id_number, kind = parse_id_number(raw_id)
        except CellError as error:
            problems.append((f"{who}“{name}”的{error.message}", entry))
            continue
        if id_number in seen:
            problems.append((f"{who}“{name}”（{id_number}）重复（listed twice）", entry))
            continue
        seen.add(id_number)
        if entry_ok and guarantee_type is not None:  # no guarantee type is already a problem
            guarantors.append(Guarantor(name, id_number, kind, guarantee_type))
    if problems:
        raise _several_problems(problems, tuple(guarantors))
    return tuple(guarantors)


# --- collateral --------------------------------------------------------------------------

_COLLATERAL_SEPARATORS = re.compile(r"[;；\n]+")


def parse_collateral(value: object) -> tuple[str, ...]:
    """Free text, one item per `;`; empty items dropped."""
    return tuple(_split_nonempty(_COLLATERAL_SEPARATORS.split(cell_text(value))))


def _split_nonempty(items: Iterable[str]) -> list[str]:
    return [item.strip() for item in items if item.strip()]
