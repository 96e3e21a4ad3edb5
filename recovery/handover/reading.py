"""Open a hand-over file (.xlsx or .csv), map its header, and stream its data rows.

Rows come out as `(excel_row_number, {field: raw cell value})`, row numbers as Excel shows
them (header = 1), entirely blank rows skipped. Values are raw: text, numbers, dates; the
parsers in `parsing` and `rows` decide what they mean. Anything that makes the whole file
unusable raises `HandoverFileError`, which the command turns into exit status 2.
"""

import codecs
import csv
import io
import multiprocessing
import posixpath
import signal
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal
from xml.etree import ElementTree
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel
from openpyxl.utils.exceptions import InvalidFileException

RawRow = dict[str, Any]


class HandoverFileError(Exception):
    """The file as a whole cannot be imported; nothing of it may be written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """What one file may cost to read. None means no limit (tests, tools).

    `max_rows` counts every record read, blank ones included (they cost as much to read);
    `max_unpacked_bytes` and `max_compression_ratio` bound an .xlsx's parts, as the package
    declares them and as they really inflate while being read (a zip bomb lies in both)."""

    max_rows: int | None = None
    max_unpacked_bytes: int | None = None
    max_compression_ratio: int | None = None


NO_LIMITS = ReadLimits()
# Parts smaller than this are not held to the ratio: tiny XML compresses absurdly well.
RATIO_EXEMPT_BYTES = 1 << 20


def rows_limit_error(limit: int) -> HandoverFileError:
    return HandoverFileError(
        f"文件超过 {limit:,} 行，请分成几个文件导入（the file has more than {limit:,} rows; split it）"
    )


def unpacked_limit_error(limit: int) -> HandoverFileError:
    return HandoverFileError(
        f"Excel 文件解压后超过 {limit // (1 << 20):,} MB，不予读取"
        f"（the .xlsx unpacks to more than {limit // (1 << 20):,} MB; refused）"
    )


def check_archive(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse a package whose declared sizes exceed the limits, before reading any part."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = limits.max_compression_ratio
        if (
            ratio
            and info.file_size > RATIO_EXEMPT_BYTES
            and info.file_size > ratio * max(info.compress_size, 1)
        ):
            raise HandoverFileError(
                f"Excel 文件的压缩比超过 {ratio}:1，疑似压缩炸弹，不予读取"
                f"（compression ratio above {ratio}:1, refused as a possible zip bomb）"
            )
    if limits.max_unpacked_bytes is not None and total > limits.max_unpacked_bytes:
        raise unpacked_limit_error(limits.max_unpacked_bytes)


class InflationBudget:
    """The bytes all parts of one package may still inflate to. Shared by the part streams
    of one file, so that reading stops the moment the real total passes the limit, whatever
    the package declared."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.limit is not None and self.used > self.limit:
            raise unpacked_limit_error(self.limit)


class BoundedPart(io.RawIOBase):
    """A part of the package, read through `budget`."""

    def __init__(self, part: IO[bytes], budget: InflationBudget) -> None:
        self._part = part
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._part.read(len(buffer))
        self._budget.spend(len(data))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._part.close()
        super().close()


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    field: str  # canonical key of the raw row dicts
    chinese: str  # the standard header, also the column named in errors
    english: str
    required: bool


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("contract_no", "合同编号", "contract_no", True),
    ColumnSpec("borrower", "借款人", "borrower", True),
    ColumnSpec("borrower_type", "借款人类型", "borrower_type", False),
    ColumnSpec("id_number", "证件号码", "id_number", True),
    ColumnSpec("phone", "手机号", "phone", False),
    ColumnSpec("address", "地址", "address", False),
    ColumnSpec("loan_amount", "贷款金额", "loan_amount", True),
    ColumnSpec("principal_outstanding", "本金余额", "principal_outstanding", True),
    ColumnSpec("interest_outstanding", "利息余额", "interest_outstanding", False),
    ColumnSpec("penalty_interest", "罚息", "penalty_interest", False),
    ColumnSpec("disbursed_on", "放款日", "disbursed_on", True),
    ColumnSpec("due_on", "到期日", "due_on", True),
    ColumnSpec("last_payment_on", "最后还款日", "last_payment_on", False),
    ColumnSpec("security_type", "担保方式", "security_type", False),
    ColumnSpec("guarantors", "保证人", "guarantors", False),
    ColumnSpec("collateral", "抵押物", "collateral", False),
    ColumnSpec("handed_over_on", "移交日期", "handed_over_on", True),
    ColumnSpec("assignee", "承办人", "assignee", False),
    ColumnSpec("branch", "机构", "branch", False),
)
COLUMNS_BY_FIELD = {column.field: column for column in COLUMNS}
REQUIRED_FIELDS = tuple(column.field for column in COLUMNS if column.required)
# English names are matched case-insensitively (Contract_No); Chinese ones exactly.
_FIELD_BY_HEADER = {column.chinese: column.field for column in COLUMNS} | {
    column.english.lower(): column.field for column in COLUMNS
}


def header_field(header: str) -> str | None:
    """The canonical field of a header cell (already trimmed), or None for unknown columns."""
    return _FIELD_BY_HEADER.get(header) or _FIELD_BY_HEADER.get(header.lower())


def _header_text(value: object) -> str:
    # str.strip() also removes the ideographic space U+3000 and non-breaking spaces.
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """What the header row says: where each known field is, and what else is there."""

    positions: tuple[tuple[str, int], ...]  # (field, 0-based column index), in file order
    headers: dict[str, str]  # field -> header text as written in the file
    unknown_columns: tuple[str, ...]


def map_header(cells: tuple[object, ...] | list[object]) -> HeaderMap:
    """Map a header row; raise HandoverFileError when it is empty, names a field twice, or
    lacks a required column (all missing ones are named at once)."""
    texts = [_header_text(cell) for cell in cells]
    if not any(texts):
        raise HandoverFileError("文件第 1 行没有列名（no header in row 1）")
    positions: list[tuple[str, int]] = []
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for index, text in enumerate(texts):
        if not text:
            continue  # formatted but unnamed trailing columns are common in Excel exports
        field = header_field(text)
        if field is None:
            if text not in unknown:
                unknown.append(text)
            continue
        if field in headers:
            raise HandoverFileError(
                f"列“{headers[field]}”和“{text}”是同一列，只能出现一次（the same column appears twice）"
            )
        headers[field] = text
        positions.append((field, index))
    missing = [COLUMNS_BY_FIELD[field] for field in REQUIRED_FIELDS if field not in headers]
    if missing:
        names = "、".join(column.chinese for column in missing)
        english = ", ".join(column.english for column in missing)
        raise HandoverFileError(f"缺少必填列：{names}（missing required columns: {english}）")
    return HeaderMap(tuple(positions), headers, tuple(unknown))


def _is_blank_cell(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class HandoverSheet:
    """An opened hand-over file. Use as a context manager; iterate `rows()` once.

    `headers` maps each field present to its header text as written (for error messages);
    `unknown_columns` lists ignored columns in file order; `estimated_rows` is an upper bound
    on data rows for a progress bar when the file records one (xlsx), else None.
    """

    def __init__(
        self,
        name: str,
        header: HeaderMap,
        data_rows: Iterator[tuple[int, Sequence[object]]],
        closer: Any,
        estimated_rows: int | None,
        max_rows: int | None = None,
    ) -> None:
        self.name = name
        self.max_rows = max_rows
        self.header = header
        self.headers = header.headers
        self.unknown_columns = list(header.unknown_columns)
        self.estimated_rows = estimated_rows
        self._data_rows = data_rows
        self._closer = closer

    def rows(self) -> Iterator[tuple[int, RawRow]]:
        """Yield (excel_row_number, {field: raw value}) for every non-blank data row."""
        positions = self.header.positions
        row_number = 1
        # Counted while reading: the sheet's recorded size may say 2 rows and hold 100,000.
        limit = self.max_rows
        read = 0
        try:
            for row_number, cells in self._data_rows:
                read += 1
                if limit is not None and read > limit:
                    raise rows_limit_error(limit)
                width = len(cells)
                raw = {field: cells[index] if index < width else None for field, index in positions}
                if all(_is_blank_cell(value) for value in raw.values()):
                    # Also skips rows whose only content is in unknown columns (e.g. a
                    # trailing total or remark line).
                    continue
                yield row_number, raw
        except (OSError, csv.Error, zipfile.BadZipFile, KeyError, ValueError, ParseError) as exc:
            raise HandoverFileError(
                f"文件在第 {row_number} 行之后损坏（file is damaged after row {row_number}: {exc}）"
            ) from exc

    def close(self) -> None:
        if self._closer is not None:
            self._closer.close()
            self._closer = None

    def __enter__(self) -> "HandoverSheet":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


Source = str | Path | bytes | IO[bytes]
XlsxReader = Literal["fast", "openpyxl"]


def open_handover(
    source: Source,
    filename: str | None = None,
    *,
    xlsx_reader: XlsxReader = "fast",
    limits: ReadLimits = NO_LIMITS,
) -> HandoverSheet:
    """Open a hand-over file from a path, or from bytes / a binary file object plus its name
    (the web upload). The type comes from the extension. Raises HandoverFileError.

    `xlsx_reader`: "fast" streams the sheet XML itself (~10x faster than openpyxl on 100,000
    rows) and falls back to openpyxl when the package has an unexpected layout; "openpyxl"
    forces openpyxl's read-only mode (tests compare the two). `limits` bounds what reading
    may cost (rows, unpacked size, compression ratio); passing one raises HandoverFileError.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        name = filename or path.name
        if not path.is_file():
            raise HandoverFileError(f"找不到文件 {path}（file not found）")
    else:
        if not filename:
            raise HandoverFileError("上传的文件没有文件名（the uploaded file has no name）")
        name = filename
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        _check_package(source, name, limits)
        sheet = _open_xlsx_fast(source, name, limits) if xlsx_reader == "fast" else None
        if sheet is None:
            sheet = _open_xlsx(source, name)
    elif suffix == ".csv":
        sheet = _open_csv(source, name)
    else:
        sheet = None
    if sheet is not None:
        sheet.max_rows = limits.max_rows
        return sheet
    if suffix in (".xls", ".et", ".ods", ".numbers"):
        raise HandoverFileError(f"不支持 {suffix} 文件，请另存为 .xlsx（unsupported format, save as .xlsx）")
    raise HandoverFileError(f"文件“{name}”应为 .xlsx 或 .csv（file must be .xlsx or .csv）")


def _check_package(source: Source, name: str, limits: ReadLimits) -> None:
    """The declared sizes, checked before any reader inflates a part. (openpyxl's fallback
    reads through Python's zipfile, which never returns more than a part's declared size, so
    this bounds it too; the fast reader also counts what really inflates.)"""
    if limits.max_unpacked_bytes is None and limits.max_compression_ratio is None:
        return
    stream = _as_binary(source)
    try:
        with zipfile.ZipFile(stream) as archive:
            check_archive(archive, limits)
    except (zipfile.BadZipFile, OSError, ValueError):
        pass  # not a readable package: the reader reports it in its own words
    finally:
        if isinstance(source, str | Path | bytes):
            stream.close()
        else:
            stream.seek(0)


def _as_binary(source: Source) -> IO[bytes]:
    if isinstance(source, str | Path):
        return open(source, "rb")  # closed by HandoverSheet.close()
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return source


# --- xlsx --------------------------------------------------------------------------------


def _open_xlsx(source: Source, name: str) -> HandoverSheet:
    stream = _as_binary(source)
    try:
        # read_only streams the sheet XML row by row; data_only gives formulas' cached values.
        workbook = load_workbook(stream, read_only=True, data_only=True)
    # openpyxl reports malformed parts with whatever its descriptors raise (TypeError included).
    except (
        OSError,
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        ValueError,
        TypeError,
        ParseError,
    ) as exc:
        stream.close()
        raise HandoverFileError(f"无法读取 Excel 文件“{name}”（unreadable .xlsx: {exc}）") from exc
    closer = _Closer(workbook, stream)
    try:
        if not workbook.worksheets:
            raise HandoverFileError(f"Excel 文件“{name}”没有工作表（no worksheet）")
        sheet = workbook.worksheets[0]
        recorded_rows = getattr(sheet, "max_row", None)
        # The recorded dimension (e.g. "A1:S3") is wrong in files from some exporters and
        # would truncate the rows read; forget it and read what is really there.
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        # read_only pads missing rows, so counting gives Excel's row numbers.
        values = enumerate((_xlsx_values(row) for row in sheet.iter_rows(values_only=True)), start=1)
        first = next(values, None)
        if first is None:
            raise HandoverFileError(f"文件“{name}”是空的（the file is empty）")
        header = map_header(first[1])
    except HandoverFileError:
        closer.close()
        raise
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError, ParseError) as exc:
        closer.close()
        raise HandoverFileError(f"无法读取 Excel 文件“{name}”（unreadable .xlsx: {exc}）") from exc
    estimated = recorded_rows - 1 if isinstance(recorded_rows, int) and recorded_rows > 1 else None
    return HandoverSheet(name, header, values, closer, estimated)


def _xlsx_values(row: tuple[object, ...]) -> tuple[object, ...]:
    # Excel date cells arrive as datetime; every date column here is a calendar date.
    if any(isinstance(value, datetime) for value in row):
        return tuple(value.date() if isinstance(value, datetime) else value for value in row)
    return row


class _Closer:
    def __init__(self, *resources: Any) -> None:
        self._resources = resources

    def close(self) -> None:
        for resource in self._resources:
            resource.close()


# --- csv ---------------------------------------------------------------------------------

_CHUNK = 1 << 20


def _detect_encoding(stream: IO[bytes], name: str) -> str:
    """UTF-8 with BOM, UTF-8, else GB18030 (what Excel's "CSV" saves on Chinese Windows).

    The whole file is decoded once in chunks without keeping it, since a GBK byte may first
    appear on row 90,000.
    """
    start = stream.read(4)
    stream.seek(0)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise HandoverFileError(
            f"文件“{name}”是 UTF-16 编码，请另存为 UTF-8 或 GB18030 的 CSV（UTF-16 is not supported）"
        )
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            stream.seek(0)
        return encoding
    raise HandoverFileError(
        f"无法识别文件“{name}”的编码，应为 UTF-8 或 GB18030（unknown encoding, use UTF-8 or GB18030）"
    )


def _open_csv(source: Source, name: str) -> HandoverSheet:
    try:
        binary = _as_binary(source)
    except OSError as exc:
        raise HandoverFileError(f"无法读取文件“{name}”（unreadable file: {exc}）") from exc
    try:
        encoding = _detect_encoding(binary, name)
        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    except (HandoverFileError, OSError) as exc:
        binary.close()
        if isinstance(exc, HandoverFileError):
            raise
        raise HandoverFileError(f"无法读取文件“{name}”（unreadable file: {exc}）") from exc
    try:
        first_line = text.readline()
        # Excel on some locales saves "CSV" with tabs; decide from the header line only.
        delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
        text.seek(0)
        # One record is one Excel row, even when a quoted cell spans several lines.
        records = enumerate(csv.reader(text, delimiter=delimiter), start=1)
        first = next(records, None)
        if first is None:
            raise HandoverFileError(f"文件“{name}”是空的（the file is empty）")
        header = map_header(first[1])
    except HandoverFileError:
        text.close()
        raise
    except (OSError, csv.Error) as exc:
        text.close()
        raise HandoverFileError(f"无法读取文件“{name}”（unreadable .csv: {exc}）") from exc
    return HandoverSheet(name, header, records, text, None)


# --- xlsx, fast path ---------------------------------------------------------------------
# openpyxl's read-only mode costs ~300 µs a row of 19 cells here (30 s for 100,000 rows, half
# the import's whole budget). Reading the sheet XML with ElementTree's C parser and turning
# cells into values directly costs a tenth of that. Values are the same as openpyxl's with
# data_only=True (tests compare both); anything unexpected in the package falls back to it.

_RELATIONSHIPS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_REL_NAMESPACES = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}",  # ISO "strict" files
)


class _UnexpectedLayout(Exception):
    """The package is not laid out as expected: let openpyxl try."""


# What reading a package's parts by hand may raise (a damaged or unusual file).
_FAST_READ_ERRORS = (
    _UnexpectedLayout,
    OSError,
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    IndexError,
    ParseError,
)


@dataclass(frozen=True, slots=True)
class _XlsxLayout:
    sheet_path: str
    shared_strings: list[str]
    date_styles: frozenset[int]  # indices into cellXfs whose number format shows a date
    epoch: datetime


def _namespace(tag: str) -> str:
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, resolved part path) of `part`'s relationships."""
    folder, _, base = part.rpartition("/")
    rels_path = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
    root = ElementTree.fromstring(archive.read(rels_path))
    relations = {}
    for relation in root.iter(f"{_RELATIONSHIPS_NS}Relationship"):
        target = relation.get("Target", "")
        if relation.get("TargetMode") == "External":
            continue
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        relations[relation.get("Id", "")] = (relation.get("Type", ""), resolved)
    return relations


def _rich_text(element: ElementTree.Element, ns: str) -> str:
    """Text of an <si> or <is>: plain <t>, or the <t> of each run; phonetic guides skipped."""
    parts = []
    for child in element:
        if child.tag == f"{ns}t":
            parts.append(child.text or "")
        elif child.tag == f"{ns}r":
            run_text = child.find(f"{ns}t")
            if run_text is not None:
                parts.append(run_text.text or "")
    return "".join(parts)


def _read_layout(archive: zipfile.ZipFile, budget: InflationBudget | None = None) -> _XlsxLayout:
    workbook_path = next(
        (path for kind, path in _relationships(archive, "").values() if kind.endswith("/officeDocument")),
        None,
    )
    if workbook_path is None:
        raise _UnexpectedLayout("no workbook part")
    workbook = ElementTree.fromstring(archive.read(workbook_path))
    ns = _namespace(workbook.tag)
    first_sheet = workbook.find(f"{ns}sheets/{ns}sheet")
    if first_sheet is None:
        raise HandoverFileError("Excel 文件没有工作表（no worksheet）")
    sheet_id = next(
        (first_sheet.get(f"{rel}id") for rel in _OFFICE_REL_NAMESPACES if first_sheet.get(f"{rel}id")), None
    )
    relations = _relationships(archive, workbook_path)
    if sheet_id not in relations:
        raise _UnexpectedLayout("first sheet not found")
    properties = workbook.find(f"{ns}workbookPr")
    date1904 = properties is not None and properties.get("date1904", "0").lower() in ("1", "true")
    shared_strings: list[str] = []
    date_styles: frozenset[int] = frozenset()
    for kind, path in relations.values():
        if kind.endswith("/sharedStrings"):
            shared_strings = _read_shared_strings(archive, path, budget)
        elif kind.endswith("/styles"):
            date_styles = _read_date_styles(archive, path)
    return _XlsxLayout(
        relations[sheet_id][1], shared_strings, date_styles, MAC_EPOCH if date1904 else WINDOWS_EPOCH
    )


def _open_part(archive: zipfile.ZipFile, path: str, budget: "InflationBudget | None") -> IO[bytes]:
    part = archive.open(path)
    if budget is None:
        return part
    return io.BufferedReader(BoundedPart(part, budget), buffer_size=1 << 16)


def _read_shared_strings(
    archive: zipfile.ZipFile, path: str, budget: InflationBudget | None = None
) -> list[str]:
    strings = []
    with _open_part(archive, path, budget) as source:
        ns = None
        for _, element in ElementTree.iterparse(source):
            if ns is None:
                ns = _namespace(element.tag)
            if element.tag == f"{ns}si":
                strings.append(_rich_text(element, ns))
                element.clear()
    return strings


def _read_date_styles(archive: zipfile.ZipFile, path: str) -> frozenset[int]:
    root = ElementTree.fromstring(archive.read(path))
    ns = _namespace(root.tag)
    custom = {
        int(numfmt.get("numFmtId", "-1")): numfmt.get("formatCode", "")
        for numfmt in root.iterfind(f"{ns}numFmts/{ns}numFmt")
    }
    dates = set()
    for index, xf in enumerate(root.iterfind(f"{ns}cellXfs/{ns}xf")):
        format_id = int(xf.get("numFmtId", "0"))
        code = custom.get(format_id) or BUILTIN_FORMATS.get(format_id)
        if code and is_date_format(code):
            dates.add(index)
    return frozenset(dates)


def _column_index(reference: str) -> int:
    """0-based column of a cell reference such as "AB12"."""
    index = 0
    for char in reference:
        if char.isdigit():
            break
        index = index * 26 + (ord(char) - 64)
    return index - 1


def _iter_sheet(
    archive: zipfile.ZipFile,
    layout: _XlsxLayout,
    dimension: list[str],
    budget: InflationBudget | None = None,
) -> Iterator[tuple[int, list[object]]]:
    shared = layout.shared_strings
    date_styles = layout.date_styles
    epoch = layout.epoch
    with _open_part(archive, layout.sheet_path, budget) as source:
        row_tag = cell_tag = value_tag = inline_tag = None
        ns = ""
        row_number = 0
        for _, element in ElementTree.iterparse(source):
            tag = element.tag
            if row_tag is None:
                ns = _namespace(tag)
                row_tag, cell_tag, value_tag, inline_tag = f"{ns}row", f"{ns}c", f"{ns}v", f"{ns}is"
            if tag != row_tag:
                if tag == f"{ns}dimension":
                    dimension.append(element.get("ref", ""))
                continue
            number = element.get("r")
            row_number = int(number) if number else row_number + 1
            cells: list[object] = []
            for cell in element:
                if cell.tag != cell_tag:
                    continue
                reference = cell.get("r")
                if reference:
                    column = _column_index(reference)
                    if column > len(cells):
                        cells.extend([None] * (column - len(cells)))
                kind = cell.get("t", "n")
                if kind == "inlineStr":
                    inline = cell.find(inline_tag)
                    cells.append(None if inline is None else _rich_text(inline, ns))
                    continue
                value_element = cell.find(value_tag)
                text = None if value_element is None else value_element.text
                if text is None:
                    cells.append(None)
                elif kind == "n":
                    if "." in text or "E" in text or "e" in text:
                        number_value: float | int = float(text)
                    else:
                        number_value = int(text)
                    style = cell.get("s")
                    if style is not None and int(style) in date_styles:
                        moment = from_excel(number_value, epoch)
                        cells.append(moment.date() if isinstance(moment, datetime) else moment)
                    else:
                        cells.append(number_value)
                elif kind == "s":
                    cells.append(shared[int(text)])
                elif kind == "b":
                    cells.append(text == "1")
                elif kind == "d":
                    moment = datetime.fromisoformat(text.rstrip("Z"))
                    cells.append(moment.date())
                else:  # "str" (a formula's text result), "e" (#N/A, #DIV/0!)
                    cells.append(text)
            element.clear()
            yield row_number, cells


def _open_xlsx_fast(source: Source, name: str, limits: ReadLimits = NO_LIMITS) -> HandoverSheet | None:
    """The sheet read by `_iter_sheet`, or None to fall back to openpyxl."""
    stream = _as_binary(source)
    archive = rows = None
    budget = InflationBudget(limits.max_unpacked_bytes) if limits.max_unpacked_bytes is not None else None

    def fall_back() -> None:
        for resource in (rows, archive):
            if resource is not None:
                resource.close()
        if isinstance(source, str | Path | bytes):
            stream.close()
        else:
            stream.seek(0)  # the caller's upload object: openpyxl reads it again

    try:
        archive = zipfile.ZipFile(stream)
        layout = _read_layout(archive, budget)
        dimension: list[str] = []
        rows = _iter_sheet(archive, layout, dimension, budget)
        first = next(rows, None)
    except HandoverFileError:
        fall_back()
        raise
    except _FAST_READ_ERRORS:
        fall_back()
        return None
    closer = _Closer(rows, archive, stream)
    if first is None:
        closer.close()
        raise HandoverFileError(f"文件“{name}”是空的（the file is empty）")
    try:
        header = map_header(first[1] if first[0] == 1 else [])
    except HandoverFileError:
        closer.close()
        raise
    estimated = _rows_in_dimension(dimension)
    # The sheet's unpacked size, not its <dimension>: many writers record only "A1" there.
    sheet_bytes = archive.getinfo(layout.sheet_path).file_size
    if isinstance(source, str | Path) and sheet_bytes >= PARALLEL_SHEET_BYTES and _may_fork():
        closer.close()
        reader = _ChildReader(Path(source), layout, after_row=first[0], budget=budget)
        return HandoverSheet(name, header, reader.rows(), reader, estimated)
    return HandoverSheet(name, header, rows, closer, estimated)


# --- xlsx, in a second process -------------------------------------------------------------
# Turning the sheet XML into cells is half of reading a large file, checking the cells the
# other half. For a file on disk, a forked child does the first half while this process does
# the second, on the machine's other core (4 s of 10 on 100,000 rows). Only where forking is
# safe and allowed: not inside a daemonic process (a Celery worker's pool), not on platforms
# without fork; there the sheet is read in-process as before.

PARALLEL_SHEET_BYTES = 8 << 20  # ~6,000 rows; below this, a process costs more than it saves
_BATCH_ROWS = 500  # rows per message from the child
CHILD_EXIT_SECONDS = 10  # how long a child that sent its last rows may take to exit


def _may_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


class _ChildReader:
    """The rows of a sheet after `after_row`, read by a forked process and sent in batches.
    The child inherits `layout` (shared strings included) with its memory: nothing is parsed
    twice."""

    def __init__(
        self, path: Path, layout: _XlsxLayout, *, after_row: int, budget: InflationBudget | None = None
    ) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        limit = None if budget is None else budget.limit
        self._process = context.Process(
            target=_read_in_child,
            args=(send, path, layout, after_row, limit),
            name="handover-xlsx-reader",
            daemon=True,
        )
        self._process.start()
        send.close()  # the child holds the only writing end: its death ends our reads
        self._finished = False

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        while True:
            try:
                message = self._receive.recv()
            except EOFError:
                raise OSError("the reading process ended unexpectedly") from None
            if message is None:
                self._finished = True
                return
            if isinstance(message, str):
                raise ValueError(message)  # the child's error, reported as a damaged file
            if isinstance(message, tuple):
                raise HandoverFileError(message[1])  # a limit the child reached
            yield from message

    def close(self) -> None:
        self._receive.close()
        if self._finished:
            # It sent its last batch and is exiting by itself: a terminate now would race its
            # exit and kill it (exit code -15) for nothing.
            self._process.join(timeout=CHILD_EXIT_SECONDS)
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


def _read_in_child(
    send: Any, path: Path, layout: _XlsxLayout, after_row: int, limit: int | None = None
) -> None:
    # Ctrl-C is the parent's to handle: it closes the reader, which ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    batch: list[tuple[int, list[object]]] = []
    try:
        budget = InflationBudget(limit) if limit is not None else None
        with zipfile.ZipFile(path) as archive:
            for row_number, cells in _iter_sheet(archive, layout, [], budget):
                if row_number <= after_row:
                    continue
                batch.append((row_number, cells))
                if len(batch) == _BATCH_ROWS:
                    send.send(batch)
                    batch = []
        send.send(batch)
        send.send(None)
    except BrokenPipeError:
        pass  # the parent stopped reading (an error, or strict mode) and closed its end
    except HandoverFileError as exc:
        with suppress(BrokenPipeError):
            send.send(batch)
            send.send(("limit", exc.message))
    except _FAST_READ_ERRORS as exc:
        # The rows before the damage first, as when reading in-process.
        with suppress(BrokenPipeError):
            send.send(batch)
            send.send(f"{type(exc).__name__}: {exc}")
    finally:
        send.close()


def _rows_in_dimension(dimension: list[str]) -> int | None:
    """Data rows announced by <dimension ref="A1:S100001">: a hint for a progress bar only."""
    if not dimension or ":" not in dimension[0]:
        return None
    last = dimension[0].rpartition(":")[2].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(last) - 1 if last.isdigit() and int(last) > 1 else None
