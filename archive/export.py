"""Downloads that open safely in Excel: CSV with a BOM and .xlsx (XlsxWriter).

Excel runs a cell that starts with =, +, - or @ as a formula, and scraped text can start
with anything (「=HYPERLINK(…)」 in a title is an attack on the journalist who opens the
download). Text cells that would be read as a formula get a leading apostrophe in CSV
(the OWASP recommendation; Excel shows the text as typed); numbers stay numbers. In .xlsx
text is written as a string cell, which Excel never evaluates, and numbers as numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
MAX_XLSX_ROWS = 1_048_575  # Excel's limit, less the header


def safe_text(value: str) -> str:
    """A text cell that Excel will not run as a formula; plain numbers are left alone."""
    if value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else value


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> str:
    """CSV of the rows (None as an empty cell), formulas neutralised, with a BOM for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return (BOM if bom else "") + out.getvalue()


def neutralise_csv(text: str) -> str:
    """Datasette's own CSV with every text cell made safe (numbers untouched)."""
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_text(v) for v in row])
    return out.getvalue()


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx with one sheet per (name, columns, rows); text as strings, numbers as numbers."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    bold = book.add_format({"bold": True})
    for name, columns, rows in sheets:
        sheet = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet")
        for j, col in enumerate(columns):
            sheet.write_string(0, j, str(col), bold)
        widths = [max(6, len(str(c)) * 2) for c in columns]
        for i, row in enumerate(rows, start=1):
            if i > MAX_XLSX_ROWS:
                sheet.write_string(i, 0, "（已达 Excel 行数上限，其余行请下载 CSV）")
                break
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(i, j, value)
                elif isinstance(value, int | float):
                    sheet.write_number(i, j, value)
                else:
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    sheet.write_string(i, j, text[:32767])
                    if j < len(widths) and i < 200:
                        widths[j] = min(60, max(widths[j], len(text) * 2))
        for j, w in enumerate(widths):
            sheet.set_column(j, j, w)
        sheet.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()
