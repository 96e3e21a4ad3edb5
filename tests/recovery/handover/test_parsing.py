from datetime import date, datetime
from decimal import Decimal

import pytest

from recovery.checks.identity import credit_code_error, resident_id_error
from recovery.handover import parsing
from recovery.handover.parsing import (
    CellError,
    DateParser,
    Guarantor,
    cell_text,
    parse_amount,
    parse_borrower_type,
    parse_collateral,
    parse_date,
    parse_guarantors,
    parse_id_number,
    parse_phones,
    parse_security_types,
)
from tests.recovery.handover import (
    COMPANY_CODE,
    PERSON_ID,
    PERSON_ID_2,
    PUBLIC_CREDIT_CODE,
    PUBLIC_RESIDENT_ID,
    wrong_check,
)

MAY_26 = date(2023, 5, 26)


def test_the_identity_numbers_used_by_these_tests_are_valid():
    for number in (PUBLIC_RESIDENT_ID, PERSON_ID, PERSON_ID_2):
        assert resident_id_error(number) is None
    for code in (PUBLIC_CREDIT_CODE, COMPANY_CODE):
        assert credit_code_error(code) is None
    assert resident_id_error(wrong_check(PERSON_ID)) is not None
    assert credit_code_error(wrong_check(COMPANY_CODE)) is not None


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-05-26", MAY_26),
        ("2023-5-26", MAY_26),
        ("2023/5/26", MAY_26),
        ("2023/05/26", MAY_26),
        ("2023.5.26", MAY_26),
        ("20230526", MAY_26),
        ("2023年5月26日", MAY_26),
        ("2023年05月26日", MAY_26),
        ("2023 年 5 月 26 日", MAY_26),
        ("2023年5月26号", MAY_26),
        ("二〇二三年五月二十六日", MAY_26),
        ("二零二三年五月二十六日", MAY_26),
        ("二〇二三年五月廿六日", MAY_26),
        ("二〇二三年〇五月二六日", MAY_26),
        ("二〇二三年十二月三十一日", date(2023, 12, 31)),
        ("二〇二三年十月一日", date(2023, 10, 1)),
        ("  2023-05-26  ", MAY_26),
        ("２０２３－０５－２６", MAY_26),  # full-width, typed with a Chinese input method
        ("2023-05-26 00:00:00", MAY_26),  # CSV export of a datetime column
        ("2023-05-26T14:30", MAY_26),
        ("26 May 2023", MAY_26),  # spelled-out month: dateparser fallback
        ("May 26, 2023", MAY_26),
        (MAY_26, MAY_26),  # Excel date cell
        (datetime(2023, 5, 26, 0, 0), MAY_26),
        (45072, MAY_26),  # Excel serial number
        (45072.0, MAY_26),
        (45072.75, MAY_26),  # serial with a time of day
        ("45072", MAY_26),
        (20230526, MAY_26),  # yyyymmdd typed into a numeric cell
        (20230526.0, MAY_26),
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_dates_accepted(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("05/06/2023", "歧义"),  # 5 June or May 6?
        ("26/05/2023", "歧义"),  # never read day-first, even when it could only be one way
        ("5-6-2023", "歧义"),
        ("23-05-26", "年份不完整"),
        ("26.05.23", "年份不完整"),
        ("230526", "年份不完整"),
        ("2023-02-30", "不存在"),
        ("2023-13-01", "不存在"),
        ("2023-02-29", "不存在"),
        ("20230230", "不存在"),
        ("二〇二三年二月三十日", "不存在"),
        ("二〇二三年十三月五日", "不存在"),
        ("1800-01-01", "年份"),
        ("garbage", "无法识别"),
        ("yesterday", "无法识别"),  # relative dates are never accepted
        ("2023年5月", "无法识别"),  # no day
        ("2023-5/26", "无法识别"),  # mixed separators
        ("二〇二三年十十月五日", "无法识别"),
        ("2023", "无法识别"),
        (2023, "Excel"),  # neither a plausible serial nor yyyymmdd
        (123, "Excel"),
        (99999, "Excel"),
        (True, "无法识别"),
        (float("nan"), "无法识别"),
    ],
)
def test_dates_rejected_with_the_cell_quoted(value, reason):
    with pytest.raises(CellError) as raised:
        parse_date(value)
    assert reason in raised.value.message
    assert f"“{cell_text(value)}”" in raised.value.message


def test_date_parser_parses_each_distinct_value_once(monkeypatch):
    calls = []

    def counting_parse(value):
        calls.append(value)
        return MAY_26

    monkeypatch.setattr(parsing, "parse_date", counting_parse)
    parser = DateParser()
    for _ in range(3):
        assert parser("2023-05-26") == MAY_26
        assert parser(45072) == MAY_26
    assert calls == ["2023-05-26", 45072]


def test_date_parser_caches_failures_too():
    parser = DateParser()
    for _ in range(2):
        with pytest.raises(CellError, match="05/06/2023"):
            parser("05/06/2023")
    assert parser(datetime(2023, 5, 26, 9, 0)) == MAY_26


# --- amounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1，234.56", "1234.56"),
        ("¥1,234.56", "1234.56"),
        ("￥1,234.56元", "1234.56"),
        (" 1 234.5 元 ", "1234.50"),
        ("RMB 100", "100.00"),
        ("100", "100.00"),
        ("100.000", "100.00"),  # trailing zeros are not extra precision
        (".5", "0.50"),
        ("0", "0.00"),
        ("-5", "-5.00"),  # a number; the sign is checked by the row rules
        (100, "100.00"),
        (1234.56, "1234.56"),
        (0.1, "0.10"),
        (1234.5600000000002, "1234.56"),  # formula result: binary noise, not a third decimal
        (Decimal("12.3"), "12.30"),
        ("9999999999999.99", "9999999999999.99"),
    ],
)
def test_amounts_accepted(value, expected):
    amount = parse_amount(value)
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12.345", "两位小数"),
        (12.345, "两位小数"),
        ("0.001", "两位小数"),
        ("abc", "不是数字"),
        ("12万", "不是数字"),  # never multiplied out by guess
        ("1e5", "不是数字"),
        ("1.2.3", "不是数字"),
        ("", "不是数字"),
        (True, "不是数字"),
        (float("inf"), "不是数字"),
        (float("nan"), "不是数字"),
        ("10000000000000", "过大"),
    ],
)
def test_amounts_rejected(value, reason):
    with pytest.raises(CellError, match=reason):
        parse_amount(value)


# --- phones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13800138000", ("13800138000",)),
        (13800138000, ("13800138000",)),
        (13800138000.0, ("13800138000",)),
        ("13800138000;13900139000", ("13800138000", "13900139000")),
        ("13800138000；13900139000", ("13800138000", "13900139000")),
        ("13800138000、13900139000", ("13800138000", "13900139000")),
        ("13800138000,13900139000", ("13800138000", "13900139000")),
        ("138-0013-8000", ("13800138000",)),
        ("138 0013 8000", ("13800138000",)),
        ("+86 138 0013 8000", ("13800138000",)),
        ("13800138000;13800138000", ("13800138000",)),  # repeats dropped
        ("13800138000;", ("13800138000",)),
        ("", ()),
        (None, ()),
    ],
)
def test_phones_accepted(value, expected):
    assert parse_phones(value) == expected


@pytest.mark.parametrize(
    "value",
    ["12800138000", "1380013800", "138001380000", "010-12345678", "13800138000;abc", "110"],
)
def test_phones_rejected(value):
    with pytest.raises(CellError, match="手机号"):
        parse_phones(value)


# --- borrower type and identity numbers --------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("个人", "person"),
        ("person", "person"),
        ("Person", "person"),
        ("自然人", "person"),
        ("企业", "company"),
        ("company", "company"),
        ("公司", "company"),
        ("", None),
        (None, None),
    ],
)
def test_borrower_types(value, expected):
    assert parse_borrower_type(value) == expected


def test_unknown_borrower_type_rejected():
    with pytest.raises(CellError, match="个人 或 企业"):
        parse_borrower_type("合伙")


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (PUBLIC_RESIDENT_ID, None, (PUBLIC_RESIDENT_ID, "person")),
        (PUBLIC_RESIDENT_ID.lower(), None, (PUBLIC_RESIDENT_ID, "person")),
        (f" {PERSON_ID[:6]} {PERSON_ID[6:]} ", None, (PERSON_ID, "person")),
        (int(PERSON_ID), None, (PERSON_ID, "person")),  # exact integer cell (written by a program)
        (PUBLIC_CREDIT_CODE, None, (PUBLIC_CREDIT_CODE, "company")),
        (COMPANY_CODE.lower(), None, (COMPANY_CODE, "company")),
        (PERSON_ID, "person", (PERSON_ID, "person")),
        (COMPANY_CODE, "company", (COMPANY_CODE, "company")),
    ],
)
def test_identity_numbers_accepted(value, kind, expected):
    assert parse_id_number(value, kind) == expected


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        (wrong_check(PERSON_ID), None, "居民身份证"),
        (wrong_check(COMPANY_CODE), None, "统一社会信用代码"),
        (PERSON_ID[:15], None, "居民身份证"),  # 15-digit first-generation ID
        ("320102198002301234", None, "居民身份证"),  # born on 30 February
        (PERSON_ID, "company", "统一社会信用代码"),  # declared company, number of a person
        (COMPANY_CODE, "person", "居民身份证"),
        (1.1010519491231e17, None, "数字"),  # Excel kept 15 significant digits only
        ("", None, "为空"),
        ("ABC", None, "18 位"),
    ],
)
def test_identity_numbers_rejected(value, kind, reason):
    with pytest.raises(CellError, match=reason):
        parse_id_number(value, kind)


# --- security types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("信用", ("credit",)),
        ("保证+抵押", ("guarantee", "mortgage")),
        ("抵押+保证", ("guarantee", "mortgage")),  # canonical order
        ("抵押、质押、保证", ("guarantee", "mortgage", "pledge")),
        ("保证 + 抵押", ("guarantee", "mortgage")),
        ("抵押担保", ("mortgage",)),
        ("保证＋质押", ("guarantee", "pledge")),
        ("抵押+抵押", ("mortgage",)),
        ("", ()),
    ],
)
def test_security_types_accepted(value, expected):
    assert parse_security_types(value) == expected


@pytest.mark.parametrize("value", ["按揭", "保证+留置", "抵质押"])
def test_security_types_rejected(value):
    with pytest.raises(CellError, match="担保方式"):
        parse_security_types(value)


# --- guarantors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"张三,{PERSON_ID},连带", (Guarantor("张三", PERSON_ID, "person", "joint"),)),
        (f"张三,{PERSON_ID},一般", (Guarantor("张三", PERSON_ID, "person", "general"),)),
        # No type: a general guarantee (Civil Code art. 686).
        (f"张三,{PERSON_ID}", (Guarantor("张三", PERSON_ID, "person", "general"),)),
        (f"张三,{PERSON_ID},", (Guarantor("张三", PERSON_ID, "person", "general"),)),
        (
            f"张三,{PERSON_ID},连带;某某有限公司,{COMPANY_CODE},一般",
            (
                Guarantor("张三", PERSON_ID, "person", "joint"),
                Guarantor("某某有限公司", COMPANY_CODE, "company", "general"),
            ),
        ),
        (
            f"张三，{PERSON_ID}，连带责任；李四，{PERSON_ID_2.lower()}",
            (
                Guarantor("张三", PERSON_ID, "person", "joint"),
                Guarantor("李四", PERSON_ID_2, "person", "general"),
            ),
        ),
        (f" 张三 , {PERSON_ID} , 连带 ; ", (Guarantor("张三", PERSON_ID, "person", "joint"),)),
        ("", ()),
    ],
)
def test_guarantors_accepted(value, expected):
    assert parse_guarantors(value) == expected


@pytest.mark.parametrize(
    ("value", "reasons"),
    [
        ("张三", ["应写成"]),
        (f"{PERSON_ID},连带", ["“连带”", "18 位"]),  # name missing: the ID is read as the name
        (f",{PERSON_ID},连带", ["应写成"]),
        (f"张三,{PERSON_ID},连带,多余", ["应写成"]),
        (f"张三,{wrong_check(PERSON_ID)},连带", ["张三", "居民身份证"]),
        (f"某公司,{wrong_check(COMPANY_CODE)}", ["某公司", "统一社会信用代码"]),
        (f"张三,{PERSON_ID},无限", ["保证方式“无限”"]),
        (f"张三,{PERSON_ID};张三,{PERSON_ID}", ["重复"]),
        # Every problem of the cell at once.
        (f"张三,{wrong_check(PERSON_ID)};李四,{PERSON_ID_2},随便", ["张三", "李四", "随便"]),
    ],
)
def test_guarantors_rejected(value, reasons):
    with pytest.raises(CellError) as raised:
        parse_guarantors(value)
    for reason in reasons:
        assert reason in raised.value.message


# --- collateral and text -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("房产一套", ("房产一套",)),
        ("房产一套（朝阳区某路1号）;车辆一辆", ("房产一套（朝阳区某路1号）", "车辆一辆")),
        ("房产；车辆； ", ("房产", "车辆")),
        ("", ()),
        (None, ()),
    ],
)
def test_collateral(value, expected):
    assert parse_collateral(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  HT-001 ", "HT-001"),
        (12345, "12345"),
        (12345.0, "12345"),  # Excel numeric cell: no ".0" that Excel never showed
        (12.5, "12.5"),
        (MAY_26, "2023-05-26"),
        (datetime(2023, 5, 26), "2023-05-26"),
        (True, "TRUE"),
    ],
)
def test_cell_text(value, expected):
    assert cell_text(value) == expected
