"""Amounts in Chinese capitals (人民币大写) and in figures, for documents, pages and commands.

Pure and Django-free: the `words` and `money` template filters, the pages and the
`amount_in_words` command call these functions. Rules and this project's choices:
/work/shared/contracts/amount-in-words.md (会计基础工作规范 第52条).

Why not cn2an's "rmb" mode: it writes no 整 after 角, truncates past the fen silently and drops
the 零 of an empty 万 group (stack-notes.md).
"""

import re
from decimal import Context, Decimal, InvalidOperation

DIGITS = "零壹贰叁肆伍陆柒捌玖"
# The unit of each place inside a four-digit group, from the ones place up.
PLACE_UNITS = ("", "拾", "佰", "仟")
ZERO = "零"
YUAN, JIAO, FEN, WHOLE = "元", "角", "分", "整"

# 10^16 and above need 亿亿/万亿 forms the contract does not define.
LIMIT = Decimal(10) ** 16
_FEN = Decimal("0.01")
# Precision for quantizing, independent of the caller's thread context (prec 28 by default,
# but anyone may lower it): 40 digits hold every amount below 10^38 to the fen exactly.
_EXACT = Context(prec=40)

# An amount written as text: plain decimal notation or a JSON number's exponent form, ASCII digits
# only (Decimal() alone would also take "NaN", "1_000" and full-width digits).
_AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class AmountWordsError(ValueError):
    """An amount that cannot be written: not a number, negative, finer than the fen, too large.
    The message names the problem in Chinese with the English in brackets."""


def parse_amount(raw: object) -> Decimal:
    """`raw` (a Decimal, an int, or a string such as "1234.50") as a Decimal; AmountWordsError for
    anything else. Floats are refused: a binary float is not an exact amount of money."""
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Decimal(raw)
    if isinstance(raw, str) and _AMOUNT_TEXT.fullmatch(raw.strip()):
        return Decimal(raw.strip())
    # JSON's words as JSON writes them (true, null), anything else as Python shows it.
    shown = "null" if raw is None else str(raw).lower() if isinstance(raw, bool) else repr(raw)
    raise AmountWordsError(
        f'不是金额：{shown}，应为数字或 "1234.50" 这样的文本'
        f'（not an amount: {shown}; expected a number or a string such as "1234.50"）'
    )


def _checked_fen(amount: Decimal) -> int:
    """`amount` as a whole number of fen, or AmountWordsError naming what is wrong with it."""
    amount = parse_amount(amount)  # the caller may hold an int or text; a float is refused
    if not amount.is_finite():
        raise AmountWordsError(f"不是金额：{amount}（not an amount: {amount}）")
    if amount < 0:
        raise AmountWordsError(f"金额为负数：{amount}（a negative amount: {amount}）")
    if amount >= LIMIT:
        raise AmountWordsError(
            f"金额过大：{amount}，应小于 10^16 元（too large: {amount}; amounts must be below 10^16 yuan）"
        )
    # Below 10^16 the quantized value has at most 18 digits: quantize cannot overflow.
    in_fen = amount.quantize(_FEN, context=_EXACT)
    if in_fen != amount:
        raise AmountWordsError(
            f"金额超过两位小数：{amount}，不作舍入"
            f"（more than two decimal places: {amount}; amounts are never rounded）"
        )
    return int(in_fen.scaleb(2, context=_EXACT))


def _group_word(place: int, yuan: int) -> str:
    """The word written after the digit at `place` (4, 8 or 12) ends its group: 万 or 亿 when the
    digits it counts are not all zero (亿 counts every digit above it too: 壹万亿)."""
    if place == 8:
        return "亿" if yuan >= 10**8 else ""
    return "万" if yuan // 10**place % 10**4 else ""


def _integer_words(yuan: int) -> str:
    """Whole yuan (1 ≤ yuan < 10^16) in capitals, without 元.

    Digits are read high to low; each is followed by its place unit (拾佰仟, 壹拾 in full), and
    the digit ending a group by the group's word (万, 亿, and 万 again for 万亿). One 零 stands
    for each run of zeros between two non-zero digits, but the zeros that end a 万 or 亿 group
    write nothing: a run made only of them writes nothing (107000 → 壹拾万柒仟), a run that
    crosses them writes one 零 (100007000 → 壹亿零柒仟). Trailing zeros write nothing.
    """
    text = ""
    zero_pending = False  # a zero, not at a group's end, since the last written digit
    for place in range(len(str(yuan)) - 1, -1, -1):
        digit = yuan // 10**place % 10
        if digit:
            if zero_pending:
                text += ZERO
                zero_pending = False
            text += DIGITS[digit] + PLACE_UNITS[place % 4]
        elif place % 4:
            zero_pending = True
        if place and place % 4 == 0:
            text += _group_word(place, yuan)
    return text


def amount_in_words(amount: Decimal) -> str:
    """`amount` yuan in Chinese capitals, without the currency word: 1000.10 → 壹仟元零壹角整.

    AmountWordsError for a negative amount, a non-zero digit past the fen (1.005; never
    rounded; 1.500 is 1.50), 10^16 or more, or what is not a number (NaN, infinity, a float,
    other text than parse_amount reads). An int or numeric text is taken like its Decimal.
    """
    fen_total = _checked_fen(amount)
    if fen_total == 0:
        return ZERO + YUAN + WHOLE
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    text = ""
    if yuan:
        text = _integer_words(yuan) + YUAN
        # 零 between 元 and the fraction when 角 is 0 (100.05 → 壹佰元零伍分), or, this
        # project's choice, when the 元 digit is 0 (1000.10 → 壹仟元零壹角整).
        if cents and (jiao == 0 or yuan % 10 == 0):
            text += ZERO
    if jiao:
        text += DIGITS[jiao] + JIAO
    if fen:
        return text + DIGITS[fen] + FEN
    return text + WHOLE


def money(amount: Decimal) -> str:
    """`amount` in figures with thousands separators and two decimals: 1234567.8 → 1,234,567.80.

    AmountWordsError for what is not a finite number or has more than two decimal places (never
    rounded). Negative amounts keep their sign; -0 is 0.00.
    """
    value = parse_amount(amount)
    if not value.is_finite():
        raise AmountWordsError(f"不是金额：{value}（not an amount: {value}）")
    try:
        in_fen = value.quantize(_FEN, context=_EXACT)
    except InvalidOperation:  # more digits than the context's precision: far past any amount
        raise AmountWordsError(f"金额过大：{value}（too large: {value}）") from None
    if in_fen != value:
        raise AmountWordsError(
            f"金额超过两位小数：{value}，不作舍入"
            f"（more than two decimal places: {value}; amounts are never rounded）"
        )
    if in_fen == 0:
        in_fen = abs(in_fen)
    return f"{in_fen:,.2f}"
