"""HTML report pages -> `Document`: the report's paragraphs and DOM tables in reading order.

Flattening a Word-pasted table to text glues neighbouring numbers together and loses
which column a blank belongs to, so tables are read from the DOM (rowspan/colspan
expanded) and emitted where they stand between the paragraphs: the analyser needs
"第二十条第（一）项" right before its table. The main content node is found by removing
furniture containers and descending into the child that holds most of the text;
trafilatura is the fallback when that finds no substantial node. `chrome` rules then
drop furniture lines left inside the content.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from . import chrome
from .html_text import clean_cell, clean_paragraph, decode, strip_xml_decl
from .model import Block, Cell, Document, Paragraph, ParseError, Table

DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "select", "button", "input",
             "textarea", "svg", "canvas", "nav", "header", "footer", "aside", "form", "title", "head")
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
BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
              "section", "article", "blockquote", "pre", "center", "address", "hr", "tr", "main",
              "figure", "figcaption", "caption"}
INFO_LABEL = re.compile(r"^\s*(索引号|發布機構|发布机构|公开日期|公開日期|发布日期|發布日期|成文日期|"
                        r"文号|文號|名称|名稱|来源|來源)\s*[:：]\s*(.*)$")
DATE = re.compile(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
MAX_SPAN = 200


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
    if not any(isinstance(b, Table) for b in blocks) and text_length(blocks) < 50:
        blocks = trafilatura_blocks(text) or blocks
        doc.notes.append("content located by trafilatura")
    doc.blocks = strip_chrome(blocks, doc.notes)
    if not doc.blocks:
        raise ParseError(source, "HTML page has no text content")
    return doc


# --------------------------------------------------------------------------- metadata


def page_meta(root: etree._Element) -> dict[str, str]:
    """Title, publication date and agency from meta tags, then the 信息公开 info table."""
    metas: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        content = (m.get("content") or "").strip()
        if name and content and name not in metas:
            metas[name] = content
    info = info_table(root)
    meta: dict[str, str] = {}
    title = metas.get("articletitle") or metas.get("og:title") or info.get("名称") or info.get("名稱")
    if not title:
        h1 = root.find(".//h1")
        title = clean_paragraph(h1.text_content()) if h1 is not None else ""
    if not title:
        t = root.find(".//title")
        title = clean_paragraph(t.text_content()) if t is not None else ""
        title = re.split(r"\s*[-_|｜—]\s*(?=[^-_|｜—]*(?:网|網|站|portal)[^-_|｜—]*$)", title)[0]
    if title:
        meta["title"] = clean_paragraph(title)
    for key in ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "date"):
        if metas.get(key):
            iso = iso_date(metas[key])
            if iso:
                meta["published"] = iso
                break
    if "published" not in meta:
        for key in ("公开日期", "公開日期", "发布日期", "發布日期"):
            iso = iso_date(info.get(key, ""))
            if iso:
                meta["published"] = iso
                break
    agency = metas.get("contentsource") or info.get("发布机构") or info.get("發布機構") or info.get("来源")
    if agency:
        meta["agency"] = clean_paragraph(agency)
    for key, name in (("索引号", "index_no"), ("文号", "doc_no"), ("文號", "doc_no")):
        if info.get(key):
            meta[name] = info[key]
    return meta


def info_table(root: etree._Element) -> dict[str, str]:
    """The 信息公开 table: 索引号 / 发布机构 / 公开日期 / 文号, label and value in one
    element ("发布机构：X") or the value in the next cell."""
    found: dict[str, str] = {}
    for el in root.iter("td", "th", "span", "li", "p", "div", "dd", "dt", "label", "em", "b", "strong"):
        own = clean_paragraph(el.text_content())
        if len(own) > 80:
            continue
        m = INFO_LABEL.match(own)
        if not m:
            continue
        label, value = m.group(1), m.group(2).strip()
        if not value:
            nxt = el.getnext()
            value = clean_paragraph(nxt.text_content()) if nxt is not None else ""
        if value and label not in found and len(value) <= 80:
            found[label] = value
    return found


def iso_date(text: str) -> str | None:
    """2021-01-28, 2021/1/28, 2021年1月28日 (with or without a time) -> 2021-01-28."""
    m = DATE.search(text or "")
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


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
        furniture = (tag not in ("table", "tr", "td", "th", "tbody") and CHROME_ATTR.search(attrs)
                     and not any(h.lower() in attrs.lower() for h in CONTENT_HINTS))
        # a container named like furniture that holds most of the page is the content
        # itself (class="detail-pages", id="con_foot"): never drop it
        if hidden or (furniture and text_len(el) < 0.5 * total):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:
            drop(el)


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


def text_len(el: etree._Element) -> int:
    return len(re.sub(r"\s+", "", el.text_content()))


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


def is_layout(table: etree._Element) -> bool:
    """A table used for page layout, not data: it holds another table, or a cell holds
    running text (a cell of a data table is a label, a figure or a short note)."""
    if table.find(".//table") is not None:
        return True
    cells = [c for c in table.iter("td", "th") if nearest_table(c) is table]
    if len(cells) == 1 and text_len(cells[0]) > 100:
        return True
    return any(text_len(c) > 300 or (len(c.findall(".//p")) > 3 and text_len(c) > 150) for c in cells)


def nearest_table(el: etree._Element) -> etree._Element | None:
    for anc in el.iterancestors("table"):
        return anc
    return None


def read_table(table: etree._Element) -> Table:
    """A DOM table as a grid: rowspan/colspan expanded, copies marked `spanned`."""
    trs = [tr for tr in table.iter("tr") if nearest_table(tr) is table]
    grid: dict[tuple[int, int], Cell] = {}
    for i, tr in enumerate(trs):
        j = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            while (i, j) in grid:
                j += 1
            text = cell_text(td)
            rs = span(td.get("rowspan"))
            cs = span(td.get("colspan"))
            rs = min(rs, len(trs) - i) if rs > 1 else 1
            for di in range(rs):
                for dj in range(cs):
                    grid[(i + di, j + dj)] = Cell(text, spanned=bool(di or dj))
            j += cs
    rows: list[list[Cell]] = []
    for i in range(len(trs)):
        cols = sorted(j for (r, j) in grid if r == i)
        if cols:
            width = cols[-1] + 1
            rows.append([grid.get((i, j), Cell("")) for j in range(width)])
    return Table(rows=rows)


def span(value: str | None) -> int:
    """rowspan/colspan attribute as a sane integer (Word writes rowspan=0 and junk too)."""
    try:
        n = int(str(value).strip().strip("'\""))
    except (TypeError, ValueError):
        return 1
    return max(1, min(n, MAX_SPAN))


def cell_text(td: etree._Element) -> str:
    """Cell text with span soup joined; <p>/<br> breaks count as white space (dropped
    between Chinese characters, kept between figures); &nbsp; alone is empty."""
    parts: list[str] = []

    def visit(el: etree._Element) -> None:
        parts.append(el.text or "")
        for child in el:
            if isinstance(child.tag, str):
                tag = child.tag.lower()
                if tag in BLOCK_TAGS or tag == "br":
                    parts.append("\n")
                visit(child)
                if tag in BLOCK_TAGS:
                    parts.append("\n")
            parts.append(child.tail or "")

    visit(td)
    return clean_cell("".join(parts))


def text_length(blocks: list[Block]) -> int:
    return sum(len(b.text) for b in blocks if isinstance(b, Paragraph))


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
