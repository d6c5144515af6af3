"""Excel and WPS spreadsheets (.xlsx, .xls, .et, .ods) -> `Document`, read with python-calamine.

Portals attach the report's tables as a workbook, sometimes the whole report pasted
into one sheet (title, headings and sentences as one-cell rows, tables between them).
Each sheet is cut at its blank rows into runs: a run whose rows hold one text cell each
(a title, a heading, a sentence) becomes Paragraphs, any other run a `Table` with its
merged cells expanded (copies marked `spanned`), so the analyser reads it like a Word
table. Numbers are written as the shortest text that is the stored value (calamine
gives floats: 5.0 -> "5", 5949.088667 stays).
"""

from __future__ import annotations

import datetime
import io
import re
import struct

from .model import Block, Cell, Document, Paragraph, ParseError, Table

MAX_CELLS = 2_000_000  # a report's sheets hold a few thousand; more is not a report
_NUMBERISH = re.compile(r"^[+\-]?\d[\d,.]*\s*\S{0,2}$")


def extract(data: bytes, source: str) -> Document:
    """Every sheet of a workbook, in order, as Paragraphs and Tables."""
    import python_calamine as pc

    if data.startswith(b"\xd0\xcf\x11\xe0") and encrypted_xls(data):
        raise ParseError(source, "password-protected spreadsheet (.xls): it cannot be read without the "
                                 "password")
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError as exc:
        raise ParseError(source, "password-protected spreadsheet: it cannot be read without the "
                                 "password") from exc
    except (pc.CalamineError, pc.ZipError, pc.XmlError, ValueError, OSError) as exc:
        raise ParseError(source, f"corrupt spreadsheet: {exc}") from exc
    except Exception as exc:  # calamine's Rust side reports damage as assorted errors
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise ParseError(source, "password-protected spreadsheet: it cannot be read without "
                                     "the password") from exc
        raise ParseError(source, f"corrupt spreadsheet: {type(exc).__name__}: {exc}") from exc
    doc = Document(source=source, kind="sheet")
    cells = 0
    try:
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            cells += (sheet.height or 0) * (sheet.width or 0)
            if cells > MAX_CELLS:
                raise ParseError(source, f"spreadsheet too large: more than {MAX_CELLS} cells")
            doc.blocks.extend(sheet_blocks(sheet))
    except ParseError:
        raise
    except Exception as exc:
        message = str(exc)
        if "password" in message.lower():
            raise ParseError(source, "password-protected spreadsheet: it cannot be read without "
                                     "the password") from exc
        raise ParseError(source, f"corrupt spreadsheet: {type(exc).__name__}: {message}") from exc
    finally:
        book.close()
    if not any(isinstance(b, Table) or b.text.strip() for b in doc.blocks):
        raise ParseError(source, "spreadsheet has no text")
    return doc


def encrypted_xls(data: bytes) -> bool:
    """Does an Excel 97-2003 workbook carry a FILEPASS record (it is encrypted)?

    calamine reports that only when told the format; reading from bytes it answers
    "cannot detect file format", so the workbook globals are looked at here."""
    import olefile

    try:
        ole = olefile.OleFileIO(data)
        try:
            name = "Workbook" if ole.exists("Workbook") else "Book"
            stream = ole.openstream(name).read(1 << 20) if ole.exists(name) else b""
        finally:
            ole.close()
    except (OSError, ValueError, IndexError, TypeError):
        return False
    pos = 0
    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        if kind == 0x002F:  # FILEPASS
            return True
        if kind == 0x000A:  # EOF of the workbook globals
            return False
        pos += 4 + size
    return False


def value_text(value: object) -> str:
    """A stored value as a report prints it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return str(value)
    return re.sub(r"[ \t\xa0\u3000]+", " ", str(value)).strip()


def sheet_grid(sheet) -> list[list[Cell]]:
    """A sheet's used range as a grid of Cells, merged ranges copied into every position."""
    rows = [[Cell(value_text(v)) for v in row] for row in sheet.to_python(skip_empty_area=True)]
    width = max((len(row) for row in rows), default=0)
    for row in rows:
        row.extend(Cell("") for _ in range(width - len(row)))
    start = sheet.start or (0, 0)
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
        r0, r1, c0, c1 = r0 - start[0], r1 - start[0], c0 - start[1], c1 - start[1]
        if not (0 <= r0 < len(rows) and 0 <= c0 < width):
            continue
        text = rows[r0][c0].text
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                if (r, c) != (r0, c0):
                    rows[r][c] = Cell(text, spanned=True)
    return rows


def sheet_blocks(sheet) -> list[Block]:
    """Paragraphs and Tables of one sheet (see the module docstring)."""
    grid = sheet_grid(sheet)
    blocks: list[Block] = []
    run: list[list[Cell]] = []

    def flush() -> None:
        if not run:
            return
        if all(_single_text(r) for r in run):
            blocks.extend(Paragraph(_only_text(r)) for r in run)
        else:
            # single-text rows at the top of a run are its heading lines, not table rows
            while run and _single_text(run[0]):
                blocks.append(Paragraph(_only_text(run.pop(0))))
            if run:
                blocks.append(Table(rows=_trimmed(run)))
        run.clear()

    for row in grid:
        if not any(c.text for c in row):
            flush()
            continue
        run.append(row)
    flush()
    return blocks


def _texts(row: list[Cell]) -> list[str]:
    return [c.text for c in row if c.text and not c.spanned]


def _single_text(row: list[Cell]) -> bool:
    """A row with exactly one text cell (merged across or not) that is not a figure."""
    texts = _texts(row)
    return len(texts) == 1 and not _NUMBERISH.match(texts[0])


def _only_text(row: list[Cell]) -> str:
    return _texts(row)[0]


def _trimmed(rows: list[list[Cell]]) -> list[list[Cell]]:
    """A table's rows without the columns that are empty in all of them: a sheet's used
    range is as wide as its widest table, a narrower table must not gain blank cells."""
    width = max(len(r) for r in rows)
    used = [c for c in range(width) if any(c < len(r) and r[c].text for r in rows)]
    if not used:
        return rows
    lo, hi = used[0], used[-1]
    return [r[lo:hi + 1] for r in rows]
