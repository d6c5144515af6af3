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

from lxml import etree

from . import chrome
from .html_dom import own_cells, parse_html
from .html_meta import page_meta
from .html_tables import BLOCK_TAGS, is_info_table, is_layout, read_table, text_len
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
        root, dom_notes = parse_html(strip_xml_decl(text))
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(source, f"unreadable HTML: {exc}") from exc
    doc = Document(source=source, kind="html", notes=[*notes, *dom_notes])
    if encoding not in ("utf-8", "ascii"):
        doc.notes.append(f"decoded as {encoding}")
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        drop(el)  # their tails stay: the one-pass walkers below never see comments
    doc.meta = page_meta(root)
    body = root.find("body")
    if body is None:
        body = root
    remove_furniture(body)
    node = content_node(body)
    blocks = walk_blocks(node, doc.notes)
    if not blocks:  # nothing left after furniture removal: let trafilatura find the text
        blocks = trafilatura_blocks(text) or blocks
        doc.notes.append("content located by trafilatura")
    doc.blocks = strip_chrome(blocks, doc.notes)
    if not doc.blocks:
        raise ParseError(source, "HTML page has no text content")
    return doc


# --------------------------------------------------------------------------- content node


_FURNITURE_CANDIDATES = etree.XPath(
    ".//*[@class or @id or @style or @hidden] | "
    + " | ".join(f".//{t}" for t in (*DROP_TAGS, *CHROME_TAGS)))


def remove_furniture(body: etree._Element) -> None:
    """Drop scripts, navigation, hidden elements and containers named like furniture.

    Candidates are found by one XPath (elements with a class, id, style or hidden
    attribute, and furniture tags); only those named like furniture are measured.
    """
    for el in list(body.iter(etree.Comment, etree.ProcessingInstruction)):
        drop(el)
    doomed = []
    total = text_len(body)
    for el in _FURNITURE_CANDIDATES(body):
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


_HINTED = etree.XPath(".//*[@class or @id]")
MAX_DESCENT = 24  # levels with several children to look into; deeper is not a page layout


def content_node(body: etree._Element) -> etree._Element:
    """The element holding the report: a known content container if it carries most of
    the text, else descend from <body> into the child that holds >= 70% of the text.

    The hinted elements are found by one XPath; the descent costs nothing through
    single-child wrappers and stops after `MAX_DESCENT` real choices, so a page nested
    thousands of levels deep costs one pass, not one per level.
    """
    total = text_len(body) or 1
    words = set(CONTENT_HINTS)
    hinted = [el for el in _HINTED(body)
              if words.intersection(f"{el.get('class', '')} {el.get('id', '')}".split())]
    for hint in CONTENT_HINTS:
        for el in hinted:
            classes = f"{el.get('class', '')} {el.get('id', '')}".split()
            if hint in classes and text_len(el) >= 0.5 * total:
                return el
    node = body
    choices = 0
    here = total
    while choices < MAX_DESCENT:
        kids = [k for k in node if isinstance(k.tag, str)]
        if not kids:
            return node
        if len(kids) == 1:
            kid = kids[0]
            own = len("".join((node.text or "").split())) + len("".join((kid.tail or "").split()))
            for k in node:
                if not isinstance(k.tag, str):
                    own += len("".join((k.tail or "").split()))
            kid_size = here - own
        else:
            choices += 1
            sized = [(text_len(k), k) for k in kids]
            kid_size, kid = max(sized, key=lambda t: t[0])
        if kid_size >= 0.7 * (here or 1) and kid.tag.lower() not in ("table", "p", "tbody", "tr"):
            node, here = kid, kid_size
        else:
            return node
    return node


# --------------------------------------------------------------------------- blocks


def walk_blocks(node: etree._Element, notes: list[str] | None = None) -> list[Block]:
    """Paragraphs and tables of a content node in document order.

    Iterative (an explicit stack of actions), so that a page nested thousands of levels
    deep never meets Python's recursion limit.
    """
    blocks: list[Block] = []
    buf: list[str] = []

    def flush() -> None:
        text = clean_paragraph("".join(buf))
        buf.clear()
        if text:
            blocks.append(Paragraph(text))

    FLUSH, TEXT, VISIT, CHILDREN = 0, 1, 2, 3
    todo: list[tuple[int, object]] = [(CHILDREN, node)]

    def children(el: etree._Element) -> list[tuple[int, object]]:
        out: list[tuple[int, object]] = [(TEXT, el.text or "")]
        for child in el:
            out.append((VISIT, child) if isinstance(child.tag, str) else (TEXT, child.tail or ""))
        return out

    while todo:
        action, arg = todo.pop()
        if action == FLUSH:
            flush()
            continue
        if action == TEXT:
            buf.append(str(arg))
            continue
        el: etree._Element = arg
        if action == CHILDREN:
            todo.extend(reversed(children(el)))
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        steps: list[tuple[int, object]]
        if tag == "table":
            flush()
            steps = []
            if is_layout(el):  # a table that lays out the page: read its cells as blocks
                for cell in own_cells(el):
                    steps += [(CHILDREN, cell), (FLUSH, None)]
            elif is_info_table(el):
                pass  # the 信息公开 metadata table (索引号, 发布机构 ...): kept in meta, not a block
            else:
                for caption in el.xpath("./caption"):
                    buf.append(caption.text_content())
                    flush()
                table = read_table(el, notes)
                if table.rows:
                    blocks.append(table)
            steps.append((TEXT, el.tail or ""))
        elif tag == "br":
            flush()
            steps = [(TEXT, el.tail or "")]
        elif tag in BLOCK_TAGS:
            steps = [(FLUSH, None), (CHILDREN, el), (FLUSH, None), (TEXT, el.tail or "")]
        else:
            steps = [(CHILDREN, el), (TEXT, el.tail or "")]
        todo.extend(reversed(steps))
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
