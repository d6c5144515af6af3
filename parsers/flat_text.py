"""Text without structure: a report flattened to one line or a few lines, put back into lines.

Web archivers and scrapers keep a page as its text alone: the whole report on one line,
headings inline, table cells glued (规章000规范性文件898989…, （七）总计14710000148).
The template says what the structure was: section headings are known phrases after a
numeral (一、总体情况 … 六、其他需要报告的事项, also the pre-2019 ones), and inside the
tables every row ends with its figures, so a row ends where figures are followed by the
next label. This module only restores lines: the figures stay glued as printed, and
`glued` splits them by the report's arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..template import ROWS_BY_ID
from .model import Block, Paragraph
from .tables import GLUED_PARTS
from .template import clean

# Heading phrases by section kind (as sections.KINDS names them), the wording drifts
# seen in 2019+ and pre-2019 reports.
HEADING_PHRASES: tuple[tuple[str, str], ...] = (
    ("overview", r"总体情况|概述|基本情况|工作概况"),
    ("active", r"主动公开政府信息(?:的)?情况|主动公开(?:工作)?情况"),
    ("applications", r"收到和处理政府信息公开申请(?:的)?情况|依申请公开政府信息(?:的)?情况"
                     r"|依申请公开(?:工作)?情况"),
    ("fees", r"政府信息公开的?收费及减免(?:的)?情况"),
    ("reviews", r"(?:因政府信息公开申请)?(?:提起)?(?:政府信息公开)?(?:申请)?"
                r"行政复议、?(?:提起)?行政诉讼(?:的)?情况"),
    ("problems", r"(?:政府信息公开工作)?存在的?主要?问题及(?:其)?(?:改进|整改)(?:情况|措施)"
                 r"|(?:政府信息公开工作)?存在的?主要?问题"),
    ("other", r"其他需要?报告的事项"),
)
_HEADING = re.compile(r"([一二三四五六七八九十]{1,2})[、.．]\s*(?:"
                      + "|".join(f"(?P<{k}>{p})" for k, p in HEADING_PHRASES) + ")")
TABLE_KINDS = ("active", "applications", "reviews")
# A table section's body holds its table when one of these labels is in it.
_TABLE_MARKS = re.compile(r"第二十条|本年新收|申请人情况|结果维持|尚未审结")
# The first rows of section 三: three of them on one line means its cells lost their lines.
_ROW_KEYS = tuple(ROWS_BY_ID[r].key for r in ("1", "2", "3.1", "3.2", "3.7", "4"))
_TITLE_END = re.compile(r"年度报告|工作报告|年报")
# After figures, these begin no label: counting units, dates and percentages of prose.
_NOT_A_LABEL = re.compile(r"[件条个项次份家宗人年月日%％名万亿元]")
# A run of figures no printed number can be: "000", "0000000" (numbers have no leading zero).
GLUE_EVIDENCE = re.compile(r"(?<![\d.\-/:])0\d{2,}")
# What may stand before a heading at the start of its line: list marks, Markdown marks.
_LEAD = re.compile(r"[\s#>*\-–—•·]+")
_ROW_NUMBER = re.compile(r"[（(][一二三四五六七八九十]{1,3}[)）]")


@dataclass
class Restored:
    """The lines put back, and how many headings and table rows were split out."""

    blocks: list[Block]
    headings: int
    rows: int


def is_flattened(blocks: list[Block]) -> bool:
    """Headings inline (two or more not at a line's start), or section 三's rows on one
    line with figures glued ("0000000": prose may name the rows, but never so)."""
    inline = 0
    for b in blocks:
        if not isinstance(b, Paragraph):
            continue
        text = b.text
        inline += sum(1 for m in _HEADING.finditer(text) if _LEAD.sub("", text[:m.start()]))
        if inline >= 2:
            return True
        cleaned = clean(text)
        if sum(1 for k in _ROW_KEYS if re.search(k, cleaned)) >= 3 and GLUE_EVIDENCE.search(text):
            return True
    return False


def restore(blocks: list[Block]) -> Restored:
    """Split headings and table rows back out of flattened paragraphs (tables kept)."""
    out: list[Block] = []
    kind: str | None = None
    headings = rows = 0
    seen_heading = False
    for b in blocks:
        if not isinstance(b, Paragraph):
            out.append(b)
            continue
        pieces = _at_headings(b.text)
        for piece_kind, heading, body in pieces:
            if heading:
                out.append(Paragraph(heading))
                headings += 1
                kind = piece_kind
                seen_heading = True
            if not body.strip():
                continue
            if kind in TABLE_KINDS and _TABLE_MARKS.search(body):
                lines = break_rows(body)
                rows += len(lines) - 1
                out.extend(Paragraph(line) for line in lines)
            elif not seen_heading:
                out.extend(Paragraph(line) for line in _title_split(body))
            else:
                out.append(Paragraph(body.strip()))
    return Restored(out, headings, rows)


def _at_headings(text: str) -> list[tuple[str | None, str, str]]:
    """(kind, heading, body) pieces of a line split before each heading; the first piece
    has no heading when the line does not begin with one."""
    found = list(_HEADING.finditer(text))
    if not found:
        return [(None, "", text)]
    out: list[tuple[str | None, str, str]] = []
    if text[:found[0].start()].strip():
        out.append((None, "", text[:found[0].start()]))
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        kind = next(k for k, _ in HEADING_PHRASES if m.group(k))
        out.append((kind, m.group(0).strip(), text[m.end():end]))
    return out


def _title_split(text: str) -> list[str]:
    """The title ends at its 年度报告 when the preamble runs on after it."""
    m = _TITLE_END.search(text[:120])
    if m and text[m.end():].strip():
        return [text[:m.end()].strip(), text[m.end():].strip()]
    return [text.strip()]


def break_rows(text: str) -> list[str]:
    """A table's glued text cut into rows: after a run of figures that a label follows
    (not a unit or date: 9件, 2020年), and before an item number glued to figures
    (00000002.其他 -> 0000000 | 2.其他). Figures themselves are left as they stand."""
    lines: list[str] = []
    cur = ""
    after_figures = False
    for m in GLUED_PARTS.finditer(text):
        fig = m.group("fig")
        if fig and m.group("enum"):
            if after_figures or (len(fig) > 1 and fig.isdigit()):
                head, number = (fig[:-1], fig[-1]) if fig.isdigit() else ("", fig)
                lines.append(cur + head)
                cur = number + m.group("enum")
            else:
                cur += fig + m.group("enum")
            after_figures = False
        elif fig and m.group("date"):
            cur += fig + m.group("date")
            after_figures = False
        elif fig:
            cur += fig
            after_figures = True
        elif m.group("space"):
            cur += m.group(0)
        else:
            ch = m.group(0)
            rest = text[m.start():]
            if after_figures and not _NOT_A_LABEL.match(ch) and \
                    (ch not in "（(" or _ROW_NUMBER.match(rest)):
                lines.append(cur)
                cur = ""
            cur += ch
            after_figures = False
    lines.append(cur)
    return [line.strip() for line in lines if line.strip()]
