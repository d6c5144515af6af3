"""The item pipeline that writes captures into the store and counts what was new.

A capture that cannot be written (disk full, permission, I/O error) fails its document
loudly — a `store` failure with the system's reason, in the summary and the crawl tables —
and nothing of it stays in the store (crawler/captures.py). When the store cannot take
writes at all, the crawl stops (finish reason `capture_store_failed`) rather than
downloading what it cannot keep; its unfetched report links are listed as interrupted,
and the exit status is non-zero.
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


class CapturePipeline:
    """Store each Capture item (new or changed bytes only) and tally it for the summary."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CapturePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, Capture):
            return item
        spider = self.crawler.spider
        listed = item.meta.get("listed_url") or item.meta.get("report_url")
        try:
            record = spider.store.add(item.fetched, item.meta)
        except StoreWriteError as exc:
            spider.tally.failed(item.meta.get("source_id"), item.fetched.url, "store", str(exc), listed)
            if exc.unusable and getattr(spider, "store_error", None) is None:
                spider.store_error = str(exc)
                logger.error("capture store cannot be written, stopping the crawl: %s", exc)
                engine = self.crawler.engine
                if engine is not None:
                    deferred_from_coro(engine.close_spider_async(reason=STORE_FAILED))
            raise DropItem(f"not stored: {exc}") from None
        spider.tally.captured(item.meta.get("source_id"), record, listed)
        return item
