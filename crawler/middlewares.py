"""Downloader middlewares: conditional re-fetches, no throttling of loopback servers, and
redirects that end in a response or a named failure (never dropped in silence)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import IgnoreRequest

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


class _AccountedRedirects:
    """Redirects of report pages and attachments end in a response or a named failure.

    Scrapy's dupefilter drops a redirect whose target was requested before: a loop
    (A -> B -> A) and a report redirected to a page fetched for another link used to
    vanish without a callback or an errback. Here a loop is an error naming its URLs,
    a chain longer than REDIRECT_MAX_TIMES says so, and the dupefilter lets redirected
    document requests through (RedirectAwareDupeFilter); they still go through the
    offsite and robots.txt checks.
    """

    max_redirect_times: int

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        if request.meta.get("nianbao_capture"):
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if redirected.url in chain:
                loop = [*chain[chain.index(redirected.url):], redirected.url]
                raise IgnoreRequest("redirect loop: " + " -> ".join(loop))
            if len(chain) > self.max_redirect_times:
                raise IgnoreRequest(
                    f"too many redirects: more than {self.max_redirect_times} from {chain[0]}"
                )
        return super()._redirect(redirected, request, reason)  # type: ignore[misc]


class AccountedRedirectMiddleware(_AccountedRedirects, RedirectMiddleware):
    """RedirectMiddleware (3xx Location) with loops and long chains named."""


class AccountedMetaRefreshMiddleware(_AccountedRedirects, MetaRefreshMiddleware):
    """MetaRefreshMiddleware (<meta http-equiv=refresh>) with loops and long chains named."""


class RedirectAwareDupeFilter(RFPDupeFilter):
    """Scrapy's dupefilter, except that the redirect of a report page or attachment is never
    dropped as a duplicate: its link would vanish without an outcome (see _AccountedRedirects;
    a loop is stopped there)."""

    def request_seen(self, request: Request) -> bool:
        if request.meta.get("nianbao_capture") and request.meta.get("redirect_urls"):
            return False
        return super().request_seen(request)
