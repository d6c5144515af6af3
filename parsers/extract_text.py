"""Plain text (.txt/.md) already extracted from a report: one Paragraph per line.

Text reaches us as UTF-8 (with or without BOM) or, from older portals, GB18030/GBK.
Tabs are kept because tab-separated rows are how copied tables survive in text.
"""

from __future__ import annotations

import re

from .model import Document, Paragraph, ParseError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode(data: bytes, source: str) -> str:
    """Decode UTF-8 (BOM allowed), else GB18030; raise ParseError for anything else."""
    if b"\x00" in data[:4096]:
        raise ParseError(source, "not text: the file contains NUL bytes (binary data?)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL.findall(text)) > max(3, len(text) // 100):
            break
        return text
    raise ParseError(source, "cannot decode text as UTF-8 or GB18030")


def extract(data: bytes, source: str) -> Document:
    """Bytes of a .txt/.md file -> Document of Paragraph lines."""
    text = decode(data, source)
    if not text.strip():
        raise ParseError(source, "empty document: no text")
    blocks = [Paragraph(line) for line in _LINE_BREAK.split(text)]
    return Document(source=source, kind="text", blocks=blocks)
