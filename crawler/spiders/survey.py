"""Spiders that look at portals without capturing anything: `probe` and `discover`.

`probe` fetches the first page of each registry column and says which adapter recognises
it and how many report links it shows (`nianbao sources check --probe`). `discover`
starts at a portal's home page, follows its 政府信息公开 links and looks at every
candidate annual-report column it meets (`nianbao discover`). Both stay on the hosts they
were given (allowed_domains) and obey robots.txt (the project's ROBOTSTXT_OBEY).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import Request
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from .. import adapters
from ..failures import classify
from ..sources import Source
from ..titles import is_report_title, normalise, title_year

# Links toward the disclosure part of a portal, and links that name an annual-report column.
DISCLOSURE_TEXT = re.compile(r"(政府|政务)?信息公开|政务公开|信息公開|政務公開")
DISCLOSURE_URL = re.compile(r"/(zfxxgk|xxgk|zwgk|gk|zfxxgkml|xxgkml)(/|$|_|\.)", re.I)
COLUMN_TEXT = re.compile(r"年报|年度报告|年報|年度報告")
COLUMN_URL = re.compile(r"/(zfxxgknb|xxgknb|gknb|ndbg|zfxxgkndbg|zwgknb|xxgkndbg|nb)(/|$|_|\.)", re.I)


def look(response: Response, platform: str | None, hosts: tuple[str, ...]) -> dict[str, Any]:
    """What a list page shows: the adapters that recognise it, its links, report links, years."""
    if not isinstance(response, TextResponse):
        return {"status": response.status, "text": False, "recognised": [], "links": 0, "report_links": 0,
                "years": [], "more_pages": 0}
    recognised = [m.NAME for m in adapters.ADAPTERS.values() if m.NAME != "generic" and m.detect(response)]
    listing = adapters.parse_list(response, response.url, platform)
    reports = [e for e in listing.entries
               if (urlsplit(e.url).hostname or "") in hosts and is_report_title(e.title)]
    years = sorted({y for y in (title_year(e.title) for e in reports) if y})
    return {"status": response.status, "text": True, "recognised": recognised or ["generic"],
            "links": len(listing.entries), "report_links": len(reports), "years": years,
            "more_pages": len(listing.more)}


class ProbeSpider(scrapy.Spider):
    """The first page of each column: recognised by which adapter, how many report links."""

    name = "probe"
    def __init__(self, source_objects: list[Source] | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sources = list(source_objects or [])
        self.allowed_domains = sorted({d for s in self.sources for d in s.allowed_domains})
        self.results: dict[str, dict[str, Any]] = {
            s.id: {"id": s.id, "url": s.url, "platform": s.platform, "ok": False} for s in self.sources
        }

    async def start(self) -> AsyncIterator[Request]:
        for src in self.sources:
            yield Request(src.url, callback=self.parse, errback=self.failed, dont_filter=True,
                          meta={"source": src})

    def parse(self, response: Response) -> None:
        src: Source = response.meta["source"]
        seen = look(response, src.platform, src.allowed_domains)
        self.results[src.id].update(seen, ok=bool(seen["report_links"] or seen["more_pages"]))

    def failed(self, failure: Failure) -> None:
        src: Source = failure.request.meta["source"]  # type: ignore[attr-defined]
        kind, reason = classify(failure)
        self.results[src.id].update(kind=kind, reason=reason)


class DiscoverSpider(scrapy.Spider):
    """From a portal's home page to its annual-report columns, on the portal's own host."""

    name = "discover"
    def __init__(self, url: str = "", max_depth: int = 3, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.portal = url
        self.host = (urlsplit(url).hostname or "").lower()
        self.allowed_domains = [self.host]
        self.max_depth = int(max_depth)
        self.candidates: dict[str, dict[str, Any]] = {}
        self.errors: list[tuple[str, str, str]] = []

    async def start(self) -> AsyncIterator[Request]:
        yield Request(self.portal, callback=self.parse, errback=self.failed, meta={"depth_": 0, "trail": []})

    def _links(self, response: TextResponse) -> Iterator[tuple[str, str]]:
        for a in response.xpath("//a[@href]"):
            href = a.attrib["href"].strip()
            if href.startswith(("javascript:", "#", "mailto:")):
                continue
            url = urljoin(response.url, href).split("#")[0]
            if (urlsplit(url).hostname or "").lower() != self.host:
                continue
            text = normalise(" ".join(a.xpath(".//text()").getall())) or normalise(a.attrib.get("title", ""))
            yield url, text

    def parse(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, TextResponse):
            return
        depth, trail = response.meta["depth_"], response.meta["trail"]
        for url, text in self._links(response):
            path = urlsplit(url).path
            if is_report_title(text):
                continue  # a report itself; its column is what we want
            if COLUMN_TEXT.search(text) or COLUMN_URL.search(path):
                if url not in self.candidates:
                    self.candidates[url] = {"url": url, "title": text, "trail": [*trail, text]}
                    yield Request(url, callback=self.parse_column, errback=self.failed,
                                  meta={"candidate": url})
            elif depth < self.max_depth and (DISCLOSURE_TEXT.search(text) or DISCLOSURE_URL.search(path)):
                yield Request(url, callback=self.parse, errback=self.failed,
                              meta={"depth_": depth + 1, "trail": [*trail, text]})

    def parse_column(self, response: Response) -> None:
        found = self.candidates[response.meta["candidate"]]
        found.update(look(response, None, (self.host,)))
        found["final_url"] = response.url

    def failed(self, failure: Failure) -> None:
        kind, reason = classify(failure)
        url = failure.request.url  # type: ignore[attr-defined]
        self.errors.append((url, kind, reason))
        candidate = failure.request.meta.get("candidate")  # type: ignore[attr-defined]
        if candidate in self.candidates:
            self.candidates[candidate].update(kind=kind, reason=reason)
