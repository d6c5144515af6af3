"""Synthetic report PDFs with ruled tables (reportlab), when no form fixtures exist.

Same cells as the HTML pages (`synth_layout`), drawn as a word processor exports them:
body text in a CJK font (reportlab's built-in STSong-Light CID font, which both pdfium
and pdfminer map back to Unicode), tables ruled with a full grid, long labels wrapped
inside their cells, each template table on its own page.
"""

from __future__ import annotations

import io
from typing import Any

from . import synth_layout

FONT = "STSong-Light"
_registered = False


def _register() -> None:
    global _registered
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True


def _widths(section: int) -> list[float]:
    if section == 2:
        return [150.0, 110.0, 110.0, 110.0]
    if section == 3:
        return [46.0, 62.0, 110.0] + [39.0] * 7
    return [32.0] * 15


def pdf_bytes(report: dict[str, Any]) -> bytes:
    """A PDF of the report: title, sections, the three tables ruled."""
    _register()
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    title = ParagraphStyle("t", fontName=FONT, fontSize=15, leading=20, alignment=1)
    head = ParagraphStyle("h", fontName=FONT, fontSize=11, leading=16)
    body = ParagraphStyle("b", fontName=FONT, fontSize=10, leading=15, firstLineIndent=20, wordWrap="CJK")
    cell = ParagraphStyle("c", fontName=FONT, fontSize=7, leading=9, wordWrap="CJK")
    story: list[Any] = [Paragraph(report["title"], title), Spacer(1, 10)]
    tables = synth_layout.tables(report)
    for section in report["sections"]:
        n = section["number"]
        if n in (3, 4):
            story.append(PageBreak())
        story.append(Paragraph(section["heading"], head))
        story.append(Paragraph(section["text"], body))
        if n not in tables:
            continue
        layout = tables[n]
        data: list[list[Any]] = []
        for row in synth_layout.grid(layout):
            data.append([Paragraph(t, cell) if t and not _numeric(t) else (t or "") for t in row])
        style = [
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 7),
            ("GRID", (0, 0), (-1, -1), 0.5, "black"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ]
        for r, c, span in synth_layout.place(layout):
            if span.rowspan > 1 or span.colspan > 1:
                style.append(("SPAN", (c, r), (c + span.colspan - 1, r + span.rowspan - 1)))
        story.append(Spacer(1, 6))
        story.append(Table(data, colWidths=_widths(n), style=TableStyle(style)))
        story.append(Spacer(1, 10))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=50,
        rightMargin=50,
        topMargin=50,
        bottomMargin=50,
        title=report["title"],
        author=report["agency"],
    ).build(story)
    return out.getvalue()


def _numeric(text: str) -> bool:
    t = text.replace(".", "", 1).replace("万元", "").strip().lstrip("+-")
    return t.isdigit()
