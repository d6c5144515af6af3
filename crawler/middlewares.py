"""Downloader middlewares: conditional re-fetches, and no throttling of loopback servers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ConditionalRequestMiddleware:
    """Ask for a report page or attachment only if it changed since its last capture.

    Adds If-None-Match / If-Modified-Since from the URL's latest capture record, so an
    unchanged document costs a 304 and no body. The spider then re-reads the stored
    bytes instead (to follow the page's attachments).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        if not request.meta.get("nianbao_capture"):
            return None
        store = getattr(self.crawler.spider, "store", None)
        record = store.latest(request.url) if store is not None else None
        if not record:
            return None
        if record.get("etag") and b"If-None-Match" not in request.headers:
            request.headers["If-None-Match"] = record["etag"]
        if record.get("last_modified") and b"If-Modified-Since" not in request.headers:
            request.headers["If-Modified-Since"] = record["last_modified"]
        return None


class LoopbackMiddleware:
    """Keep AutoThrottle from slowing down servers on this machine (tests, the demo)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LoopbackMiddleware:
        return cls()

    def process_request(self, request: Request, spider: Any = None) -> None:
        if (urlsplit(request.url).hostname or "") in LOOPBACK:
            request.meta["autothrottle_dont_adjust_delay"] = True
        return None


class RedirectLoopMiddleware:
    """Fail a redirect loop loudly, before Scrapy's duplicate filter drops it in silence.

    A → B → A: RedirectMiddleware would schedule A again, the duplicate filter would drop
    it, and the report link would end neither captured nor failed. Placed just above
    RedirectMiddleware, this sees the redirect first and raises IgnoreRequest naming the
    chain, which reaches the spider's errback (kind "redirects").
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        return cls()

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400) or not location:
            return response
        target = urljoin(response.url, location.decode("latin-1"))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target.split("#")[0] in chain:
            raise IgnoreRequest(f"redirect loop: {' -> '.join([*chain, target])}")
        return response
