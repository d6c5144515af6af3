"""The `portal` spider: one generic crawler for annual-report columns of any platform.

For each source it reads the column's list pages (every time: that is where new reports
appear), recognises the annual reports among the other notices by title, fetches each
report page and the attachments it links to, and hands the bytes to the capture store.
Report pages and attachments already captured are asked for conditionally, so an
unchanged document costs a 304; the stored copy is then re-read to follow its links.

    scrapy crawl portal -a url=https://www.gz.gov.cn/zfjgzy/gzsrmzfbgt/zfxxgknb/bm/2024n/
    scrapy crawl portal                          # every verified source of crawler/sources.yaml
    scrapy crawl portal -a sources=my.yaml -a source=gz-zengcheng
    scrapy crawl portal -a url=... -s NIANBAO_DATA_DIR=data -s JOBDIR=data/job
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse
from twisted.python.failure import Failure

from ... import clock
from .. import adapters, journal
from ..captures import CaptureError, CaptureStore, Fetched
from ..failures import classify
from ..items import Capture
from ..links import attachment_url, date_in, date_in_url, may_be_attachment
from ..sources import Source, resolve_sources, skipped_sources
from ..summary import Tally, summary_line

if TYPE_CHECKING:
    from ..distributed import Coordinator, ReliableScheduler
from ..titles import is_report_title

logger = logging.getLogger(__name__)

_INDEX = re.compile(r"/index\.(s?html?|jsp|aspx?|php)$", re.I)
# Where a detail page keeps its links to the document: anchors, and embedded viewers; the
# elements of `//a[@href] | //iframe[@src] | //embed[@src] | //object[@data]`, found with
# lxml's iter() (that XPath union took twice as long).
_LINK_ATTR = {"a": "href", "iframe": "src", "embed": "src", "object": "data"}
# Page furniture whose links (accessibility guides, site maps as PDF) are not the report's.
_CHROME = re.compile(r"(^|[\s_-])(top|nav|navbar|header|head|footer|foot|bottom|menu|breadcrumb|crumb|share"
                     r"|toolbar|sidebar|friendlink)([\s_-]|$)", re.I)


def _in_chrome(node: Any) -> bool:
    """True for a link (an lxml element) inside the page's header, footer, navigation or menus."""
    for anc in node.iterancestors():
        tag = anc.tag if isinstance(anc.tag, str) else ""
        if tag in ("header", "footer", "nav"):
            return True
        if _CHROME.search(anc.get("class") or "") or _CHROME.search(anc.get("id") or ""):
            return True
    return False


def _headers(h: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, values in h.items():
        for v in values:
            out.append((key.decode("latin-1"), v.decode("latin-1")))
    return out


def _meta_content(response: TextResponse, name: str) -> str | None:
    value = response.xpath(f"//meta[@name='{name}']/@content").get()
    return value.strip() if value and value.strip() else None


def _labelled_date(response: TextResponse) -> str | None:
    """The date after 发布日期/公开日期/发布时间/成文日期 on a detail page (its info line or table)."""
    for text in response.xpath(
        "//body//text()[contains(., '发布日期') or contains(., '公开日期') or contains(., '发布时间')"
        " or contains(., '成文日期')]"
    ).getall()[:5]:
        found = date_in(text)
        if found:
            return found
    for cell in response.xpath("//td[contains(., '公开日期') or contains(., '发布日期')]"
                               "/following-sibling::td[1]//text()").getall()[:3]:
        found = date_in(cell)
        if found:
            return found
    return None


def _list_key(url: str) -> str:
    """One key for a column's `dir/` and `dir/index.html`, so no list page is read twice."""
    return _INDEX.sub("/", url.split("#")[0])


class PortalSpider(scrapy.Spider):
    """Crawl report columns; see the module docstring for the command-line arguments."""

    name = "portal"

    def __init__(
        self,
        url: str | None = None,
        sources: str | None = None,
        source: str | None = None,
        source_objects: list[Source] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if source_objects is not None:
            self.sources = list(source_objects)
        else:  # `scrapy crawl portal -a ...`: the same decision as `nianbao crawl`
            urls, ids = (url or "").split(","), (source or "").split(",")
            self.sources = resolve_sources(sources, urls, ids)
            if not hasattr(self, "skipped_sources"):
                self.skipped_sources = skipped_sources(sources, urls, ids)
        self.by_id = {s.id: s for s in self.sources}
        self.allowed_domains = sorted({d for s in self.sources for d in s.allowed_domains})
        self.tally = Tally([s.id for s in self.sources])
        self.store: CaptureStore | None = None
        self.max_list_pages = 1000
        self.recheck_all = False
        self.max_url_length = 2083  # URLLENGTH_LIMIT: longer links fail by name, never vanish
        self.store_error: str | None = None  # why the capture store stopped taking writes
        self.journal_error: str | None = None  # why this run could not be added to the journal
        self.started: datetime | None = None  # set when the crawl starts (from_crawler)
        # makes the captures stored so far durable (set by the CapturePipeline; group commit)
        self.commit_captures: Callable[[], None] = lambda: None
        self.data_dir = "data"
        # a worker of a distributed crawl (`--redis`, crawler/distributed.py), else None
        self.coordinator: Coordinator | None = None
        self.final_rows: list[dict[str, Any]] = []  # the merged run, when this worker wrote it up
        self.last_run: dict[str, Any] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.started = clock.now()
        spider.data_dir = crawler.settings.get("NIANBAO_DATA_DIR", "data")
        redis_url = crawler.settings.get("NIANBAO_REDIS_URL")
        if redis_url:
            from ..distributed import DEFAULT_KEY, HEARTBEAT_SECONDS, WORKER_TIMEOUT_SECONDS, Coordinator

            settings = crawler.settings
            spider.coordinator = Coordinator(
                redis_url, settings.get("NIANBAO_REDIS_KEY") or DEFAULT_KEY,
                worker=settings.get("NIANBAO_REDIS_WORKER") or None,
                heartbeat=settings.getfloat("NIANBAO_REDIS_HEARTBEAT", HEARTBEAT_SECONDS),
                timeout=settings.getfloat("NIANBAO_REDIS_TIMEOUT", WORKER_TIMEOUT_SECONDS))
            spider.tally = Tally([s.id for s in spider.sources], log_events=True)
            # the worker's store is opened when it joins the run (join_run, from the scheduler)
        else:
            spider.store = CaptureStore(spider.data_dir).open()
        spider.max_list_pages = crawler.settings.getint("NIANBAO_MAX_LIST_PAGES", 1000)
        spider.recheck_all = crawler.settings.getbool("NIANBAO_RECHECK_ALL", False)
        spider.max_url_length = crawler.settings.getint("URLLENGTH_LIMIT", 2083)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._callback_error, signal=signals.spider_error)
        crawler.signals.connect(spider._dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider._scheduled, signal=signals.request_scheduled)
        return spider

    # -- helpers -----------------------------------------------------------------------
    def _source(self, response_or_request: Response | Request) -> Source:
        return self.by_id[response_or_request.meta["source_id"]]

    @staticmethod
    def _allowed(src: Source, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in src.allowed_domains)

    def _settled(self, src: Source, url: str, report_url: str | None) -> bool:
        """True for an attachment already captured from a server that gives no validators.

        Without ETag/Last-Modified a re-check costs the whole file every crawl; published
        files are replaced under new names, not edited in place, so it is not asked again
        (unless NIANBAO_RECHECK_ALL). Report pages are always re-checked: they are small.
        """
        if self.recheck_all or self.store is None:
            return False
        record = self.store.latest(url)
        if record is None or record.get("etag") or record.get("last_modified"):
            return False
        self.tally.captured(src.id, None, report_url)
        return True

    def _too_long(self, src: Source, url: str, report_url: str | None) -> bool:
        """True (and counted as a failure of `report_url`) for a URL over URLLENGTH_LIMIT,
        which Scrapy's UrlLengthMiddleware would drop without a callback or an errback."""
        if not self.max_url_length or len(url) <= self.max_url_length:
            return False
        self.tally.failed(src.id, url, "url_too_long",
                          f"URL of {len(url)} characters, over the limit of {self.max_url_length} "
                          "(URLLENGTH_LIMIT)", report_url)
        return True

    def _document_request(self, src: Source, url: str, callback: Any, **meta: Any) -> Request:
        meta.update(
            source_id=src.id,
            nianbao_capture=True,
            handle_httpstatus_list=[304],
        )
        return Request(url, callback=callback, errback=self.on_error, meta=meta)

    # -- crawl -------------------------------------------------------------------------
    def seed_requests(self) -> list[Request]:
        """The column page of every source: where a crawl starts."""
        return [
            Request(src.url, callback=self.parse_list, errback=self.on_error, dont_filter=True,
                    meta={"source_id": src.id, "nianbao_column": True,
                          "nianbao_list_key": _list_key(src.url)})
            for src in self.sources
        ]

    async def start(self) -> AsyncIterator[Request]:
        if self.coordinator is not None:
            return  # the first worker of a distributed run seeds it in redis (join_run)
        for request in self.seed_requests():
            yield request

    def join_run(self, scheduler: ReliableScheduler) -> None:
        """A distributed worker: take a name and a store, join the run (or start and seed it)."""
        assert self.coordinator is not None
        started = self.started or clock.now()
        seeds, fingerprints = scheduler.seeds(self.seed_requests())
        self.store = self.coordinator.join(str(self.data_dir), _run_id(started), clock.iso(started),
                                           seeds, fingerprints)
        logger.info("worker %s: %s run %s", self.coordinator.worker, self.coordinator.role,
                    self.coordinator.run_id)

    def _note_found(self, meta: Any) -> None:
        """Count the report link a document belongs to as found (idempotent). In a distributed
        crawl the worker that read the list may have died: its links still count."""
        found = meta.get("found")
        if found:
            self.tally.report_found(meta.get("source_id"), *found)

    def parse_list(self, response: Response) -> Iterator[Request]:
        """A list page: request each report recognised on it, and the further list pages."""
        src = self._source(response)
        tally = self.tally.get(src.id)
        if not isinstance(response, TextResponse):
            kind = response.headers.get("Content-Type")
            self.tally.failed(src.id, response.url, "not_text", f"list page is not text ({kind!r})")
            return
        column = bool(response.meta.get("nianbao_column"))
        names = [m.NAME for m in adapters.adapters_for(response, src.platform)] if column else None
        listing = adapters.parse_list(response, src.url, src.platform)
        self.tally.list_page(src.id, len(listing.entries), names)
        for entry in listing.entries:
            if not self._allowed(src, entry.url) or not is_report_title(entry.title):
                continue
            self.tally.report_found(src.id, entry.url, entry.title, entry.published)
            if self._too_long(src, entry.url, entry.url):
                continue
            meta = {"title": entry.title, "published": entry.published, "report_url": entry.url,
                    "found": [entry.url, entry.title, entry.published]}
            if attachment_url(entry.url, response.url):
                if not self._settled(src, entry.url, entry.url):
                    yield self._document_request(
                        src, entry.url, self.parse_attachment, kind="attachment", **meta
                    )
            else:
                yield self._document_request(src, entry.url, self.parse_report, kind="page", **meta)
        if tally.pages >= self.max_list_pages:
            return
        tally.listed.update((_list_key(response.url), _list_key(src.url)))
        for req in listing.more:
            key = _list_key(req.url) if req.method == "GET" else f"{req.url} {req.body!r}"
            if self._allowed(src, req.url) and key not in tally.listed:
                tally.listed.add(key)
                if self._too_long(src, req.url, None):
                    continue
                yield req.replace(callback=self.parse_list, errback=self.on_error,
                                  meta={"source_id": src.id, "nianbao_list_key": key})

    def _capture(self, response: Response, src: Source, **fields: Any) -> Capture:
        request = response.request
        meta = {**src.record_meta(), **fields}
        meta["listed_url"] = _listed(response.meta)
        if src.agency is None:
            meta["agency"] = None
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        fetched = Fetched(
            url=response.url,
            status=response.status,
            body=response.body,
            headers=_headers(response.headers),
            request_headers=_headers(request.headers) if request is not None else [],
            method=request.method if request is not None else "GET",
            reason=reason,
            fetched_at=clock.now(),
        )
        return Capture(fetched=fetched, meta=meta)

    def _stored(self, response: Response) -> Response | None:
        """For a 304: the stored copy of the URL as a response (None if we hold none)."""
        record = self.store.latest(response.url) if self.store else None
        if record is None or self.store is None:
            self.tally.failed(response.meta.get("source_id"), response.url, "no_capture",
                              "304 Not Modified but no earlier capture to re-read", _listed(response.meta))
            return None
        try:
            body = self.store.payload(record)
        except CaptureError as exc:
            self.tally.failed(response.meta.get("source_id"), response.url, "store",
                              f"304 Not Modified, and the stored copy cannot be read: {exc}",
                              _listed(response.meta))
            return None
        self.tally.captured(response.meta.get("source_id"), None, _listed(response.meta))
        headers = {"Content-Type": record["content_type"]} if record.get("content_type") else {}
        if "html" in (record.get("content_type") or "html").lower():
            return HtmlResponse(url=response.url, body=body, headers=headers, request=response.request)
        return Response(url=response.url, body=body, headers=headers, request=response.request)

    def parse_report(self, response: Response) -> Iterator[Capture | Request]:
        """A report page: keep it (if new or changed), then follow its attachments."""
        src = self._source(response)
        meta = response.meta
        self._note_found(meta)
        if response.status == 304:
            stored = self._stored(response)
            if stored is None:
                return
            response = stored
        elif not isinstance(response, TextResponse):
            # The "page" is the document itself (a servlet without a file extension).
            yield self._capture(response, src, kind="attachment", report_url=response.url,
                                title=meta.get("title"), published=meta.get("published"))
            return
        else:
            title = meta.get("title") or _meta_content(response, "ArticleTitle") or response.css(
                "title::text").get(default="").strip() or None
            published = (
                meta.get("published")
                or date_in(_meta_content(response, "PubDate"))
                or _labelled_date(response)
                or date_in_url(response.url)
            )
            yield self._capture(response, src, kind="page", report_url=response.url, title=title,
                                published=published)
        if not isinstance(response, TextResponse):
            return
        # lxml elements, not parsel selectors: a selector per link was a fair part of the page's cost
        listed = _listed(meta)
        for node in response.selector.root.iter(*_LINK_ATTR):
            if node.get(_LINK_ATTR[node.tag]) is None:
                continue
            href = node.get("href") or node.get("src") or node.get("data")
            if not href or not may_be_attachment(href.strip()):
                continue  # most links of a page: ruled out before their text is read
            text = " ".join(node.itertext()).strip()
            url = attachment_url(href, response.url, text)
            # the page furniture is looked for only around links to documents (ancestor queries cost)
            if url and url != response.url and self._allowed(src, url) and not _in_chrome(node) \
                    and not self._too_long(src, url, listed) and not self._settled(src, url, listed):
                yield self._document_request(
                    src, url, self.parse_attachment, kind="attachment", report_url=response.url,
                    listed_url=_listed(meta),
                    title=text or node.get("title") or meta.get("title"),
                    published=meta.get("published") or date_in_url(response.url),
                    found=meta.get("found"),
                )

    def parse_attachment(self, response: Response) -> Iterator[Capture]:
        """An attachment (the report document itself when the page says 详见附件)."""
        src = self._source(response)
        self._note_found(response.meta)
        if response.status == 304:
            self._stored_ok(response)
            return
        meta = response.meta
        yield self._capture(response, src, kind="attachment", report_url=meta.get("report_url"),
                            title=meta.get("title"), published=meta.get("published"))

    def _stored_ok(self, response: Response) -> None:
        record = self.store.latest(response.url) if self.store else None
        if record is None:
            self.tally.failed(response.meta.get("source_id"), response.url, "no_capture",
                              "304 Not Modified but no earlier capture", _listed(response.meta))
        else:
            self.tally.captured(response.meta.get("source_id"), None, _listed(response.meta))

    def on_error(self, failure: Failure) -> None:
        """A request that failed for good (after retries): count it for its source and report.

        robots.txt and offsite links are rules we follow on purpose: a report link they
        exclude is not counted as found; the column page itself excluded is a failure.
        """
        request = failure.request  # type: ignore[attr-defined]
        kind, reason = classify(failure)
        report_url = _listed(request.meta)
        redirected = bool(request.meta.get("redirect_urls"))
        if kind in ("robots", "offsite") and report_url and not redirected:
            logger.info("not fetched (%s): %s", reason, request.url)
            if report_url == request.url:
                self.tally.excluded(request.meta.get("source_id"), request.url)
            return
        self._note_found(request.meta)
        if redirected and kind in ("robots", "offsite"):
            # the link was fetched and redirected where the crawl may not follow
            reason = f"redirected from {request.meta['redirect_urls'][0]} to {request.url}: {reason}"
        logger.warning("failed %s: %s", request.url, reason,
                       exc_info=failure_exc_info(failure) if kind == "other" else None)
        self.tally.failed(request.meta.get("source_id"), request.url, kind, reason, report_url)

    def _callback_error(self, failure: Failure, response: Response, spider: Any = None) -> None:
        """An exception in a callback: the document it was reading fails, by name."""
        meta = response.meta if response.request is not None else {}
        self._note_found(meta)
        self.tally.failed(meta.get("source_id"), response.url, "other",
                          f"{getattr(failure.type, '__name__', 'error')}: {failure.getErrorMessage()}",
                          _listed(meta))

    def _scheduled(self, request: Request, spider: Any = None) -> None:
        """A report page or attachment redirected off the crawl's domains: Scrapy's
        OffsiteMiddleware drops it at this signal, without an errback, so it fails here."""
        redirects = request.meta.get("redirect_urls")
        if not (request.meta.get("nianbao_capture") and redirects):
            return
        host = (urlsplit(request.url).hostname or "").lower()
        if request.meta.get("allow_offsite") or any(
            host == d or host.endswith("." + d) for d in self.allowed_domains
        ):
            return
        self.tally.failed(request.meta.get("source_id"), request.url, "offsite",
                          f"redirected from {redirects[0]} to {request.url}, off the source's domains",
                          _listed(request.meta))

    def _dropped(self, request: Request, spider: Any = None) -> None:
        """The scheduler dropped a request (a duplicate): remember why, for its report link."""
        report_url = _listed(request.meta)
        if request.meta.get("nianbao_capture") and report_url:
            self.tally.drop(report_url, f"request for {request.url} dropped by the scheduler as a duplicate")

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        if self.coordinator is not None:
            self._closed_worker(reason)
            return
        self.tally.close(reason)
        rows = self.tally.rows()
        _log_rows(rows)
        if self.store is None:
            return
        self.last_run = self.run_record(reason, rows)
        self._write_run(self.last_run)

    def _closed_worker(self, reason: str) -> None:
        """A distributed worker leaves the run; the last one out writes the merged run up."""
        from ..distributed import redacted

        assert self.coordinator is not None
        coordinator = self.coordinator
        try:
            final = coordinator.leave(reason == "finished")
        except Exception as exc:  # redis gone: the run stays in redis for the next worker
            final = None
            self.journal_error = f"{redacted(coordinator.url)}: cannot leave the run: {exc}"
            logger.error(self.journal_error)
        if final is not None:
            merged = Tally([s.id for s in self.sources])
            for events in final.events.values():
                merged.replay(events)
            merged.close("finished")
            self.final_rows = merged.rows()
            _log_rows(self.final_rows)
            assert coordinator.run_id is not None
            self.last_run = self.run_record("finished", self.final_rows, run_id=coordinator.run_id,
                                            started=final.started, distributed={
                                                "redis": redacted(coordinator.url),
                                                "workers": sorted(final.events),
                                                "dead_workers": final.dead,
                                                "written_by": coordinator.worker,
                                            })
            self._write_run(self.last_run)
        elif self.store is not None:
            self.store.close()

    def _write_run(self, run: dict[str, Any]) -> None:
        assert self.store is not None
        worker = self.coordinator.worker if self.coordinator is not None else None
        try:
            journal.write_run(self.store.data_dir, run, worker=worker)
        except OSError as exc:
            self.journal_error = (f"{self.store.data_dir}: cannot add this run to the journal: "
                                  f"{exc.strerror or exc}")
            logger.error(self.journal_error)
        finally:
            self.store.close()

    def run_record(self, finish_reason: str, rows: list[dict[str, Any]], *, run_id: str | None = None,
                   started: str | None = None, distributed: dict[str, Any] | None = None) -> dict[str, Any]:
        """This run for the store's journal: times, version, settings, and per source the
        registry entry with its counts (crawler/journal.py). A distributed run has the id and
        start time of the run in redis, and its workers under settings["distributed"]."""
        began = getattr(self, "started", None) or clock.now()
        settings = self.crawler.settings if getattr(self, "crawler", None) else {}
        skipped = [
            {**_entry(s), "reason": "unverified"} for s in getattr(self, "skipped_sources", None) or []
        ]
        sources = [{**_entry(self.by_id[r["source_id"]]), **r} if r["source_id"] in self.by_id else r
                   for r in rows]
        recorded = journal.recorded_settings(settings)
        if distributed:
            recorded["distributed"] = distributed
        return {
            "run_id": run_id or _run_id(began),
            "started": started or clock.iso(began),
            "finished": clock.iso(max(clock.now(), began)),
            "nianbao_version": journal.nianbao_version(),
            "settings": recorded,
            "finish_reason": finish_reason,
            "log_file": settings.get("LOG_FILE") if settings else None,
            "sources": sources,
            "skipped": skipped,
        }


def _run_id(started: datetime) -> str:
    return f"{clock.iso(started).replace('-', '').replace(':', '')}-{uuid.uuid4().hex[:6]}"


def _log_rows(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        logger.info(summary_line(row))
        for problem in row["failure_records"]:
            logger.info("  failed [%s]: %s: %s", problem["kind"], problem["url"], problem["reason"])


def _entry(src: Source) -> dict[str, Any]:
    """The registry fields of a source, as the archive's `sources` table keeps them."""
    return {
        "id": src.id, "url": src.url, "level": src.level, "region": src.region, "agency": src.agency,
        "agencies": src.agencies, "platform": src.platform, "allowed_domains": list(src.allowed_domains),
        "verified": src.verified, "note": src.note,
    }


def _listed(meta: Any) -> str | None:
    """The report link, as listed on the column, that a request or response belongs to."""
    return meta.get("listed_url") or meta.get("report_url")


def failure_exc_info(failure: Failure) -> Any:
    """The traceback of `failure` for the log file (never the console), for unexpected ones."""
    return (failure.type, failure.value, failure.getTracebackObject()) if failure.check(Exception) else None
