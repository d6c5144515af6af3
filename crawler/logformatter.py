"""Scrapy's per-response and per-item log messages, made only when someone can read them.

Scrapy builds a DEBUG record for every response ("Crawled (200) …") and every item
("Scraped from …", with the whole capture as its argument) and lets the log handler drop
them; a crawl logs at INFO, so that was a log record made and thrown away twice a document.
With LOG_LEVEL DEBUG (`-s LOG_LEVEL=DEBUG`) they are logged as Scrapy always does.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.logformatter import LogFormatter


class QuietLogFormatter(LogFormatter):
    """Scrapy's LogFormatter, without the DEBUG messages of responses and items above DEBUG."""

    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLogFormatter:
        level = crawler.settings.get("LOG_LEVEL", "DEBUG")
        number = logging.getLevelName(level.upper()) if isinstance(level, str) else level
        # an unknown level keeps every message, as Scrapy would
        return cls(debug=not isinstance(number, int) or number <= logging.DEBUG)

    def crawled(self, *args: Any, **kwargs: Any) -> Any:
        return super().crawled(*args, **kwargs) if self.debug else None

    def scraped(self, *args: Any, **kwargs: Any) -> Any:
        return super().scraped(*args, **kwargs) if self.debug else None
