"""Splitting figures that lost their separators, by the report's own arithmetic.

Text flattened by a web archiver glues a row's cells together: 规章000, （七）总计14710000148.
A run of digits can be cut into a row's cells in many ways. The rules (issue 9):

- a figure has no leading zero ("0" is a figure, "00" is two), a decimal point has
  digits on both sides, a sign starts a figure, white space always separates two;
- a row's split is taken only when exactly one split satisfies every equation the
  template gives for it (row totals, column balance, outcome totals, group totals of
  section 四), rows tied by equations being decided together;
- a row no equation covers (section 二) is taken only when the digits force the split
  even if some of its cells were blank and vanished ("000" into three cells);
- several fitting splits leave the cells null, with the candidates in the report's
  notes; the search is bounded and abstains when the bound is reached.

Cells printed blank vanish from glued text, so the splits tried (every cell printed) can
only misread a row whose blank cells hid; the equations, checked over all glued rows
together, are what make such a misreading fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from .checks import CellKey, Equation
from .tables import Token

MAX_SPLITS = 20000  # splits of one row enumerated before abstaining
MAX_NODES = 200000  # steps of the joint search over tied rows before abstaining
MAX_LISTED = 4  # candidates written to the notes

_SEGMENT = re.compile(
    r"^(?P<sign>[+\-]?)(?P<body>\d+(?:\.\d+)?)(?P<unit>\s*(?:万元|萬元|亿元|元))?(?P<note>[（(].*[)）])?$")
_PIECE = re.compile(r"^(?:0|[1-9]\d*)(?:\.\d+)?$")


@dataclass(frozen=True)
class Piece:
    """One figure cut from a glued run: as printed (sign, unit and note kept) and its value."""

    raw: str
    value: Decimal
    unit: str | None


@dataclass
class Decision:
    """What became of one glued row: `pieces` when decided, else the reason and candidates."""

    pieces: list[Piece] | None
    # "forced", "arithmetic" (decided); "ambiguous", "not forced", "no split fits",
    # "too many splits" (left null)
    reason: str
    candidates: list[list[Piece]] = field(default_factory=list)


def _parts(segment: str) -> tuple[str, str, str | None, str] | None:
    m = _SEGMENT.match(segment.strip())
    if not m:
        return None
    unit = (m.group("unit") or "").strip() or None
    return m.group("sign"), m.group("body"), unit, m.group("note") or ""


def _cuts(body: str, k: int) -> Iterator[list[str]]:
    """Every way to cut `body` into k valid figures, in order."""
    if k == 1:
        if _PIECE.match(body):
            yield [body]
        return
    for i in range(1, len(body) - k + 2):
        head = body[:i]
        if not _PIECE.match(head):
            if re.match(r"0\d", head):
                return  # a leading zero only gets longer
            continue
        for rest in _cuts(body[i:], k - 1):
            yield [head, *rest]


def _pieces(segment: str, figures: list[str]) -> list[Piece]:
    parts = _parts(segment)
    assert parts is not None
    sign, _, unit, note = parts
    out = []
    for i, f in enumerate(figures):
        raw = (sign if i == 0 else "") + f
        value = Decimal(raw)
        if i == len(figures) - 1:
            raw += (unit or "") + note
            out.append(Piece(raw, value, unit))
        else:
            out.append(Piece(raw, value, None))
    return out


def splits(segments: list[str], n: int, limit: int = MAX_SPLITS) -> list[list[Piece]] | None:
    """Every split of the segments into exactly n figures (each segment at least one);
    None when a segment is no run of figures or more than `limit` splits exist."""
    parsed = [_parts(s) for s in segments]
    if any(p is None for p in parsed) or not segments:
        return None
    bodies = [p[1] for p in parsed if p is not None]
    out: list[list[Piece]] = []

    def walk(i: int, left: int, acc: list[Piece]) -> bool:
        if i == len(segments):
            if left == 0:
                out.append(list(acc))
            return len(out) <= limit
        room = left - (len(segments) - i - 1)  # the other segments need a figure each
        for k in range(1, min(room, len(bodies[i].replace(".", ""))) + 1):
            for figures in _cuts(bodies[i], k):
                if not walk(i + 1, left - k, acc + _pieces(segments[i], figures)):
                    return False
        return True

    if not walk(0, n, []):
        return None
    return out


def forced(segments: list[str], n: int) -> list[Piece] | None:
    """The split when the digits allow exactly one, even supposing blank cells vanished
    (any number of figures up to n): "000" in three cells; None otherwise."""
    found: list[list[Piece]] = []
    for k in range(len(segments), n + 1):
        got = splits(segments, k, limit=2)
        if got is None:
            return None
        found.extend(got)
        if len(found) > 1:
            return None
    return found[0] if len(found) == 1 and len(found[0]) == n else None


def could_be_glued(figures: list[Token], n: int) -> bool:
    """Whether a row's figures are a glued run for n cells: a run no single number can
    be ("0000000"), or fewer figures than cells that can be cut into n."""
    if any(t.kind == "digits" for t in figures):
        return True
    segments = [t.raw for t in figures if t.kind == "number"]
    if not segments or len(segments) >= n:
        return False
    got = splits(segments, n, limit=1)
    return got is None or bool(got)


def tokens(pieces: list[Piece], line: int) -> list[Token]:
    """A decided split as stream tokens (numbers), for the readers' usual path."""
    return [Token("number", p.raw, line, p.value, p.unit) for p in pieces]


def show(pieces: list[Piece]) -> str:
    """A split as the notes print it: 147|1|0|0|0|0|148."""
    return "|".join(p.raw for p in pieces)


def decide(
    table: str,
    rows: dict[str, list[str]],
    n: int,
    known: dict[CellKey, Decimal | None],
    equations: list[Equation],
) -> dict[str, Decision]:
    """Split the glued rows of one table: row -> its runs of figures in printed order.

    `known` holds the table's other cells (None where unknown: equations touching them
    cannot be checked and are not used); `equations` are the template's for the table.
    """
    known = dict(known)
    out: dict[str, Decision] = {}
    open_rows: dict[str, list[list[Piece]]] = {}

    def cells(row: str) -> set[CellKey]:
        return {(table, row, c) for c in range(n)}

    covered = {r for r in rows if any(cells(r) & set(e.cells) for e in equations)}
    for row, segments in rows.items():
        only = forced(segments, n)
        if only is not None:
            out[row] = Decision(only, "forced")
            known.update({(table, row, c): p.value for c, p in enumerate(only)})
        elif row not in covered:  # no equation can tell the splits apart
            out[row] = Decision(None, "not forced", splits(segments, n, MAX_LISTED) or [])
        else:
            got = splits(segments, n)
            if got is None:
                out[row] = Decision(None, "too many splits")
            else:
                open_rows[row] = got
    for row in open_rows:
        known.update({(table, row, c): None for c in range(n)})
    if not open_rows:
        return out

    # equations that can be checked: every cell either known or in an open row
    glued_cells = {c for r in open_rows for c in cells(r)}
    usable = [e for e in equations
              if all(known.get(c) is not None or c in glued_cells for c in e.cells)
              and glued_cells.intersection(e.cells)]
    # each row alone first: its own equations (row totals) thin its candidates
    for row, cands in list(open_rows.items()):
        own = [e for e in usable if {c[1] for c in e.cells if c in glued_cells} == {row}]
        kept = [p for p in cands if all(_holds(e, known, {row: p}, table) for e in own)]
        if not kept:
            out[row] = Decision(None, "no split fits", [])
            del open_rows[row]
        else:
            open_rows[row] = kept
    if not open_rows:
        return out
    glued_cells = {c for r in open_rows for c in cells(r)}
    usable = [e for e in usable if all(c[1] in open_rows or known.get(c) is not None for c in e.cells)]
    out.update(_joint(table, open_rows, known, usable))
    return out


def _holds(eq: Equation, known: dict[CellKey, Decimal | None], chosen: dict[str, list[Piece]],
           table: str) -> bool:
    def value(c: CellKey) -> Decimal:
        if c[0] == table and c[1] in chosen:
            return chosen[c[1]][c[2]].value
        v = known.get(c)
        assert v is not None
        return v

    return sum((value(c) for c in eq.lhs), Decimal(0)) == sum((value(c) for c in eq.rhs), Decimal(0))


def _joint(table: str, rows: dict[str, list[list[Piece]]], known: dict[CellKey, Decimal | None],
           equations: list[Equation]) -> dict[str, Decision]:
    """Depth-first search over the rows' candidates. After each choice every equation of
    the chosen row is tested on bounds (chosen and known cells exact, the other rows'
    cells between their candidates' least and greatest value), so that a wrong choice is
    dropped at once; records which candidates of each row occur in a full solution."""
    order = sorted(rows, key=lambda r: len(rows[r]))
    lo = {(table, r, c): min(p[c].value for p in rows[r]) for r in rows for c in range(len(rows[r][0]))}
    hi = {(table, r, c): max(p[c].value for p in rows[r]) for r in rows for c in range(len(rows[r][0]))}
    touching: dict[str, list[Equation]] = {r: [] for r in rows}
    for e in equations:
        for r in {c[1] for c in e.cells if c[1] in rows}:
            touching[r].append(e)
    seen: dict[str, set[int]] = {r: set() for r in order}
    chosen: dict[str, list[Piece]] = {}
    picks: list[int] = []
    nodes = 0
    capped = False

    def bounds(cells: tuple[CellKey, ...]) -> tuple[Decimal, Decimal]:
        low = high = Decimal(0)
        for c in cells:
            if c[1] in chosen:
                v = chosen[c[1]][c[2]].value
                low, high = low + v, high + v
            elif c in lo:
                low, high = low + lo[c], high + hi[c]
            else:
                fixed = known[c]
                assert fixed is not None
                low, high = low + fixed, high + fixed
        return low, high

    def possible(e: Equation) -> bool:
        l_lo, l_hi = bounds(e.lhs)
        r_lo, r_hi = bounds(e.rhs)
        return l_lo <= r_hi and r_lo <= l_hi

    def walk(i: int) -> bool:
        nonlocal nodes, capped
        if i == len(order):
            for r, k in zip(order, picks, strict=True):
                seen[r].add(k)
            return not all(len(s) > 1 for s in seen.values())  # stop: all ambiguous
        row = order[i]
        for k, cand in enumerate(rows[row]):
            nodes += 1
            if nodes > MAX_NODES:
                capped = True
                return False
            chosen[row] = cand
            if all(possible(e) for e in touching[row]):
                picks.append(k)
                go_on = walk(i + 1)
                picks.pop()
                if not go_on:
                    return False
        chosen.pop(row, None)
        return True

    walk(0)
    out: dict[str, Decision] = {}
    for row in order:
        if capped:
            out[row] = Decision(None, "too many splits")
        elif not seen[row]:
            out[row] = Decision(None, "no split fits", [])
        elif len(seen[row]) == 1:
            out[row] = Decision(rows[row][next(iter(seen[row]))], "arithmetic")
        else:
            out[row] = Decision(None, "ambiguous", [rows[row][k] for k in sorted(seen[row])])
    return out
