"""Find cells a spreadsheet would run as formulas, splitting rows the ways spreadsheets do.

Two readings of a CSV file, both of which real spreadsheets use:

1. quote-aware (Excel opening a .csv): cells as the ``csv`` module reads them, and within a cell each
   line, since a line break inside a quoted cell still starts a new visual line;
2. line-first (LibreOffice and Excel importers that start a new row at every CR or LF, quoted or not):
   the text is cut at every CR, LF or CRLF first, then each line is split into cells.

A cell (or line of a cell) is a formula when, after leading spaces, it starts with ``=``, ``+``, ``-``,
``@``, a tab, a carriage return or a full-width ``＝＋－＠``, and is not a plain number.
"""

from __future__ import annotations

import csv
import io
import re

_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(\d[\d,]*)?\.?\d+([eE][+-]?\d+)?")
_BREAK = re.compile(r"\r\n|\r|\n")


def is_formula(cell: str) -> bool:
    lead = cell.lstrip(" ")
    return lead.startswith(_PREFIXES) and not _NUMBER.fullmatch(lead.strip())


def formula_cells(raw: bytes) -> list[str]:
    """Every formula cell of a CSV file's bytes, by either reading (empty for a safe file)."""
    text = raw.decode("utf-8-sig")
    found = []
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            found += [line for line in _BREAK.split(cell) if is_formula(line)]
    for line in _BREAK.split(text):
        for row in csv.reader([line]):
            found += [cell for cell in row if is_formula(cell)]
    return found


def xlsx_formula_cells(raw: bytes) -> list[str]:
    """Cells of an Excel file that are formulas (or text that would become one if re-typed)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(raw))
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and any(is_formula(line) for line in _BREAK.split(cell.value))):
                    found.append(f"{ws.title}!{cell.coordinate}: {cell.value!r}")
    return found
