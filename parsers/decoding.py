"""Bytes -> text, one set of rules for every reader of text (kind detection, plain text, HTML).

Reports reach us as UTF-8 (with or without BOM), UTF-16 with a BOM (Windows "Unicode"
text), or GBK/GB2312/GB18030 from older portals. Kind detection, the plain-text reader
and the HTML reader must agree on what is text and how to decode it: a file that
`detect` calls text must be decodable by the text reader.
"""

from __future__ import annotations

import codecs

# Byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# GB2312 and GBK text routinely holds characters only GB18030 (their superset) has.
ALIASES = {
    "gb2312": "gb18030", "gb_2312-80": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "cp936": "gb18030", "gb18030": "gb18030", "big5": "big5hkscs", "utf8": "utf-8",
}
SAMPLE = 65536
# Share of control or private-use characters above which decoded bytes are not text.
MAX_ODD_SHARE = 0.02


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark announces (the mark is removed by that codec)."""
    for mark, name in _BOMS:
        if data.startswith(mark):
            return name
    return None


def plausible(text: str) -> bool:
    """Text has few control characters (NUL included) and few private-use/replacement ones."""
    if not text:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b")
    odd = sum(1 for ch in text if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd")
    return (controls + odd) / len(text) < MAX_ODD_SHARE


def plain_text(data: bytes, *, partial: bool = False) -> tuple[str, str] | None:
    """(text, encoding) for bytes that are plain text: the BOM's encoding, else UTF-8, else
    GB18030; None when none of them gives plausible text. `partial` says `data` is a
    sample cut from a longer file (a character cut at its end is not an error)."""
    bom = bom_encoding(data)
    candidates = (bom,) if bom else ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(data, final=not partial)
        except UnicodeDecodeError:
            continue
        if plausible(text):
            return text, encoding
    return None


def looks_like_text(data: bytes) -> bool:
    """Whether a document's bytes are text (judged on its first 64 KiB)."""
    return plain_text(data[:SAMPLE], partial=len(data) > SAMPLE) is not None


def html_text(data: bytes, declared: str | None) -> tuple[str, str, list[str]]:
    """Decode page bytes: BOM, then valid UTF-8, then the declared charset, then detection.

    Returns (text, encoding used, notes). A page that decodes only with replacement
    characters is still returned, with a note, so that nothing is silently lost.
    """
    notes: list[str] = []
    bom = bom_encoding(data)
    if bom:
        return data.decode(bom, "replace"), bom.removesuffix("-sig"), notes
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
