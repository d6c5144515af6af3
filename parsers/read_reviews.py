"""Section 四 (administrative reviews and lawsuits): one printed row of figures.

The figures stand after the table's header, which begins with 行政复议 after row 4 of
section 三 (heading 四 may be missing, so the region may be section 三's). They come as
one line (tab-separated text, a table row), one figure per line (seed 003), or glued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..template import REVIEW_CELLS
from . import glued
from .tables import Stream, Token, runs_in_span, select

_ROW4 = re.compile(r"结转下年度?继续办理|结转下年")
_HEADER = re.compile(r"行政复议")


@dataclass
class ReviewsRead:
    """The figures of section 四: `slots` (REVIEW_CELLS, None where blank), or fewer
    figures for gap placement (`partial`), or runs of glued figures (`glued`)."""

    found: bool = False
    slots: list[Token | None] | None = None
    partial: list[Token] | None = None
    glued: list[str] | None = None
    flags: list[str] = field(default_factory=list)


def read_reviews(stream: Stream, glued_text: bool = False) -> ReviewsRead:
    """Read section 四's figures from its stream."""
    out = ReviewsRead()
    row4 = _ROW4.search(stream.labels)
    m = _HEADER.search(stream.labels, row4.end() if row4 else 0)
    if not m:
        return out
    out.found = True
    start = m.start()
    line_runs = runs_in_span(stream, start, len(stream.labels))
    groups = runs_in_span(stream, start, len(stream.labels), by_line=False)
    if glued_text:
        for g in groups:
            if glued.could_be_glued(g, REVIEW_CELLS):
                out.glued = [t.raw for t in g if t.kind in ("number", "digits")]
                return out
    sel = select([r for r in line_runs if len(r) >= REVIEW_CELLS], REVIEW_CELLS, max_gaps=0)
    if sel.slots is not None:
        out.slots = sel.slots
        return out
    full = [g for g in groups if len(g) == REVIEW_CELLS]
    if len(full) == 1:
        out.slots = list(full[0])
        return out
    near = [g for g in groups if REVIEW_CELLS - 2 <= len(g) < REVIEW_CELLS]
    if not full and len(near) == 1:
        out.partial = near[0]
        return out
    out.flags.append("reviews: figures not found" if not groups else "reviews: figures ambiguous")
    return out
