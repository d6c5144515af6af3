"""TRS WCM columns: `index.html`, `index_1.html`, … announced by `createPageHTML(n, cur, "index", "html")`.

The list pages are static; the script only draws the pager, so its arguments tell us
every page there is. Page 0 is `index.html`, page k is `index_k.html`.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import TextResponse

from .common import ListPage, entries_from

NAME = "trs"

# createPageHTML(countPage, currentPage, "index", "html") — numbers or variable names.
_PAGER = re.compile(
    r"createPageHTML\(\s*([\w.]+)\s*,\s*([\w.]+)\s*,\s*[\"'](\w+)[\"']\s*,\s*[\"'](\w+)[\"']\s*[,)]"
)
_VAR = r"var\s+{name}\s*=\s*(\d+)"
MAX_PAGES = 500


def _number(token: str, script: str) -> int | None:
    if token.isdigit():
        return int(token)
    m = re.search(_VAR.format(name=re.escape(token)), script)
    return int(m.group(1)) if m else None


def detect(response: TextResponse) -> bool:
    return bool(_PAGER.search(response.text)) or "TRS_Editor" in response.text


def pager(text: str) -> tuple[int, str, str] | None:
    """(page count, file prefix, extension) from a TRS pager script, or None."""
    m = _PAGER.search(text)
    if not m:
        return None
    count = _number(m.group(1), text)
    if count is None:
        return None
    return min(count, MAX_PAGES), m.group(3), m.group(4)


def page_urls(base: str, count: int, prefix: str = "index", ext: str = "html") -> list[str]:
    """All list pages of a TRS column: index.html, index_1.html … index_{count-1}.html."""
    names = [f"{prefix}.{ext}"] + [f"{prefix}_{i}.{ext}" for i in range(1, count)]
    return [urljoin(base, n) for n in names]


def current_page(text: str) -> int | None:
    """The number of the page whose pager script this is (0 for index.html), or None."""
    m = _PAGER.search(text)
    return _number(m.group(2), text) if m else None


def parse_list(response: TextResponse, column_url: str) -> ListPage:
    """Entries of the page; the column's other pages from its first page (or the column page).

    Every page draws the same pager, so the first names them all: asking from every page
    built count² requests only for the spider to drop them (a 476-page column: 226,000).
    """
    page = ListPage(entries=entries_from(response.selector, response.url))
    found = pager(response.text)
    if found and (current_page(response.text) in (0, None) or response.url == column_url):
        count, prefix, ext = found
        page.more = [Request(u) for u in page_urls(response.url, count, prefix, ext) if u != response.url]
    return page
