"""The document model that every extractor produces and the report analyser consumes.

Extraction (HTML, PDF, Word, plain text) and analysis (sections, template tables, checks)
are separate so that each form of a report only has to be turned into blocks once, and
the table logic is written once for all forms. A `Table` is only produced when the source
has real structure (DOM table, Word table, ruled PDF table); text without structure stays
as `Paragraph` lines and the analyser finds the tables in it by the template's labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Cell:
    """One grid position of a table.

    `spanned` is True when the position is covered by a rowspan/colspan of a cell that
    starts elsewhere: its text is a copy, useful for labels, never a second number.
    `confidence` is the recogniser's confidence in `text` (0..1) when the text was read
    by OCR; None when the text was in the source as characters.
    """

    text: str
    spanned: bool = False
    confidence: float | None = None


@dataclass
class Table:
    """A table with merged cells expanded into a rectangular-ish grid of rows."""

    rows: list[list[Cell]]


@dataclass
class Paragraph:
    """One line or paragraph of text, tabs preserved (tab-separated rows stay parseable)."""

    text: str


Block = Paragraph | Table


@dataclass
class Document:
    """What an extractor returns: the blocks in reading order plus metadata found."""

    source: str
    kind: str  # "html", "pdf", "docx", "text"
    blocks: list[Block] = field(default_factory=list)
    # Metadata the source carries itself: title, published (ISO date), agency
    # (ContentSource / 发布机构), from meta tags, Word properties or the page's info table.
    meta: dict[str, str] = field(default_factory=dict)
    # Problems worth keeping with the result (e.g. "page chrome removed by rule X").
    notes: list[str] = field(default_factory=list)


class ParseError(Exception):
    """A document that cannot be parsed; the message names the document and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
