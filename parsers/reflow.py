"""Narrative text reflowed: the line breaks a PDF, OCR or a converter put inside sentences
are joined, paragraph breaks and headings are kept, page numbers and running footers go.

Text extracted from a PDF keeps the page's line ends (`…引起的行政复` / `议…`), so a search
for 复议 misses the report; converters add page footers (`— 3 —`) in the middle of a
paragraph. Only narrative lines come here (table cells never do). A line ends its
paragraph when it ends a sentence (。！？；：…), when it is a heading (一、 （一） 1. …
short and without a full stop), or when it is clearly shorter than the lines around it
(the last line of a paragraph); otherwise the next line continues it: nothing is put
between two Chinese characters, one space between two Latin letters or digits.
"""

from __future__ import annotations

import re
from collections import Counter
from statistics import median

_FOOTER = re.compile(
    r"^\s*(?:[-—–－―_~·•]+\s*\d{1,4}\s*[-—–－―_~·•]+|第\s*\d{1,4}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页|(?:page\s*)?\d{1,3}(?:\s*(?:/|of)\s*\d{1,3})?)\s*$", re.I)
_SENTENCE_END = re.compile(r"[。！？!?；;：:…]['\"’”」』）)\]】]*$")
_PARAGRAPH_START = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}\s*[、.．]|\d{1,2}\s*[、.．](?!\d)"
    r"|第[一二三四五六七八九十]{1,3}[部章节条]|[一二三四五六七八九十]是|[●•■◆▲※★]|注\s*[:：])")
_HEADING_MAX = 30  # a numbered line this short without a full stop is a heading
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def reflow(lines: list[str]) -> list[str]:
    """Paragraphs from narrative lines (see the module docstring). Lines with tabs (rows
    of a table in text) are kept as they are and never joined."""
    kept = [ln.strip() for ln in lines if ln.strip()]
    kept = [ln for ln in kept if not _FOOTER.match(ln)]
    kept = _without_running_lines(kept)
    if not kept:
        return []
    long_lines = [len(ln) for ln in kept if len(ln) >= 12 and "\t" not in ln]
    typical = median(long_lines) if len(long_lines) >= 3 else 0.0
    out: list[str] = []
    closed = True
    for line in kept:
        if "\t" in line:
            out.append(line)
            closed = True
            continue
        if out and not closed and not _PARAGRAPH_START.match(line):
            out[-1] = join(out[-1], line)
        else:
            out.append(line)
        closed = ends_paragraph(out[-1], line, typical)
    return out


def ends_paragraph(paragraph: str, last_line: str, typical: float) -> bool:
    """Does the paragraph end with its last line?"""
    if _SENTENCE_END.search(last_line):
        return True
    if paragraph == last_line and _PARAGRAPH_START.match(last_line) and len(last_line) <= _HEADING_MAX:
        return True  # a numbered heading on its own line
    # a paragraph's last line stops short of the lines before it (the line width)
    return bool(typical) and len(last_line) < 0.6 * typical


def join(before: str, after: str) -> str:
    """Two pieces of one sentence: no space between CJK text, one between Latin words."""
    a, b = before.rstrip(), after.lstrip()
    if not a or not b:
        return a + b
    if _CJK.match(a[-1]) or _CJK.match(b[0]):
        return a + b
    if a.endswith("-") and a[-2:-1].isalpha() and b[0].islower():
        return a[:-1] + b  # a word hyphenated at the line end
    return a + " " + b


def _without_running_lines(lines: list[str]) -> list[str]:
    """Drop a running header/footer: a short line without a full stop repeated on pages."""
    counts = Counter(ln for ln in lines if len(ln) <= 40 and not _SENTENCE_END.search(ln))
    running = {ln for ln, n in counts.items() if n >= 3 and not _PARAGRAPH_START.match(ln)}
    return [ln for ln in lines if ln not in running]
