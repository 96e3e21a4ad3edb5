"""Issue 11 on the reading side: names and contract numbers that a spreadsheet would run as
formulas are refused, dates outside the supported range are refused, a guarantor cell is
reported by its bad entry only, and reading a file is bounded (rows counted while reading,
whatever the sheet declares; an .xlsx's unpacked size and compression ratio, which also bound
what its parts really inflate to)."""

import io
import re
import struct
import zipfile

import pytest
from openpyxl import Workbook

from recovery.handover import HandoverFileError, open_handover, validate_row
from recovery.handover.reading import ReadLimits
from tests.recovery.handover import PERSON_ID, PERSON_ID_2, wrong_check

HYPERLINK = '=HYPERLINK("http://x","y")'
HEADER = ["合同编号", "借款人", "证件号码", "贷款金额", "本金余额", "放款日", "到期日", "移交日期", "机构"]


def raw_row(**changes):
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


def errors_of(raw):
    result = validate_row(7, raw)
    assert isinstance(result, list), result
    return result


# --- formula triggers (finding 7) ---------------------------------------------------------


@pytest.mark.parametrize(("field", "column"), [("contract_no", "合同编号"), ("borrower", "借款人")])
@pytest.mark.parametrize("text", [HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"])
def test_names_and_contract_numbers_a_spreadsheet_would_run_are_rejected(field, column, text):
    errors = errors_of(raw_row(**{field: text}))

    assert [(error.row, error.column, error.field) for error in errors] == [(7, column, field)]
    assert errors[0].message.startswith(f"{column}不能以 = + - @")


def test_a_guarantor_name_a_spreadsheet_would_run_is_rejected_naming_the_entry():
    errors = errors_of(raw_row(guarantors=f"李四,{PERSON_ID_2},连带;@cmd,{PERSON_ID},一般"))

    assert [error.column for error in errors] == ["保证人"]
    assert "第2位保证人姓名“@cmd”不能以 = + - @" in errors[0].message
    assert errors[0].value == f"@cmd,{PERSON_ID},一般"


def test_text_that_merely_contains_a_sign_is_accepted():
    assert not isinstance(validate_row(7, raw_row(contract_no="HT-2023-001", borrower="张三-李四")), list)


# --- a guarantor cell reports only its bad entry (finding 6) ---------------------------------


def test_a_guarantor_cell_with_one_bad_id_reports_that_entry_only():
    bad = wrong_check(PERSON_ID)
    errors = errors_of(raw_row(guarantors=f"李四,{PERSON_ID_2},连带;王五,{bad},一般"))

    assert len(errors) == 1
    error = errors[0]
    assert error.value == f"王五,{bad},一般"
    assert error.message.startswith("第2位保证人“王五”的证件号码")
    # The other guarantor's valid number is nowhere in the report.
    assert PERSON_ID_2 not in error.value and PERSON_ID_2 not in error.message
    assert "李四" not in error.message


# --- dates in the supported range (finding 9) --------------------------------------------------


@pytest.mark.parametrize(
    ("field", "column", "value"),
    [
        ("disbursed_on", "放款日", "1900-01-01"),
        ("due_on", "到期日", "2100-01-01"),
        ("handed_over_on", "移交日期", "2100年6月1日"),
        ("last_payment_on", "最后还款日", "1949-09-30"),
    ],
)
def test_dates_outside_the_supported_range_are_a_field_error(field, column, value):
    errors = errors_of(raw_row(**{field: value}))

    assert [(error.row, error.column) for error in errors] == [(7, column)]
    assert "超出支持的日期范围" in errors[0].message and "1949-10-01" in errors[0].message


def test_the_ends_of_the_supported_range_are_accepted():
    result = validate_row(
        7, raw_row(disbursed_on="1949-10-01", due_on="2099-12-31", handed_over_on="2099-12-31")
    )
    assert not isinstance(result, list), result


# --- bounded reading (finding 10) --------------------------------------------------------------


def xlsx_with_rows(
    count: int, *, declared: str | None = None, extra: dict[str, bytes] | None = None
) -> bytes:
    """A hand-over .xlsx of `count` data rows; `declared` replaces the sheet's recorded
    dimension (a crafted file says A1:I2 and holds 100,000 rows); `extra` adds parts."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for n in range(count):
        sheet.append(
            [f"HT-{n}", "张三", PERSON_ID, "100", "80", "2023-05-26", "2024-05-26", "2025-01-10", "上海分行"]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    if declared is None and not extra:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if declared and info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{declared}"'.encode(), data)
            target.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def read_all(content: bytes, name: str = "h.xlsx", **kwargs) -> int:
    with open_handover(content, name, **kwargs) as sheet:
        return sum(1 for _ in sheet.rows())


def test_the_rows_limit_is_hit_while_reading_whatever_the_sheet_declares():
    content = xlsx_with_rows(300, declared="A1:I2")
    with open_handover(content, "h.xlsx", limits=ReadLimits(max_rows=100)) as sheet:
        assert sheet.estimated_rows == 300  # the rows really there, not the declaration
        with pytest.raises(HandoverFileError) as raised:
            for _ in sheet.rows():
                pass
    assert "100" in raised.value.message and "rows" in raised.value.message

    assert read_all(content, limits=ReadLimits(max_rows=300)) == 300


def test_the_rows_limit_applies_to_csv_and_counts_blank_records():
    text = (
        ",".join(HEADER)
        + "\n"
        + "\n".join([",,,,,,,,"] * 50 + ["HT-1,张三,x,1,1,2023-01-01,2023-01-01,2023-01-01,"])
    )
    with pytest.raises(HandoverFileError):
        read_all(text.encode(), "h.csv", limits=ReadLimits(max_rows=20))


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_reading():
    content = xlsx_with_rows(5, extra={"xl/media/padding.bin": bytes(range(256)) * 8192})  # 2 MB
    with pytest.raises(HandoverFileError) as raised:
        open_handover(content, "h.xlsx", limits=ReadLimits(max_unpacked_bytes=1 << 20))
    assert "MB" in raised.value.message
    assert read_all(content, limits=ReadLimits(max_unpacked_bytes=8 << 20)) == 5


def test_an_xlsx_compressed_like_a_zip_bomb_is_refused():
    content = xlsx_with_rows(5, extra={"xl/media/zeros.bin": bytes(20 << 20)})  # ~1000:1
    assert len(content) < 200_000
    with pytest.raises(HandoverFileError) as raised:
        open_handover(content, "h.xlsx", limits=ReadLimits(max_compression_ratio=100))
    assert "100:1" in raised.value.message


def declaring(content: bytes, part: str, size: int) -> bytes:
    """`content` with `part`'s uncompressed size declared as `size` in both of the zip's
    headers (the local one and the central directory's); its data and CRC unchanged."""
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(part)
    patched = bytearray(content)
    struct.pack_into("<I", patched, info.header_offset + 22, size)
    entry = patched.find(b"PK\x01\x02")
    while entry != -1:
        name_length = struct.unpack_from("<H", patched, entry + 28)[0]
        if patched[entry + 46 : entry + 46 + name_length] == part.encode():
            struct.pack_into("<I", patched, entry + 24, size)
        entry = patched.find(b"PK\x01\x02", entry + 4)
    return bytes(patched)


def test_a_part_that_inflates_beyond_its_declared_size_is_refused():
    # A package that lies about a part's size passes the declared limits; the reader must
    # still not inflate more than was declared.
    content = declaring(xlsx_with_rows(2000), "xl/worksheets/sheet1.xml", 50_000)
    assert zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/worksheets/sheet1.xml").file_size == 50_000
    with pytest.raises(HandoverFileError) as raised:
        read_all(content, limits=ReadLimits(max_unpacked_bytes=1 << 20, max_compression_ratio=100))
    assert "无法读取" in raised.value.message
