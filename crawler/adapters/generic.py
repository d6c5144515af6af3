"""Any column: links, 下一页/尾页 pagers, ?page=N, index_N.shtml, and sub-columns.

Used on every list page next to the platform adapter, so an unknown CMS still yields its
report links and its next pages. Sub-columns (per year, per kind of agency) are followed
only inside the source's own column directory, which keeps the crawl from wandering
into the rest of the portal.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from scrapy import Request
from scrapy.http import TextResponse

from ..titles import normalise
from .common import ListPage, column_dir, entries_from

NAME = "generic"

_NEXT = {"下一页", "下页", "后页", "下一頁", "下頁", ">", ">>", "›", "»", "next", "Next"}
_LAST = {"尾页", "末页", "最后一页", "尾頁", "末頁", "last", "Last"}
_PAGE_PARAMS = (
    "page", "pageNo", "pageno", "pageNum", "pagenum", "cur_page", "curpage", "p", "pn", "pageIndex",
)
_PAGED_PATH = re.compile(r"(index|list|column-index|default)[_-]\d+\.s?html?$", re.I)
_COLUMN_PATH = re.compile(r"(/|/index\.(s?html?|jsp|aspx?|php))$", re.I)
_DOCUMENT = re.compile(r"/content/post_\d+|/t\d{8}_|/art/\d{4}/|/art_\d+", re.I)
MAX_PAGES = 500


def detect(response: TextResponse) -> bool:
    return True


def _page_param(url: str) -> tuple[str, int] | None:
    for key, value in parse_qsl(urlsplit(url).query):
        if key in _PAGE_PARAMS and value.isdigit():
            return key, int(value)
    return None


def _with_param(url: str, key: str, value: int) -> str:
    parts = urlsplit(url)
    query = [(k, str(value) if k == key else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _is_pager_url(url: str) -> bool:
    return bool(_page_param(url) or _PAGED_PATH.search(urlsplit(url).path))


def parse_list(response: TextResponse, column_url: str) -> ListPage:
    page = ListPage(entries=entries_from(response.selector, response.url))
    host = urlsplit(response.url).netloc
    root = column_dir(column_url)
    for a in response.selector.root.xpath("//a[@href]"):  # lxml elements: no selector per link
        href = (a.get("href") or "").strip()
        if href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(response.url, href).split("#")[0]
        if urlsplit(url).netloc != host or url == response.url:
            continue
        label = normalise(" ".join(a.itertext())) or normalise(a.get("title") or "")
        if label in _NEXT or label in _LAST or label.isdigit():
            if not _is_pager_url(url):
                continue
            found = _page_param(url)
            if label in _LAST and found and found[1] <= MAX_PAGES:
                key, last = found
                page.more.extend(Request(_with_param(url, key, n)) for n in range(1, last + 1))
            else:
                page.more.append(Request(url))
            continue
        # A sub-column of the source's column (per year, per kind of agency).
        path = urlsplit(url).path
        if url.startswith(root) and _COLUMN_PATH.search(path) and not _DOCUMENT.search(path):
            rest = url[len(root):].strip("/").split("/")
            if 0 < len([s for s in rest if s and not s.startswith("index.")]) <= 2:
                page.more.append(Request(url))
    return page
