"""Hanweb (大汉) JCMS columns: records inside `<script type="text/xml"><datastore>`.

The static list page carries the first records as CDATA inside an XML data island; the
rest come from POST /module/web/jpage/dataproxy.jsp?startrecord=..&endrecord=..&perpage=..
with the column id in the form, and answer with the same <datastore> format.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector
from scrapy import FormRequest
from scrapy.http import TextResponse

from .common import ListPage, entries_from

NAME = "hanweb"

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
_PERPAGE = re.compile(r"perpage\s*[:=]\s*['\"]?(\d+)", re.I)
_COLUMN = re.compile(r"columnid\s*[:=]\s*['\"]?(\d+)|/col/col(\d+)/", re.I)
_UNIT = re.compile(r"unitid\s*[:=]\s*['\"]?(\d+)", re.I)
_WEB = re.compile(r"webid\s*[:=]\s*['\"]?(\d+)", re.I)
# The proxy lives at different paths by JCMS version: /module/web/jpage/, /module/jpage/,
# /module/jslib/jquery/jpage/ — take the one the page names.
_PROXY_PATH = re.compile(r"(/module/[\w/]*?dataproxy\.jsp)")
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=['\"]([^'\"]+)['\"]", re.S | re.I)
PROXY = "/module/web/jpage/dataproxy.jsp"
_FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname",
              "permissiontype")
BATCH_PAGES = 3  # JCMS fetches three pages of records per request
MAX_RECORDS = 5000


def detect(response: TextResponse) -> bool:
    return "<datastore" in response.text.lower() or "dataproxy.jsp" in response.url


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return next((g for g in m.groups() if g), None) if m else None


def records(text: str) -> list[str]:
    """The HTML fragments of the records of a datastore (static page or proxy answer)."""
    return _RECORD.findall(text)


def parse_list(response: TextResponse, column_url: str) -> ListPage:
    text = response.text
    page = ListPage()
    fragments = records(text)
    for fragment in fragments:
        page.entries.extend(entries_from(Selector(text=fragment), response.url))
    if "dataproxy.jsp" in response.url:
        return page  # the static page already asked for every batch
    total = _first(_TOTAL, text)
    column = _first(_COLUMN, text) or _first(_COLUMN, response.url)
    if not total or not column:
        return page
    total_n = min(int(total), MAX_RECORDS)
    per_page = int(_first(_PERPAGE, text) or 15)
    batch = max(per_page, 1) * BATCH_PAGES
    form = {
        "col": "1", "appid": "1", "webid": _first(_WEB, text) or "1", "path": "/",
        "columnid": column, "sourceContentType": "1", "unitid": _first(_UNIT, text) or "",
        "webname": "", "permissiontype": "0",
    }
    proxy = PROXY
    nextgroup = _NEXTGROUP.search(text)
    if nextgroup:  # the page's own query for the next group: the truest form values
        href = html.unescape(nextgroup.group(1))
        proxy = urlsplit(href).path or PROXY
        for key, values in parse_qs(urlsplit(href).query).items():
            if key in _FORM_KEYS and values:
                form[key] = values[0]
    else:
        found = _PROXY_PATH.search(text)
        proxy = found.group(1) if found else PROXY
    start = len(fragments) + 1
    while start <= total_n:
        end = min(start + batch - 1, total_n)
        url = urljoin(response.url, f"{proxy}?startrecord={start}&endrecord={end}&perpage={per_page}")
        page.more.append(FormRequest(url, formdata=form))
        start = end + 1
    return page
