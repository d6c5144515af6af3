"""The Guangdong government-site platform (gz.gov.cn and its districts).

Columns such as `.../zfxxgknb/bm/2024n/` list reports at `content/post_<id>.html`, one
sub-column per year (`2023n/`, `2024n/`) or per kind of agency; the pager is
`createPageHTML('page_div', pages, current, 'index', 'html', records)` and counts from 1:
page 1 is `index.html`, page k is `index_k.html`.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.http import TextResponse

from .common import ListPage, column_dir, entries_from

NAME = "gdgov"

_PAGER = re.compile(
    r"createPageHTML\(\s*['\"][\w-]+['\"]\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_YEAR_COLUMN = re.compile(r"/(19|20)\d\dn?/(index\.html?)?$")
MAX_PAGES = 500


def detect(response: TextResponse) -> bool:
    text = response.text
    return bool(_PAGER.search(text)) or bool(re.search(r"content/post_\d+\.html", text))


def page_urls(base: str, count: int, prefix: str = "index", ext: str = "html") -> list[str]:
    """All list pages: index.html, index_2.html … index_{count}.html."""
    names = [f"{prefix}.{ext}"] + [f"{prefix}_{i}.{ext}" for i in range(2, count + 1)]
    return [urljoin(base, n) for n in names]


def parse_list(response: TextResponse, column_url: str) -> ListPage:
    page = ListPage(entries=entries_from(response.selector, response.url))
    m = _PAGER.search(response.text)
    # the pages of a (sub-)column from its first page only: every page names them all
    if m and (int(m.group(2)) <= 1 or response.url == column_url):
        count = min(int(m.group(1)), MAX_PAGES)
        page.more = [Request(u) for u in page_urls(response.url, count, m.group(3), m.group(4))
                     if u != response.url]
    root = column_dir(column_url)
    for href in response.css("a::attr(href)").getall():
        url = urljoin(response.url, href.strip())
        # Per-year sub-columns (2023n/) inside the source's column.
        if _YEAR_COLUMN.search(urlsplit(url).path) and url.startswith(root) and url != response.url:
            page.more.append(Request(url))
    return page
