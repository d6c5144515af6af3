"""What every adapter is and returns, and the link/date extraction they share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit
from weakref import WeakKeyDictionary

from parsel import Selector
from scrapy import Request
from scrapy.http import TextResponse

from ..links import date_in, date_in_url
from ..titles import normalise

_WS = re.compile(r"\s+")


@dataclass
class Entry:
    """A link found on a list page: a candidate report page (or a directly linked file)."""

    url: str
    title: str
    published: str | None = None


@dataclass
class ListPage:
    """What one list page yields: its entries and the requests for more list pages."""

    entries: list[Entry] = field(default_factory=list)
    more: list[Request] = field(default_factory=list)

    def extend(self, other: ListPage) -> None:
        known = {e.url for e in self.entries}
        for e in other.entries:
            if e.url not in known:
                self.entries.append(e)
                known.add(e.url)
        seen = {(r.method, r.url, r.body) for r in self.more}
        for r in other.more:
            if (r.method, r.url, r.body) not in seen:
                self.more.append(r)
                seen.add((r.method, r.url, r.body))


class Adapter(Protocol):
    """A platform adapter: a module with these three names (trs.py, hanweb.py, ...).

    A module is checked against this protocol by mypy where adapters/__init__.py lists it,
    so a new adapter with a wrong signature fails `make test` before it fails a crawl.
    """

    NAME: str
    """The platform's name in the source registry (`platform: trs`)."""

    def detect(self, response: TextResponse) -> bool:
        """True when the list page looks like this platform's (used when no platform is given)."""
        ...

    def parse_list(self, response: TextResponse, column_url: str) -> ListPage:
        """The report links of one list page and the requests for the column's other pages."""
        ...


def clean(text: str | None) -> str:
    return _WS.sub(" ", (text or "").replace("\xa0", " ")).strip()


def anchor_title(a: Any) -> str:
    """A link's title: its title attribute when longer (lists truncate titles with …), else its text.

    `a` is the link's lxml element (a parsel selector's `.root`): a parsel selector per link
    and per query was most of what reading a list page cost.
    """
    text = clean(" ".join(a.itertext()))
    attr = clean(a.get("title"))
    cut = normalise(text).rstrip(".…")
    if attr and (normalise(attr).startswith(cut) or len(normalise(attr)) >= len(cut)):
        return attr
    return text


# entries_from() of a whole page, kept while its selector lives: the platform adapter and
# the generic one both read every link of each list page, which cost the spider twice.
_PAGE_ENTRIES: WeakKeyDictionary[Selector, tuple[str, list[Entry]]] = WeakKeyDictionary()


def entries_from(sel: Selector, base: str) -> list[Entry]:
    """Every link of a list (fragment) with its title and the date printed next to it."""
    cached = _PAGE_ENTRIES.get(sel)
    if cached is not None and cached[0] == base:
        return list(cached[1])
    out = _entries_from(sel, base)
    _PAGE_ENTRIES[sel] = (base, out)
    return list(out)


def _entries_from(sel: Selector, base: str) -> list[Entry]:
    out: list[Entry] = []
    for a in sel.root.xpath("//a[@href]"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        title = anchor_title(a)
        row = next(a.iterancestors("li", "tr", "dd", "p"), None)  # the nearest list row
        around = clean(" ".join(row.itertext())) if row is not None else ""
        published = date_in(around.replace(title, " ")) or date_in_url(url)
        out.append(Entry(url=url.split("#")[0], title=title, published=published))
    return out


def column_dir(url: str) -> str:
    """The directory of a column URL: `.../zfxxgknb/index.html` -> `.../zfxxgknb/`."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.endswith("/"):
        path = path.rsplit("/", 1)[0] + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"
