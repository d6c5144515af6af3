"""Decide what kind of document a byte string is, from the bytes themselves.

Portals serve PDFs as `text/html`, report pages as `.shtml` or `.jsp`, and attachments
from download servlets with no useful name, so neither the URL nor the Content-Type can
be trusted: magic numbers and content decide, the name only breaks ties. Anything that
cannot be read (empty, junk, legacy Office, OFD) is refused here with a `ParseError`
that says what it is and what to do, so that no extractor is ever handed garbage.
"""

from __future__ import annotations

import io
import re
import zipfile

from .decoding import SAMPLE, plain_text
from .model import ParseError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HTML_TAG = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|table|span|br)\b", re.I)
HTML_NAME = re.compile(r"\.(s?html?|jsp|aspx?|php)(\?|$)", re.I)

IMAGE_MAGICS = {
    b"\x89PNG\r\n\x1a\n": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF87a": "GIF image",
    b"GIF89a": "GIF image",
    b"II*\x00": "TIFF image",
    b"MM\x00*": "TIFF image",
}


def sniff(data: bytes, source: str, content_type: str | None = None) -> str:
    """Return "html", "pdf", "docx" or "text"; raise `ParseError` for what cannot be parsed."""
    if not data or not data.strip():
        raise ParseError(source, "empty file: no content to parse")
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data, source)
    if data.startswith(OLE2_MAGIC):
        raise ParseError(source, _ole2_problem(data, source))
    if data.lstrip().startswith(b"{\\rtf"):
        raise ParseError(source, "RTF document is not supported: convert to .docx or PDF")
    for magic, name in IMAGE_MAGICS.items():
        if data.startswith(magic):
            raise ParseError(source, f"{name}, not a text document: OCR is needed")
    decoded = plain_text(data[:SAMPLE], partial=len(data) > SAMPLE)
    if decoded is None:
        raise ParseError(source, "binary data of an unrecognised format, not a document")
    text = decoded[0]
    if HTML_TAG.search(data[:65536]):
        return "html"
    if content_type and "html" in content_type.lower() and "<" in text[:2000]:
        return "html"
    if HTML_NAME.search(source) and re.search(r"<[a-zA-Z]", text[:2000]):
        return "html"
    return "text"


def _sniff_zip(data: bytes, source: str) -> str:
    """A zip is a .docx only when it holds word/document.xml; name the other formats."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError(source, f"corrupt zip/Office file: {exc}") from exc
    if "word/document.xml" in names:
        return "docx"
    if "OFD.xml" in names or any(n.startswith("Doc_0/") for n in names):
        raise ParseError(source, "OFD document is not supported: convert to PDF")
    if any(n.startswith("xl/") for n in names):
        raise ParseError(source, "Excel .xlsx spreadsheet is not supported: convert to PDF")
    if any(n.startswith("ppt/") for n in names):
        raise ParseError(source, "PowerPoint .pptx is not supported: convert to PDF")
    if "mimetype" in names:
        raise ParseError(source, "OpenDocument file is not supported: convert to .docx or PDF")
    raise ParseError(source, "zip archive that is not a Word .docx document")


def _ole2_problem(data: bytes, source: str) -> str:
    """Legacy Office files share one container; its stream names tell which program made it."""
    low = source.lower().split("?")[0]
    body = data[:200000]
    if low.endswith(".wps") or "WpsCustomData".encode("utf-16-le") in body:
        return "WPS document (.wps) is not supported: convert to .docx or PDF"
    if "WordDocument".encode("utf-16-le") in body or low.endswith(".doc"):
        return "legacy Word .doc is not supported: convert to .docx or PDF"
    if "Workbook".encode("utf-16-le") in body or low.endswith(".xls"):
        return "legacy Excel .xls is not supported: convert to PDF"
    if "PowerPoint".encode("utf-16-le") in body or low.endswith(".ppt"):
        return "legacy PowerPoint .ppt is not supported: convert to PDF"
    return "legacy Office (OLE2) document is not supported: convert to .docx or PDF"
