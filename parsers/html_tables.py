"""DOM tables of a report page: data tables read as grids, layout tables told apart.

Word-pasted tables come as span soup with rowspan/colspan headers three rows deep; the
grid is rebuilt with every merged cell expanded (copies marked `spanned`), so that a
figure's row and column are known exactly instead of guessed from flattened text.
"""

from __future__ import annotations

import re

from lxml import etree

from .html_dom import own_cells, own_rows
from .html_meta import INFO_LABEL
from .html_text import clean_cell, clean_paragraph
from .model import Cell, Table

BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
              "section", "article", "blockquote", "pre", "center", "address", "hr", "tr", "main",
              "figure", "figcaption", "caption"}
MAX_SPAN = 200  # rows a cell may span (never more than the table's rows below it)
MAX_COLSPAN = 60  # columns: the widest template table has 15, a title row may span them all
# Grid columns that spanned copies may fill: report tables are never this wide, and a
# page of rowspan=200 colspan=200 cells must not grow into gigabytes (issue 16).
MAX_COLUMNS = 100


def text_len(el: etree._Element) -> int:
    """Characters of text under an element, white space not counted."""
    return len(re.sub(r"\s+", "", el.text_content()))


_WS = " \t\n\r\xa0\u3000"
_CELLS = "(./tr/td | ./tr/th | ./*[not(self::table)]/tr/td | ./*[not(self::table)]/tr/th)"
_SIZE = f"string-length(translate(., '{_WS}', ''))"
# evaluated inside libxml2: one cell's text is measured without building Python strings
_TEXT_CELL = etree.XPath(f"{_CELLS}[{_SIZE} > 300 or (count(.//p) > 3 and {_SIZE} > 150)]")
_CELL_COUNT = etree.XPath(f"count({_CELLS})")
_ONE_CELL_SIZE = etree.XPath(f"{_SIZE}")


def is_layout(table: etree._Element) -> bool:
    """A table used for page layout, not data: it holds another table, or a cell holds
    running text (a cell of a data table is a label, a figure or a short note)."""
    if table.find(".//table") is not None:
        return True
    if _CELL_COUNT(table) == 1 and _ONE_CELL_SIZE(own_cells(table)[0]) > 100:
        return True
    return bool(_TEXT_CELL(table))


def is_info_table(table: etree._Element) -> bool:
    """The page's 信息公开 box: several cells labelled 索引号 / 发布机构 / 公开日期 / 文号."""
    labels = 0
    cells = own_cells(table)
    if len(cells) > 80:  # the box has a dozen cells; a data table is not read label by label
        return False
    for cell in cells:
        if INFO_LABEL.match(clean_paragraph(cell.text_content()) or "-"):
            labels += 1
            if labels >= 2:
                return True
    return False


def nearest_table(el: etree._Element) -> etree._Element | None:
    for anc in el.iterancestors("table"):
        return anc
    return None


def read_table(table: etree._Element, notes: list[str] | None = None) -> Table:
    """A DOM table as a grid: rowspan/colspan expanded, copies marked `spanned`.

    Rows are built one at a time (a dict per row, not one for the table), so the work is
    linear in the number of cells. Spanned copies never widen the grid past
    `MAX_COLUMNS` (or the widest row of real cells): what a span bomb claims beyond that
    is dropped and noted.
    """
    trs = own_rows(table)
    real = [[td for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")] for tr in trs]
    width_cap = max([MAX_COLUMNS, *(len(r) for r in real)])
    pending: dict[int, dict[int, Cell]] = {}  # row index -> column -> copy from a rowspan above
    rows: list[list[Cell]] = []
    capped = 0
    for i, tds in enumerate(real):
        row = pending.pop(i, {})
        j = 0
        for td in tds:
            while j in row:
                j += 1
            text = cell_text(td)
            rs = span(td.get("rowspan"))
            cs = min(span(td.get("colspan")), MAX_COLSPAN)
            rs = min(rs, len(real) - i) if rs > 1 else 1
            if j + cs > width_cap:  # spans pushed past the widest real table: the cell alone
                capped += 1
                cs = max(1, width_cap - j)
                if j >= width_cap:
                    rs = 1
            for dj in range(cs):
                row[j + dj] = Cell(text, spanned=bool(dj))
                for di in range(1, rs):
                    pending.setdefault(i + di, {}).setdefault(j + dj, Cell(text, spanned=True))
            j += cs
        if row:
            width = max(row) + 1
            rows.append([row.get(c, Cell("")) for c in range(width)])
    if capped and notes is not None:
        notes.append(f"table spans capped: {capped} cell(s) claimed more than {width_cap} columns")
    return Table(rows=rows)


def span(value: str | None) -> int:
    """rowspan/colspan attribute as a sane integer (Word writes rowspan=0 and junk too)."""
    if value is None:
        return 1
    try:
        n = int(str(value).strip().strip("'\""))
    except (TypeError, ValueError):
        return 1
    return max(1, min(n, MAX_SPAN))


def cell_text(td: etree._Element) -> str:
    """Cell text with span soup joined; <p>/<br> breaks count as white space (dropped
    between Chinese characters, kept between figures); &nbsp; alone is empty."""
    if len(td) == 0:  # no child elements: the common cell
        return clean_cell(td.text or "")
    parts: list[str] = [td.text or ""]
    for event, el in etree.iterwalk(td, events=("start", "end")):
        if el is td:
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in BLOCK_TAGS or tag == "br":
                parts.append("\n")
            if tag:
                parts.append(el.text or "")
            continue
        if tag in BLOCK_TAGS:
            parts.append("\n")
        parts.append(el.tail or "")
    return clean_cell("".join(parts))
