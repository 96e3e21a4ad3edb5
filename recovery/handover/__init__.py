"""Reading and validating hand-over files (不良贷款移交清单), without touching the database.

with open_handover(path) as sheet:               # raises HandoverFileError (exit 2)
    validator = RowValidator(sheet.headers)
    for row_number, raw in sheet.rows():
        result = validator.validate(row_number, raw)  # HandoverRow | list[RowError]
        # or validator.check(row_number, raw): HandoverRow | RejectedRow (its errors and keys)
    sheet.unknown_columns                         # ignored columns, in file order
"""

from recovery.handover.parsing import CellError, DateParser, Guarantor
from recovery.handover.reading import (
    COLUMNS,
    REQUIRED_FIELDS,
    ColumnSpec,
    HandoverFileError,
    HandoverSheet,
    open_handover,
)
from recovery.handover.rows import (
    DuplicateContractTracker,
    HandoverRow,
    RejectedRow,
    RowError,
    RowValidator,
    check_row,
    column_label,
    normalized_cells,
    validate_row,
)

__all__ = [
    "COLUMNS",
    "REQUIRED_FIELDS",
    "CellError",
    "ColumnSpec",
    "DateParser",
    "DuplicateContractTracker",
    "Guarantor",
    "HandoverFileError",
    "HandoverRow",
    "HandoverSheet",
    "RejectedRow",
    "RowError",
    "RowValidator",
    "check_row",
    "column_label",
    "normalized_cells",
    "open_handover",
    "validate_row",
]
