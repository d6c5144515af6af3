"""Word .docx -> `Document`: paragraphs and tables in body order, merged cells expanded.

python-docx's `Document.paragraphs` and `.tables` are two separate lists, which loses
where each table stands; the analyser needs "第二十条第（一）项" right before its table,
so the body's XML children are walked in order instead. Merges are read from the XML
(`w:gridSpan`, `w:vMerge`) because python-docx's cell API repeats merged cells without
saying which copy is the original.
"""

from __future__ import annotations

import io
import re
import zipfile

from . import metadata
from .model import Block, Cell, Document, Paragraph, ParseError, Table

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_SPAN = 200
# Titles Word fills in by itself, not worth keeping as the document's title.
MEANINGLESS_TITLE = re.compile(
    r"^\s*(|无|無|标题|標題|title|untitled|microsoft word.*|文档\d*|document\d*)\s*$", re.I
)


def extract(data: bytes, source: str) -> Document:
    """Parse a .docx into blocks in body order plus its core-properties title."""
    try:
        import docx

        word = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ParseError(source, f"corrupt Word .docx: {exc}") from exc
    except MemoryError:
        raise  # the memory limit, not damage: the parse pool names it
    except Exception as exc:  # python-docx raises assorted errors on damaged packages
        raise ParseError(source, f"corrupt Word .docx: {type(exc).__name__}: {exc}") from exc
    doc = Document(source=source, kind="docx")
    title = (word.core_properties.title or "").strip()
    if title and not MEANINGLESS_TITLE.match(title) and metadata.names_agency(title):
        doc.meta["title"] = title  # one naming no agency leaves the choice to the text
    doc.blocks = body_blocks(word.element.body)
    if not doc.blocks:
        raise ParseError(source, "Word document has no text")
    return doc


def body_blocks(body) -> list[Block]:
    """Walk the body's children: w:p -> Paragraph, w:tbl -> Table, w:sdt -> its content."""
    blocks: list[Block] = []
    for child in body.iterchildren():
        tag = child.tag
        if tag == f"{W}p":
            text = paragraph_text(child)
            if text.strip():
                blocks.append(Paragraph(text.strip()))
        elif tag == f"{W}tbl":
            table = read_table(child)
            if table.rows:
                blocks.append(table)
        elif tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                blocks.extend(body_blocks(content))
    return blocks


def paragraph_text(p) -> str:
    """Text of a w:p: runs' w:t joined, w:tab as a tab, w:br as a line break."""
    parts: list[str] = []
    for el in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}noBreakHyphen"):
        if el.tag == f"{W}t":
            parts.append(el.text or "")
        elif el.tag == f"{W}tab":
            parts.append("\t")
        elif el.tag == f"{W}noBreakHyphen":
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def cell_text(tc) -> str:
    """A cell's paragraphs joined: no separator between Chinese characters, else a space."""
    lines = [paragraph_text(p).strip() for p in tc.iter(f"{W}p")]
    out = ""
    for line in (ln for ln in lines if ln):
        if out and (out[-1].isascii() and out[-1].isalnum()) and (line[0].isascii() and line[0].isalnum()):
            out += " "
        out += line
    return re.sub(r"[ \t\xa0\u3000]+", " ", out).strip()


def _int(value: str | None, default: int = 1) -> int:
    try:
        return max(0, min(int(value or default), MAX_SPAN))
    except ValueError:
        return default


def read_table(tbl) -> Table:
    """A w:tbl as a grid: gridSpan repeated across columns, vMerge continued down rows,
    every copy marked `spanned`. Nested tables are read as text of their cell."""
    rows: list[list[Cell]] = []
    origin: dict[int, str] = {}  # grid column -> text of the vMerge cell that started there
    for tr in tbl.iterchildren(f"{W}tr"):
        row: list[Cell] = []
        trpr = tr.find(f"{W}trPr")
        before = 0
        if trpr is not None:
            gb = trpr.find(f"{W}gridBefore")
            before = _int(gb.get(f"{W}val"), 0) if gb is not None else 0
        row.extend(Cell("") for _ in range(before))
        for tc in tr.iterchildren(f"{W}tc"):
            tcpr = tc.find(f"{W}tcPr")
            span = 1
            vmerge = None
            if tcpr is not None:
                gs = tcpr.find(f"{W}gridSpan")
                if gs is not None:
                    span = max(1, _int(gs.get(f"{W}val")))
                vm = tcpr.find(f"{W}vMerge")
                if vm is not None:
                    vmerge = vm.get(f"{W}val") or "continue"
            col = len(row)
            if vmerge == "continue":
                text = origin.get(col, "")
                row.extend(Cell(text, spanned=True) for _ in range(span))
                continue
            text = cell_text(tc)
            if vmerge == "restart":
                origin[col] = text
            else:
                origin.pop(col, None)
            row.append(Cell(text))
            row.extend(Cell(text, spanned=True) for _ in range(span - 1))
        if row:
            rows.append(row)
    return Table(rows=rows)
