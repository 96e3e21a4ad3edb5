"""Open a hand-over file (.xlsx or .csv), map its header, and stream its data rows.

Rows come out as `(excel_row_number, {field: raw cell value})`, row numbers as Excel shows
them (header = 1), entirely blank rows skipped. Values are raw: text, numbers, dates; the
parsers in `parsing` and `rows` decide what they mean. Anything that makes the whole file
unusable raises `HandoverFileError`, which the command turns into exit status 2.

An .xlsx is read by python-calamine (Rust): it loads the first worksheet's cells when the
file is opened, so a damaged sheet is refused at once, before any row is checked.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetTypeEnum

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
    `max_unpacked_bytes` and `max_compression_ratio` bound an .xlsx's parts as the package
    declares them. That bounds what they really inflate to as well: the reader (the Rust
    `zip` crate under calamine) refuses a part that inflates beyond its declared size."""

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


def map_header(cells: Sequence[object]) -> HeaderMap:
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


class _Closable(Protocol):
    def close(self) -> None: ...


class HandoverSheet:
    """An opened hand-over file. Use as a context manager; iterate `rows()` once.

    `headers` maps each field present to its header text as written (for error messages);
    `unknown_columns` lists ignored columns in file order; `estimated_rows` is an upper bound
    on data rows for a progress bar when the file tells one (xlsx), else None. `cell_value`
    turns a cell as the reader gives it into the raw value the parsers expect.
    """

    def __init__(
        self,
        name: str,
        header: HeaderMap,
        data_rows: Iterator[tuple[int, Sequence[object]]],
        closer: _Closable | None,
        estimated_rows: int | None,
        max_rows: int | None = None,
        cell_value: Callable[[object], object] | None = None,
    ) -> None:
        self.name = name
        self.max_rows = max_rows
        self.header = header
        self.headers = header.headers
        self.unknown_columns = list(header.unknown_columns)
        self.estimated_rows = estimated_rows
        self._data_rows = data_rows
        self._closer = closer
        self._cell_value = cell_value

    def rows(self) -> Iterator[tuple[int, RawRow]]:
        """Yield (excel_row_number, {field: raw value}) for every non-blank data row."""
        positions = self.header.positions
        convert = self._cell_value
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
                if convert is None:
                    raw = {field: cells[index] if index < width else None for field, index in positions}
                else:
                    raw = {
                        field: convert(cells[index]) if index < width else None for field, index in positions
                    }
                if all(_is_blank_cell(value) for value in raw.values()):
                    # Also skips rows whose only content is in unknown columns (e.g. a
                    # trailing total or remark line).
                    continue
                yield row_number, raw
        except (OSError, csv.Error, ValueError) as exc:
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


def open_handover(
    source: Source,
    filename: str | None = None,
    *,
    limits: ReadLimits = NO_LIMITS,
) -> HandoverSheet:
    """Open a hand-over file from a path, or from bytes / a binary file object plus its name
    (the web upload). The type comes from the extension. Raises HandoverFileError.

    `limits` bounds what reading may cost (rows, unpacked size, compression ratio); passing
    one raises HandoverFileError.
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
        _check_package(source, limits)
        sheet = _open_xlsx(source, name)
    elif suffix == ".csv":
        sheet = _open_csv(source, name)
    elif suffix in (".xls", ".et", ".ods", ".numbers"):
        raise HandoverFileError(f"不支持 {suffix} 文件，请另存为 .xlsx（unsupported format, save as .xlsx）")
    else:
        raise HandoverFileError(f"文件“{name}”应为 .xlsx 或 .csv（file must be .xlsx or .csv）")
    sheet.max_rows = limits.max_rows
    return sheet


def _check_package(source: Source, limits: ReadLimits) -> None:
    """The declared sizes, checked before the reader inflates any part."""
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
        return open(source, "rb")  # closed by the caller
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return source


# --- xlsx --------------------------------------------------------------------------------

# Integral numbers below this are exact in a double: read as int, as Excel shows them (a
# serial date, a phone number). Beyond it the digits are already lost (an 18-digit ID).
_EXACT_INTEGER_LIMIT = 2**53


def _xlsx_cell(value: object) -> object:
    """A cell as calamine gives it, as a raw value: an empty cell (and an error cell such as
    #N/A, which calamine reads as empty) is None, an integral number an int, a date-time (a
    date cell with a time of day) its date. Time-only and duration cells stay as they are."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, float):
        if value.is_integer() and -_EXACT_INTEGER_LIMIT < value < _EXACT_INTEGER_LIMIT:
            return int(value)
        return value
    if isinstance(value, datetime):
        return value.date()
    return value


def _workbook(source: Source) -> CalamineWorkbook:
    if isinstance(source, str | Path):
        return CalamineWorkbook.from_path(str(source))
    if isinstance(source, bytes):
        return CalamineWorkbook.from_filelike(io.BytesIO(source))
    return CalamineWorkbook.from_filelike(source)


def _first_worksheet(workbook: CalamineWorkbook, name: str) -> CalamineSheet:
    """The first worksheet in the workbook's order (whichever was active on save; chart
    sheets skipped)."""
    for index, metadata in enumerate(workbook.sheets_metadata):
        if metadata.typ == SheetTypeEnum.WorkSheet:
            return workbook.get_sheet_by_index(index)
    raise HandoverFileError(f"Excel 文件“{name}”没有工作表（no worksheet）")


def _open_xlsx(source: Source, name: str) -> HandoverSheet:
    try:
        workbook = _workbook(source)
        try:
            sheet = _first_worksheet(workbook, name)
        finally:
            workbook.close()  # the sheet's cells are loaded: the package is not read again
    # OSError: the path vanished or the upload's stream failed; ValueError: calamine on a
    # stream that is not what it claims.
    except (CalamineError, OSError, ValueError) as exc:
        raise HandoverFileError(f"无法读取 Excel 文件“{name}”（unreadable .xlsx: {exc}）") from exc
    start, end = sheet.start, sheet.end
    if start is None or end is None:
        raise HandoverFileError(f"文件“{name}”是空的（the file is empty）")
    # calamine yields rows from the sheet's first row (blank ones as blank cells) but columns
    # from its first used column only: shift the header's positions by that.
    offset = start[1]
    rows: Iterator[tuple[int, Sequence[object]]] = enumerate(sheet.iter_rows(), start=1)
    if offset:
        padding: list[object] = [None] * offset
        rows = ((number, padding + list(cells)) for number, cells in rows)
    first = next(rows)
    header = map_header(first[1] if first[0] == 1 else [])
    # Rows after the header up to the last used one (a 0-based index): exact, blank rows
    # included, unlike a recorded dimension.
    estimated = end[0] or None
    return HandoverSheet(name, header, rows, None, estimated, cell_value=_xlsx_cell)


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
