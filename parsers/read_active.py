"""Section 二 (第二十条 active disclosure): one block per article, one row per item.

Each article's block runs from its mark (第二十条第（X）项) to the next mark. Its column
header names the metrics (2019 and 2021 wording differ and reports mix them), so the
columns are taken from the header when it names them, else from the template's layout.
The section has no equations: a row is read when its figures fill a column set exactly,
or, in glued text, when the digits alone force the split (`glued.forced`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..contract import ActiveCell
from ..template import (
    ACTIVE_LAYOUTS,
    ALL_ITEMS,
    ARTICLE_MARK,
    ARTICLES,
    ITEM_KEYS,
    METRIC_KEYS,
    MONEY_METRICS,
    MONEY_UNIT,
    Template,
)
from . import glued
from .cells import to_json_number, to_wan_yuan
from .tables import Selection, Stream, Token, find_sequence, runs_in_span, select, spans


@dataclass
class ActiveRead:
    """The cells of section 二 in template order, and what a human should look at."""

    cells: list[ActiveCell] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def header_metrics(header: str) -> list[str]:
    """The metrics a cleaned header names, in the order printed."""
    hits = []
    for name, key in METRIC_KEYS.items():
        m = re.search(key, header)
        if m:
            hits.append((m.start(), name))
    hits.sort()
    names: list[str] = []
    for _, n in hits:
        if n not in names:
            names.append(n)
    return names


def money_unit(header_raw: str) -> str | None:
    """The money unit a column header states: 万元 or 元 (None when it states none)."""
    if "万元" in header_raw or "萬元" in header_raw:
        return "万元"
    if re.search(r"[（(]\s*元\s*[)）]|单位\s*[:：]?\s*元", header_raw):
        return "元"
    return None


def nulls(art: str, items: list[str], metrics: tuple[str, ...]) -> list[ActiveCell]:
    """Cells without a value (a block, a row or columns the report does not fill)."""
    return [{"article": art, "item": it, "metric": m, "value": None,
             "unit": MONEY_UNIT if m in MONEY_METRICS else None, "raw": None}
            for it in items for m in metrics]


def read_active(stream: Stream, template: Template, glued_text: bool = False) -> ActiveRead:
    """Read section 二 from its stream, in the layout of `template` (extra items and
    articles of the other layouts are read when the report prints them)."""
    out = ActiveRead()
    labels = stream.labels
    marks = list(re.finditer(ARTICLE_MARK, labels))
    blocks: dict[str, tuple[int, int]] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(labels)
        blocks.setdefault(ARTICLES[m.group(1)], (m.end(), end))
    layout = template.active
    others = [lay for lay in ACTIVE_LAYOUTS.values() if lay is not layout]
    articles = list(layout.items) + [a for a in ALL_ITEMS if a not in layout.items and a in blocks]
    for art in articles:
        items = list(layout.items.get(art) or ALL_ITEMS[art])
        for extra in ALL_ITEMS[art]:
            if extra not in items and art in blocks and re.search(
                    ITEM_KEYS[extra], labels[blocks[art][0]:blocks[art][1]]):
                items.append(extra)
        default = layout.metrics.get(art) or next(lay.metrics[art] for lay in others if art in lay.metrics)
        if art not in blocks:
            out.flags.append(f"active disclosure 第二十条 {art}: block not found")
            out.cells.extend(nulls(art, items, default))
            continue
        _read_block(stream, art, items, default, [lay.metrics.get(art, ()) for lay in others],
                    blocks[art], glued_text, out)
    return out


def _read_block(stream: Stream, art: str, items: list[str], default: tuple[str, ...],
                alternatives: list[tuple[str, ...]], block: tuple[int, int], glued_text: bool,
                out: ActiveRead) -> None:
    start, end = block
    labels = stream.labels
    found = find_sequence(labels, [(it, ITEM_KEYS[it]) for it in items], start, end)
    first = min((v[0] for v in found.values()), default=end)
    header_raw = "".join(t.raw for t in stream.tokens if t.kind == "label" and start <= t.pos <= first)
    named = tuple(header_metrics(labels[start:first]))
    candidates: list[tuple[str, ...]] = []
    # Glued figures do not say how many there are: only the header (else the layout)
    # can say which columns the row has; otherwise the count of figures chooses.
    for c in ((named or default,) if glued_text else (named, default, *alternatives)):
        if c and c not in candidates:
            candidates.append(c)
    item_spans = spans(found, items, end)
    unit_header = money_unit(header_raw)
    for it in items:
        if it not in item_spans:
            out.flags.append(f"active disclosure {art} {it}: row not found")
            out.cells.extend(nulls(art, [it], candidates[0]))
            continue
        row_runs = runs_in_span(stream, *item_spans[it])
        chosen = _columns(row_runs, candidates, glued_text, f"active disclosure {art} {it}", out)
        if chosen is None:
            out.cells.extend(nulls(art, [it], candidates[0]))
            continue
        metrics, slots = chosen
        if set(metrics) < set(default):
            # Columns of the template the row does not fill stay in the output as null
            # cells, so that `complete` sees them instead of losing them.
            out.cells.extend(nulls(art, [it], tuple(m for m in default if m not in metrics)))
        for metric, tok in zip(metrics, slots, strict=True):
            out.cells.append(_cell(art, it, metric, tok, unit_header, out.flags))


def _columns(row_runs: list[list[Token]], candidates: list[tuple[str, ...]], glued_text: bool,
             where: str, out: ActiveRead) -> tuple[tuple[str, ...], list[Token | None]] | None:
    """The column set a row's figures fill, with the figure of each column."""
    n_figures = sum(len(r) for r in row_runs)
    if (glued_text and any(t.kind == "digits" for r in row_runs for t in r)) or \
            (glued_text and not any(len(m) == n_figures for m in candidates)):
        return _glued_columns(row_runs, candidates, where, out)
    # A column set that takes every figure of the row beats one that only fits after
    # merging agreeing runs: one-cell-per-line text makes each figure its own run, and
    # "0 / 0" must not read as one repeated figure.
    for metrics in sorted(candidates, key=lambda m: len(m) != n_figures):
        sel: Selection = select(row_runs, len(metrics), max_gaps=0)
        if sel.slots is not None:
            return metrics, sel.slots
    out.flags.append(f"{where}: {n_figures} figures fit no column set")
    return None


def _glued_columns(row_runs: list[list[Token]], candidates: list[tuple[str, ...]], where: str,
                   out: ActiveRead) -> tuple[tuple[str, ...], list[Token | None]] | None:
    """Glued figures: the first column set whose split the digits force."""
    segments = [t.raw for r in row_runs for t in r if t.kind in ("number", "digits")]
    if not segments:
        out.flags.append(f"{where}: no figures")
        return None
    for metrics in candidates:
        pieces = glued.forced(segments, len(metrics))
        if pieces is not None:
            return metrics, glued.tokens(pieces, row_runs[0][0].line)
    shown = glued.listing(segments, len(candidates[0]))
    out.flags.append(f"{where}: glued figures {''.join(segments)} not split (no equation decides)")
    out.notes.append(f"{where}: glued figures {' '.join(segments)}; splits: {shown}")
    return None


def _cell(art: str, item: str, metric: str, tok: Token | None, unit_header: str | None,
          flags: list[str]) -> ActiveCell:
    value = tok.value if tok is not None and tok.kind == "number" else None
    unit = None
    if metric in MONEY_METRICS:
        src_unit = (tok.unit if tok is not None else None) or unit_header
        if src_unit is None and value:
            flags.append(f"active disclosure {art} {metric}: no unit printed, read as 万元")
        value = to_wan_yuan(value, src_unit)
        unit = MONEY_UNIT
    cell: ActiveCell = {"article": art, "item": item, "metric": metric,
                        "value": to_json_number(value), "unit": unit,
                        "raw": tok.raw if tok is not None else ""}
    if tok is not None and tok.confidence is not None:
        cell["confidence"] = tok.confidence
    return cell
