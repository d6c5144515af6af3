"""HTML report pages -> `Document`: the report's paragraphs and DOM tables in reading order.

Flattening a Word-pasted table to text glues neighbouring numbers together and loses
which column a blank belongs to, so tables are read from the DOM (rowspan/colspan
expanded) and emitted where they stand between the paragraphs: the analyser needs
"第二十条第（一）项" right before its table. The main content node is found by removing
furniture containers (by tag, class and id, unless one holds most of the page's
non-link text) and descending into the child that holds most of the text; trafilatura's
main-text extraction is the fallback when nothing is left. `chrome` rules then drop the
furniture lines left inside the content (share bars, 字号, footers of mirrors).
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from . import chrome
from .html_meta import page_meta
from .html_tables import BLOCK_TAGS, is_info_table, is_layout, nearest_table, read_table, text_len
from .html_text import clean_paragraph, decode, strip_xml_decl
from .model import Block, Document, Paragraph, ParseError, Table

DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "select", "button", "input",
             "textarea", "svg", "canvas", "title", "head", "template")
# HTML5 furniture elements; dropped like furniture classes, unless they hold the page
# (ASP.NET portals wrap the whole page in <form>, so that one is never dropped)
CHROME_TAGS = ("nav", "header", "footer", "aside")
# class/id words of furniture containers (matched as whole words of the attribute)
CHROME_ATTR = re.compile(
    r"(?:^|[\s_\-])(nav|navbar|menu|breadcrumb|crumb|crumbs|position|location|share|bdshare|"
    r"footer|foot|copyright|header|top-bar|topbar|toolbar|tools|article-tools|print|font|fontsize|"
    r"sidebar|side|login|search|tags|tag|related|relate|recommend|hot|comment|comments|"
    r"info-bar|infobar|info-table|xxgk-info|pages|pager|pagination|qrcode|ewm|wza|elder)"
    r"(?:$|[\s_\-])",
    re.I,
)
CONTENT_HINTS = ("TRS_Editor", "Custom_UnionStyle", "zoom", "article-content", "article_content",
                 "content", "post-body", "entry-content", "view", "main-txt", "detail")


def extract(data: bytes, source: str) -> Document:
    """Parse an HTML page into blocks (paragraphs and tables) plus its metadata."""
    text, encoding, notes = decode(data)
    try:
        root = lxml.html.document_fromstring(strip_xml_decl(text))
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(source, f"unreadable HTML: {exc}") from exc
    doc = Document(source=source, kind="html", notes=list(notes))
    if encoding not in ("utf-8", "ascii"):
        doc.notes.append(f"decoded as {encoding}")
    doc.meta = page_meta(root)
    body = root.find("body")
    if body is None:
        body = root
    remove_furniture(body)
    node = content_node(body)
    blocks = walk_blocks(node)
    if not blocks:  # nothing left after furniture removal: let trafilatura find the text
        blocks = trafilatura_blocks(text) or blocks
        doc.notes.append("content located by trafilatura")
    doc.blocks = strip_chrome(blocks, doc.notes)
    if not doc.blocks:
        raise ParseError(source, "HTML page has no text content")
    return doc


# --------------------------------------------------------------------------- content node


def remove_furniture(body: etree._Element) -> None:
    """Drop scripts, navigation, hidden elements and containers named like furniture."""
    for el in list(body.iter(etree.Comment, etree.ProcessingInstruction)):
        drop(el)
    doomed = []
    total = text_len(body)
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        attrs = f"{el.get('class', '')} {el.get('id', '')}"
        style = (el.get("style") or "").replace(" ", "").lower()
        hidden = tag in DROP_TAGS or "display:none" in style or el.get("hidden") is not None
        furniture = tag in CHROME_TAGS or (
            tag not in ("table", "tr", "td", "th", "tbody") and CHROME_ATTR.search(attrs)
            and not any(h.lower() in attrs.lower() for h in CONTENT_HINTS))
        # a container named like furniture that holds most of the page is the content
        # itself (class="detail-pages", id="con_foot"): never drop it
        if hidden or (furniture and not holds_page(el, total)):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:
            drop(el)


def holds_page(el: etree._Element, total: int) -> bool:
    """Most of the page's text, and not link text: the content, whatever its name."""
    own = text_len(el)
    if own < 0.5 * total:
        return False
    links = sum(text_len(a) for a in el.iter("a"))
    return links < 0.5 * own


def drop(el: etree._Element) -> None:
    """Remove an element but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def content_node(body: etree._Element) -> etree._Element:
    """The element holding the report: a known content container if it carries most of
    the text, else descend from <body> into the child that holds >= 70% of the text."""
    total = text_len(body) or 1
    for hint in CONTENT_HINTS:
        for el in body.iter():
            if not isinstance(el.tag, str):
                continue
            classes = f"{el.get('class', '')} {el.get('id', '')}".split()
            if hint in classes and text_len(el) >= 0.5 * total:
                return el
    node = body
    while True:
        here = text_len(node) or 1
        kids = [k for k in node if isinstance(k.tag, str)]
        if not kids:
            return node
        best = max(kids, key=text_len)
        if text_len(best) >= 0.7 * here and best.tag.lower() not in ("table", "p", "tbody", "tr"):
            node = best
        else:
            return node


# --------------------------------------------------------------------------- blocks


def walk_blocks(node: etree._Element) -> list[Block]:
    """Paragraphs and tables of a content node in document order."""
    blocks: list[Block] = []
    buf: list[str] = []

    def flush() -> None:
        text = clean_paragraph("".join(buf))
        buf.clear()
        if text:
            blocks.append(Paragraph(text))

    def visit(el: etree._Element) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag == "table":
            flush()
            if is_layout(el):  # a table that lays out the page: read its cells as blocks
                for child in el.iter("td", "th"):
                    if child.getparent() is not None and nearest_table(child) is el:
                        visit_children(child)
                        flush()
            elif is_info_table(el):
                pass  # the 信息公开 metadata table (索引号, 发布机构 ...): kept in meta, not a block
            else:
                for caption in el.iter("caption"):
                    if nearest_table(caption) is el:
                        buf.append(caption.text_content())
                        flush()
                table = read_table(el)
                if table.rows:
                    blocks.append(table)
            buf.append(el.tail or "")
            return
        if tag == "br":
            flush()
            buf.append(el.tail or "")
            return
        is_block = tag in BLOCK_TAGS
        if is_block:
            flush()
        visit_children(el)
        if is_block:
            flush()
        buf.append(el.tail or "")

    def visit_children(el: etree._Element) -> None:
        buf.append(el.text or "")
        for child in el:
            if isinstance(child.tag, str):
                visit(child)
            else:
                buf.append(child.tail or "")

    visit_children(node)
    flush()
    return blocks


def trafilatura_blocks(html_text: str) -> list[Block]:
    """Fallback when no content node stands out: trafilatura's main text, one paragraph a line."""
    try:
        import trafilatura

        out = trafilatura.extract(html_text, include_tables=False, include_comments=False,
                                  favor_recall=True)
    except Exception:  # trafilatura is a fallback only; the DOM reading stays
        return []
    if not out:
        return []
    return [Paragraph(clean_paragraph(line)) for line in out.splitlines() if line.strip()]


def strip_chrome(blocks: list[Block], notes: list[str]) -> list[Block]:
    """Apply `chrome` line rules to the paragraphs; a trailing footer is cut after the
    last table only, so a report's own short lines between tables are never at risk."""
    last_table = max((i for i, b in enumerate(blocks) if isinstance(b, Table)), default=-1)
    head, tail = blocks[: last_table + 1], blocks[last_table + 1 :]
    tail_lines = [b.text for b in tail if isinstance(b, Paragraph)]
    cut = chrome.footer_start(tail_lines)
    if cut is not None:
        notes.append(f"footer removed: {' / '.join(tail_lines[cut:])[:120]}")
        tail = tail[:cut]
    out: list[Block] = []
    for b in head + tail:
        if isinstance(b, Paragraph) and chrome.is_chrome_line(b.text):
            notes.append(f"furniture line removed: {b.text[:60]}")
            continue
        out.append(b)
    return out
