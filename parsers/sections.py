"""Splitting a report into its numbered sections (一、总体情况 … 六、其他需要报告的事项).

Headings drift (五、存在的主要问题及整改措施), get renumbered when an agency adds a
section, go missing, or come with leading spaces or "- ". Tables contain lines that look
like headings (一、本年新收政府信息公开申请数量, 四、结转下年度继续办理), and narrative has
（一） sub-headings. A heading is therefore recognised by its numeral *and* its words;
an unknown heading is accepted only where the numbering leaves room for it between two
recognised ones.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .model import Block, Paragraph
from .reflow import reflow
from .tables import is_narrative
from .template import clean

NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
            "十": 10, "十一": 11, "十二": 12}
_CANDIDATE = re.compile(
    r"^[\s\-–—•·*#>]*(?:第([一二三四五六七八九十]{1,3})部分|([一二三四五六七八九十]{1,3})\s*[、.．,，])"
    r"\s*(\S.*)$")
# A heading run into its first sentence on one line ("一、总体情况。2020年，…").
_INLINE = re.compile(r"^(.{2,24}?(?:情况|概述|事项|措施|问题))\s*[。：:]\s*(.+)$")
# kind, its order in the report, key on cleaned heading text (tested in this order)
KINDS: tuple[tuple[str, int, str], ...] = (
    ("other", 60, r"其他需要报告|其他需报告|其他事项"),
    ("problems", 50, r"存在的?主要?问题|问题及|改进情况|整改|不足"),
    ("reviews", 40, r"行政复议|行政诉讼|复议诉讼"),
    ("fees", 35, r"收费及减免|收费和减免|收取费用"),
    ("applications", 30, r"收到和处理|依申请公开|依申请"),
    ("active", 20, r"主动公开"),
    ("overview", 10, r"总体情况|概述|基本情况|工作概况"),
)
# Table row labels that look like headings.
_TABLE_LABELS = re.compile(r"本年新收|上年结转|本年度办理结果|结转下年|继续办理|申请数量")
FURNITURE = {"相关词条", "热门词条", "联系我们", "相关链接", "返回顶部", "打印本页", "关闭窗口",
             "分享到", "打印", "关闭", "收藏", "扫一扫在手机打开当前页"}


@dataclass
class Section:
    """One section: its printed number, heading line, kind and blocks [start, end)."""

    number: int
    heading: str
    kind: str | None
    start: int
    end: int
    tail: str = ""  # text that followed the heading on its own line


def heading_kind(text: str) -> str | None:
    """The kind of a heading from its words, or None."""
    c = clean(text)
    for kind, _order, key in KINDS:
        if re.search(key, c):
            return kind
    return None


def _order(kind: str | None) -> int:
    return next((o for k, o, _ in KINDS if k == kind), 0)


def _candidates(blocks: list[Block]) -> list[tuple[int, int, str | None, str, str]]:
    out = []
    for i, b in enumerate(blocks):
        if not isinstance(b, Paragraph):
            continue
        line = b.text.strip()
        if "\t" in line:
            line = " ".join(part for part in line.split("\t") if part.strip())
        m = _CANDIDATE.match(line)
        numeral = m and (m.group(1) or m.group(2))
        if not m or numeral not in NUMERALS:
            continue
        rest, tail = m.group(3), ""
        heading = line.lstrip(" -–—•·*#>")
        if "。" in rest or len(clean(rest)) > 30:
            inline = _INLINE.match(rest)
            if not inline or heading_kind(inline.group(1)) is None:
                continue
            tail = inline.group(2).strip()
            heading = heading[: len(heading) - len(rest)] + inline.group(1)
            rest = inline.group(1)
        if _TABLE_LABELS.search(clean(rest)):
            continue
        out.append((i, NUMERALS[numeral], heading_kind(rest), heading, tail))
    return out


def split(blocks: list[Block]) -> list[Section]:
    """The sections of a document in order (empty when no heading is recognised)."""
    cands = _candidates(blocks)
    known: list[tuple[int, int, str | None, str, str]] = []
    for c in cands:
        if c[2] is None:
            continue
        if known and (_order(c[2]) <= _order(known[-1][2]) or c[1] <= known[-1][1]):
            continue
        known.append(c)
    chosen = list(known)
    # unknown headings that the numbering leaves room for
    bounds = [(-1, 0)] + [(k[0], k[1]) for k in known] + [(len(blocks), 99)]
    for (lo_idx, lo_num), (hi_idx, hi_num) in itertools.pairwise(bounds):
        expect = lo_num + 1
        for c in cands:
            if c[2] is None and lo_idx < c[0] < hi_idx and c[1] == expect and c[1] < hi_num \
                    and lo_idx >= 0:
                chosen.append(c)
                expect += 1
    chosen.sort(key=lambda c: c[0])
    sections: list[Section] = []
    for j, (idx, number, kind, text, tail) in enumerate(chosen):
        end = chosen[j + 1][0] if j + 1 < len(chosen) else len(blocks)
        sections.append(Section(number, text, kind, idx, end, tail))
    return sections


def narrative(blocks: list[Block], section: Section, tabular: bool) -> str:
    """The prose of a section. In table sections only sentences are kept, not cells."""
    lines: list[str] = [section.tail] if section.tail else []
    for b in blocks[section.start + 1:section.end]:
        if not isinstance(b, Paragraph):
            continue
        line = b.text.strip()
        if not line:
            continue
        if tabular and ("\t" in line or not is_narrative(line) or line.lstrip("（(").startswith("注")):
            continue
        lines.append(line)
    while lines and clean(lines[-1]) in FURNITURE:
        lines.pop()
    return "\n".join(reflow(lines))
