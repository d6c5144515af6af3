"""Downloads that open safely in Excel: CSV with a BOM and .xlsx (XlsxWriter).

Excel runs a cell that starts with =, +, - or @ as a formula, and scraped text can start
with anything (「=HYPERLINK(…)」 in a title is an attack on the journalist who opens the
download). Text cells that would be read as a formula get a leading apostrophe in CSV
(the OWASP recommendation; Excel shows the text as typed); numbers stay numbers. In .xlsx
text is written as a string cell, which Excel never evaluates, and numbers as numbers.
"""

from __future__ import annotations

import codecs
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
    stream = CsvNeutraliser()
    return stream.feed(text.encode("utf-8")) + stream.close()


class CsvNeutraliser:
    """neutralise_csv for a CSV that arrives in chunks of bytes, with memory bounded by one
    record: each call returns the complete records seen so far, made safe.

    A record ends at a newline outside quotes. In CSV as Python's writer makes it (quotes
    doubled inside quoted fields) that is a newline after an even number of quote marks
    since the record began, so chunks may cut a record, a quoted newline or a UTF-8
    character anywhere and the output is the same as neutralise_csv of the whole text
    (a byte order mark that begins the text is dropped, as there).
    """

    def __init__(self) -> None:
        self._decode = codecs.getincrementaldecoder("utf-8")().decode
        self._pending = ""  # text not yet returned: an incomplete record
        self._scanned = 0  # how much of it has been looked at
        self._odd = False  # inside quotes at the end of what was looked at
        self._started = False

    def feed(self, data: bytes) -> str:
        self._pending += self._decode(data)
        if not self._started and self._pending:
            self._started = True
            self._pending = self._pending.removeprefix(BOM)
        end = self._complete_records()
        done, self._pending = self._pending[:end], self._pending[end:]
        self._scanned -= end
        return _neutralise_records(done)

    def close(self) -> str:
        """The rest (a last record without its newline)."""
        rest = self._pending + self._decode(b"", final=True)
        self._pending, self._scanned, self._odd = "", 0, False
        return _neutralise_records(rest if self._started else rest.removeprefix(BOM))

    def _complete_records(self) -> int:
        text, i, end = self._pending, self._scanned, 0
        while (j := text.find("\n", i)) >= 0:
            self._odd ^= text.count('"', i, j) % 2 == 1
            if not self._odd:
                end = j + 1
            i = j + 1
        self._odd ^= text.count('"', i) % 2 == 1
        self._scanned = len(text)
        return end


def _neutralise_records(text: str) -> str:
    if not text:
        return ""
    if len(text) > csv.field_size_limit():  # 128 KB by default: a long report's text is more
        csv.field_size_limit(len(text))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv.reader(io.StringIO(text)):
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
