"""Decoding and whitespace rules for HTML pages, shared by the HTML extractor's parts.

Chinese portals declare GBK/GB2312 (or nothing) as often as UTF-8, and Word-pasted HTML
wraps its source lines in the middle of words, so both the bytes and the white space
need care before any text is compared with a template label.
"""

from __future__ import annotations

import re

from .decoding import ALIASES, html_text

CHARSET_DECL = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)

CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_WS_NEWLINE_CJK = re.compile(rf"(?<=[{CJK}])[ \t\r\n\xa0]*\n[ \t\r\n\xa0]*(?=[{CJK}])")
_WS_ANY_CJK = re.compile(rf"(?<=[{CJK}])[\s\xa0\u3000]+(?=[{CJK}])")
_WS = re.compile(r"[\s\xa0\u3000\u200b\ufeff]+")


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first bytes (meta charset / http-equiv)."""
    m = CHARSET_DECL.search(data[:8192])
    if not m:
        return None
    name = m.group(1).decode("ascii", "replace").lower()
    return ALIASES.get(name, name)


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Decode page bytes by the shared rules (`decoding.html_text`), honouring the page's
    declared charset. Returns (text, encoding used, notes)."""
    return html_text(data, declared_charset(data))


def strip_xml_decl(text: str) -> str:
    """lxml refuses str input that still carries an XML encoding declaration."""
    return XML_DECL.sub("", text, count=1)


def clean_paragraph(text: str) -> str:
    """Paragraph white space: source line breaks between Chinese characters vanish
    (Word wraps its HTML source mid-word), other runs become one space."""
    text = _WS_NEWLINE_CJK.sub("", text)
    return _WS.sub(" ", text).strip()


def clean_cell(text: str) -> str:
    """Cell white space: none between Chinese characters (labels split over spans and
    lines, 只计这一情 形), one space elsewhere; &nbsp;-only cells become empty."""
    text = _WS.sub(" ", text).strip()
    return _WS_ANY_CJK.sub("", text)
