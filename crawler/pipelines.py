"""The item pipeline that writes captures into the store and counts what was new.

A capture that cannot be written (disk full, permission, I/O error) fails its document
loudly — a `store` failure with the system's reason, in the summary and the crawl tables —
and nothing of it stays in the store (crawler/captures.py). When the store cannot take
writes at all, the crawl stops (finish reason `capture_store_failed`) rather than
downloading what it cannot keep; its unfetched report links are listed as interrupted,
and the exit status is non-zero.

Captures are committed in groups (CaptureStore group commit): the WARC bytes of each are
written at once, and every NIANBAO_CAPTURE_COMMIT_SECONDS (and when the spider closes)
they are synced and announced in the index together — two fsyncs a second instead of two
a capture, which was a third of the spider's time. A group that cannot be committed is
taken back whole and each of its documents fails as `store`, like a single capture.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from .captures import StoreWriteError
from .items import Capture

logger = logging.getLogger(__name__)

STORE_FAILED = "capture_store_failed"
# A group is committed at the latest after this many captures, whatever the time.
MAX_PENDING = 500


class CapturePipeline:
    """Store each Capture item (new or changed bytes only) and tally it for the summary."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("NIANBAO_CAPTURE_COMMIT_SECONDS", 1.0)
        self.listed: dict[tuple[str, str], str | None] = {}  # pending capture -> its report link
        self._loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CapturePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        spider = self.crawler.spider
        store = getattr(spider, "store", None)
        if store is None:
            return
        store.group_commit = self.interval > 0
        spider.commit_captures = self.commit
        if store.group_commit:
            from scrapy.utils.asyncio import create_looping_call

            self._loop = create_looping_call(self.commit)
            self._loop.start(self.interval, now=False)

    def close_spider(self, spider: Any = None) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.commit()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, Capture):
            return item
        spider = self.crawler.spider
        listed = item.meta.get("listed_url") or item.meta.get("report_url")
        try:
            record = spider.store.add(item.fetched, item.meta)
        except StoreWriteError as exc:
            spider.tally.failed(item.meta.get("source_id"), item.fetched.url, "store", str(exc), listed)
            self._unusable(exc)
            raise DropItem(f"not stored: {exc}") from None
        spider.tally.captured(item.meta.get("source_id"), record, listed)
        store = spider.store
        if record is not None and store.group_commit:
            self.listed[(record["url"], record["sha256"])] = listed
            if store.pending >= MAX_PENDING:
                self.commit()
        return item

    def commit(self) -> None:
        """Sync and announce the pending captures; a group that fails fails its documents."""
        spider: Any = self.crawler.spider
        store = getattr(spider, "store", None)
        if store is None or not store.pending:
            return
        try:
            store.commit()
        except StoreWriteError as exc:
            for record in exc.taken_back:
                listed = self.listed.pop((record["url"], record["sha256"]), None)
                spider.tally.uncaptured(record.get("source_id"), record, str(exc), listed)
            self._unusable(exc)
        self.listed.clear()

    def _unusable(self, exc: StoreWriteError) -> None:
        spider: Any = self.crawler.spider
        if exc.unusable and getattr(spider, "store_error", None) is None:
            spider.store_error = str(exc)
            logger.error("capture store cannot be written, stopping the crawl: %s", exc)
            engine = self.crawler.engine
            if engine is not None and getattr(engine, "spider", None) is not None:
                deferred_from_coro(engine.close_spider_async(reason=STORE_FAILED))
