from datetime import date
from decimal import Decimal

import pytest

from recovery.handover import (
    DuplicateContractTracker,
    Guarantor,
    HandoverRow,
    RowError,
    RowValidator,
    open_handover,
    validate_row,
)
from tests.recovery.handover import COMPANY_CODE, PERSON_ID, PERSON_ID_2, wrong_check


def minimal_raw(**changes):
    raw = {
        "contract_no": "HT-001",
        "borrower": "张三",
        "id_number": PERSON_ID,
        "loan_amount": "10,000.00",
        "principal_outstanding": "8000",
        "disbursed_on": "2020-01-01",
        "due_on": "2023-01-01",
        "handed_over_on": "2023-05-26",
    }
    raw.update(changes)
    return raw


def full_raw(**changes):
    raw = minimal_raw(
        borrower_type="个人",
        phone="13800138000;13900139000",
        address=" 北京市朝阳区某路1号 ",
        interest_outstanding="¥120.50",
        penalty_interest=30,
        last_payment_on="2023-03-01",
        security_type="保证+抵押",
        guarantors=f"李四,{PERSON_ID_2},连带;某某有限公司,{COMPANY_CODE}",
        collateral="房产一套;车辆一辆",
        assignee="lawyer@example.com",
        branch="朝阳支行",
    )
    raw.update(changes)
    return raw


def errors_of(raw, **kwargs):
    result = validate_row(7, raw, **kwargs)
    assert isinstance(result, list), result
    return result


def messages_by_column(errors):
    return {error.column: error.message for error in errors}


def test_a_full_row_becomes_a_typed_handover_row():
    row = validate_row(7, full_raw())
    assert row == HandoverRow(
        row=7,
        contract_no="HT-001",
        borrower_name="张三",
        borrower_type="person",
        id_number=PERSON_ID,
        phones=("13800138000", "13900139000"),
        address="北京市朝阳区某路1号",
        loan_amount=Decimal("10000.00"),
        principal_outstanding=Decimal("8000.00"),
        interest_outstanding=Decimal("120.50"),
        penalty_interest=Decimal("30.00"),
        disbursed_on=date(2020, 1, 1),
        due_on=date(2023, 1, 1),
        last_payment_on=date(2023, 3, 1),
        security_types=("guarantee", "mortgage"),
        guarantors=(
            Guarantor("李四", PERSON_ID_2, "person", "joint"),
            Guarantor("某某有限公司", COMPANY_CODE, "company", "general"),
        ),
        collateral=("房产一套", "车辆一辆"),
        handed_over_on=date(2023, 5, 26),
        assignee="lawyer@example.com",
        branch="朝阳支行",
    )
    with pytest.raises(AttributeError):
        row.contract_no = "other"  # frozen


def test_optional_columns_default_when_absent_or_blank():
    for raw in (minimal_raw(), full_raw(**dict.fromkeys(set(full_raw()) - set(minimal_raw()), " "))):
        row = validate_row(2, raw)
        assert isinstance(row, HandoverRow)
        assert row.borrower_type == "person"  # guessed from the ID number
        assert row.phones == row.security_types == row.guarantors == row.collateral == ()
        assert row.interest_outstanding == row.penalty_interest == Decimal("0.00")
        assert row.address is row.last_payment_on is row.assignee is row.branch is None


def test_a_company_borrower_is_recognised_by_its_credit_code():
    row = validate_row(2, minimal_raw(borrower="某某有限公司", id_number=COMPANY_CODE.lower()))
    assert (row.borrower_type, row.id_number) == ("company", COMPANY_CODE)


def test_typed_excel_values_are_accepted():
    row = validate_row(
        2,
        minimal_raw(
            contract_no=12345.0,
            loan_amount=10000.5,
            principal_outstanding=8000,
            disbursed_on=date(2020, 1, 1),
            due_on=45072,
            handed_over_on=20230526,
            phone=13800138000,
        ),
    )
    assert row.contract_no == "12345"
    assert row.loan_amount == Decimal("10000.50")
    assert row.due_on == row.handed_over_on == date(2023, 5, 26)
    assert row.phones == ("13800138000",)


@pytest.mark.parametrize(
    ("field", "column"),
    [
        ("contract_no", "合同编号"),
        ("borrower", "借款人"),
        ("id_number", "证件号码"),
        ("loan_amount", "贷款金额"),
        ("principal_outstanding", "本金余额"),
        ("disbursed_on", "放款日"),
        ("due_on", "到期日"),
        ("handed_over_on", "移交日期"),
    ],
)
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_each_required_cell_must_be_filled(field, column, blank):
    errors = errors_of(minimal_raw(**{field: blank}))
    assert [(error.row, error.column) for error in errors] == [(7, column)]
    assert "不能为空" in errors[0].message
    assert "required" in errors[0].message


@pytest.mark.parametrize(
    ("changes", "column", "reason"),
    [
        ({"loan_amount": "0"}, "贷款金额", "不少于 0.01"),
        ({"loan_amount": "-100"}, "贷款金额", "不少于 0.01"),
        ({"loan_amount": "12.345"}, "贷款金额", "两位小数"),
        ({"principal_outstanding": "-1"}, "本金余额", "不能为负数"),
        ({"interest_outstanding": "-0.01"}, "利息余额", "不能为负数"),
        ({"penalty_interest": "-5"}, "罚息", "不能为负数"),
        ({"principal_outstanding": "10000.01"}, "本金余额", "大于贷款金额"),
        ({"due_on": "2019-12-31"}, "到期日", "早于放款日"),
        ({"last_payment_on": "2023-05-27"}, "最后还款日", "晚于移交日期"),
        ({"last_payment_on": "2019-12-31"}, "最后还款日", "早于放款日"),
        ({"handed_over_on": "2019-12-31", "last_payment_on": ""}, "移交日期", "早于放款日"),
        ({"contract_no": "H" * 65}, "合同编号", "超过 64 个字符"),
        ({"borrower": "张" * 201}, "借款人", "超过 200 个字符"),
        ({"address": "路" * 301}, "地址", "超过 300 个字符"),
        ({"collateral": "房产;" + "屋" * 301}, "抵押物", "超过 300 个字符"),
        ({"branch": "行" * 101}, "机构", "超过 100 个字符"),
        ({"disbursed_on": "05/06/2020"}, "放款日", "歧义"),
        ({"last_payment_on": "2023-02-30"}, "最后还款日", "不存在"),
        ({"id_number": wrong_check(PERSON_ID)}, "证件号码", "GB 11643"),
        ({"id_number": PERSON_ID, "borrower_type": "企业"}, "证件号码", "统一社会信用代码"),
        ({"id_number": COMPANY_CODE, "borrower_type": "个人"}, "证件号码", "居民身份证"),
        ({"borrower_type": "合伙"}, "借款人类型", "个人 或 企业"),
        ({"phone": "12345"}, "手机号", "手机号"),
        ({"security_type": "按揭"}, "担保方式", "担保方式"),
        ({"guarantors": f"李四,{wrong_check(PERSON_ID_2)},连带"}, "保证人", "李四"),
    ],
)
def test_each_rule_has_its_own_message(changes, column, reason):
    errors = errors_of(minimal_raw(**changes))
    assert len(errors) == 1, errors
    assert errors[0].column == column
    assert reason in errors[0].message
    assert "（" in errors[0].message  # English in brackets


def test_boundaries_are_accepted():
    row = validate_row(
        2,
        minimal_raw(
            loan_amount="0.01",
            principal_outstanding="0.01",
            interest_outstanding="0",
            due_on="2020-01-01",  # same day as disbursed
            last_payment_on="2023-05-26",  # the hand-over day itself
        ),
    )
    assert isinstance(row, HandoverRow)


def test_every_error_of_a_row_is_reported_with_the_cell_text():
    errors = errors_of(
        minimal_raw(
            contract_no="",
            id_number="123",
            loan_amount="abc",
            disbursed_on="2023-02-30",
            due_on="2021-01-01",
            handed_over_on="2023-05-26",
            last_payment_on="2024-01-01",
            phone="12345",
        )
    )
    assert [(error.column, error.value) for error in errors] == [
        ("合同编号", ""),
        ("证件号码", "123"),
        ("手机号", "12345"),
        ("贷款金额", "abc"),
        ("放款日", "2023-02-30"),
        ("最后还款日", "2024-01-01"),
    ]
    assert all(error.row == 7 for error in errors)


def test_rules_between_cells_are_skipped_when_a_cell_is_unreadable():
    # An unreadable principal is reported once, not again as "greater than the loan".
    errors = errors_of(minimal_raw(loan_amount="abc", principal_outstanding="99999999"))
    assert [error.column for error in errors] == ["贷款金额"]


def test_errors_name_the_column_as_the_file_spells_it():
    headers = {"contract_no": "Contract_No", "loan_amount": "贷款金额"}
    errors = errors_of(minimal_raw(contract_no="", principal_outstanding="-1"), headers=headers)
    assert [error.column for error in errors] == ["Contract_No", "本金余额"]


def test_row_error_as_dict_matches_the_summary_format():
    error = RowError(12, "证件号码", "123", "…")
    assert error.as_dict() == {"row": 12, "column": "证件号码", "value": "123", "message": "…"}


# --- duplicates --------------------------------------------------------------------------


def test_duplicate_tracker_reports_the_first_row():
    tracker = DuplicateContractTracker()
    assert tracker.first_row(2, "HT-1") is None
    assert tracker.first_row(3, "HT-2") is None
    assert tracker.first_row(5, "HT-1") == 2
    assert tracker.first_row(9, "HT-1") == 2


def test_the_second_occurrence_of_a_contract_number_is_the_error():
    validator = RowValidator({"contract_no": "合同编号"})
    assert isinstance(validator.validate(2, minimal_raw(contract_no="HT-1")), HandoverRow)
    # Even when the first occurrence is itself invalid, the number is taken.
    assert isinstance(validator.validate(3, minimal_raw(contract_no="HT-2", loan_amount="x")), list)
    assert isinstance(validator.validate(4, minimal_raw(contract_no="ht-1")), HandoverRow)
    for row, number, first in ((5, " HT-1 ", 2), (6, "HT-2", 3)):
        errors = validator.validate(row, minimal_raw(contract_no=number))
        assert [(error.row, error.column) for error in errors] == [(row, "合同编号")]
        assert f"第 {first} 行" in errors[0].message


def test_row_validator_makes_errors_for_the_import_service():
    validator = RowValidator({"assignee": "承办人 "})
    error = validator.error(8, "assignee", "nobody", "承办人不存在（unknown user）")
    assert error == RowError(8, "承办人 ", "nobody", "承办人不存在（unknown user）")
    assert RowValidator().error(8, "branch", None, "…").column == "机构"


def test_a_whole_file_end_to_end(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "合同编号,借款人,证件号码,贷款金额,本金余额,放款日,到期日,移交日期,备注\n"
        f"HT-1,张三,{PERSON_ID},1000,900,2020-01-01,2023-01-01,2023-05-26,\n"
        f"HT-2,李四,{wrong_check(PERSON_ID_2)},1000,900,2020-01-01,2023-01-01,2023-05-26,\n"
        "\n"
        f"HT-1,张三,{PERSON_ID},1000,900,2020-01-01,2023-01-01,2023-05-26,重复\n",
        encoding="utf-8-sig",
    )
    with open_handover(path) as sheet:
        validator = RowValidator(sheet.headers)
        results = list(validator.validate_all(sheet.rows()))
        assert sheet.unknown_columns == ["备注"]
    assert isinstance(results[0], HandoverRow)
    assert [(error.row, error.column) for error in results[1]] == [(3, "证件号码")]
    assert [(error.row, error.column) for error in results[2]] == [(5, "合同编号")]


def test_length_limits_match_the_docket_fields():
    from recovery.handover.rows import MAX_LENGTHS
    from recovery.models import Branch, Collateral, Loan, Party

    stored = {
        "contract_no": Loan._meta.get_field("contract_no"),
        "borrower": Party._meta.get_field("name"),
        "address": Party._meta.get_field("address"),
        "phone": Party._meta.get_field("phones"),
        "guarantors": Party._meta.get_field("name"),
        "collateral": Collateral._meta.get_field("description"),
        "branch": Branch._meta.get_field("name"),
    }
    assert MAX_LENGTHS == {name: field.max_length for name, field in stored.items()}
