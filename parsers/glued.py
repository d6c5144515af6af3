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

Cells printed blank vanish from glued text (reports leave 0 blank, and the 总计 column
of detail rows): a row's run may hold fewer figures than cells. The splits tried
therefore include blank cells: a blank counts as 0 in the equations, except in a total
column, where it is unknown (the equations through it cannot be checked). A row is read
only when one reading, blank cells included, fits; its blank cells come out null.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
_LEADING_ZERO = re.compile(r"^0\d")


@dataclass(frozen=True)
class Piece:
    """One cell of a split: a figure cut from a glued run, as printed (sign, unit and
    note kept) with its value, or a blank cell (`raw` "", `value` None)."""

    raw: str
    value: Decimal | None
    unit: str | None


BLANK = Piece("", None, None)
INFINITY = Decimal("Infinity")

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


Check = Callable[[list[Piece]], bool]


def splits(segments: list[str], n: int, limit: int = MAX_SPLITS, check: Check | None = None,
           max_blanks: int = 0, never_blank: frozenset[int] = frozenset()) -> list[list[Piece]] | None:
    """Every reading of the segments as n cells, each segment cut into one figure or
    more, up to `max_blanks` blank cells anywhere, that `check` accepts. `check` is asked
    after every cell (with the cells so far), so that an equation prunes as soon as its
    cells are known. None when a segment is no run of figures, more than `limit`
    readings fit, or the search exceeds MAX_NODES."""
    parsed = [_parts(s) for s in segments]
    if not segments or any(p is None for p in parsed):
        return None
    parts = [p for p in parsed if p is not None]
    digits = [len(p[1].replace(".", "")) for p in parts]
    out: list[list[Piece]] = []
    acc: list[Piece] = []
    nodes = 0

    def may_blank(blanks: int) -> bool:
        return blanks < max_blanks and len(acc) < n and len(acc) not in never_blank

    def push(piece: Piece, then: Callable[[], bool]) -> bool:
        nonlocal nodes
        nodes += 1
        if nodes > MAX_NODES:
            return False
        acc.append(piece)
        go_on = then() if check is None or check(acc) else True
        acc.pop()
        return go_on

    def walk(i: int, start: int, blanks: int) -> bool:
        """Cells from segment i, position `start`; False stops the whole search."""
        if i == len(parts):
            if len(acc) == n:
                out.append(list(acc))
                return len(out) <= limit
            return push(BLANK, lambda: walk(i, start, blanks + 1)) if may_blank(blanks) else True
        sign, body, unit, note = parts[i]
        if start == len(body):
            return walk(i + 1, 0, blanks)
        left = n - len(acc)
        rest_digits = len(body[start:].replace(".", "")) + sum(digits[i + 1:])
        if left < len(parts) - i or left - (max_blanks - blanks) > rest_digits:
            return True  # the cells left cannot take the figures left, or the reverse
        if may_blank(blanks) and not push(BLANK, lambda: walk(i, start, blanks + 1)):
            return False
        for end in range(start + 1, len(body) + 1):
            figure = body[start:end]
            if not _PIECE.match(figure):
                if _LEADING_ZERO.match(figure):
                    break  # a leading zero only gets longer
                continue
            if end < len(body) and body[end] == ".":
                continue  # a figure never ends where a decimal point follows
            raw = (sign if start == 0 else "") + figure
            last = end == len(body)
            piece = Piece(raw + ((unit or "") + note if last else ""), Decimal(raw), unit if last else None)
            if not push(piece, lambda e=end: walk(i, e, blanks)):  # type: ignore[misc]
                return False
        return True

    if not walk(0, 0, 0):
        return None
    return out


def grouped(segments: list[str], n: int, groups: dict[int, tuple[int, ...]], max_blanks: int = 0,
            never_blank: frozenset[int] = frozenset(), limit: int = MAX_SPLITS) -> list[list[Piece]] | None:
    """Readings of a row whose equations are group totals (a total cell after its parts:
    section 三's 总计, each stage's 总计 in section 四), cut from the end: each total is
    read first and its parts must add up to it, which bounds every part. A blank part
    counts as 0. `groups`: total cell -> its part cells. None as for `splits`."""
    parsed = [_parts(s) for s in segments]
    if not segments or any(p is None for p in parsed):
        return None
    parts = [p for p in parsed if p is not None]
    group_of = {c: t for t, ps in groups.items() for c in ps}
    first_of = {t: min(ps) for t, ps in groups.items()}
    target: dict[int, Decimal | None] = {}  # per group: what its parts left must add up to
    cells: list[Piece] = [BLANK] * n
    out: list[list[Piece]] = []
    nodes = 0

    def place(cell: int, piece: Piece, seg: int, end: int, blanks: int) -> bool:
        """Put `piece` in `cell` if the group totals allow it, then go on to cell - 1."""
        nonlocal nodes
        nodes += 1
        if nodes > MAX_NODES:
            return False
        value = piece.value if piece.value is not None else Decimal(0)
        total = group_of.get(cell)
        key = cell if cell in groups else total
        had = key is not None and key in target
        before = target.get(key) if key is not None else None
        if cell in groups:
            target[cell] = piece.value  # a blank total leaves its parts free (None)
        elif total is not None and before is not None:
            if value > before or (cell == first_of[total] and before != value):
                return True
            target[total] = before - value
        cells[cell] = piece
        go_on = walk(cell - 1, seg, end, blanks)
        if key is not None:
            if had:
                target[key] = before
            else:
                target.pop(key, None)
        return go_on

    dead: set[tuple[int, int, int, int, Decimal | None]] = set()  # states with no reading below

    def walk(cell: int, seg: int, end: int, blanks: int) -> bool:
        """Fill cells `cell`, cell-1, … from segment `seg`'s digits before `end`."""
        if seg >= 0 and end == 0:
            seg -= 1
            end = len(parts[seg][1]) if seg >= 0 else 0
        if cell < 0:
            if seg < 0:
                out.append(list(cells))
            return len(out) <= limit
        if seg + 1 > cell + 1:
            return True  # more segments left than cells
        state = (cell, seg, end, blanks, target.get(group_of[cell]) if cell in group_of else None)
        if state in dead:
            return True
        found = len(out)
        go_on = fill(cell, seg, end, blanks)
        if go_on and len(out) == found:
            dead.add(state)
        return go_on

    def fill(cell: int, seg: int, end: int, blanks: int) -> bool:
        """The choices for one cell: blank, or each figure that ends at `end`."""
        if blanks < max_blanks and cell not in never_blank and not place(cell, BLANK, seg, end, blanks + 1):
            return False
        if seg < 0:
            return True
        sign, body, unit, note = parts[seg]
        for start in range(end - 1, -1, -1):
            figure = body[start:end]
            if not _PIECE.match(figure) or (start > 0 and body[start - 1] == "."):
                continue
            raw = (sign if start == 0 else "") + figure
            value = Decimal(raw)
            total = group_of.get(cell)
            bound = target.get(total) if total is not None else None
            if bound is not None and value > bound and "." not in figure and not raw.startswith("-"):
                break  # a longer figure is larger still
            last = end == len(body)
            piece = Piece(raw + ((unit or "") + note if last else ""), value, unit if last else None)
            if not place(cell, piece, seg, start, blanks):
                return False
        return True

    if not walk(n - 1, len(parts) - 1, len(parts[-1][1]), 0):
        return None
    out.reverse()
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
    """Whether a row's figures are a glued run for n cells: a run no single number can be
    ("0000000"), or fewer figures than cells (cut further, or cells left blank)."""
    if any(t.kind == "digits" for t in figures):
        return True
    count = sum(1 for t in figures if t.kind == "number")
    return 0 < count < n


def listing(segments: list[str], n: int) -> str:
    """The splits of a run into n figures, for the notes: the first few and how many."""
    got = splits(segments, n, limit=MAX_LISTED)
    if got is None:
        return f"more than {MAX_LISTED}"
    return "; ".join(show(p) for p in got) if got else "none"


def tokens(pieces: list[Piece], line: int) -> list[Token | None]:
    """A decided split as stream tokens (numbers; None for a blank cell)."""
    return [None if p.value is None else Token("number", p.raw, line, p.value, p.unit) for p in pieces]


def show(pieces: list[Piece]) -> str:
    """A split as the notes print it: 147|1|0|0|0|0|148 (a blank cell as _)."""
    return "|".join(p.raw or "_" for p in pieces)


def decide(
    table: str,
    rows: dict[str, list[str]],
    n: int,
    known: dict[CellKey, Decimal | None],
    equations: list[Equation],
    totals: frozenset[int] = frozenset(),
    max_blanks: int | None = None,
) -> dict[str, Decision]:
    """Split the glued rows of one table: row -> its runs of figures in printed order.

    `known` holds the table's other cells (None where unknown: equations touching them
    cannot be checked and are not used); `equations` are the template's for the table;
    `totals` the total columns (a blank there is unknown, not 0).

    The rows are solved together with every total printed (blank parts count as 0).
    A row so decided is then tested against the one reading that search leaves out: its
    total printed blank. If such a reading fits every equation, the other rows as
    decided, the row is ambiguous: it is left null and the rows are solved again
    without it, until every decided row holds.
    """
    known = dict(known)
    out: dict[str, Decision] = {}
    max_blanks = n - 1 if max_blanks is None else max_blanks

    def cells(row: str) -> set[CellKey]:
        return {(table, row, c) for c in range(n)}

    covered = {r for r in rows if any(cells(r) & set(e.cells) for e in equations)}
    pending: list[str] = []
    for row, segments in rows.items():
        only = forced(segments, n)
        if only is not None:
            out[row] = Decision(only, "forced")
            known.update({(table, row, c): p.value for c, p in enumerate(only)})
        elif row not in covered:  # no equation can tell the splits apart
            out[row] = Decision(None, "not forced", splits(segments, n, MAX_LISTED) or [])
        else:
            pending.append(row)
    for row in pending:
        known.update({(table, row, c): None for c in range(n)})
    ev = _Evaluator(table, known, totals)
    readings: dict[str, list[list[Piece]]] = {}
    for row in pending:  # each row alone: its own equations (row totals) prune as it is cut
        own = [e for e in equations if all(c[1] == row or known.get(c) is not None for c in e.cells)
               and any(c[1] == row for c in e.cells)]
        groups = _groups(row, own)
        if groups is not None:
            got = grouped(rows[row], n, groups, max_blanks, totals)
        else:
            got = splits(rows[row], n, check=ev.checker(row, own), max_blanks=max_blanks, never_blank=totals)
        if got is None:
            out[row] = Decision(None, "too many splits")
        elif not got:
            out[row] = Decision(None, "no split fits")
        else:
            readings[row] = got
    while readings:
        usable = [e for e in equations if any(c[1] in readings for c in e.cells)
                  and all(c[1] in readings or known.get(c) is not None for c in e.cells)]
        solved = _joint(readings, usable, ev)
        decided = {r: d.pieces for r, d in solved.items() if d.pieces is not None}
        doubtful = {r: alt for r in decided
                    if (alt := _blank_total(table, r, rows[r], n, equations, known, decided, ev)) != []}
        if not doubtful:
            out.update(solved)
            break
        for r, alt in doubtful.items():  # unknown now: solve the others without it
            pieces = decided[r]
            out[r] = Decision(None, "ambiguous", [pieces, *(alt or [])])
            del readings[r]
    return out


def _blank_total(table: str, row: str, segments: list[str], n: int, equations: list[Equation],
                 known: dict[CellKey, Decimal | None], decided: dict[str, list[Piece]],
                 ev: _Evaluator) -> list[list[Piece]] | None:
    """Readings of `row` with a total printed blank that fit every equation, the other rows
    as decided ([] when there is none; None when too many to tell)."""
    context = dict(known)
    for r, pieces in decided.items():
        if r != row:
            context.update({(table, r, c): ev.value((table, r, c), {r: pieces}) for c in range(n)})
    touching = [e for e in equations if any(c[1] == row for c in e.cells)]
    fixed = _Evaluator(table, context, ev.totals)
    own = fixed.checker(row, touching)

    def check(acc: list[Piece]) -> bool:
        if len(acc) == n and not any(acc[c].value is None for c in ev.totals):
            return False  # every total printed: the search already had this reading
        return own(acc)

    return splits(segments, n, limit=MAX_LISTED, check=check, max_blanks=n - 1)


def _groups(row: str, own: list[Equation]) -> dict[int, tuple[int, ...]] | None:
    """The row's own equations as group totals (total cell -> part cells, the total after
    its parts, all in this row), or None when they are of another form."""
    groups: dict[int, tuple[int, ...]] = {}
    for e in own:
        if len(e.lhs) != 1 or any(c[1] != row for c in e.cells):
            return None
        total, cells = e.lhs[0][2], tuple(c[2] for c in e.rhs)
        if not cells or max(cells) > total:
            return None
        groups[total] = cells
    claimed = [c for t, cs in groups.items() for c in (t, *cs)]
    return groups if groups and len(claimed) == len(set(claimed)) else None


class _Evaluator:
    """Equations over known cells and candidate readings; a blank cell is 0, or unknown
    in a total column (then the equation cannot be checked and passes)."""

    def __init__(self, table: str, known: dict[CellKey, Decimal | None], totals: frozenset[int]) -> None:
        self.table, self.known, self.totals = table, known, totals

    def value(self, c: CellKey, chosen: dict[str, list[Piece]]) -> Decimal | None:
        if c[0] == self.table and c[1] in chosen:
            piece = chosen[c[1]][c[2]]
            if piece.value is None:
                return None if c[2] in self.totals else Decimal(0)
            return piece.value
        return self.known.get(c)

    def holds(self, eq: Equation, chosen: dict[str, list[Piece]]) -> bool:
        left = [self.value(c, chosen) for c in eq.lhs]
        right = [self.value(c, chosen) for c in eq.rhs]
        if any(v is None for v in left + right):
            return True
        return sum((v for v in left if v is not None), Decimal(0)) == \
            sum((v for v in right if v is not None), Decimal(0))

    def checker(self, row: str, own: list[Equation]) -> Check:
        """A `splits` check: each equation tested once the row's cells reach its last cell
        (the other cells' sum taken once, here)."""
        due: dict[int, list[tuple[Decimal, list[tuple[int, int]]]]] = {}
        for e in own:
            const, terms, unknown = Decimal(0), [], False
            for side, sign in ((e.lhs, 1), (e.rhs, -1)):
                for c in side:
                    if c[0] == self.table and c[1] == row:
                        terms.append((c[2], sign))
                    elif (v := self.known.get(c)) is None:
                        unknown = True
                    else:
                        const += sign * v
            if terms and not unknown:
                due.setdefault(max(col for col, _ in terms), []).append((const, terms))

        def check(acc: list[Piece]) -> bool:
            for const, terms in due.get(len(acc) - 1, ()):
                total = const
                for col, sign in terms:
                    v = acc[col].value
                    if v is None:
                        if col in self.totals:
                            break  # a blank total: this equation cannot be checked
                        continue  # a blank part counts as 0
                    total += sign * v
                else:
                    if total != 0:
                        return False
            return True

        return check

    def bounds(self, c: CellKey, pieces: list[Piece]) -> Decimal | None:
        """A cell's value in one reading; None for unknown (a blank total)."""
        return self.value(c, {c[1]: pieces})


def _joint(rows: dict[str, list[list[Piece]]], equations: list[Equation],
           ev: _Evaluator) -> dict[str, Decision]:
    """Depth-first search over the rows' readings. After each choice every equation of
    the chosen row is tested on bounds (chosen and known cells exact, the other rows'
    cells between their readings' least and greatest value, a blank total unbounded), so
    that a wrong choice is dropped at once; records which readings of each row occur in
    a full solution."""
    order = sorted(rows, key=lambda r: len(rows[r]))
    lo: dict[CellKey, Decimal] = {}
    hi: dict[CellKey, Decimal] = {}
    for r, readings in rows.items():
        for col in range(len(readings[0])):
            c = (ev.table, r, col)
            values = [ev.bounds(c, p) for p in readings]
            lo[c] = min((v for v in values if v is not None), default=Decimal(0))
            hi[c] = INFINITY if None in values else max(v for v in values if v is not None)
    touching: dict[str, list[Equation]] = {r: [] for r in rows}
    for e in equations:
        for r in {c[1] for c in e.cells if c[1] in rows}:
            touching[r].append(e)
    seen: dict[str, set[int]] = {r: set() for r in order}
    chosen: dict[str, list[Piece]] = {}
    picks: list[int] = []
    nodes = 0
    capped = False

    def side(cells: tuple[CellKey, ...]) -> tuple[Decimal, Decimal]:
        low = high = Decimal(0)
        for c in cells:
            if c[1] in chosen:
                v = ev.value(c, chosen)
                low, high = (low + v, high + v) if v is not None else (low, INFINITY)
            elif c in lo:
                low, high = low + lo[c], high + hi[c]
            else:
                fixed = ev.known.get(c)
                assert fixed is not None
                low, high = low + fixed, high + fixed
        return low, high

    def possible(e: Equation) -> bool:
        l_lo, l_hi = side(e.lhs)
        r_lo, r_hi = side(e.rhs)
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
