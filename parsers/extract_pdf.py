"""PDF -> `Document` with pypdfium2: text lines in reading order, ruled tables as tables.

Per page: characters and rules are read (`pdf_page`), ruled tables rebuilt (`pdf_tables`),
the remaining characters grouped into lines; tables and lines are then ordered top to
bottom so each table stands after its heading. Page footers (- 3 -, 第 3 页 共 9 页) are
dropped, and a table continued on the next page (same columns, header repeated or not)
is joined into one. Kangxi radicals and other compatibility characters are kept as they
are: the analyser normalises with NFKC. Encrypted, corrupt and image-only PDFs raise
`ParseError` with the reason, so a scan is never mistaken for an empty report.
"""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from . import limits, metadata, pdf_fonts
from .model import Block, Cell, Document, Paragraph, ParseError, Table
from .pdf_page import Char, Rule, page_chars, page_rules
from .pdf_tables import PageTable, find_tables, line_text, lines_of

FOOTER_ANYWHERE = re.compile(
    r"^\s*(?:[-—–－―_~·•]+\s*\d{1,4}\s*[-—–－―_~·•]+"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页)\s*$"
)
# a bare page number ("7", "7/9", "Page 7"): a footer only in the page's top or bottom
# margin and only when it is (near) this page's number, since a figure can stand alone too
FOOTER_AT_MARGIN = re.compile(r"^\s*(?:page\s*)?(\d{1,4})(?:\s*(?:/|of)\s*\d{1,4})?\s*$", re.I)
MARGIN = 0.1  # share of the page height at top and bottom where bare page numbers live
TAB_GAP = 2.5  # a gap wider than this many character heights separates columns


def extract(data: bytes, source: str) -> Document:
    """Parse a PDF into lines and ruled tables; raise ParseError when it cannot be read.

    Pages without a readable text layer (scans, text drawn as curves) and pictures on
    text pages (a table pasted as an image) are read by OCR (`pdf_scan`), one page at a
    time; the document's kind is then "ocr"."""
    from . import pdf_scan

    pdf_fonts.install()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ParseError(source, open_problem(exc)) from exc
    doc = Document(source=source, kind="pdf")
    scan = pdf_scan.Scanner(source, doc.notes, data)
    try:
        title = (pdf.get_metadata_value("Title") or "").strip()
        # a title naming no agency (only 政府信息公开工作年度报告) leaves the choice to
        # the first lines of the text, which usually name it
        if title and not re.match(r"^(untitled|microsoft word.*|无标题|\s*)$", title, re.I) \
                and metadata.names_agency(title):
            doc.meta["title"] = title
        pages: list[list[tuple[str, object]]] = []
        any_text = False
        count = len(pdf)
        for index in limits.pages(count, source):  # page count limit, progress
            page = pdf[index]
            try:
                items, has_text = scan.read_page(pdf, page, index + 1, count)
            finally:
                page.close()
            any_text = any_text or has_text
            pages.append(items)
    except pdfium.PdfiumError as exc:
        raise ParseError(source, f"corrupt PDF: {exc}") from exc
    finally:
        scan.close()
        pdf.close()
    if not any_text:
        raise ParseError(source, "PDF without text: no text layer, and OCR found no text on its pages")
    if scan.ocr_pages:
        doc.kind = "ocr"
        doc.notes.insert(0, scan.summary(count))
    doc.blocks = join_pages(pages, doc.notes, shift=pdf_scan.SCAN_SHIFT if scan.ocr_pages else 2.0)
    return doc


def open_problem(exc: pdfium.PdfiumError) -> str:
    """Why pdfium refused the file, in words a person can act on."""
    code = getattr(exc, "err_code", None)
    if code == raw.FPDF_ERR_PASSWORD:
        return "encrypted PDF (password required)"
    if code == raw.FPDF_ERR_SECURITY:
        return "encrypted PDF (unsupported security handler)"
    return f"corrupt PDF: {exc}"


def read_page(page: pdfium.PdfPage, number: int = 0) -> tuple[list[tuple[str, object]], bool]:
    """One page (`number` counted from 1) of its text layer as ("line", text), ("footer",
    text) and ("table", PageTable) items, top to bottom."""
    chars = page_chars(page)
    if not any(c.text.strip() for c in chars):
        return [], False
    _, height = page.get_size()
    return layout(chars, page_rules(page), height, number), True


def layout(chars: list[Char], rules: list[Rule], height: float, number: int) -> list[tuple[str, object]]:
    """Characters and rules of a page (from its text layer or from OCR) as line, footer
    and table items, top to bottom."""
    tables = find_tables(rules, chars)
    free = outside_tables(chars, [t.bbox for t in tables])
    positioned: list[tuple[float, str, object]] = []
    for line in lines_of(free):
        text = line_text(line, TAB_GAP).strip()
        if not text:
            continue
        top = max(c.y1 for c in line)
        bottom = min(c.y0 for c in line)
        at_margin = bottom < height * MARGIN or top > height * (1 - MARGIN)
        bare = FOOTER_AT_MARGIN.match(text) if at_margin else None
        page_no = int(bare.group(1)) if bare else 0
        if FOOTER_ANYWHERE.match(text) or (page_no >= 1 and abs(page_no - number) <= 3):
            positioned.append((top, "footer", text))
            continue
        positioned.append((top, "line", text))
    for t in tables:
        positioned.append((t.ys[0], "table", t))
    positioned.sort(key=lambda item: -item[0])
    return [(kind, obj) for _, kind, obj in positioned]


def outside_tables(chars: list[Char], boxes: list[tuple[float, float, float, float]]) -> list[Char]:
    """The characters whose centre lies in no table box (a little slack for the rules)."""
    out = []
    for c in chars:
        if c.text == "\n":
            continue
        x, y = c.cx, c.cy
        for x0, y0, x1, y1 in boxes:
            if y0 - 0.5 <= y <= y1 + 0.5 and x0 - 0.5 <= x <= x1 + 0.5:
                break
        else:
            out.append(c)
    return out


def join_pages(pages: list[list[tuple[str, object]]], notes: list[str], shift: float = 2.0) -> list[Block]:
    """Blocks of all pages; footers dropped; a table continued on the next page joined
    (`shift`: how far a scanned page may sit from the previous one, in points)."""
    blocks: list[Block] = []
    last: PageTable | None = None  # the table the previous block came from, if any
    last_block: Table | None = None
    footers = 0
    for items in pages:
        for kind, obj in items:
            if kind == "footer":
                footers += 1
                continue
            if kind == "line":
                blocks.append(Paragraph(str(obj)))
                last = last_block = None
                continue
            table: PageTable = obj  # type: ignore[assignment]
            if last is not None and last_block is not None and same_columns(last, table, shift):
                extend(last_block, last, table)
                notes.append("table continued on the next page joined")
            else:
                last_block = Table(rows=[list(r) for r in table.rows])
                blocks.append(last_block)
            last = table
    if footers:
        notes.append(f"{footers} page header/footer line(s) dropped")
    return blocks


def same_columns(a: PageTable, b: PageTable, shift: float = 2.0) -> bool:
    """Two tables continue each other when their column boundaries coincide: the same
    widths within 2 points, the whole table moved by at most `shift` (a scanned page
    lies where the scanner put it)."""
    if len(a.xs) != len(b.xs) or abs(a.xs[0] - b.xs[0]) > shift:
        return False
    return all(abs((x - a.xs[0]) - (y - b.xs[0])) <= max(2.0, shift / 4)
               for x, y in zip(a.xs, b.xs, strict=True))


def extend(block: Table, prev: PageTable, cont: PageTable) -> None:
    """Append a continuation: drop its repeated header rows, and carry down the text of
    a merged cell broken by the page (Word leaves the continued part blank)."""
    rows = [list(r) for r in cont.rows]
    regions = cont.regions
    skip = 0
    while skip < len(rows) and skip < len(block.rows) and texts(rows[skip]) == texts(block.rows[skip]):
        skip += 1
    rows, regions = rows[skip:], regions[skip:]
    if rows and block.rows:
        above = block.rows[-1]
        prev_bottom = prev.regions[-1] if prev.regions else []
        prev_row_above = prev.regions[-2] if len(prev.regions) > 1 else []
        for c, cell in enumerate(rows[0]):
            if cell.text or c >= len(above) or not above[c].text:
                continue
            # the cell above was itself a tall merged cell (or a copy of one)
            tall = above[c].spanned or (c < len(prev_row_above) and c < len(prev_bottom)
                                        and prev_row_above[c] == prev_bottom[c])
            if not tall:
                continue
            region = regions[0][c]
            for r, row in enumerate(rows):
                if c < len(row) and regions[r][c] == region and not row[c].text:
                    row[c] = Cell(above[c].text, spanned=True)
    block.rows.extend(rows)


def texts(row: list[Cell]) -> list[str]:
    return [c.text for c in row]
