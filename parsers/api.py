"""Entry points of the parsing stage: bytes in, a `nianbao.report/1` dict out.

The kind of a document is decided from its bytes (a portal may serve a PDF as
`text/html`, or a report page as `.shtml`), then one extractor turns it into a
`Document` and `report.analyse` turns that into the contract's JSON. No I/O here
beyond `parse_file` reading the one file it is given.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from ..contract import REPORT_SCHEMA, ErrorResult, Report, validate_report
from . import limits
from .model import Document, ParseError


def extract(data: bytes, source: str, *, content_type: str | None = None) -> Document:
    """Turn raw bytes into a `Document`, choosing the extractor from the bytes themselves."""
    from . import detect

    kind = detect.sniff(data, source, content_type)
    limits.check(kind, data, source)  # sizes before inflating (parsers/limits.py)
    extractor: ModuleType
    if kind == "html":
        from . import extract_html as extractor
    elif kind == "pdf":
        from . import extract_pdf as extractor
    elif kind == "docx":
        from . import extract_docx as extractor
    elif kind == "text":
        from . import extract_text as extractor
    elif kind == "image":
        from . import extract_image as extractor
    elif kind == "doc":
        from . import extract_doc as extractor
    elif kind == "sheet":
        from . import extract_sheet as extractor
    else:  # detect.sniff raises ParseError for what it cannot read; this is a guard
        raise ParseError(source, f"unsupported document kind {kind!r}")
    document: Document = extractor.extract(data, source)
    return document


def parse_bytes(
    data: bytes,
    source: str,
    *,
    content_type: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Report:
    """Parse one document. Raises `ParseError` naming `source` when it cannot be read.

    `meta` carries hints from whoever fetched the document (the list page's title and
    date, the report page an attachment hangs from); the document's own metadata wins.
    """
    from . import report

    limits.progress("reading the document")
    document = extract(data, source, content_type=content_type)
    limits.progress("analysing the report")
    result = report.analyse(document, hints=meta or {})
    problems = validate_report(result)
    if problems:  # a bug of ours: say so rather than hand on a report the archive refuses
        raise ParseError(source, "internal error: invalid report: " + "; ".join(problems[:5]))
    return result


def parse_file(path: str | Path) -> Report:
    """Parse a file on disk; the path is the `source` of the result."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ParseError(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    return parse_bytes(data, str(path))


def error_result(source: str, problem: str) -> ErrorResult:
    """The object `nianbao parse` prints for a document that failed."""
    return {"schema": REPORT_SCHEMA, "source": source, "error": f"{source}: {problem}"}
