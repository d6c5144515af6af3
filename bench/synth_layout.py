"""The three template tables of a report laid out as printed: cells with rowspan/colspan.

One layout feeds both renderers (HTML pages, ruled PDFs), so the page and the PDF of a
synthetic report carry exactly the same cells, laid out the way the national templates
print them: the applications table with its three-row header and its vertical group
labels, the reviews table with 行政复议/行政诉讼 over 未经复议直接起诉/复议后起诉.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .synth_reports import (
    APPLICANTS,
    ARTICLE_LABELS,
    GROUP_LABELS,
    OUTCOMES,
    STAGES,
    TOTAL,
    application_rows,
)


@dataclass
class Span:
    """A printed cell: its text and how many rows/columns it covers."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    label: bool = True  # labels are set in the body font; numbers are right-aligned


Layout = list[list[Span]]


def _num(raw: Any) -> Span:
    return Span("" if raw is None else str(raw), label=False)


def active_disclosure(report: dict[str, Any]) -> Layout:
    """Section 二 as one 4-column table with a banner row per article, as the template prints it."""
    cells = report["active_disclosure"]
    rows: Layout = []
    order: list[tuple[str, str]] = []
    for c in cells:
        key = (c["article"], c["item"])
        if key not in order:
            order.append(key)
    seen_articles: set[str] = set()
    for article, item in order:
        mine = [c for c in cells if c["article"] == article and c["item"] == item]
        if article not in seen_articles:
            seen_articles.add(article)
            rows.append([Span(ARTICLE_LABELS[article], colspan=4)])
            header = [Span("信息内容")] + [Span(_metric_label(c)) for c in mine]
            rows.append(header + [Span("")] * (4 - len(header)))
        line = [Span(item)] + [_num(_printed(c)) for c in mine]
        rows.append(line + [Span("", label=False)] * (4 - len(line)))
    return rows


def _metric_label(cell: dict[str, Any]) -> str:
    if cell["metric"] == "本年收费金额":
        return "本年收费金额（单位：万元）"
    return cell["metric"]


def _printed(cell: dict[str, Any]) -> str:
    if cell["metric"] == "采购总金额":
        return f"{cell['raw']} 万元"
    return cell["raw"]


def applications(report: dict[str, Any]) -> Layout:
    """Section 三: 3 label columns + 6 applicant columns + 总计, three header rows."""
    values = {(c["row"], c["applicant"]): c["raw"] for c in report["applications"]}
    rows: Layout = [
        [
            Span(
                "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3
            ),
            Span("申请人情况", colspan=7),
        ],
        [Span("自然人", rowspan=2), Span("法人或其他组织", colspan=5), Span(TOTAL, rowspan=2)],
        [Span(a) for a in APPLICANTS[1:]],
    ]
    labels = application_rows(report["template"])
    result_rows = [r for r, _ in labels if r.startswith("3.")]
    groups: dict[str, int] = {}
    for r, _ in labels:
        if r.count(".") == 2:
            g = r.rsplit(".", 1)[0]
            groups[g] = groups.get(g, 0) + 1
    for r, label in labels:
        nums = [_num(values.get((r, a))) for a in [*APPLICANTS, TOTAL]]
        head: list[Span] = []
        if r in ("1", "2", "4"):
            head = [Span(label, colspan=3)]
        else:
            if r == result_rows[0]:
                head.append(Span("三、本年度办理结果", rowspan=len(result_rows)))
            if r.count(".") == 2:
                g = r.rsplit(".", 1)[0]
                if r.endswith(".1"):
                    head.append(Span(GROUP_LABELS[g], rowspan=groups[g]))
                head.append(Span(label))
            else:
                head.append(Span(label, colspan=2))
        rows.append(head + nums)
    return rows


def reviews(report: dict[str, Any]) -> Layout:
    """Section 四: 15 value columns under a two-level header."""
    values = {(c["stage"], c["outcome"]): c["raw"] for c in report["reviews"]}
    outcome_labels = [" ".join(o) for o in OUTCOMES]  # printed with stray spaces, as in seed 000
    return [
        [Span(STAGES[0], colspan=5), Span("行政诉讼", colspan=10)],
        [
            *(Span(o, rowspan=2) for o in outcome_labels),
            Span(STAGES[1], colspan=5),
            Span(STAGES[2], colspan=5),
        ],
        [Span(o) for o in outcome_labels * 2],
        [_num(values.get((s, o))) for s in STAGES for o in OUTCOMES],
    ]


def tables(report: dict[str, Any]) -> dict[int, Layout]:
    """Section number -> the table printed under that heading."""
    return {2: active_disclosure(report), 3: applications(report), 4: reviews(report)}


def place(layout: Layout) -> list[tuple[int, int, Span]]:
    """(row, column, span) of every printed cell, columns counted in the expanded grid."""
    covered: set[tuple[int, int]] = set()
    out: list[tuple[int, int, Span]] = []
    for r, row in enumerate(layout):
        c = 0
        for span in row:
            while (r, c) in covered:
                c += 1
            out.append((r, c, span))
            for dr in range(span.rowspan):
                for dc in range(span.colspan):
                    covered.add((r + dr, c + dc))
            c += span.colspan
    return out


def grid(layout: Layout) -> list[list[str | None]]:
    """Expand spans into a rectangular grid; positions covered by a span are None."""
    placed = place(layout)
    width = max(c + s.colspan for _, c, s in placed)
    out: list[list[str | None]] = [[None] * width for _ in layout]
    for r, c, span in placed:
        out[r][c] = span.text
    return out
