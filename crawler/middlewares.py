"""Downloader middlewares: conditional re-fetches, and no throttling of loopback servers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler

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
