"""Turning a table region (text lines or real Table blocks) into a stream of cells.

Every form a report takes — DOM/Word/PDF tables, tab-separated rows, one cell per line,
PDF text with labels wrapped around numbers, OCR — becomes the same stream: label
tokens, whose cleaned text is concatenated into one searchable string, and value tokens
(numbers, unreadable cells, and for real tables blank cells), each remembering where in
that string it stood and which line it came from. Rows are then found by their label
keys (see `template`), and a row owns the values between its key and the next row's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from .cells import MONEY_UNITS, parse_cell
from .model import Block, Cell, Paragraph, Table
from .template import clean

# Lines that are never part of a table: narrative sentences and footnotes.
_FOOTNOTE = re.compile(r"^\s*[\(（]?\s*注\s*[:：0-9１-９一二三]")
_PAGE_FOOTER = re.compile(r"^\s*(?:[-—–]\s*\d+\s*[-—–]|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?)\s*$")
_GLUED_NUMBER = re.compile(r"^(.*[\u4e00-\u9fff\)）])(\d+)$")
_NOTE_OPEN = re.compile(r"^[+\-]?\d[\d,.]*\s*[（(][^)）]*$")
_UNIT_WORD = re.compile(r"^(" + "|".join(MONEY_UNITS) + r")$")
# In glued text: one printed figure (sign, digits, decimals, a money unit, a note), a
# figure that is an item number ("1." "2、") or a date part, and white space.
# A note after a figure is parenthesised text that is not a row number like （三）.
GLUED_FIGURE = (r"[+\-]?\d+(?:\.\d+)?(?:\s*(?:万元|萬元|亿元|元))?"
                r"(?:(?![（(][一二三四五六七八九十\d]{1,3}[)）])[（(][^（()）]*[)）])?")
GLUED_PARTS = re.compile(
    rf"(?P<fig>{GLUED_FIGURE})(?:(?P<enum>(?<=\d)[.．、](?!\d))|(?P<date>(?<=\d)[年月日]))?"
    r"|(?P<space>\s+)|(?P<text>.)", re.S)
_ONE_NUMBER = re.compile(r"^[+\-]?(?:0|[1-9]\d*)(?:\.\d+)?$")


@dataclass
class Token:
    """One cell of the stream.

    `kind` "digits" is a run of figures that cannot be one printed number ("0000000"):
    several cells glued together, whose split only the arithmetic can decide (`glued`).
    """

    kind: str  # "label", "number", "unreadable", "blank", "digits"
    raw: str
    line: int
    value: Decimal | None = None
    unit: str | None = None
    pos: int = 0  # offset in the label string where this token stands
    col: int | None = None  # column of a real table's grid (None for text)
    grid: int | None = None  # which Table block of the region the token came from
    confidence: float | None = None  # the OCR's confidence in the cell, when OCR read it


@dataclass
class Stream:
    """The cleaned label text of a region and all its tokens in reading order."""

    labels: str = ""
    tokens: list[Token] = field(default_factory=list)

    def header_columns(self, grid: int, names: tuple[str, ...]) -> dict[int, int]:
        """Grid column -> index in `names`, from the label cells of one Table that are
        exactly one of the names (the applicant header of section 三)."""
        out: dict[int, int] = {}
        for t in self.tokens:
            if t.grid == grid and t.kind == "label" and t.col is not None:
                c = clean(t.raw)
                if c in names and t.col not in out and names.index(c) not in out.values():
                    out[t.col] = names.index(c)
        return out


def is_narrative(line: str) -> bool:
    """A sentence of prose or a footnote inside a table region (never table cells)."""
    s = line.strip()
    return "。" in s or bool(_FOOTNOTE.match(s)) or bool(_PAGE_FOOTER.match(s))


def _word_tokens(cell: str, line: int) -> list[Token]:
    """Split a text cell into label and number tokens ("1 0 0 0", "规章 0 0 0")."""
    words = cell.split()
    merged: list[str] = []
    i = 0
    while i < len(words):  # keep "22（其中修订 16 件）" together
        w = words[i]
        if _NOTE_OPEN.match(w):
            j = i + 1
            while j < len(words) and not re.search(r"[)）]", words[j - 1]):
                w += words[j]
                j += 1
            merged.append(w)
            i = j
        else:
            merged.append(w)
            i += 1
    out: list[Token] = []
    for w in merged:
        if _UNIT_WORD.match(w) and out and out[-1].kind == "number" and not out[-1].unit:
            out[-1].unit = w
            out[-1].raw += " " + w
            continue
        got = parse_cell(w)
        if got is not None and got.kind != "blank":
            out.append(Token(got.kind, got.raw, line, got.value, got.unit))
            continue
        if got is not None:  # "-" or "/" inside text: noise between words
            out.append(Token("label", w, line))
            continue
        m = _GLUED_NUMBER.match(w)
        if m and not re.search(r"(年|月|日|第)$", m.group(1)):
            out.append(Token("label", m.group(1), line))
            out.append(Token("number", m.group(2), line, Decimal(m.group(2))))
            continue
        out.append(Token("label", w, line))
    return out


def figure_token(raw: str, line: int) -> Token:
    """A figure of glued text: a number when `raw` can be one printed number, else "digits"."""
    body = re.sub(r"\s*(?:万元|萬元|亿元|元)?(?:[（(].*)?$", "", raw)
    got = parse_cell(raw)
    if _ONE_NUMBER.match(body) and got is not None and got.kind == "number":
        return Token("number", got.raw, line, got.value, got.unit)
    return Token("digits", raw.strip(), line)


def glued_tokens(text: str, line: int) -> list[Token]:
    """Tokens of text whose cells lost their separators ("规章000", "行政许可10-2300"):
    labels, and each run of figures as it stands. A figure followed by "." or "、" ends
    with an item number (its last digit: "00000002.其他" is 0000000 and 2.); one followed
    by 年/月/日 is a date, part of the label. White space and signs separate figures."""
    out: list[Token] = []
    label = ""

    def figure(raw: str) -> None:
        nonlocal label
        if label.strip():
            out.append(Token("label", label.strip(), line))
        label = ""
        out.append(figure_token(raw, line))

    for m in GLUED_PARTS.finditer(text):
        fig = m.group("fig")
        if fig and m.group("enum"):
            if len(fig) > 1 and fig.isdigit():
                figure(fig[:-1])
            label += fig[-1] + m.group("enum") if fig.isdigit() else fig + m.group("enum")
        elif fig and m.group("date"):
            label += fig + m.group("date")
        elif fig:
            figure(fig)
        elif m.group("space"):
            label += " " if label else ""
        else:
            label += m.group(0)
    if label.strip():
        out.append(Token("label", label.strip(), line))
    return out


def _text_line_tokens(text: str, line: int, glued: bool = False) -> list[Token]:
    out: list[Token] = []
    for cell in text.split("\t"):
        if not cell.strip():
            continue  # in text a blank cell is not reliably positioned: ignore it
        got = parse_cell(cell)
        if glued and (got is None or got.kind == "number"):
            out.extend(glued_tokens(cell, line))
        elif got is not None and got.kind != "blank":
            out.append(Token(got.kind, got.raw, line, got.value, got.unit))
        elif got is None:
            out.extend(_word_tokens(cell, line))
    return out


def _table_row_tokens(row: list[Cell], line: int, grid: int, glued: bool = False) -> list[Token]:
    out: list[Token] = []
    previous_label = None
    for col, cell in enumerate(row):
        text = cell.text or ""
        if cell.spanned:
            # a copy of a label is kept for matching (once per row); a copy of a number
            # is never a second number
            if parse_cell(text) is None and text != previous_label:
                out.append(Token("label", text, line, col=col, grid=grid))
                previous_label = text
            continue
        got = parse_cell(text)
        if got is None:
            if is_narrative(text):
                continue
            out.append(Token("label", text, line, col=col, grid=grid))
            previous_label = text
        elif glued and got.kind == "number":
            tok = figure_token(text, line)
            tok.col, tok.grid, tok.confidence = col, grid, cell.confidence
            out.append(tok)
        else:
            out.append(Token(got.kind, got.raw, line, got.value, got.unit, col=col, grid=grid,
                             confidence=cell.confidence))
    return out


def build_stream(blocks: list[Block], glued: bool = False) -> Stream:
    """The stream of a region: paragraphs become text lines, tables their rows.

    `glued`: the region's figures may have lost their separators; runs of figures are
    kept as they stand for the arithmetic to split (see `glued`)."""
    stream = Stream()
    line = 0
    for grid, block in enumerate(blocks):
        rows: list[list[Token]] = []
        if isinstance(block, Paragraph):
            if is_narrative(block.text):
                line += 1
                continue
            rows.append(_text_line_tokens(block.text, line, glued))
            line += 1
        elif isinstance(block, Table):
            for row in block.rows:
                toks = _table_row_tokens(row, line, grid, glued)
                # positioned blank cells only count after the row's first label
                rows.append(_trim_leading_blanks(toks))
                line += 1
        for toks in rows:
            for t in toks:
                t.pos = len(stream.labels)
                if t.kind == "label":
                    stream.labels += clean(t.raw)
                stream.tokens.append(t)
    return stream


def _trim_leading_blanks(toks: list[Token]) -> list[Token]:
    """A table row's blank cells before any label or number carry no position."""
    i = 0
    while i < len(toks) and toks[i].kind == "blank":
        i += 1
    return toks[i:]


def runs_in_span(stream: Stream, start: int, end: int, by_line: bool = True) -> list[list[Token]]:
    """Runs of values in a label span; a label token between two values splits runs, and
    so does a new line unless `by_line` is False (figures one per line are one run)."""
    out: list[list[Token]] = []
    cur: list[Token] = []
    last_line = None
    for t in stream.tokens:
        if t.pos < start or t.pos > end:
            continue
        if t.kind == "label":
            if clean(t.raw) and cur:
                out.append(cur)
                cur = []
            continue
        if cur and by_line and t.line != last_line:
            out.append(cur)
            cur = []
        cur.append(t)
        last_line = t.line
    if cur:
        out.append(cur)
    return out


@dataclass
class Selection:
    """The values chosen for a row of `n` cells.

    `slots` has n entries (a Token, or None where nothing was printed) when the values
    could be positioned; `partial` holds fewer values, in order, whose positions only the
    arithmetic can decide; `problem` says why the row is left null.
    """

    slots: list[Token | None] | None = None
    partial: list[Token] | None = None
    problem: str | None = None


def _trim_blanks(toks: list[Token], n: int) -> list[Token]:
    """Drop blank table cells at the ends of an over-long run (empty extra columns)."""
    toks = list(toks)
    while len(toks) > n and toks and toks[-1].kind == "blank":
        toks.pop()
    while len(toks) > n and toks and toks[0].kind == "blank":
        toks.pop(0)
    return toks


def select(row_runs: list[list[Token]], n: int, max_gaps: int = 2) -> Selection:
    """Choose the n values of a row from the runs found in its span.

    All values together when they are exactly n; otherwise a complete run of exactly n
    on one line (several complete runs must agree where readable); fewer values become a
    `partial` for gap placement; anything else is left null with a problem.
    """
    row_runs = [_trim_blanks(r, n) for r in row_runs]
    row_runs = [r for r in row_runs if r]
    flat = [t for r in row_runs for t in r]
    if not flat:
        return Selection(problem="no values")
    if len(flat) == n:
        return Selection(slots=list(flat))
    complete = [r for r in row_runs if len(r) == n]
    if complete:
        merged: list[Token | None] = []
        for i in range(n):
            readable = {c[i].value for c in complete if c[i].kind == "number"}
            if len(readable) > 1:
                return Selection(problem="repeated figures disagree")
            pick = next((c[i] for c in complete if c[i].kind == "number"), complete[0][i])
            merged.append(pick)
        return Selection(slots=merged)
    if len(flat) < n:
        if n - len(flat) <= max_gaps:
            return Selection(partial=flat)
        return Selection(problem=f"only {len(flat)} of {n} figures")
    return Selection(problem=f"{len(flat)} figures for {n} cells")


def find_sequence(labels: str, keys: list[tuple[str, str]], start: int = 0,
                  end: int | None = None) -> dict[str, tuple[int, int]]:
    """Find each key in order, each searched after the previous match.

    A key is taken as missing (not matched) when the next key turns up before it: a
    label destroyed by OCR must not make the search jump over the rows that follow.
    """
    end = len(labels) if end is None else end
    found: dict[str, tuple[int, int]] = {}
    cursor = start
    for i, (name, key) in enumerate(keys):
        m = re.compile(key).search(labels, cursor, end)
        if not m:
            continue
        if i + 1 < len(keys):
            nxt = re.compile(keys[i + 1][1]).search(labels, cursor, end)
            if nxt and nxt.start() < m.start() and nxt.end() <= m.start():
                continue
        found[name] = (m.start(), m.end())
        cursor = m.end()
    return found


def spans(found: dict[str, tuple[int, int]], order: list[str], end: int) -> dict[str, tuple[int, int]]:
    """For each found key, the label span its values live in: from its end to the next start."""
    present = [k for k in order if k in found]
    out = {}
    for i, k in enumerate(present):
        nxt = found[present[i + 1]][0] if i + 1 < len(present) else end
        out[k] = (found[k][1], max(nxt, found[k][1]))
    return out
