"""Metadata a report page carries about itself: title, publication date, agency.

Portals state them in `<meta name="ArticleTitle|PubDate|ContentSource">` and in the
信息公开 box (索引号 / 发布机构 / 公开日期 / 文号); list pages and URLs often disagree
with them, so the page's own statement is kept for the analyser to prefer.
"""

from __future__ import annotations

import re

from lxml import etree

from ..dates import iso_date
from .html_dom import short_text
from .html_text import clean_paragraph

INFO_LABEL = re.compile(r"^\s*(索引号|發布機構|发布机构|公开日期|公開日期|发布日期|發布日期|成文日期|"
                        r"文号|文號|名称|名稱|来源|來源)\s*[:：]\s*(.*)$")


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


INFO_TAGS = {"td", "th", "span", "li", "p", "div", "dd", "dt", "label", "em", "b", "strong"}
# Every element the label pattern matches holds a colon in one of its texts (the label
# itself may be split over elements: <span>发布</span>机构：), so only those are looked at.
_LABEL_TEXTS = etree.XPath("//text()[contains(., '：') or contains(., ':')]")


def info_table(root: etree._Element) -> dict[str, str]:
    """The 信息公开 table: 索引号 / 发布机构 / 公开日期 / 文号, label and value in one
    element ("发布机构：X") or the value in the next cell.

    Only the elements around text that holds a label are read (found by one XPath over
    the text), each no further than 80 characters, so a large or deeply nested page costs
    one pass over its text, not one `text_content()` per container.
    """
    hits: list[tuple[tuple[int, ...], str, str]] = []  # (document order, label, value)
    seen: set[etree._Element] = set()
    for text in _LABEL_TEXTS(root):
        el = text.getparent()
        if el is not None and text.is_tail:
            el = el.getparent()
        while el is not None and el not in seen and isinstance(el.tag, str):
            seen.add(el)
            own_raw = short_text(el, 80)
            if own_raw is None:
                break
            el_next = el.getparent()
            if el.tag.lower() in INFO_TAGS:
                own = clean_paragraph(own_raw)
                m = INFO_LABEL.match(own) if len(own) <= 80 else None
                if m:
                    label, value = m.group(1), m.group(2).strip()
                    if not value:
                        nxt = el.getnext()
                        value = clean_paragraph(short_text(nxt, 80) or "") if nxt is not None else ""
                    if value and len(value) <= 80:
                        hits.append((_doc_position(el), label, value))
            el = el_next
    found: dict[str, str] = {}
    for _, label, value in sorted(hits, key=lambda h: h[0]):
        found.setdefault(label, value)
    return found


def _doc_position(el: etree._Element) -> tuple[int, ...]:
    """Sort key in document order: the indices of the element's ancestors' children."""
    path: list[int] = []
    node = el
    while node.getparent() is not None:
        parent = node.getparent()
        path.append(parent.index(node))
        node = parent
    return tuple(reversed(path))
