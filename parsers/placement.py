"""Placing figures when a row printed fewer of them than it has cells.

Text loses blank cells and OCR loses figures, so a row of 7 cells may come with 6
numbers and no way to tell from the layout which cell is empty. We enumerate where the
gaps could be (a few at most) and keep the placements that agree with the report's own
arithmetic, treating unknown cells as unknown. Only when exactly one placement survives
are the figures placed; the gaps stay null (with "inferred" when the arithmetic fixes
them). Anything else leaves the whole row null: a value in the wrong column is worse
than no value.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from .checks import CellKey, Equation
from .tables import Token

MAX_COMBINATIONS = 20000


@dataclass
class Placed:
    """A decided row: slots with None at the gaps, and values the arithmetic implies."""

    slots: list[Token | None]
    inferred: dict[int, Decimal]


def propagate(known: dict[CellKey, Decimal | None], equations: list[Equation]) -> bool:
    """Fill cells that an equation with one unknown determines; False on contradiction
    (a sum that disagrees, or a determined cell that is negative or not whole)."""
    changed = True
    while changed:
        changed = False
        for eq in equations:
            unknown = [c for c in eq.cells if known.get(c) is None]
            if len(unknown) > 1:
                continue
            lhs = sum((v for c in eq.lhs if (v := known.get(c)) is not None), Decimal(0))
            rhs = sum((v for c in eq.rhs if (v := known.get(c)) is not None), Decimal(0))
            if not unknown:
                if lhs != rhs:
                    return False
                continue
            cell = unknown[0]
            value = rhs - lhs if cell in eq.lhs else lhs - rhs
            if value < 0 or value != value.to_integral_value():
                return False
            known[cell] = value
            changed = True
    return True


def place(
    table: str,
    known: dict[CellKey, Decimal | None],
    partial: dict[str, list[Token]],
    n: int,
    equations: list[Equation],
) -> dict[str, Placed | None]:
    """Decide each partial row: a `Placed` when one placement is consistent, else None.

    `known` holds every other cell of the table(s) (None where unknown); `partial` maps a
    row (or stage group) to its figures in printed order.
    """
    if not partial:
        return {}
    names = list(partial)
    options = [list(itertools.combinations(range(n), n - len(partial[k]))) for k in names]
    total = 1
    for o in options:
        total *= len(o)
    if total > MAX_COMBINATIONS and len(names) > 1:
        # too many rows to decide jointly: decide each alone, the others' cells unknown
        # (a looser test, so a placement unique alone is the only one possible jointly)
        out: dict[str, Placed | None] = {}
        for k in names:
            alone = dict(known)
            for other in names:
                if other != k:
                    alone.update({(table, other, c): None for c in range(n)})
            out.update(place(table, alone, {k: partial[k]}, n, equations))
        return out
    if total > MAX_COMBINATIONS:
        return {k: None for k in names}
    partial_cells = {(table, k, c) for k in names for c in range(n)}
    relevant = [e for e in equations if partial_cells.intersection(e.cells)]
    consistent: list[tuple[tuple[int, ...], ...]] = []
    derived: list[dict[CellKey, Decimal | None]] = []
    for combo in itertools.product(*options):
        trial = dict(known)
        for k, gaps in zip(names, combo, strict=True):
            figures = iter(partial[k])
            for c in range(n):
                tok = None if c in gaps else next(figures)
                trial[(table, k, c)] = tok.value if tok is not None else None
        if propagate(trial, relevant):
            consistent.append(combo)
            derived.append(trial)
    decided: dict[str, Placed | None] = {}
    for i, k in enumerate(names):
        choices = {combo[i] for combo in consistent}
        if len(choices) != 1:
            decided[k] = None
            continue
        gaps = next(iter(choices))
        figures = iter(partial[k])
        slots: list[Token | None] = [None if c in gaps else next(figures) for c in range(n)]
        inferred: dict[int, Decimal] = {}
        for c in gaps:
            seen = {d.get((table, k, c)) for d in derived}
            only = seen.pop() if len(seen) == 1 else None
            if only is not None:
                inferred[c] = only
        decided[k] = Placed(slots, inferred)
    return decided
