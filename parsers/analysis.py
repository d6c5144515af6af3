"""The three template tables of a report (sections 二, 三, 四), read and checked.

Each table has its reader (`read_active`, `read_applications`, `read_reviews`), which
returns what the printed figures give directly. What they leave open is decided here
with the whole report's arithmetic, because the equations tie rows together: runs of
glued figures are split (`glued`), rows with fewer figures than cells get their gaps
placed (`placement`). Then the cells are written out and the checks run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..contract import ActiveCell, ApplicationCell, Check, CheckCell, ReviewCell
from ..template import (
    APPLICANTS,
    APPLICATIONS,
    ARTICLE_MARK,
    OUTCOMES,
    REVIEW_CELLS,
    REVIEWS,
    TEMPLATES,
    TOTAL,
    ApplicationLayout,
    review_cell,
)
from . import glued
from .cells import to_json_number
from .checks import CellKey, Equation, equations, run_checks
from .flat_text import GLUE_EVIDENCE
from .model import Block, Table
from .placement import place
from .read_active import read_active
from .read_applications import ApplicationsRead, read_applications
from .read_reviews import ReviewsRead, read_reviews
from .sections import Section
from .tables import Token, build_stream
from .template import by_year, decide_template

N_APP = len(APPLICANTS)


@dataclass
class TablesResult:
    """What the tables of one report gave."""

    found: bool = False
    pre2019: bool = False
    template: str | None = None
    active: list[ActiveCell] = field(default_factory=list)
    applications: list[ApplicationCell] = field(default_factory=list)
    reviews: list[ReviewCell] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _region(blocks: list[Block], secs: list[Section], kind: str) -> list[Block] | None:
    for s in secs:
        if s.kind == kind:
            return blocks[s.start + 1:s.end]
    return None


def _is_pre2019(secs: list[Section], labels: str, year: int | None) -> bool:
    """Pre-2019 structure: 一、概述 … 七、其他需要报告的事项 and a 附表 of 指标名称/单位/数量."""
    if decide_template(labels, None) is not None and (year is None or year >= 2019):
        return False
    if year is not None and year <= 2018:
        return True
    signs = 0
    signs += any(s.kind == "overview" and "概述" in s.heading for s in secs)
    signs += any(s.kind == "fees" for s in secs)
    signs += any(s.kind == "other" and s.number == 7 for s in secs)
    signs += "指标名称" in labels
    return signs >= 1


def glue_evident(regions: list[list[Block]]) -> bool:
    """Figures glued together in the table regions: a run like "0000000" that no
    printed number can be (numbers have no leading zeros)."""
    for region in regions:
        for b in region:
            texts = [c.text for row in b.rows for c in row] if isinstance(b, Table) else [b.text]
            if any("。" not in t and GLUE_EVIDENCE.search(t) for t in texts):
                return True
    return False


def analyse_tables(blocks: list[Block], secs: list[Section], year: int | None,
                   flattened: bool = False) -> TablesResult:
    """Read sections 二, 三 and 四 and check them. `flattened`: the text lost its
    structure (its figures may be glued even where no "000" shows it)."""
    res = TablesResult()
    act_blocks = _region(blocks, secs, "active")
    app_blocks = _region(blocks, secs, "applications")
    rev_blocks = _region(blocks, secs, "reviews")
    if rev_blocks is None:
        # heading 四 missing: the reviews table sits at the end of section 三 (or anywhere
        # when no heading was found at all); read_reviews starts after row 4's label
        rev_blocks = app_blocks if app_blocks is not None else (blocks if not secs else [])
    regions = [act_blocks if act_blocks is not None else blocks,
               app_blocks if app_blocks is not None else blocks, rev_blocks]
    glued_text = flattened or glue_evident(regions)
    act, app, rev = (build_stream(r, glued_text) for r in regions)
    labels = act.labels + app.labels + rev.labels
    res.found = bool(re.search(ARTICLE_MARK, act.labels) or re.search(r"本年新收", app.labels)
                     or (any(isinstance(b, Table) for b in blocks) and decide_template(labels, None)))
    if _is_pre2019(secs, labels, year):
        res.pre2019 = True
        return res
    res.template = decide_template(labels, year)
    if res.template is None:
        res.flags.append("no tables found")
        if not res.found:
            return res
        res.template = by_year(year)
    if glued_text:
        res.notes.append("table figures may be glued together (text without cell separators): "
                         "runs of figures are split only where the report's arithmetic allows one split")

    active = read_active(act, TEMPLATES[res.template], glued_text)
    res.active, res.flags, res.notes = active.cells, res.flags + active.flags, res.notes + active.notes
    apps = read_applications(app, glued_text)
    res.flags.extend(apps.flags)
    if not apps.found:
        res.flags.append("applications table not found")
    revs = read_reviews(rev, glued_text)
    res.flags.extend(revs.flags)

    eqs = equations(apps.layout)
    inferred: dict[CellKey, Decimal] = {}
    _resolve_applications(apps, eqs, inferred, res)
    rv_slots = _resolve_reviews(revs, eqs, inferred, res)
    _write(res, apps.layout, apps.slots, rv_slots, inferred, eqs)
    return res


def _resolve_applications(apps: ApplicationsRead, eqs: list[Equation],
                          inferred: dict[CellKey, Decimal], res: TablesResult) -> None:
    """Split glued rows, then place the gaps of short rows, by the table's arithmetic."""
    table = APPLICATIONS.name
    order = apps.layout.rows

    def known() -> dict[CellKey, Decimal | None]:
        out: dict[CellKey, Decimal | None] = {}
        for rid in order:
            row = apps.slots.get(rid)
            for c in range(N_APP):
                tok = row[c] if row else None
                out[(table, rid, c)] = tok.value if tok is not None else None
        return out

    if apps.glued:
        decided = glued.decide(table, apps.glued, N_APP, known(), eqs,
                               totals=frozenset({APPLICANTS.index(TOTAL)}))
        for rid in order:
            if rid in decided:
                _glued_outcome(f"applications row {rid}", apps.glued[rid], decided[rid], res)
                pieces = decided[rid].pieces
                if pieces is not None:
                    apps.slots[rid] = glued.tokens(pieces, 0)
    placed = place(table, known(), apps.partial, N_APP, eqs)
    for rid, got in placed.items():
        n = len(apps.partial[rid])
        if got is None:
            res.flags.append(f"applications row {rid}: {n} figures for {N_APP} cells, placement ambiguous")
            continue
        apps.slots[rid] = got.slots
        gaps = [APPLICANTS[c] for c, t in enumerate(got.slots) if t is None]
        res.flags.append(f"applications row {rid}: {n} figures placed by arithmetic, "
                         f"no figure for {'、'.join(gaps)}")
        for c, v in got.inferred.items():
            inferred[(table, rid, c)] = v


def _flat_review_equations(eqs: list[Equation]) -> list[Equation]:
    """Section 四's equations over its printed row: cell i of REVIEW_CELLS."""
    def flat(cell: CellKey) -> CellKey:
        stage = next(i for i in range(REVIEW_CELLS) if review_cell(i) == (cell[1], cell[2]))
        return (REVIEWS.name, "all", stage)
    return [Equation(e.name, tuple(map(flat, e.lhs)), tuple(map(flat, e.rhs)), e.report)
            for e in eqs if e.cells and e.cells[0][0] == REVIEWS.name]


def _resolve_reviews(revs: ReviewsRead, eqs: list[Equation], inferred: dict[CellKey, Decimal],
                     res: TablesResult) -> list[Token | None] | None:
    """Section 四's figures in printed order, glued runs split and gaps placed."""
    flat_eqs = _flat_review_equations(eqs)
    if revs.glued is not None:
        totals = frozenset(i for i in range(REVIEW_CELLS) if OUTCOMES[review_cell(i)[1]] == TOTAL)
        decided = glued.decide(REVIEWS.name, {"all": revs.glued}, REVIEW_CELLS, {}, flat_eqs,
                               totals=totals)["all"]
        _glued_outcome("reviews", revs.glued, decided, res)
        return glued.tokens(decided.pieces, 0) if decided.pieces is not None else None
    if revs.partial is None:
        return revs.slots
    got = place(REVIEWS.name, {}, {"all": revs.partial}, REVIEW_CELLS, flat_eqs).get("all")
    n = len(revs.partial)
    if got is None:
        res.flags.append(f"reviews: {n} figures for {REVIEW_CELLS} cells, placement ambiguous")
        return None
    gaps = ["".join(review_cell(i)[0] + OUTCOMES[review_cell(i)[1]]) for i, t in enumerate(got.slots)
            if t is None]
    res.flags.append(f"reviews: {n} figures placed by arithmetic, no figure for {'、'.join(gaps)}")
    for i, v in got.inferred.items():
        stage, col = review_cell(i)
        inferred[(REVIEWS.name, stage, col)] = v
    return got.slots


def _glued_outcome(where: str, segments: list[str], decision: glued.Decision, res: TablesResult) -> None:
    """Flags and notes for one glued row: how it was split, or why it was left null."""
    run = " ".join(segments)
    if decision.pieces is not None:
        how = "forced by the digits" if decision.reason == "forced" else \
            "the only split the arithmetic allows"
        if decision.reason != "forced":
            res.flags.append(f"{where}: glued figures {run} split by the report's arithmetic")
        res.notes.append(f"{where}: glued figures {run} read as {glued.show(decision.pieces)} ({how})")
        return
    res.flags.append(f"{where}: glued figures {run} left null ({decision.reason})")
    if decision.candidates:
        shown = "; ".join(glued.show(p) for p in decision.candidates[:glued.MAX_LISTED])
        more = len(decision.candidates) - glued.MAX_LISTED
        res.notes.append(f"{where}: glued figures {run} fit {len(decision.candidates)} splits: {shown}"
                         + (f" and {more} more" if more > 0 else ""))


def _write(res: TablesResult, layout: ApplicationLayout, slots: dict[str, list[Token | None] | None],
           rv_slots: list[Token | None] | None, inferred: dict[CellKey, Decimal],
           eqs: list[Equation]) -> None:
    """The output cells in template order, and the checks over them."""
    values: dict[CellKey, Decimal | None] = {}
    missing: list[CheckCell] = []
    for rid in layout.rows:
        row = slots.get(rid)
        for c, applicant in enumerate(APPLICANTS):
            tok = row[c] if row else None
            value = tok.value if tok is not None and tok.kind == "number" else None
            values[(APPLICATIONS.name, rid, c)] = value
            cell: ApplicationCell = {"row": rid, "applicant": applicant, "value": to_json_number(value),
                                     "raw": (tok.raw if tok is not None else "") if row else None}
            _extras(cell, tok, inferred.get((APPLICATIONS.name, rid, c)))
            res.applications.append(cell)
            if value is None:
                missing.append({"table": APPLICATIONS.name, "row": rid, "applicant": applicant})
    for i in range(REVIEW_CELLS):
        stage, col = review_cell(i)
        tok = rv_slots[i] if rv_slots else None
        value = tok.value if tok is not None and tok.kind == "number" else None
        values[(REVIEWS.name, stage, col)] = value
        rcell: ReviewCell = {"stage": stage, "outcome": OUTCOMES[col], "value": to_json_number(value),
                             "raw": (tok.raw if tok is not None else "") if rv_slots else None}
        _extras(rcell, tok, inferred.get((REVIEWS.name, stage, col)))
        res.reviews.append(rcell)
        if value is None:
            missing.append({"table": REVIEWS.name, "stage": stage, "outcome": OUTCOMES[col]})
    for a in res.active:
        if a["value"] is None:
            missing.append({"table": "active_disclosure", "article": a["article"],
                            "item": a["item"], "metric": a["metric"]})
    res.checks = run_checks(eqs, values.get, missing)


def _extras(cell: ApplicationCell | ReviewCell, tok: Token | None, inferred: Decimal | None) -> None:
    """Keys beside the value: what the arithmetic implies for a gap, the OCR's confidence."""
    if inferred is not None:
        cell["inferred"] = to_json_number(inferred) or 0
    if tok is not None and tok.confidence is not None:
        cell["confidence"] = tok.confidence
