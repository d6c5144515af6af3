"""The report's own arithmetic (the 勾稽关系), shared by the checks and gap placement.

Each rule is an equation sum(lhs) == sum(rhs) over cells. A cell is addressed as
(table, row_or_stage, column_index). Equations with unknown (null) cells cannot be
evaluated and neither pass nor fail; `complete` is the check that counts those cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .template import APPLICANTS, STAGES, outcome_rows

CellKey = tuple[str, str, int]  # ("applications", row, col) / ("reviews", stage, col)
Getter = Callable[[CellKey], Decimal | None]


@dataclass(frozen=True)
class Equation:
    """sum(lhs) == sum(rhs); `name` is the check it belongs to, `report` the cell to name."""

    name: str
    lhs: tuple[CellKey, ...]
    rhs: tuple[CellKey, ...]
    report: tuple[tuple[str, str], ...]

    @property
    def cells(self) -> tuple[CellKey, ...]:
        return self.lhs + self.rhs

    def evaluate(self, get: Getter) -> bool | None:
        """True/False when every cell is known, else None."""
        vals = [get(c) for c in self.cells]
        if any(v is None for v in vals):
            return None
        left = sum((get(c) for c in self.lhs), Decimal(0))
        right = sum((get(c) for c in self.rhs), Decimal(0))
        return left == right


def application_equations(rows: Iterable[str], split_other: bool) -> list[Equation]:
    """row_total per row, balance and outcome_total per applicant column."""
    rows = list(rows)
    out: list[Equation] = []
    a = "applications"
    for r in rows:
        out.append(Equation("row_total", ((a, r, 6),), tuple((a, r, c) for c in range(6)),
                            (("table", a), ("row", r), ("applicant", "总计"))))
    present = set(rows)
    if {"1", "2", "3.7", "4"} <= present:
        for c in range(7):
            out.append(Equation("balance", ((a, "1", c), (a, "2", c)),
                                ((a, "3.7", c), (a, "4", c)),
                                (("table", a), ("row", "3.7"), ("applicant", APPLICANTS[c]))))
    parts = [r for r in outcome_rows(split_other) if r in present]
    if "3.7" in present and parts:
        for c in range(7):
            out.append(Equation("outcome_total", ((a, "3.7", c),),
                                tuple((a, r, c) for r in parts),
                                (("table", a), ("row", "3.7"), ("applicant", APPLICANTS[c]))))
    return out


def review_equations() -> list[Equation]:
    """review_total per stage."""
    r = "reviews"
    return [Equation("review_total", ((r, s, 4),), tuple((r, s, c) for c in range(4)),
                     (("table", r), ("stage", s), ("outcome", "总计")))
            for s in STAGES]


CHECK_NAMES = ("row_total", "balance", "outcome_total", "review_total", "complete")


def run_checks(equations: list[Equation], get: Getter,
               expected_null: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contract's checks: each {"name", "ok", "cells"}; `complete` from null cells."""
    results: list[dict[str, Any]] = []
    for name in CHECK_NAMES[:-1]:
        eqs = [e for e in equations if e.name == name]
        if not eqs:
            continue
        bad = [dict(e.report) for e in eqs if e.evaluate(get) is False]
        results.append({"name": name, "ok": not bad, "cells": bad})
    results.append({"name": "complete", "ok": not expected_null, "cells": expected_null})
    return results

