"""Plain text and Markdown (.txt/.md) already extracted from a report -> `Document`.

Text reaches us as UTF-8 (with or without BOM), UTF-16, or from older portals GB18030/GBK
(`decoding`). Each line is a Paragraph; tabs are kept because tab-separated rows are how
copied tables survive in text. Text flattened to one line is put back into lines by the
analyser (`flat_text`), after script normalisation, whatever extractor produced it.

PDF->Markdown converters write the tables as pipe tables: those become `Table` blocks
(a blank cell keeps its column), heading and emphasis marks are dropped, and page
footers the converter left inside a paragraph (… — 2 — …) are removed.
"""

from __future__ import annotations

import re

from .decoding import bom_encoding, plain_text
from .model import Block, Cell, Document, Paragraph, ParseError, Table

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"\*\*|__|(?<!\S)\*(?=\S)|(?<=\S)\*(?!\S)")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.I)
# A page footer inside a paragraph: "— 2 —", "- 3 -" between spaces (never "2020-2021").
_INLINE_FOOTER = re.compile(r"(?:(?<=\s)|^)(?:[—–]\s*\d{1,3}\s*[—–]|-\s+\d{1,3}\s+-)(?=\s|$)")


def decode(data: bytes, source: str) -> str:
    """Decode text by the shared rules (BOM, UTF-8, GB18030); raise ParseError otherwise."""
    got = plain_text(data)
    if got is None:
        if b"\x00" in data[:4096] and bom_encoding(data) is None:
            raise ParseError(source, "not text: the file contains NUL bytes (binary data?)")
        raise ParseError(source, "cannot decode text as UTF-8, UTF-16 or GB18030")
    return got[0]


def is_markdown(lines: list[str], source: str) -> bool:
    """A .md file, or text with a pipe table (its separator row) or Markdown headings."""
    if re.search(r"\.(md|markdown)(\?|$)", source, re.I):
        return True
    if any(_PIPE_SEPARATOR.match(line) and "|" in line for line in lines):
        return True
    return sum(1 for line in lines if _MD_HEADING.match(line)) >= 2


def _pipe_cells(line: str) -> list[Cell]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [Cell(_HTML_BREAK.sub("", c).replace("\\|", "|").strip()) for c in _CELL_SPLIT.split(inner)]


def markdown_blocks(lines: list[str]) -> list[Block]:
    """Pipe tables as Table blocks (their separator rows dropped); other lines as
    Paragraphs without heading/emphasis marks and inline page footers."""
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if _PIPE_ROW.match(lines[i]):
            j = i
            while j < len(lines) and _PIPE_ROW.match(lines[j]):
                j += 1
            rows = [_pipe_cells(line) for line in lines[i:j] if not _PIPE_SEPARATOR.match(line)]
            if rows:
                blocks.append(Table(rows))
            i = j
            continue
        blocks.append(Paragraph(_paragraph(lines[i])))
        i += 1
    return blocks


def _paragraph(line: str) -> str:
    return without_footers(_MD_EMPHASIS.sub("", _MD_HEADING.sub("", line)))


def without_footers(line: str) -> str:
    """A line with the page footers a converter left inside it removed."""
    if not _INLINE_FOOTER.search(line):
        return line
    return re.sub(r"(?<=\S)\s{2,}(?=\S)", " ", _INLINE_FOOTER.sub(" ", line)).strip()


def extract(data: bytes, source: str) -> Document:
    """Bytes of a .txt/.md file -> Document of Paragraph lines (and Markdown tables)."""
    text = decode(data, source)
    if not text.strip():
        raise ParseError(source, "empty document: no text")
    lines = _LINE_BREAK.split(text)
    if is_markdown(lines, source):
        return Document(source=source, kind="text", blocks=markdown_blocks(lines),
                        notes=["Markdown: pipe tables read as tables"])
    blocks: list[Block] = [Paragraph(without_footers(line)) for line in lines]
    return Document(source=source, kind="text", blocks=blocks)
