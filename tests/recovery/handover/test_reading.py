import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from recovery.handover.reading import (
    COLUMNS,
    REQUIRED_FIELDS,
    HandoverFileError,
    map_header,
    open_handover,
)
from tests.recovery.handover import PERSON_ID

CHINESE_REQUIRED = [column.chinese for column in COLUMNS if column.required]
ENGLISH_REQUIRED = [column.english for column in COLUMNS if column.required]


def required_values(contract_no="HT-001"):
    """One data row for the required Chinese columns, in CHINESE_REQUIRED order."""
    return [contract_no, "张三", PERSON_ID, "10000", "8000", "2020-01-01", "2023-01-01", "2023-05-26"]


def write_xlsx(path, rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def read_all(source, filename=None):
    with open_handover(source, filename) as sheet:
        return sheet, list(sheet.rows())


# --- header mapping ----------------------------------------------------------------------


def test_every_chinese_and_english_name_maps_to_its_field():
    chinese = map_header([column.chinese for column in COLUMNS])
    english = map_header([column.english for column in COLUMNS])
    assert dict(chinese.positions) == dict(english.positions) == {c.field: i for i, c in enumerate(COLUMNS)}
    assert chinese.headers["contract_no"] == "合同编号"
    assert english.headers["contract_no"] == "contract_no"
    assert chinese.unknown_columns == english.unknown_columns == ()


@pytest.mark.parametrize(
    "header",
    [
        list(reversed(CHINESE_REQUIRED)),
        [f"  {name} " for name in CHINESE_REQUIRED],
        [f"\u3000{name}" for name in CHINESE_REQUIRED],  # ideographic space
        [name.upper() for name in ENGLISH_REQUIRED],
        ENGLISH_REQUIRED[:4] + CHINESE_REQUIRED[4:],  # mixed languages
    ],
)
def test_headers_match_in_any_order_language_and_padding(header):
    mapped = map_header(header)
    assert set(mapped.headers) == set(REQUIRED_FIELDS)


def test_unknown_columns_are_listed_in_file_order_and_blank_headers_ignored():
    mapped = map_header(["备注", *CHINESE_REQUIRED, None, "客户经理", "", "备注"])
    assert mapped.unknown_columns == ("备注", "客户经理")
    assert dict(mapped.positions)["contract_no"] == 1


def test_headers_keep_the_file_spelling_for_error_messages():
    mapped = map_header([" Contract_No ", *CHINESE_REQUIRED[1:]])
    assert mapped.headers["contract_no"] == "Contract_No"


def test_missing_required_columns_are_all_named():
    with pytest.raises(HandoverFileError) as raised:
        map_header([name for name in CHINESE_REQUIRED if name not in ("证件号码", "移交日期")])
    assert "证件号码" in raised.value.message
    assert "移交日期" in raised.value.message


def test_a_column_given_twice_is_a_file_error():
    with pytest.raises(HandoverFileError, match="同一列"):
        map_header([*CHINESE_REQUIRED, "contract_no"])


def test_an_empty_header_row_is_a_file_error():
    with pytest.raises(HandoverFileError, match="没有列名"):
        map_header([None, "", "  "])


# --- xlsx --------------------------------------------------------------------------------


def test_xlsx_round_trip_with_date_cells_serials_and_blank_rows(tmp_path):
    path = write_xlsx(
        tmp_path / "移交清单.xlsx",
        [
            [*CHINESE_REQUIRED, "备注", "手机号"],
            [
                "HT-001",
                "张三",
                PERSON_ID,
                10000.5,
                8000,
                datetime(2020, 1, 1),
                date(2023, 1, 1),
                45072,
                "x",
                13800138000,
            ],
            [None, None, None, None, None, None, None, None, None, None],
            [],
            [
                "HT-002",
                "李四",
                PERSON_ID,
                "1,000",
                "900",
                "2020/1/1",
                "20230101",
                "2023年5月26日",
                None,
                None,
            ],
            [None, None, None, None, None, None, None, None, "只有备注"],  # only an unknown column: blank
            ["  "],
        ],
    )
    sheet, rows = read_all(path)
    assert sheet.unknown_columns == ["备注"]
    assert [number for number, _ in rows] == [2, 5]
    first = rows[0][1]
    assert first["contract_no"] == "HT-001"
    assert first["loan_amount"] == 10000.5
    assert first["disbursed_on"] == date(2020, 1, 1)  # datetime cell arrives as a date
    assert type(first["disbursed_on"]) is date
    assert first["due_on"] == date(2023, 1, 1)
    assert first["handed_over_on"] == 45072
    assert first["phone"] == 13800138000
    assert rows[1][1]["disbursed_on"] == "2020/1/1"
    assert rows[1][1]["phone"] is None


def test_xlsx_from_bytes_with_a_filename(tmp_path):
    path = write_xlsx(tmp_path / "upload.xlsx", [ENGLISH_REQUIRED, required_values()])
    sheet, rows = read_all(path.read_bytes(), "upload.XLSX")
    assert sheet.headers["contract_no"] == "contract_no"
    assert rows == [(2, dict(zip(REQUIRED_FIELDS, required_values(), strict=True)))]


def test_xlsx_reads_only_the_first_sheet(tmp_path):
    workbook = Workbook()
    workbook.active.append(CHINESE_REQUIRED)
    workbook.active.append(required_values("FIRST"))
    other = workbook.create_sheet("其他")
    other.append(CHINESE_REQUIRED)
    other.append(required_values("SECOND"))
    workbook.active = 1  # even when another sheet was active on save
    workbook.save(tmp_path / "two.xlsx")
    _, rows = read_all(tmp_path / "two.xlsx")
    assert [raw["contract_no"] for _, raw in rows] == ["FIRST"]


def test_xlsx_short_rows_are_padded(tmp_path):
    path = write_xlsx(tmp_path / "short.xlsx", [[*CHINESE_REQUIRED, "地址"], ["HT-001", "张三"]])
    _, rows = read_all(path)
    assert rows[0][1]["address"] is None
    assert rows[0][1]["handed_over_on"] is None


def test_xlsx_with_only_a_header_has_no_rows(tmp_path):
    _, rows = read_all(write_xlsx(tmp_path / "empty.xlsx", [CHINESE_REQUIRED]))
    assert rows == []


def test_xlsx_rows_are_streamed(tmp_path):
    path = write_xlsx(
        tmp_path / "many.xlsx", [CHINESE_REQUIRED] + [required_values(f"HT-{i}") for i in range(500)]
    )
    with open_handover(path) as sheet:
        rows = sheet.rows()
        assert next(rows)[0] == 2  # a generator: nothing is read ahead
        assert sum(1 for _ in rows) == 499


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([], "空"),
        ([["借款人", "地址"], ["张三", "北京"]], "缺少必填列"),
        ([required_values()], "缺少必填列"),  # data in row 1: no header
    ],
)
def test_unusable_xlsx_files(tmp_path, rows, reason):
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    with pytest.raises(HandoverFileError, match=reason):
        open_handover(path)


def test_a_corrupt_xlsx_is_a_file_error(tmp_path):
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(HandoverFileError, match="无法读取"):
        open_handover(path)


def write_excel_like_xlsx(path, *, date1904=False):
    """A package laid out as Excel writes it (openpyxl writes inline strings only): shared
    strings with a rich-text run and a phonetic guide, custom and built-in date formats,
    a missing row, gaps between cells, typed formula results."""
    header = "".join(f"<si><t>{name}</t></si>" for name in CHINESE_REQUIRED)
    shared = (
        header
        + "<si><r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r><rPh sb='0' eb='1'><t>zhang</t></rPh></si>"
        + "<si><t xml:space='preserve'> HT-001 </t></si>"
    )
    n = len(CHINESE_REQUIRED)
    header_cells = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(n))
    sheet = (
        f"<sheetData><row r='1'>{header_cells}</row>"
        # Row 2 missing altogether (Excel omits empty rows). Row 3: cells A-H, E-F gaps.
        f"<row r='3'><c r='A3' t='s'><v>{n + 1}</v></c><c r='B3' t='s'><v>{n}</v></c>"
        f"<c r='C3' t='inlineStr'><is><t>{PERSON_ID}</t></is></c>"
        "<c r='D3' s='3'><v>10000.5</v></c>"
        "<c r='F3' s='1'><v>43831</v></c>"  # built-in format 14
        "<c r='G3' s='2'><v>44927.75</v></c>"  # custom yyyy年m月d日, with a time of day
        "<c r='H3'><v>45072</v></c>"  # plain number: a serial the parser reads
        "<c r='J3' t='str'><f>A3</f><v>formula text</v></c>"
        "<c r='K3' t='b'><v>1</v></c>"
        "<c r='L3' t='e'><v>#N/A</v></c>"
        "<c r='M3'/>"
        "</row>"
        # Cells without references, as some generators write them.
        "<row r='4'><c t='s'><v>0</v></c><c><v>1.5E3</v></c></row></sheetData>"
    )
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    openxml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    overrides = {
        "/xl/workbook.xml": "sheet.main",
        "/xl/worksheets/sheet1.xml": "worksheet",
        "/xl/sharedStrings.xml": "sharedStrings",
        "/xl/styles.xml": "styles",
    }
    files = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(
                f'<Override PartName="{part}" ContentType="{openxml}.{kind}+xml"/>'
                for part, kind in overrides.items()
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{rels}">'
            f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{office}">'
            f'<workbookPr date1904="{int(date1904)}"/>'
            '<sheets><sheet name="移交清单" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{rels}">'
            f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
            # An absolute target, as some generators write it.
            f'<Relationship Id="rId2" Type="{office}/sharedStrings" Target="/xl/sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{office}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">{shared}</sst>',
        "xl/styles.xml": (
            f'<styleSheet xmlns="{main}">'
            '<numFmts count="1"><numFmt numFmtId="176" '
            'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
            '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
            '<xf numFmtId="176" applyNumberFormat="1"/><xf numFmtId="4" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><dimension ref="A1:M4"/>{sheet}</worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def test_an_excel_style_package_is_read_with_shared_strings_and_date_formats(tmp_path):
    sheet, rows = read_all(write_excel_like_xlsx(tmp_path / "excel.xlsx"))
    assert sheet.headers["contract_no"] == "合同编号"
    assert [number for number, _ in rows] == [3, 4]
    raw = rows[0][1]
    assert raw == {
        "contract_no": " HT-001 ",
        "borrower": "张三",  # runs joined, phonetic guide left out
        "id_number": PERSON_ID,
        "loan_amount": 10000.5,
        "principal_outstanding": None,
        "disbursed_on": date(2020, 1, 1),
        "due_on": date(2023, 1, 1),
        "handed_over_on": 45072,
    }
    assert rows[1][1]["contract_no"] == "合同编号"
    assert rows[1][1]["borrower"] == 1500.0


def test_the_1904_date_system(tmp_path):
    _, rows = read_all(write_excel_like_xlsx(tmp_path / "mac.xlsx", date1904=True))
    assert rows[0][1]["disbursed_on"] == date(2024, 1, 2)  # 43831 days after 1904-01-01


def test_the_values_read_are_those_openpyxl_reads(tmp_path):
    rows = [[*CHINESE_REQUIRED, "地址", "备注"]]
    for i in range(50):
        rows.append(
            [
                f"HT-{i}",
                "张三",
                PERSON_ID,
                1000 + i / 4,
                i,
                datetime(2020, 1, 1 + i % 28),
                45000 + i,
                "2023-05-26",
            ]
        )
        rows.append(
            [None] * 10 if i % 7 == 0 else [f"X{i}", None, None, None, None, None, None, None, "北京", i]
        )
    path = write_xlsx(tmp_path / "many.xlsx", rows)
    assert read_all(path)[1] == openpyxl_rows(path)


def openpyxl_rows(path):
    """The data rows as openpyxl reads them (the reader this module used before calamine),
    date-times as dates, blank rows skipped: what the hand-over reader must give too."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        values = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    positions = map_header(values[0]).positions
    rows = []
    for number, cells in enumerate(values[1:], start=2):
        cells = [value.date() if isinstance(value, datetime) else value for value in cells]
        raw = {field: cells[index] if index < len(cells) else None for field, index in positions}
        if any(value not in (None, "") for value in raw.values()):
            rows.append((number, raw))
    return rows


def test_a_sheet_starting_in_column_b_keeps_its_columns(tmp_path):
    # calamine gives the cells from the first used column on: the header's positions must
    # not shift by it.
    workbook = Workbook()
    sheet = workbook.active
    for column, (name, value) in enumerate(zip(CHINESE_REQUIRED, required_values(), strict=True), start=2):
        sheet.cell(row=1, column=column, value=name)
        sheet.cell(row=3, column=column, value=value)
    sheet.cell(row=2, column=12, value="只有备注")  # a row with content in an unknown column only
    sheet.cell(row=1, column=12, value="备注")
    workbook.save(tmp_path / "b.xlsx")
    sheet, rows = read_all(tmp_path / "b.xlsx")
    assert sheet.unknown_columns == ["备注"]
    assert rows == [(3, dict(zip(REQUIRED_FIELDS, required_values(), strict=True)))]


def test_a_header_below_row_1_is_no_header(tmp_path):
    path = write_xlsx(tmp_path / "low.xlsx", [[], CHINESE_REQUIRED, required_values()])
    with pytest.raises(HandoverFileError, match="没有列名"):
        open_handover(path)


def test_cells_read_as_the_parsers_expect_them(tmp_path):
    path = write_excel_like_xlsx(tmp_path / "excel.xlsx")
    sheet, rows = read_all(path)
    positions = dict(sheet.header.positions)
    raw = rows[0][1]
    assert type(raw["handed_over_on"]) is int  # an integral number, as Excel shows it
    assert type(raw["loan_amount"]) is float
    assert type(raw["due_on"]) is date  # a date cell with a time of day: its date
    assert raw["principal_outstanding"] is None  # a missing cell
    assert "address" not in positions


def test_an_error_cell_reads_as_empty(tmp_path):
    workbook_path = write_excel_like_xlsx(tmp_path / "excel.xlsx")
    with zipfile.ZipFile(workbook_path) as source, zipfile.ZipFile(tmp_path / "na.xlsx", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("sheet1.xml"):
                # The loan amount of row 3 becomes #N/A (a formula whose lookup failed).
                data = data.replace(b"<c r='D3' s='3'><v>10000.5</v></c>", b"<c r='D3' t='e'><v>#N/A</v></c>")
            target.writestr(item, data)
    _, rows = read_all(tmp_path / "na.xlsx")
    assert rows[0][1]["loan_amount"] is None


def test_a_sheet_damaged_after_the_header_is_refused_when_opened(tmp_path):
    # calamine loads the sheet's cells when the file is opened: the damage is found before
    # any row is checked, and the whole file is refused.
    good = write_xlsx(
        tmp_path / "good.xlsx", [CHINESE_REQUIRED] + [required_values(f"HT-{i}") for i in range(300)]
    )
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("sheet1.xml"):
                cut = data.index(b'<row r="200"')
                data = data[:cut] + b'<row r="200"><c r="A200" t="inlineStr"><is><t>HT'
            target.writestr(item, data)
    with pytest.raises(HandoverFileError, match="无法读取 Excel 文件“damaged.xlsx”"):
        open_handover(damaged)


def test_a_package_without_its_root_relationships_is_unreadable(tmp_path):
    path = write_xlsx(tmp_path / "odd.xlsx", [CHINESE_REQUIRED, required_values()])
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(tmp_path / "no-rels.xlsx", "w") as copy:
        for item in original.infolist():
            if item.filename != "_rels/.rels":
                copy.writestr(item, original.read(item.filename))
    with pytest.raises(HandoverFileError, match="无法读取"):
        open_handover(tmp_path / "no-rels.xlsx")


# --- csv ---------------------------------------------------------------------------------

CSV_TEXT = (
    "合同编号,借款人,证件号码,贷款金额,本金余额,放款日,到期日,移交日期,地址\r\n"
    f'HT-001,张三,{PERSON_ID},"1,000.00",900,2020-01-01,2023-01-01,2023-05-26,"北京市朝阳区，某路1号"\r\n'
    ",,,,,,,,\r\n"
    "\r\n"
    f"HT-002,李四（测试）,{PERSON_ID},500,500,2020/1/1,20230101,二〇二三年五月二十六日,\r\n"
)


@pytest.mark.parametrize(
    "encoded",
    [
        CSV_TEXT.encode("utf-8"),
        CSV_TEXT.encode("utf-8-sig"),
        CSV_TEXT.encode("gb18030"),
        CSV_TEXT.encode("gbk"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gbk"],
)
def test_csv_encodings_are_detected(tmp_path, encoded):
    path = tmp_path / "list.csv"
    path.write_bytes(encoded)
    sheet, rows = read_all(path)
    assert sheet.headers["contract_no"] == "合同编号"  # no BOM glued to the first header
    assert [number for number, _ in rows] == [2, 5]
    assert rows[0][1]["loan_amount"] == "1,000.00"
    assert rows[0][1]["address"] == "北京市朝阳区，某路1号"
    assert rows[1][1]["borrower"] == "李四（测试）"
    assert rows[1][1]["handed_over_on"] == "二〇二三年五月二十六日"


def test_csv_with_a_gbk_character_late_in_the_file_is_gb18030(tmp_path):
    lines = [",".join(CHINESE_REQUIRED)] + [",".join(required_values(f"HT-{i}")) for i in range(3000)]
    text = "\r\n".join(lines).replace("张三", "Zhang") + "\r\nHT-X,张三," + ",".join(required_values()[2:])
    path = tmp_path / "late.csv"
    path.write_bytes(text.encode("gb18030"))
    _, rows = read_all(path)
    assert rows[-1] == (3002, {**dict(zip(REQUIRED_FIELDS, required_values("HT-X"), strict=True))})


def test_csv_from_a_binary_file_object_with_english_headers():
    text = ",".join(ENGLISH_REQUIRED) + "\n" + ",".join(required_values()) + "\n"
    _, rows = read_all(io.BytesIO(text.encode()), "handover.csv")
    assert rows == [(2, dict(zip(REQUIRED_FIELDS, required_values(), strict=True)))]


def test_tab_separated_csv(tmp_path):
    path = tmp_path / "tabs.csv"
    path.write_text(
        "\t".join(CHINESE_REQUIRED) + "\n" + "\t".join(required_values()) + "\n", encoding="utf-8"
    )
    _, rows = read_all(path)
    assert rows[0][1]["id_number"] == PERSON_ID


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "空"),
        ("借款人,地址\n张三,北京\n".encode(), "缺少必填列：合同编号、证件号码"),
        ((",".join(required_values()) + "\n").encode(), "缺少必填列"),  # no header row
        (b",,,\n1,2,3,4\n", "没有列名"),
        ((",".join(CHINESE_REQUIRED) + "\n").encode("utf-16"), "UTF-16"),
    ],
)
def test_unusable_csv_files(tmp_path, content, reason):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(HandoverFileError, match=reason):
        open_handover(path)


# --- the file itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [("list.xls", "另存为 .xlsx"), ("list.txt", ".xlsx 或 .csv"), ("list", ".xlsx 或 .csv")],
)
def test_unsupported_extensions(tmp_path, name, reason):
    path = tmp_path / name
    path.write_bytes(b"whatever")
    with pytest.raises(HandoverFileError, match=reason):
        open_handover(path)


def test_a_missing_file(tmp_path):
    with pytest.raises(HandoverFileError, match="找不到文件"):
        open_handover(tmp_path / "nowhere.xlsx")


def test_bytes_need_a_filename():
    with pytest.raises(HandoverFileError, match="文件名"):
        open_handover(b"...")
