"""DOM tables of a report page: data tables read as grids, layout tables told apart.

Word-pasted tables come as span soup with rowspan/colspan headers three rows deep; the
grid is rebuilt with every merged cell expanded (copies marked `spanned`), so that a
figure's row and column are known exactly instead of guessed from flattened text.
"""

from __future__ import annotations

import re

from lxml import etree

from .html_meta import INFO_LABEL
from .html_text import clean_cell, clean_paragraph
from .model import Cell, Table

BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
              "section", "article", "blockquote", "pre", "center", "address", "hr", "tr", "main",
              "figure", "figcaption", "caption"}
MAX_SPAN = 200


def text_len(el: etree._Element) -> int:
    """Characters of text under an element, white space not counted."""
    return len(re.sub(r"\s+", "", el.text_content()))


def is_layout(table: etree._Element) -> bool:
    """A table used for page layout, not data: it holds another table, or a cell holds
    running text (a cell of a data table is a label, a figure or a short note)."""
    if table.find(".//table") is not None:
        return True
    cells = [c for c in table.iter("td", "th") if nearest_table(c) is table]
    if len(cells) == 1 and text_len(cells[0]) > 100:
        return True
    return any(text_len(c) > 300 or (len(c.findall(".//p")) > 3 and text_len(c) > 150) for c in cells)


def is_info_table(table: etree._Element) -> bool:
    """The page's 信息公开 box: several cells labelled 索引号 / 发布机构 / 公开日期 / 文号."""
    labels = 0
    for cell in table.iter("td", "th"):
        if nearest_table(cell) is table and INFO_LABEL.match(clean_paragraph(cell.text_content()) or "-"):
            labels += 1
    return labels >= 2


def nearest_table(el: etree._Element) -> etree._Element | None:
    for anc in el.iterancestors("table"):
        return anc
    return None


def read_table(table: etree._Element) -> Table:
    """A DOM table as a grid: rowspan/colspan expanded, copies marked `spanned`."""
    trs = [tr for tr in table.iter("tr") if nearest_table(tr) is table]
    grid: dict[tuple[int, int], Cell] = {}
    for i, tr in enumerate(trs):
        j = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            while (i, j) in grid:
                j += 1
            text = cell_text(td)
            rs = span(td.get("rowspan"))
            cs = span(td.get("colspan"))
            rs = min(rs, len(trs) - i) if rs > 1 else 1
            for di in range(rs):
                for dj in range(cs):
                    grid[(i + di, j + dj)] = Cell(text, spanned=bool(di or dj))
            j += cs
    rows: list[list[Cell]] = []
    for i in range(len(trs)):
        cols = sorted(j for (r, j) in grid if r == i)
        if cols:
            width = cols[-1] + 1
            rows.append([grid.get((i, j), Cell("")) for j in range(width)])
    return Table(rows=rows)


def span(value: str | None) -> int:
    """rowspan/colspan attribute as a sane integer (Word writes rowspan=0 and junk too)."""
    try:
        n = int(str(value).strip().strip("'\""))
    except (TypeError, ValueError):
        return 1
    return max(1, min(n, MAX_SPAN))


def cell_text(td: etree._Element) -> str:
    """Cell text with span soup joined; <p>/<br> breaks count as white space (dropped
    between Chinese characters, kept between figures); &nbsp; alone is empty."""
    parts: list[str] = []

    def visit(el: etree._Element) -> None:
        parts.append(el.text or "")
        for child in el:
            if isinstance(child.tag, str):
                tag = child.tag.lower()
                if tag in BLOCK_TAGS or tag == "br":
                    parts.append("\n")
                visit(child)
                if tag in BLOCK_TAGS:
                    parts.append("\n")
            parts.append(child.tail or "")

    visit(td)
    return clean_cell("".join(parts))
