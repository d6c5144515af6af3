"""Plain text (.txt/.md) already extracted from a report: one Paragraph per line.

Text reaches us as UTF-8 (with or without BOM) or, from older portals, GB18030/GBK.
Tabs are kept because tab-separated rows are how copied tables survive in text.
"""

from __future__ import annotations

import re

from .decoding import bom_encoding, plain_text
from .model import Block, Document, Paragraph, ParseError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def decode(data: bytes, source: str) -> str:
    """Decode text by the shared rules (BOM, UTF-8, GB18030); raise ParseError otherwise."""
    got = plain_text(data)
    if got is None:
        if b"\x00" in data[:4096] and bom_encoding(data) is None:
            raise ParseError(source, "not text: the file contains NUL bytes (binary data?)")
        raise ParseError(source, "cannot decode text as UTF-8, UTF-16 or GB18030")
    return got[0]


def extract(data: bytes, source: str) -> Document:
    """Bytes of a .txt/.md file -> Document of Paragraph lines."""
    text = decode(data, source)
    if not text.strip():
        raise ParseError(source, "empty document: no text")
    blocks: list[Block] = [Paragraph(line) for line in _LINE_BREAK.split(text)]
    return Document(source=source, kind="text", blocks=blocks)
