"""Building and measuring the DOM of a report page in time and memory linear in its size.

Two things break naive DOM code on pages a crawler really meets. Depth: libxml2 stops
building the tree at 256 levels (2048 with `huge_tree`), silently dropping everything
below, and a real report wrapped in 246 layout divs then has no tables; Python's own
recursion limit stops recursive walkers near 1000. Size: asking `text_content()` of
every container costs the size of its subtree each time, which is quadratic on nested
or deep pages. So: parse with `huge_tree`; when libxml2 still reports excessive depth,
flatten the layout wrappers below `FLATTEN_AT` levels (block wrappers become line
breaks, inline ones vanish) and parse again, with a note; and measure the text of many
elements in one `iterwalk` pass instead of one `text_content()` each.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import lxml.html
from lxml import etree

FLATTEN_AT = 400  # wrapper levels kept when a page is too deep for libxml2
# Wrappers that carry no structure a report needs beyond a line break (block) or nothing.
_BLOCK_WRAPPERS = {"div", "section", "article", "center", "blockquote", "main", "header", "footer", "aside",
                   "nav", "form", "fieldset", "dl", "dd", "ul", "ol", "li"}
_INLINE_WRAPPERS = {"span", "font", "b", "i", "u", "s", "strong", "em", "small", "big", "sup", "sub", "a",
                    "label", "strike", "tt", "code", "abbr", "ins", "del", "mark", "q", "cite"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")


def parse_html(text: str) -> tuple[etree._Element, list[str]]:
    """The page's DOM, whole at any depth; notes say when wrappers had to be flattened."""
    root, too_deep = _parse(text)
    if not too_deep:
        return root, []
    flat, dropped, depth = flatten_wrappers(text, FLATTEN_AT)
    root, still = _parse(flat)
    notes = [f"HTML nested {depth} levels deep: {dropped} layout wrapper tags below level "
             f"{FLATTEN_AT} flattened"]
    if still:
        notes.append("HTML still nested deeper than 2048 levels after flattening: content below is cut")
    return root, notes


def _parse(text: str) -> tuple[etree._Element, bool]:
    parser = lxml.html.HTMLParser(huge_tree=True)
    root = lxml.html.document_fromstring(text, parser=parser)
    too_deep = any("Excessive depth" in e.message for e in parser.error_log)
    return root, too_deep


def flatten_wrappers(text: str, keep: int) -> tuple[str, int, int]:
    """Drop wrapper tags (div, span, font…) nested deeper than `keep` wrapper levels, in one
    pass over the markup. Returns (new text, tags dropped, deepest wrapper level seen)."""
    stacks: dict[str, list[bool]] = {}
    kept = nested = deepest = dropped = 0
    out: list[str] = []
    last = 0
    for m in _TAG.finditer(text):
        closing, name, selfclose = m.group(1), m.group(2).lower(), m.group(3)
        if selfclose or (name not in _BLOCK_WRAPPERS and name not in _INLINE_WRAPPERS):
            continue
        stack = stacks.setdefault(name, [])
        if not closing:
            nested += 1
            deepest = max(deepest, nested)
            stack.append(kept < keep)
            if stack[-1]:
                kept += 1
                continue
        else:
            if not stack:
                continue
            nested -= 1
            if stack.pop():
                kept -= 1
                continue
        out.append(text[last:m.start()])
        out.append("<br>" if name in _BLOCK_WRAPPERS else "")
        last = m.end()
        dropped += 1
    out.append(text[last:])
    return "".join(out), dropped, deepest


def own_rows(table: etree._Element) -> list[etree._Element]:
    """The rows of this table (under it or its tbody/thead/tfoot), not of nested tables."""
    return table.xpath("./tr | ./*[not(self::table)]/tr")


def own_cells(table: etree._Element) -> list[etree._Element]:
    """The cells of this table, not of the tables nested in them."""
    return [c for tr in own_rows(table) for c in tr
            if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]


def nonws_len(text: str | None) -> int:
    """Characters that are not white space (what `text_len` counts)."""
    return len("".join(text.split())) if text else 0


def text_sizes(root: etree._Element) -> Iterator[tuple[etree._Element, int, int, int]]:
    """(element, non-white-space text characters, of which inside links, position in
    document order) for every element under `root` (root last), in one pass: each
    element is seen once, whatever its depth, and only the open ancestors are held."""
    stack: list[list[int]] = []  # per open element: [text chars, link chars, inside a link, order]
    order = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        is_element = isinstance(el.tag, str)
        if event == "start":
            in_link = bool(stack and stack[-1][2]) or (is_element and el.tag.lower() == "a")
            own = nonws_len(el.text) if is_element else 0
            stack.append([own, own if in_link else 0, int(in_link), order])
            order += 1
            continue
        size, link, _, position = stack.pop()
        if is_element:
            yield el, size, link, position
        if stack and el is not root:
            tail = nonws_len(el.tail)
            parent = stack[-1]
            parent[0] += size + tail
            parent[1] += link + (tail if parent[2] else 0)


def short_text(el: etree._Element, limit: int) -> str | None:
    """`el.text_content()` when it has at most `limit` non-white-space characters, else
    None, reading no further than the limit (a huge sibling costs nothing)."""
    parts: list[str] = []
    seen = 0
    for piece in el.itertext():
        seen += nonws_len(piece)
        if seen > limit:
            return None
        parts.append(piece)
    return "".join(parts)
