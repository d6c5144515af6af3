"""The item pipeline that writes captures into the store and counts what was new."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from .items import Capture


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
        record = spider.store.add(item.fetched, item.meta)
        spider.tally.captured(item.meta.get("source_id"), record,
                              item.meta.get("listed_url") or item.meta.get("report_url"))
        return item
