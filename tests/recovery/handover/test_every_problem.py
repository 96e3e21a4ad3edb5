"""Issue 12 §6: a row reports every problem it has, one line each, not only the first of a
cell or of a rule (the validator alone: what the docket refutes is in test_import_reports)."""

import pytest

from recovery.handover import CellError, RejectedRow, check_row, normalized_cells, validate_row
from recovery.handover.parsing import parse_guarantors, parse_phones, parse_security_types
from tests.recovery.handover import COMPANY_CODE, PERSON_ID, PERSON_ID_2, wrong_check
from tests.recovery.handover.test_rows import full_raw, minimal_raw


def errors_of(raw):
    result = validate_row(7, raw)
    assert isinstance(result, list), result
    return result


@pytest.mark.parametrize(
    ("parse", "value", "items", "quoted"),
    [
        (parse_phones, "12345;13800138000;110", ["12345", "110"], ["12345", "110"]),
        (parse_security_types, "按揭+保证+留置", ["按揭", "留置"], ["按揭", "留置"]),
        (
            parse_guarantors,
            f"张三,{wrong_check(PERSON_ID)},连带;李四,{PERSON_ID_2};王五",
            [f"张三,{wrong_check(PERSON_ID)},连带", "王五"],
            ["第1位保证人“张三”", "第3位保证人“王五”"],
        ),
    ],
)
def test_a_cell_of_several_items_lists_each_bad_item_as_its_own_problem(parse, value, items, quoted):
    with pytest.raises(CellError) as raised:
        parse(value)
    assert [shown for _message, shown in raised.value.problems] == items
    messages = [message for message, _shown in raised.value.problems]
    assert all(text in message for message, text in zip(messages, quoted, strict=True))


@pytest.mark.parametrize(
    ("field", "value", "count"),
    [
        ("phone", "12345；1380013800；13800138000", 2),
        ("security_type", "按揭、抵质押", 2),
        ("guarantors", f"@cmd,{PERSON_ID_2},随便;李四,{wrong_check(PERSON_ID_2)}", 3),
    ],
)
def test_each_bad_item_of_a_cell_is_one_line_of_the_report(field, value, count):
    errors = errors_of(minimal_raw(**{field: value}))
    assert len(errors) == count and {error.field for error in errors} == {field}


def test_a_guarantor_named_as_a_formula_has_its_type_and_number_checked_too():
    errors = errors_of(minimal_raw(guarantors=f"=cmd,{wrong_check(PERSON_ID_2)},无限"))
    messages = [error.message for error in errors]
    assert len(messages) == 3
    assert "不能以 = + - @" in messages[0] and "保证方式“无限”" in messages[1] and "居民身份证" in messages[2]


def test_the_borrower_as_guarantor_is_reported_beside_another_guarantors_bad_entry():
    errors = errors_of(minimal_raw(guarantors=f"张三,{PERSON_ID},连带;李四,{wrong_check(PERSON_ID_2)}"))
    assert [error.column for error in errors] == ["保证人", "保证人"]
    assert "居民身份证" in errors[0].message
    assert "借款人不能同时是本笔贷款的保证人" in errors[1].message


def test_a_long_guarantor_name_is_reported_beside_another_guarantors_bad_entry():
    long_name = "某" * 201
    errors = errors_of(minimal_raw(guarantors=f"{long_name},{COMPANY_CODE};李四,{wrong_check(PERSON_ID_2)}"))
    assert len(errors) == 2 and "超过 200 个字符" in errors[1].message


def test_a_rejected_row_keeps_what_the_docket_checks_need():
    checked = check_row(7, minimal_raw(disbursed_on="2023-02-30", assignee=" nobody ", branch="杭州分行"))
    assert isinstance(checked, RejectedRow) and [error.column for error in checked.errors] == ["放款日"]
    assert (checked.contract_no, checked.id_number) == ("HT-001", PERSON_ID)
    assert (checked.assignee, checked.branch) == ("nobody", "杭州分行")
    unreadable = check_row(8, minimal_raw(contract_no="=1+1", id_number="123"))
    assert (unreadable.contract_no, unreadable.id_number) == (None, None)


def test_normalized_cells_write_the_row_as_a_clean_file_would():
    row = validate_row(7, full_raw(disbursed_on="2020/1/1", loan_amount="¥10,000"))
    cells = normalized_cells(row)
    assert cells["disbursed_on"] == "2020-01-01" and cells["loan_amount"] == "10000.00"
    assert cells["borrower_type"] == "个人" and cells["security_type"] == "保证+抵押"
    assert cells["guarantors"] == f"李四,{PERSON_ID_2},连带;某某有限公司,{COMPANY_CODE},一般"
    assert cells["phone"] == "13800138000;13900139000" and cells["interest_outstanding"] == "120.50"
    assert cells["address"] == "北京市朝阳区某路1号" and cells["collateral"] == "房产一套;车辆一辆"
