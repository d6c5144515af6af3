"""Recognising attachment links and dates on portal pages.

Reports are often published as files: .pdf, Word (.doc/.docx/.wps), Excel, OFD, scanned
pages as images (.jpg/.png/.tif: the parsers read them by OCR), linked
directly, through a pdf.js viewer (`viewer.html?file=...`, where the file parameter is
the document) or through a download servlet (`downfile.jsp?filename=...`, where the URL
itself returns the document). This module turns such an href into the URL to fetch.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from ..dates import iso_date, valid

ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".zip", ".rar",
                         ".jpg", ".jpeg", ".png", ".tif", ".tiff")
_VIEWER = re.compile(r"(^|/)(viewer|pdfjs[^/]*|web/viewer|preview)\.html?$", re.I)
_SERVLET = re.compile(r"(download|downfile|down\.|getfile|attach)", re.I)
_SERVLET_PARAMS = ("filename", "file", "fileName", "filepath", "path", "url", "name")
_URL_DATE = re.compile(r"(?:^|/)t?(20\d\d)(\d\d)(\d\d)_")
_URL_DATE_DIRS = re.compile(r"/(20\d\d)/(\d{1,2})/(\d{1,2})/")


def has_attachment_ext(name: str) -> bool:
    return unquote(name).lower().rstrip().endswith(ATTACHMENT_EXTENSIONS)


def may_be_attachment(href: str) -> bool:
    """False for an href that `attachment_url` is sure to refuse, found without resolving it.

    Without a query an href is an attachment only by its extension (viewers, servlets and
    file-name labels all need a query), and joining it to the page's URL keeps the end of
    its path: most links of a page are ruled out here at a fraction of urljoin's cost.
    """
    if "?" in href or "\t" in href or "\n" in href or "\r" in href:  # urlsplit drops \t\n\r
        return True
    return has_attachment_ext(href.split("#", 1)[0])


def attachment_url(href: str | None, base: str, text: str = "") -> str | None:
    """The document URL an href points to, or None when it is not an attachment link.

    - `a/P020240101.pdf` -> the file itself;
    - `/pdfjs/web/viewer.html?file=/files/x.pdf` -> `/files/x.pdf` (the viewer is only chrome);
    - `/module/download/downfile.jsp?classid=0&filename=x.pdf` -> the servlet URL itself;
    - a link whose text is a file name (报告.pdf) to a servlet -> the servlet URL.
    """
    if not href:
        return None
    href = href.strip()
    if href.startswith(("javascript:", "mailto:", "#", "tel:")) or not may_be_attachment(href):
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    if has_attachment_ext(parts.path):
        return url
    query = parse_qs(parts.query)
    if _VIEWER.search(parts.path):
        target = next(iter(query.get("file") or query.get("url") or []), None)
        if target and has_attachment_ext(urlsplit(target).path or target):
            return urljoin(url, target)
        return None
    for key in _SERVLET_PARAMS:
        for value in query.get(key, []):
            if has_attachment_ext(value):
                return url
    if text and has_attachment_ext(text.strip()) and parts.query:
        return url
    if parts.query and _SERVLET.search(parts.path) and "附件" in (text or ""):
        return url  # downfile.jsp?fileid=123 labelled 附件1
    return None


def date_in(text: str | None) -> str | None:
    """The first date written in `text` (2024-01-20, 2024/1/20, 2024年1月20日) as ISO, or None."""
    return iso_date(text)


def date_in_url(url: str) -> str | None:
    """The date a CMS encodes in a document URL (TRS t20240120_…, Hanweb /art/2024/1/20/)."""
    path = urlsplit(url).path
    for pattern in (_URL_DATE, _URL_DATE_DIRS):
        m = pattern.search(path)
        if m:
            found = valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if found:
                return found
    return None
