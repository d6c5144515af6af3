"""Running one Scrapy spider in-process and giving the process back as it was.

`nianbao crawl`, `nianbao sources check --probe` and `nianbao discover` all run a real
spider inside the `nianbao` process. Twisted's reactor cannot be restarted, so each of
them runs once per process; Scrapy installs its own SIGINT/SIGTERM handlers and a root
log handler, which are restored afterwards so that a caller that goes on (`nianbao demo`
serving Datasette) keeps Ctrl-C and its own logging.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Mapping
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler


def project_settings(overrides: Mapping[str, Any] | None = None, **fixed: Any) -> Any:
    """nianbao's crawler settings, then `fixed` (ours), then `overrides` (the user's -s)."""
    from scrapy.settings import Settings

    s = Settings()
    s.setmodule("nianbao.crawler.settings", priority="project")
    for key, value in fixed.items():
        s.set(key, value, priority="project")
    for key, value in (overrides or {}).items():
        s.set(key, value, priority="cmdline")
    return s


def run_spider(spidercls: type[Spider], settings: Any, **spider_kwargs: Any) -> Crawler:
    """Run `spidercls` to the end; returns its Crawler (stats, spider). Once per process."""
    from scrapy.crawler import CrawlerProcess

    main = threading.current_thread() is threading.main_thread()
    saved_signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
    saved_handlers, saved_level = logging.root.handlers[:], logging.root.level
    # A log file on a full disk must not print a traceback per message (nor end the run):
    # the console summary says what went wrong; the log loses what could not be written.
    saved_raise = logging.raiseExceptions
    logging.raiseExceptions = False
    errors: list[Any] = []
    try:
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(spidercls)
        d = process.crawl(crawler, **spider_kwargs)
        d.addErrback(lambda f: errors.append(f))
        process.start()
    finally:
        for sig, handler in saved_signals.items():
            signal.signal(sig, handler)
        for log_handler in logging.root.handlers:
            if log_handler not in saved_handlers:
                with contextlib.suppress(OSError):
                    log_handler.close()
        logging.root.handlers[:] = saved_handlers
        logging.root.setLevel(saved_level)
        logging.raiseExceptions = saved_raise
    if errors:
        errors[0].raiseException()
    if crawler.spider is None:
        raise RuntimeError(f"the {spidercls.name} spider did not start")
    return crawler
