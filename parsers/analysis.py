"""Reading the three template tables (sections 二, 三, 四) and checking their arithmetic.

Each table is read from the stream of its section (see `tables`): rows by label keys,
values by position after their key. Rows with fewer figures than cells go to gap
placement (see `placement`); rows that cannot be read are null and flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import template as T
from .cells import to_json_number, to_wan_yuan
from .checks import Equation, application_equations, review_equations, run_checks
from .model import Block, Table
from .placement import place
from .sections import Section
from .tables import Selection, Stream, Token, build_stream, find_sequence, runs_in_span, select, spans


@dataclass
class TablesResult:
    """What the tables of one report gave."""

    found: bool = False
    pre2019: bool = False
    template: str | None = None
    active: list[dict[str, Any]] = field(default_factory=list)
    applications: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def _region(blocks: list[Block], secs: list[Section], kind: str) -> list[Block] | None:
    for s in secs:
        if s.kind == kind:
            return blocks[s.start + 1:s.end]
    return None


def _is_pre2019(blocks: list[Block], secs: list[Section], labels: str, year: int | None) -> bool:
    """Pre-2019 structure: 一、概述 … 七、其他需要报告的事项 and a 附表 of 指标名称/单位/数量."""
    if T.decide_template(labels, None) is not None and (year is None or year >= 2019):
        return False
    if year is not None and year <= 2018:
        return True
    signs = 0
    signs += any(s.kind == "overview" and "概述" in s.heading for s in secs)
    signs += any(s.kind == "fees" for s in secs)
    signs += any(s.kind == "other" and s.number == 7 for s in secs)
    signs += "指标名称" in labels
    return signs >= 1


def _cell(tok: Token | None) -> tuple[Decimal | None, str | None]:
    if tok is None:
        return None, ""
    return (tok.value if tok.kind == "number" else None), tok.raw


# --- section 二 ------------------------------------------------------------------------

def _header_metrics(header: str) -> list[str]:
    hits = []
    for name, key in T.METRIC_KEYS.items():
        m = re.search(key, header)
        if m:
            hits.append((m.start(), name))
    hits.sort()
    names: list[str] = []
    for _, n in hits:
        if n not in names:
            names.append(n)
    return names


def _money_unit(header_raw: str) -> str | None:
    if "万元" in header_raw or "萬元" in header_raw:
        return "万元"
    if re.search(r"[（(]\s*元\s*[)）]|单位\s*[:：]?\s*元", header_raw):
        return "元"
    return None


def _active(stream: Stream, template: str, flags: list[str]) -> list[dict[str, Any]]:
    labels = stream.labels
    marks = list(T.ARTICLE_MARK.finditer(labels))
    blocks: dict[str, tuple[int, int]] = {}
    for i, m in enumerate(marks):
        art = T.ARTICLES[m.group(1)]
        end = marks[i + 1].start() if i + 1 < len(marks) else len(labels)
        blocks.setdefault(art, (m.end(), end))
    expected = T.ITEMS if template == "2019" else T.ITEMS_2021
    other = "2021" if template == "2019" else "2019"
    out: list[dict[str, Any]] = []
    articles = list(expected) + [a for a in T.ITEMS if a not in expected and a in blocks]
    for art in articles:
        items = list(expected.get(art, T.ITEMS[art]))
        for extra in T.ITEMS[art]:
            if extra not in items and art in blocks and re.search(
                    T.ITEM_KEYS[extra], labels[blocks[art][0]:blocks[art][1]]):
                items.append(extra)
        default = T.METRICS[template].get(art) or T.METRICS[other][art]
        if art not in blocks:
            flags.append(f"active disclosure 第二十条 {art}: block not found")
            out.extend(_active_nulls(art, items, default))
            continue
        start, end = blocks[art]
        found = find_sequence(labels, [(it, T.ITEM_KEYS[it]) for it in items], start, end)
        first = min((v[0] for v in found.values()), default=end)
        header = labels[start:first]
        header_raw = "".join(t.raw for t in stream.tokens
                             if t.kind == "label" and start <= t.pos <= first)
        named = _header_metrics(header)
        candidates: list[tuple[str, ...]] = []
        for c in (tuple(named), default, T.METRICS[other].get(art, ())):
            if c and c not in candidates:
                candidates.append(c)
        item_spans = spans(found, items, end)
        for it in items:
            if it not in item_spans:
                flags.append(f"active disclosure {art} {it}: row not found")
                out.extend(_active_nulls(art, [it], candidates[0]))
                continue
            row_runs = runs_in_span(stream, *item_spans[it])
            chosen: tuple[tuple[str, ...], Selection] | None = None
            # A column set that takes every figure of the row beats one that only fits
            # after merging agreeing runs: one-cell-per-line text makes each figure its
            # own run, and "0 / 0" must not read as one repeated figure.
            n_figures = sum(len(r) for r in row_runs)
            for metrics in sorted(candidates, key=lambda m: len(m) != n_figures):
                sel = select(row_runs, len(metrics), max_gaps=0)
                if sel.slots is not None:
                    chosen = (metrics, sel)
                    break
            if chosen is None:
                n = sum(len(r) for r in row_runs)
                flags.append(f"active disclosure {art} {it}: {n} figures fit no column set")
                out.extend(_active_nulls(art, [it], candidates[0]))
                continue
            metrics, sel = chosen
            if set(metrics) < set(default):
                # Columns of the template the row does not fill stay in the output as
                # null cells, so that `complete` sees them instead of losing them.
                out.extend(_active_nulls(art, [it], tuple(m for m in default if m not in metrics)))
            unit_header = _money_unit(header_raw)
            for metric, tok in zip(metrics, sel.slots or [], strict=True):
                value, raw = _cell(tok)
                cell: dict[str, Any] = {"article": art, "item": it, "metric": metric}
                unit = None
                if metric in T.MONEY_METRICS:
                    src_unit = (tok.unit if tok is not None else None) or unit_header
                    if src_unit is None and value:
                        flags.append(f"active disclosure {art} {metric}: no unit printed, "
                                     "read as 万元")
                    value = to_wan_yuan(value, src_unit)
                    unit = "万元"
                cell.update({"value": to_json_number(value), "unit": unit, "raw": raw})
                out.append(cell)
    return out


def _active_nulls(art: str, items: list[str], metrics: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"article": art, "item": it, "metric": m, "value": None,
             "unit": "万元" if m in T.MONEY_METRICS else None, "raw": None}
            for it in items for m in metrics]


# --- section 三 ------------------------------------------------------------------------

def _applications(stream: Stream, flags: list[str]):
    split_other = bool(T.SPLIT_OTHER.search(stream.labels))
    rows = T.application_rows(split_other)
    order = [r.id for r in rows]
    found = find_sequence(stream.labels, [(r.id, r.key) for r in rows])
    # the last row's figures end where the reviews table begins (heading 四 may be missing)
    last_end = max((v[1] for v in found.values()), default=0)
    stop = re.compile(r"行政复议|行政诉讼").search(stream.labels, last_end)
    row_spans = spans(found, order, stop.start() if stop else len(stream.labels))
    if _figures_lead(stream, found, order):
        row_spans = _leading_spans(found, order)
        flags.append("applications: figures printed before their labels")
    slots: dict[str, list[Token | None] | None] = {}
    partial: dict[str, list[Token]] = {}
    for rid in order:
        if rid not in row_spans:
            slots[rid] = None
            if found:
                flags.append(f"applications row {rid}: label not found")
            continue
        sel = select(runs_in_span(stream, *row_spans[rid]), 7)
        if sel.slots is not None:
            slots[rid] = _by_header(stream, sel.slots, rid, flags)
        elif sel.partial is not None:
            partial[rid] = sel.partial
            slots[rid] = None
        else:
            slots[rid] = None
            flags.append(f"applications row {rid}: {sel.problem}")
    return split_other, order, slots, partial, bool(found)


def _figures_lead(stream: Stream, found: dict[str, tuple[int, int]], order: list[str]) -> bool:
    """PDF text sometimes prints each row's figures *before* its label: then a full row of
    figures stands before the first label and none after the last one."""
    present = [r for r in order if r in found]
    if len(present) < 3:
        return False
    first, last = found[present[0]], found[present[-1]]
    before = select(runs_in_span(stream, 0, first[0]), 7, max_gaps=0)
    after = runs_in_span(stream, last[1], len(stream.labels))
    return before.slots is not None and not after


def _leading_spans(found: dict[str, tuple[int, int]], order: list[str]) -> dict[str, tuple[int, int]]:
    """Spans for figures-before-label text: from the previous label's end to this one's start."""
    present = [r for r in order if r in found]
    out: dict[str, tuple[int, int]] = {}
    prev_end = 0
    for rid in present:
        start = found[rid][0]
        out[rid] = (prev_end, max(start, prev_end))
        prev_end = found[rid][1]
    return out


def _by_header(stream: Stream, row: list[Token | None], rid: str,
               flags: list[str]) -> list[Token | None] | None:
    """Reorder a real table's row by its applicant header when that differs from the
    template order; text rows (no grid) keep the template order."""
    toks = [t for t in row if t is not None]
    grids = {t.grid for t in toks}
    if len(toks) != 7 or len(grids) != 1 or None in grids or any(t.col is None for t in toks):
        return row
    header = stream.header_columns(grids.pop(), T.APPLICANTS)
    if len(header) != 7:
        return row
    if all(header.get(t.col) == i for i, t in enumerate(toks)):
        return row
    if not all(t.col in header for t in toks):
        flags.append(f"applications row {rid}: columns do not line up with the header")
        return None
    out: list[Token | None] = [None] * 7
    for t in toks:
        out[header[t.col]] = t
    return out


# --- section 四 ------------------------------------------------------------------------

def _review_figures(stream: Stream, flags: list[str]) -> tuple[list[Token | None] | None,
                                                                 list[Token] | None, bool]:
    row4 = re.search(r"结转下年度?继续办理|结转下年", stream.labels)
    m = re.compile(r"行政复议").search(stream.labels, row4.end() if row4 else 0)
    if not m:
        return None, None, False
    start = m.start()
    line_runs = runs_in_span(stream, start, len(stream.labels))
    sel = select([r for r in line_runs if len(r) >= 15], 15, max_gaps=0)
    if sel.slots is not None:
        return sel.slots, None, True
    # figures one per line: runs of values with no label between them
    groups: list[list[Token]] = []
    cur: list[Token] = []
    for t in stream.tokens:
        if t.pos < start:
            continue
        if t.kind == "label":
            if T.clean(t.raw) and cur:
                groups.append(cur)
                cur = []
            continue
        cur.append(t)
    if cur:
        groups.append(cur)
    full = [g for g in groups if len(g) == 15]
    if len(full) == 1:
        return list(full[0]), None, True
    near = [g for g in groups if 13 <= len(g) < 15]
    if not full and len(near) == 1:
        return None, near[0], True
    flags.append("reviews: figures not found" if not groups else "reviews: figures ambiguous")
    return None, None, True


def _flat_review_equations() -> list[Equation]:
    out = []
    for e in review_equations():
        def flat(cell: tuple[str, str, int]) -> tuple[str, str, int]:
            return ("reviews", "all", T.STAGES.index(cell[1]) * 5 + cell[2])
        out.append(Equation(e.name, tuple(map(flat, e.lhs)), tuple(map(flat, e.rhs)), e.report))
    return out


# --- all together ----------------------------------------------------------------------

def analyse_tables(blocks: list[Block], secs: list[Section], year: int | None) -> TablesResult:
    """Read sections 二, 三 and 四 and check them."""
    res = TablesResult()
    whole = blocks
    act_blocks = _region(blocks, secs, "active")
    app_blocks = _region(blocks, secs, "applications")
    rev_blocks = _region(blocks, secs, "reviews")
    act = build_stream(act_blocks if act_blocks is not None else whole)
    app = build_stream(app_blocks if app_blocks is not None else whole)
    if rev_blocks is None:
        # heading 四 missing: the reviews table sits at the end of section 三 (or anywhere
        # when no heading was found at all); _review_figures starts after row 4's label
        rev_blocks = app_blocks if app_blocks is not None else (blocks if not secs else [])
    rev = build_stream(rev_blocks)
    labels = act.labels + app.labels + rev.labels
    res.found = bool(T.ARTICLE_MARK.search(act.labels) or re.search(r"本年新收", app.labels)
                     or (any(isinstance(b, Table) for b in blocks) and T.decide_template(labels, None)))
    if _is_pre2019(blocks, secs, labels, year):
        res.pre2019 = True
        return res
    res.template = T.decide_template(labels, year)
    if res.template is None:
        res.flags.append("no tables found")
        res.template = "2021" if (year or 0) >= 2021 else "2019"
        if not res.found:
            res.template = None
            return res
    flags = res.flags
    res.active = _active(act, res.template, flags)

    split_other, order, slots, partial, app_found = _applications(app, flags)
    if not app_found:
        flags.append("applications table not found")
    rv_slots, rv_partial, _ = _review_figures(rev, flags)

    equations = application_equations(order, split_other)
    known: dict[tuple[str, str, int], Decimal | None] = {}
    for rid in order:
        for c in range(7):
            tok = slots[rid][c] if slots[rid] else None
            known[("applications", rid, c)] = tok.value if tok is not None else None
    inferred: dict[tuple[str, str, int], Decimal] = {}
    decided = place("applications", known, partial, 7, equations)
    for rid, placed in decided.items():
        n = len(partial[rid])
        if placed is None:
            flags.append(f"applications row {rid}: {n} figures for 7 cells, placement ambiguous")
            continue
        slots[rid] = placed.slots
        gaps = [T.APPLICANTS[c] for c, t in enumerate(placed.slots) if t is None]
        flags.append(f"applications row {rid}: {n} figures placed by arithmetic, "
                     f"no figure for {'、'.join(gaps)}")
        for c, v in placed.inferred.items():
            inferred[("applications", rid, c)] = v
    if rv_partial is not None:
        flat_known: dict[tuple[str, str, int], Decimal | None] = {}
        got = place("reviews", flat_known, {"all": rv_partial}, 15, _flat_review_equations())
        placed = got.get("all")
        if placed is None:
            flags.append(f"reviews: {len(rv_partial)} figures for 15 cells, placement ambiguous")
        else:
            rv_slots = placed.slots
            gaps = [f"{T.STAGES[i // 5]}{T.OUTCOMES[i % 5]}" for i, t in enumerate(rv_slots)
                    if t is None]
            flags.append(f"reviews: {len(rv_partial)} figures placed by arithmetic, "
                         f"no figure for {'、'.join(gaps)}")
            for i, v in placed.inferred.items():
                inferred[("reviews", T.STAGES[i // 5], i % 5)] = v

    values: dict[tuple[str, str, int], Decimal | None] = {}
    missing: list[dict[str, Any]] = []
    for rid in order:
        for c, applicant in enumerate(T.APPLICANTS):
            tok = slots[rid][c] if slots[rid] else None
            value, raw = _cell(tok)
            values[("applications", rid, c)] = value
            cell: dict[str, Any] = {"row": rid, "applicant": applicant,
                                    "value": to_json_number(value), "raw": raw if slots[rid] else None}
            if ("applications", rid, c) in inferred:
                cell["inferred"] = to_json_number(inferred[("applications", rid, c)])
            res.applications.append(cell)
            if value is None:
                missing.append({"table": "applications", "row": rid, "applicant": applicant})
    for i in range(15):
        stage, outcome = T.STAGES[i // 5], T.OUTCOMES[i % 5]
        tok = rv_slots[i] if rv_slots else None
        value, raw = _cell(tok)
        values[("reviews", stage, i % 5)] = value
        cell = {"stage": stage, "outcome": outcome, "value": to_json_number(value),
                "raw": raw if rv_slots else None}
        if ("reviews", stage, i % 5) in inferred:
            cell["inferred"] = to_json_number(inferred[("reviews", stage, i % 5)])
        res.reviews.append(cell)
        if value is None:
            missing.append({"table": "reviews", "stage": stage, "outcome": outcome})
    for c in res.active:
        if c["value"] is None:
            missing.append({"table": "active_disclosure", "article": c["article"],
                            "item": c["item"], "metric": c["metric"]})
    all_eqs = equations + review_equations()
    res.checks = run_checks(all_eqs, lambda k: values.get(k), missing)
    return res
