"""The report's own arithmetic (the 勾稽关系), shared by the checks and the readers.

The equations are the template's `RULES` (nianbao.template) instantiated for one report:
each is sum(lhs) == sum(rhs) over cells addressed as (table, row_or_stage, column index).
Equations with unknown (null) cells cannot be evaluated and neither pass nor fail;
`complete` is the check that counts those cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from ..contract import Check, CheckCell
from ..template import COMPLETE, OUTCOME_ROWS, RULES, STAGES, ApplicationLayout, Grid, Rule

CellKey = tuple[str, str, int]  # ("applications", row, col) / ("reviews", stage, col)
Getter = Callable[[CellKey], Decimal | None]


@dataclass(frozen=True)
class Equation:
    """sum(lhs) == sum(rhs); `name` is the check it belongs to, `report` the cell to name."""

    name: str
    lhs: tuple[CellKey, ...]
    rhs: tuple[CellKey, ...]
    report: CheckCell

    @property
    def cells(self) -> tuple[CellKey, ...]:
        return self.lhs + self.rhs

    def evaluate(self, get: Getter) -> bool | None:
        """True/False when every cell is known, else None."""
        left = _sum(get(c) for c in self.lhs)
        right = _sum(get(c) for c in self.rhs)
        if left is None or right is None:
            return None
        return left == right


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    total = Decimal(0)
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _named(grid: Grid, row: str, column: str) -> CheckCell:
    cell: dict[str, str] = {"table": grid.name, grid.row_key: row, grid.column_key: column}
    return cell  # type: ignore[return-value]  # the keys are the grid's, a CheckCell's


def _instances(rule: Rule, rows: tuple[str, ...], outcome_rows: tuple[str, ...]) -> list[Equation]:
    grid = rule.grid
    col = grid.columns.index

    def row_names(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(r for n in names for r in (outcome_rows if n == OUTCOME_ROWS else (n,)))

    out: list[Equation] = []
    if rule.along == "row":
        for r in rows:
            out.append(Equation(
                rule.name, tuple((grid.name, r, col(c)) for c in rule.lhs),
                tuple((grid.name, r, col(c)) for c in rule.rhs),
                _named(grid, r, rule.report or rule.lhs[0])))
        return out
    lhs, rhs = row_names(rule.lhs), row_names(rule.rhs)
    if not set(lhs + rhs) <= set(rows) or not rhs:
        return out
    for i, c in enumerate(grid.columns):
        out.append(Equation(rule.name, tuple((grid.name, r, i) for r in lhs),
                            tuple((grid.name, r, i) for r in rhs),
                            _named(grid, rule.report or lhs[0], c)))
    return out


def equations(layout: ApplicationLayout) -> list[Equation]:
    """Every equation of the template for a report whose section 三 has `layout`."""
    out: list[Equation] = []
    for rule in RULES:
        rows = layout.rows if rule.grid.name == "applications" else STAGES
        out.extend(_instances(rule, rows, layout.outcome_rows))
    return out


def run_checks(equations: list[Equation], get: Getter,
               expected_null: list[CheckCell]) -> list[Check]:
    """The contract's checks: each {"name", "ok", "cells"}, in the template's order;
    `complete` from the cells without a value."""
    results: list[Check] = []
    for name in dict.fromkeys(rule.name for rule in RULES):
        eqs = [e for e in equations if e.name == name]
        if not eqs:
            continue
        bad = [e.report for e in eqs if e.evaluate(get) is False]
        results.append({"name": name, "ok": not bad, "cells": bad})
    results.append({"name": COMPLETE, "ok": not expected_null, "cells": expected_null})
    return results
