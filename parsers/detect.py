"""Decide what kind of document a byte string is, from the bytes themselves.

Portals serve PDFs as `text/html`, report pages as `.shtml` or `.jsp`, and attachments
from download servlets with no useful name, so neither the URL nor the Content-Type can
be trusted: magic numbers and content decide, the name only breaks ties. Anything that
cannot be read (empty, junk, PowerPoint, OFD, encrypted Office files) is refused here
with a `ParseError` that says what it is and what to do, so that no extractor is ever
handed garbage. Legacy Office files are told apart by the streams of their OLE2
container (olefile), not by a name a download servlet may have invented.
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
    b"BM": "BMP image",
}
OFD_UNSUPPORTED = (
    "OFD document (GB/T 33190): no well-kept OFD reader exists for Python yet, so it is not "
    "parsed; the capture is kept. Parse the portal's PDF version, or convert it to PDF")


def sniff(data: bytes, source: str, content_type: str | None = None) -> str:
    """Return "html", "pdf", "docx", "text", "image" (read by OCR), "doc" (legacy Word or
    WPS, converted by LibreOffice) or "sheet" (Excel/WPS spreadsheet); raise `ParseError`
    for what cannot be parsed."""
    if not data or not data.strip():
        raise ParseError(source, "empty file: no content to parse")
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data, source)
    if data.startswith(OLE2_MAGIC):
        return _sniff_ole2(data, source)
    if data.lstrip().startswith(b"{\\rtf"):
        raise ParseError(source, "RTF document is not supported: convert to .docx or PDF")
    if data[:4] in (b"RIFF",) and data[8:12] == b"WEBP":
        return "image"
    if any(data.startswith(magic) for magic in IMAGE_MAGICS) and _image_header_ok(data):
        return "image"
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


def _image_header_ok(data: bytes) -> bool:
    """"BM" starts many things; a BMP also has a known DIB header size at byte 14."""
    if not data.startswith(b"BM"):
        return True
    return len(data) > 26 and data[14] in (12, 40, 56, 108, 124)


def _sniff_zip(data: bytes, source: str) -> str:
    """A zip is a .docx only when it holds word/document.xml; name the other formats."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError(source, f"corrupt zip/Office file: {exc}") from exc
    if "word/document.xml" in names:
        return "docx"
    if "OFD.xml" in names or any(n.startswith("Doc_0/") for n in names):
        raise ParseError(source, OFD_UNSUPPORTED)
    if any(n.startswith("xl/") for n in names):
        return "sheet"
    if any(n.startswith("ppt/") for n in names):
        raise ParseError(source, "PowerPoint .pptx is not supported: convert to PDF")
    if "mimetype" in names and "content.xml" in names:
        kind = zipfile.ZipFile(io.BytesIO(data)).read("mimetype")[:100]
        if b"spreadsheet" in kind:
            return "sheet"
        raise ParseError(source, "OpenDocument file is not supported: convert to .docx or PDF")
    raise ParseError(source, "zip archive that is not a Word .docx document")


def _sniff_ole2(data: bytes, source: str) -> str:
    """Legacy Office files share one container; its streams tell which program made it."""
    streams = ole2_streams(data)
    if streams is None:
        raise ParseError(source, "corrupt legacy Office (OLE2) file: its directory cannot be read")
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        raise ParseError(source, "password-protected Office document: it cannot be read without "
                                 "the password")
    if "worddocument" in streams:
        return "doc"  # Word 97-2003 and WPS Writer (.wps files of WPS Office are Word-like)
    if "workbook" in streams or "book" in streams:
        return "sheet"  # Excel 97-2003 and WPS Spreadsheets (.et)
    if "contents" in streams and ("matost" in streams or source.lower().split("?")[0].endswith(".wps")):
        return "doc"  # Microsoft Works word processor .wps
    if "powerpoint document" in streams:
        raise ParseError(source, "legacy PowerPoint .ppt is not supported: convert to PDF")
    return _unknown_ole2(streams, source)


def _unknown_ole2(streams: set[str], source: str) -> str:
    names = ", ".join(sorted(streams)[:8]) or "none"
    raise ParseError(source, f"legacy Office (OLE2) file of an unknown kind (streams: {names}): "
                             "convert to .docx or PDF")


def ole2_streams(data: bytes) -> set[str] | None:
    """Lower-cased names of all streams and storages in an OLE2 file, None if unreadable."""
    import olefile

    try:
        ole = olefile.OleFileIO(data)
    except (OSError, ValueError, IndexError, TypeError):
        return None
    try:
        return {part.lower() for entry in ole.listdir(streams=True, storages=True) for part in entry}
    except (OSError, ValueError, IndexError, TypeError):
        return None
    finally:
        ole.close()
