"""Section 三 (applications received and how they were handled): rows by label keys.

Rows are found in order by their keys (nianbao.template); a row owns the figures between
its key and the next row's. The layout (single or split （六）其他处理) is decided from the
labels. A row whose figures fill its cells is read; one with fewer figures goes to gap
placement, and a run of glued figures to the glued reader (both decided later, with the
whole table's arithmetic, by `analysis`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..template import APPLICANTS, ROWS_BY_ID, ApplicationLayout
from . import glued
from .tables import Stream, Token, find_sequence, runs_in_span, select, spans
from .template import application_layout

N = len(APPLICANTS)
# Where the reviews table begins (heading 四 may be missing): the last row stops there.
_REVIEWS_START = re.compile(r"行政复议|行政诉讼")


@dataclass
class ApplicationsRead:
    """What section 三 gave: per row its figures in applicant order (None: unread), rows
    with fewer figures than cells (`partial`), rows of glued figures (`glued`)."""

    layout: ApplicationLayout
    found: bool = False
    slots: dict[str, list[Token | None] | None] = field(default_factory=dict)
    partial: dict[str, list[Token]] = field(default_factory=dict)
    glued: dict[str, list[str]] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


def read_applications(stream: Stream, glued_text: bool = False) -> ApplicationsRead:
    """Read section 三 from its stream."""
    out = ApplicationsRead(application_layout(stream.labels))
    order = list(out.layout.rows)
    found = find_sequence(stream.labels, [(r, ROWS_BY_ID[r].key) for r in order])
    out.found = bool(found)
    last_end = max((v[1] for v in found.values()), default=0)
    stop = _REVIEWS_START.search(stream.labels, last_end)
    row_spans = spans(found, order, stop.start() if stop else len(stream.labels))
    if _figures_lead(stream, found, order):
        row_spans = _leading_spans(found, order)
        out.flags.append("applications: figures printed before their labels")
    for rid in order:
        out.slots[rid] = None
        if rid not in row_spans:
            if found:
                out.flags.append(f"applications row {rid}: label not found")
            continue
        runs = runs_in_span(stream, *row_spans[rid])
        figures = [t for r in runs for t in r]
        if glued_text and glued.could_be_glued(figures, N):
            out.glued[rid] = [t.raw for t in figures if t.kind in ("number", "digits")]
            continue
        sel = select(runs, N)
        if sel.slots is not None:
            out.slots[rid] = _by_header(stream, sel.slots, rid, out.flags)
        elif sel.partial is not None:
            out.partial[rid] = sel.partial
        else:
            out.flags.append(f"applications row {rid}: {sel.problem}")
    return out


def _figures_lead(stream: Stream, found: dict[str, tuple[int, int]], order: list[str]) -> bool:
    """PDF text sometimes prints each row's figures *before* its label: then a full row of
    figures stands before the first label and none after the last one."""
    present = [r for r in order if r in found]
    if len(present) < 3:
        return False
    first, last = found[present[0]], found[present[-1]]
    before = select(runs_in_span(stream, 0, first[0]), N, max_gaps=0)
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
    grid = next(iter(grids)) if len(grids) == 1 else None
    if len(toks) != N or grid is None or any(t.col is None for t in toks):
        return row
    header = stream.header_columns(grid, APPLICANTS)
    if len(header) != N:
        return row
    if all(header.get(t.col) == i for i, t in enumerate(toks) if t.col is not None):
        return row
    if not all(t.col in header for t in toks):
        flags.append(f"applications row {rid}: columns do not line up with the header")
        return None
    out: list[Token | None] = [None] * N
    for t in toks:
        if t.col is not None:
            out[header[t.col]] = t
    return out
