"""Legacy Word (.doc) and WPS Writer (.wps) files -> .docx by LibreOffice -> the .docx reader.

Both are OLE2 containers (detect tells them apart by their streams). WPS Office saves
.wps in Word's binary format with WPS streams added, so LibreOffice's Word filter reads
it; Microsoft Works .wps files have their own filter, chosen by the suffix given to the
input. Tables and merged cells come through the conversion as Word tables, read by
`extract_docx`. The result's kind says where it came from ("doc").
"""

from __future__ import annotations

from . import extract_docx, office
from .detect import ole2_streams
from .model import Document, ParseError


def extract(data: bytes, source: str) -> Document:
    """Convert with LibreOffice (time-limited) and read the .docx it writes."""
    streams = ole2_streams(data) or set()
    works = "worddocument" not in streams and "contents" in streams
    what = "Microsoft Works document (.wps)" if works else (
        "WPS document (.wps)" if _is_wps(streams, source) else "legacy Word document (.doc)")
    converted = office.convert(data, source, suffix=".wps" if works else ".doc",
                               target="docx:MS Word 2007 XML", what=what)
    try:
        doc = extract_docx.extract(converted, source)
    except ParseError as exc:
        raise ParseError(source, f"{what} converted by LibreOffice: {exc.problem}") from exc
    doc.kind = "doc"
    doc.notes.append(f"{what} converted to .docx by LibreOffice")
    return doc


def _is_wps(streams: set[str], source: str) -> bool:
    return any(s.startswith("wps") for s in streams) or source.lower().split("?")[0].endswith(".wps")
