"""Every spreadsheet cell the product writes is inert: a value that Excel, WPS or LibreOffice
would read as a formula (OWASP "CSV injection") is written as text instead."""

from typing import Any

# A cell starting with one of these is evaluated as a formula (or DDE) by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_TRIGGERS)


def inert_text(value: str) -> str:
    """`value` prefixed with an apostrophe when a spreadsheet would evaluate it.

    The apostrophe is the OWASP-recommended neutraliser: Excel and WPS hide it and show the
    text; it is visible in a plain-text viewer, which is the lesser harm."""
    return "'" + value if looks_like_formula(value) else value


def inert_cell(value: Any) -> Any:
    """A value for a CSV or XLSX cell: text made inert; numbers, dates and None unchanged
    (a negative number is a number, not a formula)."""
    if isinstance(value, str):
        return inert_text(value)
    return value


def inert_row(values: Any) -> list[Any]:
    return [inert_cell(value) for value in values]
