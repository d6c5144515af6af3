"""Decoding and whitespace rules for HTML pages, shared by the HTML extractor's parts.

Chinese portals declare GBK/GB2312 (or nothing) as often as UTF-8, and Word-pasted HTML
wraps its source lines in the middle of words, so both the bytes and the white space
need care before any text is compared with a template label.
"""

from __future__ import annotations

import re

CHARSET_DECL = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)

# GB2312 and GBK pages routinely contain characters only GB18030 (their superset) has.
ALIASES = {
    "gb2312": "gb18030", "gb_2312-80": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "cp936": "gb18030", "gb18030": "gb18030", "big5": "big5hkscs", "utf8": "utf-8",
}

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
    """Decode page bytes: BOM, then valid UTF-8, then the declared charset, then detection.

    Returns (text, encoding used, notes). A page that decodes only with replacement
    characters is still returned, with a note, so that nothing is silently lost.
    """
    notes: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8", notes
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16", notes
    declared = declared_charset(data)
    # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the page says: GBK text is
    # practically never valid UTF-8, while GB18030 decodes almost anything (mojibake).
    try:
        text = data.decode("utf-8")
        if declared not in (None, "utf-8") and not data.isascii():
            notes.append(f"page declares {declared} but is UTF-8")
        return text, "utf-8", notes
    except UnicodeDecodeError:
        pass
    if declared and declared != "utf-8":
        try:
            return data.decode(declared), declared, notes
        except (UnicodeDecodeError, LookupError):
            notes.append(f"declared charset {declared!r} does not decode the page")
    try:
        from charset_normalizer import from_bytes

        # Chinese portals: the candidates are the GB family and Big5 (mirrors), not cp949 &c.
        best = from_bytes(data, cp_isolation=["gb18030", "gbk", "gb2312", "big5", "utf_8"]).best()
        if best is not None and best.encoding:
            enc = ALIASES.get(best.encoding.lower(), best.encoding)
            notes.append(f"charset detected as {enc}")
            return data.decode(enc, "replace"), enc, notes
    except Exception as exc:  # detection is a best effort; fall through to GB18030
        notes.append(f"charset detection failed: {exc}")
    notes.append("page decoded as GB18030 with replacement characters")
    return data.decode("gb18030", "replace"), "gb18030", notes


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
