"""Amounts in Chinese capitals and in figures (contract amount-in-words.md, 会计基础工作规范 第52条;
the `money` filter of document-templates.md)."""

import re
from decimal import Decimal, localcontext

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from documents.amount_words import AmountWordsError, amount_in_words, money, parse_amount

# Every example the contract gives, in its rules and in its example array.
CONTRACT_CASES = [
    ("10", "壹拾元整"),
    ("100000", "壹拾万元整"),
    ("110", "壹佰壹拾元整"),
    ("1001", "壹仟零壹元整"),
    ("200700", "贰拾万零柒佰元整"),
    ("105000000", "壹亿零伍佰万元整"),
    ("100007000", "壹亿零柒仟元整"),
    ("107000", "壹拾万柒仟元整"),
    ("103453", "壹拾万叁仟肆佰伍拾叁元整"),
    ("1.50", "壹元伍角整"),
    ("100.05", "壹佰元零伍分"),
    ("1000.10", "壹仟元零壹角整"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("0.05", "伍分"),
    ("0.50", "伍角整"),
    ("0", "零元整"),
    ("0.5", "伍角整"),
    ("10.5", "壹拾元零伍角整"),
    ("60036000.5", "陆仟零叁万陆仟元零伍角整"),
    ("1234567890.12", "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零壹角贰分"),
]

# Worked out by hand from the contract's rules.
OWN_CASES = [
    # zero and the fraction alone
    ("0.00", "零元整"),
    ("0.01", "壹分"),
    ("0.1", "壹角整"),
    ("0.11", "壹角壹分"),
    # 整 and 零 with 角/分
    ("1", "壹元整"),
    ("1.01", "壹元零壹分"),
    ("1.10", "壹元壹角整"),
    ("1.11", "壹元壹角壹分"),
    ("10.01", "壹拾元零壹分"),
    ("10.10", "壹拾元零壹角整"),
    ("10.11", "壹拾元零壹角壹分"),
    ("100000.01", "壹拾万元零壹分"),
    ("20000000.20", "贰仟万元零贰角整"),
    # 壹拾 in full wherever it stands
    ("11", "壹拾壹元整"),
    ("15", "壹拾伍元整"),
    ("10000000", "壹仟万元整"),
    ("1000000000", "壹拾亿元整"),
    ("10000000000000", "壹拾万亿元整"),
    # 零 inside one group
    ("101", "壹佰零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1100", "壹仟壹佰元整"),
    # 零 across the 万 group
    ("10000", "壹万元整"),
    ("10001", "壹万零壹元整"),
    ("10010", "壹万零壹拾元整"),
    ("10100", "壹万零壹佰元整"),
    ("11000", "壹万壹仟元整"),
    ("1000010", "壹佰万零壹拾元整"),
    ("1010000", "壹佰零壹万元整"),
    ("1100000", "壹佰壹拾万元整"),
    ("11000700", "壹仟壹佰万零柒佰元整"),
    ("120003", "壹拾贰万零叁元整"),
    # across 亿 (a run crossing a group's end writes one 零; a run of only group ends, none)
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("110000000", "壹亿壹仟万元整"),
    ("1010000000", "壹拾亿壹仟万元整"),
    ("1001000000", "壹拾亿零壹佰万元整"),
    ("10070000000", "壹佰亿零柒仟万元整"),
    ("100000000.10", "壹亿元零壹角整"),
    # 万亿 (10^12 to 10^16)
    ("1000000000000", "壹万亿元整"),
    ("1000000000005", "壹万亿零伍元整"),
    ("1000000010000", "壹万亿零壹万元整"),
    ("1000100000000", "壹万零壹亿元整"),
    ("1010000000000", "壹万零壹佰亿元整"),
    ("1100000000000", "壹万壹仟亿元整"),
    ("100000000000000", "壹佰万亿元整"),
    ("1000000000000000", "壹仟万亿元整"),
    ("1234567800000000", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌亿元整"),
    # the largest amount allowed
    ("9999999999999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    # trailing zeros past the fen change nothing, nor does the exponent form
    ("1.500", "壹元伍角整"),
    ("1E+3", "壹仟元整"),
    ("-0", "零元整"),
]


@pytest.mark.parametrize(("amount", "words"), CONTRACT_CASES + OWN_CASES)
def test_amount_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_an_int_is_taken_like_its_decimal():
    assert amount_in_words(Decimal(5)) == amount_in_words(5) == "伍元整"  # type: ignore[arg-type]


def test_the_callers_decimal_precision_does_not_matter():
    with localcontext() as context:
        context.prec = 3
        assert amount_in_words(Decimal("9999999999999999.99")).endswith("玖元玖角玖分")
        assert money(Decimal("9999999999999999.99")) == "9,999,999,999,999,999.99"


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        (Decimal("-1"), "negative"),
        (Decimal("-0.01"), "negative"),
        (Decimal("2.675"), "more than two decimal places"),
        (Decimal("0.001"), "more than two decimal places"),
        (Decimal("1E-999999999"), "more than two decimal places"),
        (Decimal("10000000000000000"), "too large"),
        (Decimal("1E+16"), "too large"),
        (Decimal("1E+999999"), "too large"),
        (Decimal("NaN"), "not an amount"),
        (Decimal("sNaN"), "not an amount"),
        (Decimal("Infinity"), "not an amount"),
        (Decimal("-Infinity"), "not an amount"),
        (1.5, "not an amount"),
        (True, "not an amount"),
        (None, "not an amount"),
        ("abc", "not an amount"),
    ],
)
def test_bad_amounts_are_refused_naming_the_problem(amount, problem):
    with pytest.raises(AmountWordsError, match=problem) as caught:
        amount_in_words(amount)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (Decimal("1.25"), Decimal("1.25")),
        (12, Decimal(12)),
        ("1234.50", Decimal("1234.50")),
        (" 7 ", Decimal(7)),
        ("1e3", Decimal(1000)),
        ("-3", Decimal(-3)),  # read; refused later as negative
    ],
)
def test_parse_amount_reads_numbers(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "abc",
        "NaN",
        "Infinity",
        "1_000",
        "１２",
        "1,000",
        "+5",
        ".5",
        "5.",
        "¥5",
        1.5,
        False,
        None,
        [1],
    ],
)
def test_parse_amount_refuses_what_is_not_a_plain_number(raw):
    with pytest.raises(AmountWordsError, match="not an amount"):
        parse_amount(raw)


@pytest.mark.parametrize(
    ("amount", "figures"),
    [
        (Decimal("1234567.8"), "1,234,567.80"),
        (Decimal("0"), "0.00"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("0.05"), "0.05"),
        (Decimal("999.99"), "999.99"),
        (Decimal("1000"), "1,000.00"),
        (Decimal("1E+3"), "1,000.00"),
        (Decimal("1.500"), "1.50"),
        (Decimal("-1234.5"), "-1,234.50"),
        (Decimal("9999999999999999.99"), "9,999,999,999,999,999.99"),
        (12, "12.00"),
    ],
)
def test_money(amount, figures):
    assert money(amount) == figures


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        (Decimal("1.005"), "more than two decimal places"),
        (Decimal("NaN"), "not an amount"),
        (Decimal("Infinity"), "not an amount"),
        (Decimal("1E+999999"), "too large"),
        (1.5, "not an amount"),
    ],
)
def test_money_refuses_what_it_would_have_to_round(amount, problem):
    with pytest.raises(AmountWordsError, match=problem):
        money(amount)


# --------------------------------------------------------------------------- properties

_DIGIT_VALUE = {char: value for value, char in enumerate("零壹贰叁肆伍陆柒捌玖")}
_PLACE_VALUE = {"拾": 10, "佰": 100, "仟": 1000}
_CAPITAL = "[壹贰叁肆伍陆柒捌玖]"


def _integer_from_words(text: str) -> int:
    """Read Chinese capitals back (an independent reader: 零 is skipped, 万 closes a section,
    亿 multiplies everything before it)."""
    total = section = digit = 0
    for char in text:
        if char in _DIGIT_VALUE:
            digit = _DIGIT_VALUE[char]
        elif char in _PLACE_VALUE:
            assert digit, f"a bare {char} in {text}"
            section += digit * _PLACE_VALUE[char]
            digit = 0
        elif char == "万":
            section = (section + digit) * 10**4
            digit = 0
        elif char == "亿":
            total = (total + section + digit) * 10**8
            section = digit = 0
        else:
            raise AssertionError(f"unexpected {char!r} in {text}")
    return total + section + digit


def _amount_from_words(words: str) -> Decimal:
    if words == "零元整":
        return Decimal("0.00")
    integer, _, fraction = words.rpartition("元")
    match = re.fullmatch(f"零?(?:({_CAPITAL})角)?(?:({_CAPITAL})分)?整?", fraction)
    assert match, words
    jiao, fen = (_DIGIT_VALUE[group] if group else 0 for group in match.groups())
    cents = _integer_from_words(integer) * 100 + jiao * 10 + fen
    return Decimal(cents).scaleb(-2)


def _expected_zeros(cents: int) -> int:
    """How many 零 the contract's rules call for, stated directly: drop the zeros that end a 万
    or 亿 group, then one 零 per run of zeros between two non-zero digits; one more between 元
    and the fraction when 角 is 0 or the 元 digit is 0."""
    yuan, fraction = divmod(cents, 100)
    digits = str(yuan)
    kept = "".join(
        digit
        for place, digit in zip(range(len(digits) - 1, -1, -1), digits, strict=True)
        if not (digit == "0" and place and place % 4 == 0)
    )
    zeros = len(re.findall("(?<=[1-9])0+(?=[1-9])", kept))
    if yuan and fraction and (fraction < 10 or yuan % 10 == 0):
        zeros += 1
    return zeros


# Amounts with many zeros, where the 零 rules bite, and any amount at all.
_SPARSE_CENTS = st.lists(st.sampled_from("000000123459"), min_size=1, max_size=18).map(
    lambda digits: int("".join(digits))
)
_CENTS = st.one_of(_SPARSE_CENTS, st.integers(min_value=0, max_value=10**18 - 1))


@given(_CENTS)
@example(10**18 - 1)
@example(0)
@example(10_000_000_000_000_00)
def test_the_words_read_back_to_the_amount(cents):
    amount = Decimal(cents).scaleb(-2)
    assert _amount_from_words(amount_in_words(amount)) == amount


@given(_CENTS)
@example(10000700000)
@example(100100000000000000)
def test_one_zero_per_run_of_zeros_as_the_contract_states_it(cents):
    words = amount_in_words(Decimal(cents).scaleb(-2))
    assert words.count("零") == _expected_zeros(cents) or words == "零元整"


@given(_CENTS)
def test_the_structure_of_the_words(cents):
    words = amount_in_words(Decimal(cents).scaleb(-2))
    yuan, fen = cents // 100, cents % 10
    assert words.endswith("整") == (fen == 0)
    assert words.endswith("分") == (fen != 0)
    assert ("元" in words) == (yuan > 0 or cents == 0)
    assert "零零" not in words
    if cents:
        assert not words.startswith("零")
    # 零 only ever stands before a digit; 拾佰仟 only ever after one (壹拾 in full)
    assert re.search("零[^壹贰叁肆伍陆柒捌玖]", words) is None or words == "零元整"
    assert re.search(f"(?<!{_CAPITAL})[拾佰仟]", words) is None
    assert set(words) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")


@given(st.integers(min_value=-(10**20), max_value=10**20))
def test_money_writes_the_same_value_grouped_by_thousands(cents):
    amount = Decimal(cents).scaleb(-2)
    figures = money(amount)
    assert re.fullmatch(r"-?[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}", figures)
    assert Decimal(figures.replace(",", "")) == amount


@given(st.integers(min_value=0, max_value=10**18 - 1), st.integers(min_value=1, max_value=9))
def test_a_digit_past_the_fen_is_refused_never_rounded(cents, thousandth):
    amount = Decimal(cents * 10 + thousandth).scaleb(-3)
    with pytest.raises(AmountWordsError, match="more than two decimal places"):
        amount_in_words(amount)
