"""Ruled tables of a PDF page, rebuilt from the drawn rules and the characters' positions.

Plain text extraction prints a table's numbers before their labels and wraps labels over
lines; the rules say exactly where each cell is. Rules that touch form a table; their
distinct x and y positions form a grid; two neighbouring grid cells with no rule between
them are one merged cell (rowspan/colspan), whose text is read once and copied, marked
`spanned`, into the other grid positions. Characters go to the cell containing their
centre.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from operator import attrgetter

from .model import Cell
from .pdf_page import Char, Rule

BY_CY = attrgetter("cy")
BY_X0 = attrgetter("x0")
SNAP = 2.0  # positions closer than this are one grid line
TOUCH = 3.0  # rules closer than this touch
MIN_COL = 5.0  # double borders: a "column" narrower than this is the gap between two rules
MIN_ROW = 3.0


@dataclass
class PageTable:
    """A table found on a page: grid lines, cells, and which cells reach the bottom edge."""

    xs: list[float]  # column boundaries, left to right
    ys: list[float]  # row boundaries, top to bottom (descending y)
    rows: list[list[Cell]] = field(default_factory=list)
    # per row, per column: id of the merged region (equal ids = one cell)
    regions: list[list[int]] = field(default_factory=list)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[-1], self.xs[-1], self.ys[0]


def cluster(values: list[float], tol: float = SNAP) -> list[float]:
    """Sorted distinct positions, values within `tol` of each other merged (mean)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def slivers_dropped(lines: list[float], minimum: float) -> list[float]:
    """Grid lines with those closer than `minimum` to the previous one removed, so that a
    double border does not make an empty sliver column (or row) in every row."""
    out: list[float] = []
    for v in lines:
        if out and v - out[-1] < minimum:
            continue
        out.append(v)
    if len(out) > 1 and lines and lines[-1] - out[-1] < minimum:
        out[-1] = lines[-1]  # keep the outer border as the table's edge
    return out


BUCKET = 12.0  # side of the grid squares rules are filed under when looking for touching ones
DIRECT_PAIRS = 4096  # up to this many (horizontal, vertical) pairs, compare them all


def group_rules(rules: list[Rule]) -> list[list[Rule]]:
    """Rules that touch or cross each other, as connected groups (one per table).

    Linear in the number of rules for any page a word processor draws: duplicates are
    merged first, each rule is filed under the grid squares its (slightly widened) extent
    covers, and only rules sharing a square are compared. Comparing every horizontal rule
    with every vertical one took two minutes on a page of 40,000 drawn boxes; on a page
    of a few tables (40 rules) it is five times cheaper than filing them, so it is done
    there.
    """
    unique: dict[tuple[bool, float, float, float], Rule] = {}
    for r in rules:
        unique.setdefault((r.horizontal, round(r.pos, 1), round(r.a, 1), round(r.b, 1)), r)
    rules = list(unique.values())
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[ri] = rj

    # crossings: a horizontal and a vertical rule that touch share a grid square
    hs = [i for i, r in enumerate(rules) if r.horizontal]
    vs = [i for i, r in enumerate(rules) if not r.horizontal]
    squares = {(0, 0): (hs, vs)} if len(hs) * len(vs) <= DIRECT_PAIRS else _squares(rules)
    for near_h, near_v in squares.values():
        for i in near_h:
            h = rules[i]
            for j in near_v:
                v = rules[j]
                if h.a - TOUCH <= v.pos <= h.b + TOUCH and v.a - TOUCH <= h.pos <= v.b + TOUCH:
                    union(i, j)
    # collinear overlapping rules (a rule drawn in pieces): sorted by line, then by start
    for horizontal in (True, False):
        line = sorted((i for i, r in enumerate(rules) if r.horizontal is horizontal),
                      key=lambda i: (rules[i].pos, rules[i].a))
        clusters: list[list[int]] = []
        for i in line:
            if clusters and rules[i].pos - rules[clusters[-1][-1]].pos <= SNAP:
                clusters[-1].append(i)
            else:
                clusters.append([i])
        for members in clusters:
            members.sort(key=lambda i: rules[i].a)
            reach, last = -1e18, -1
            for i in members:
                r = rules[i]
                if last >= 0 and r.a <= reach + TOUCH:
                    union(i, last)
                if r.b > reach:
                    reach, last = r.b, i
    groups: dict[int, list[Rule]] = {}
    for i in range(len(rules)):
        groups.setdefault(find(i), []).append(rules[i])
    return list(groups.values())


def _squares(rules: list[Rule]) -> dict[tuple[int, int], tuple[list[int], list[int]]]:
    """Indices of the horizontal and of the vertical rules near each grid square."""
    squares: dict[tuple[int, int], tuple[list[int], list[int]]] = {}
    for i, r in enumerate(rules):
        lo, hi = r.a - TOUCH, r.b + TOUCH
        p0, p1 = r.pos - TOUCH, r.pos + TOUCH
        xs = (lo, hi) if r.horizontal else (p0, p1)
        ys = (p0, p1) if r.horizontal else (lo, hi)
        for gx in range(int(xs[0] // BUCKET), int(xs[1] // BUCKET) + 1):
            for gy in range(int(ys[0] // BUCKET), int(ys[1] // BUCKET) + 1):
                squares.setdefault((gx, gy), ([], []))[0 if r.horizontal else 1].append(i)
    return squares


def by_position(rules: list[Rule], lines: list[float]) -> dict[int, list[tuple[float, float]]]:
    """Rules indexed by the grid line they lie on: grid index -> [(start, end)]."""
    index: dict[int, list[tuple[float, float]]] = {}
    for r in rules:
        k = bisect.bisect_left(lines, r.pos - SNAP)
        if k < len(lines) and abs(lines[k] - r.pos) <= SNAP:
            index.setdefault(k, []).append((r.a, r.b))
    return index


def covered(spans: list[tuple[float, float]], at: float) -> bool:
    """Does one of the rules on a grid line run through `at`? (`spans` as `merged` gives them.)"""
    k = bisect.bisect_right(spans, (at + SNAP, float("inf"))) - 1
    return k >= 0 and spans[k][1] + SNAP >= at


def merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The pieces of one grid line as sorted, disjoint (start, end) runs, so that asking
    whether a point is covered is a bisection, not a scan of every piece."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def find_tables(rules: list[Rule], chars: list[Char]) -> list[PageTable]:
    """Every ruled table on the page, with its cells' text, top to bottom."""
    tables: list[PageTable] = []
    by_y = sorted((c for c in chars if c.text != "\n"), key=BY_CY)
    keys = [c.cy for c in by_y]
    for group in group_rules(rules):
        hs = [r for r in group if r.horizontal]
        vs = [r for r in group if not r.horizontal]
        if len(hs) < 2 or len(vs) < 2:
            continue
        xs = slivers_dropped(cluster([r.pos for r in vs]), MIN_COL)
        ys = sorted(slivers_dropped(cluster([r.pos for r in hs]), MIN_ROW), reverse=True)
        if len(xs) < 2 or len(ys) < 2 or (len(xs) == 2 and len(ys) == 2):
            continue  # a lone frame (page border, text box) is not a table
        table = PageTable(xs=xs, ys=ys)
        lo, hi = bisect.bisect_left(keys, ys[-1]), bisect.bisect_right(keys, ys[0])
        build_cells(table, hs, vs, by_y[lo:hi])
        if table.rows:
            tables.append(table)
    tables.sort(key=lambda t: -t.ys[0])
    return tables


def build_cells(table: PageTable, hs: list[Rule], vs: list[Rule], chars: list[Char]) -> None:
    """Merge grid cells not separated by a rule, then fill each merged cell's text."""
    xs, ys = table.xs, table.ys
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    v_at = {k: merged(spans) for k, spans in by_position(vs, xs).items()}
    asc = sorted(ys)
    h_asc = by_position(hs, asc)
    h_at = {len(ys) - 1 - k: merged(spans) for k, spans in h_asc.items()}  # index in descending ys
    for r in range(nr):
        ymid = (ys[r] + ys[r + 1]) / 2
        for c in range(nc):
            xmid = (xs[c] + xs[c + 1]) / 2
            if c + 1 < nc and not covered(v_at.get(c + 1, []), ymid):
                parent[find(r * nc + c)] = find(r * nc + c + 1)
            if r + 1 < nr and not covered(h_at.get(r + 1, []), xmid):
                parent[find(r * nc + c)] = find((r + 1) * nc + c)
    regions = [[find(r * nc + c) for c in range(nc)] for r in range(nr)]
    # characters into grid cells, then into regions
    neg_ys = [-y for y in ys]
    texts: dict[int, list[Char]] = {}
    x_lo, x_hi = xs[0], xs[-1]
    for ch in chars:
        cx = ch.cx
        if ch.text == "\n" or not x_lo <= cx <= x_hi:
            continue
        c = bisect.bisect_right(xs, cx) - 1
        r = bisect.bisect_right(neg_ys, -ch.cy) - 1
        if 0 <= c < nc and 0 <= r < nr:
            texts.setdefault(regions[r][c], []).append(ch)
    seen: set[int] = set()
    rows: list[list[Cell]] = []
    for r in range(nr):
        row = []
        for c in range(nc):
            reg = regions[r][c]
            members = texts.get(reg, [])
            text = cell_text(members)
            scores = [ch.conf for ch in members if ch.conf is not None]
            row.append(Cell(text, spanned=reg in seen, confidence=min(scores) if scores else None))
            seen.add(reg)
        rows.append(row)
    table.rows = rows
    table.regions = regions


def lines_of(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into visual lines (top to bottom), each sorted left to right."""
    items = sorted((c for c in chars if c.text != "\n"), key=BY_CY, reverse=True)
    lines: list[list[Char]] = []
    last: list[Char] = []
    ref_cy = ref_h = 0.0
    for ch in items:
        if last and abs(ref_cy - ch.cy) <= max(1.0, min(ref_h, ch.height) * 0.5):
            last.append(ch)
            continue
        last = [ch]
        ref_cy, ref_h = ch.cy, ch.height
        lines.append(last)
    for line in lines:
        line.sort(key=BY_X0)
    return lines


def line_text(line: list[Char], tab_gap: float | None = None) -> str:
    """A line's characters joined; a gap wider than a character adds a space (or a tab
    when wider than `tab_gap` heights, the columns of an unruled table)."""
    out: list[str] = []
    prev: Char | None = None
    for ch in line:
        if prev is not None:
            gap = ch.x0 - prev.x1
            h = max(prev.height, ch.height, 1.0)
            if tab_gap is not None and gap > tab_gap * h:
                out.append("\t")
            elif gap > 0.6 * h and out and out[-1] not in (" ", "\t") and ch.text != " ":
                out.append(" ")
        out.append(ch.text)
        prev = ch
    return "".join(out)


def cell_text(chars: list[Char]) -> str:
    """A cell's lines joined: nothing between Chinese characters (a label wrapped in a
    narrow column), a space between two Latin letters or digits."""
    if not chars:
        return ""
    ys = [c.cy for c in chars]
    if max(ys) - min(ys) <= 1.0:  # one line: the common case of a number or a short label
        return " ".join(line_text(sorted(chars, key=BY_X0)).split())
    text = ""
    for line in lines_of(chars):
        piece = line_text(line).strip()
        if not piece:
            continue
        if text and text[-1].isascii() and text[-1].isalnum() and piece[0].isascii() and piece[0].isalnum():
            text += " "
        text += piece
    return " ".join(text.split())
