"""Run the real `portal` spider in-process and return what it did, per source.

`crawl()` is what `nianbao crawl` and `nianbao demo` call; `python -m nianbao.crawler.run` is
the same for schedulers (exit status 1 when some source yielded no report: a portal
that was redesigned shows up here first). Twisted's reactor cannot be restarted, so
call crawl() once per process.

    python -m nianbao.crawler.run --data data                      # the registry's verified sources
    python -m nianbao.crawler.run --data data http://host/zfxxgknb/index.html
    python -m nianbao.crawler.run --data data --sources my.yaml -s JOBDIR=data/job
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .captures import CaptureError
from .sources import SourceError, resolve_sources
from .summary import summary_line


@dataclass
class CrawlSummary:
    """Per-source counts: {source_id, pages, reports_found, new, changed, unchanged, failed, failures}."""

    per_source: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None

    @property
    def ok(self) -> bool:
        """False when there was nothing to crawl or some source yielded no report at all."""
        return bool(self.per_source) and all(r["reports_found"] > 0 for r in self.per_source)

    def lines(self) -> list[str]:
        out = []
        for row in self.per_source:
            out.append(summary_line(row))
            out.extend(f"  failed: {f}" for f in row.get("failures", []))
        return out


def crawl(
    data_dir: str | os.PathLike[str],
    *,
    sources_file: str | os.PathLike[str] | None = None,
    urls: Iterable[str] = (),
    settings: Mapping[str, Any] | None = None,
) -> CrawlSummary:
    """Crawl the sources into the capture store under `data_dir`; once per process."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from .spiders.portal import PortalSpider

    sources = resolve_sources(sources_file, urls)
    if not sources:
        return CrawlSummary()
    s = Settings()
    s.setmodule("nianbao.crawler.settings", priority="project")
    s.set("NIANBAO_DATA_DIR", str(data_dir), priority="project")
    # The caller prints the summary; Scrapy's own INFO chatter is for `-s LOG_LEVEL=INFO`.
    s.set("LOG_LEVEL", "WARNING", priority="project")
    for key, value in (settings or {}).items():
        s.set(key, value, priority="cmdline")
    # Scrapy installs its own SIGINT/SIGTERM handlers and a root log handler; give them
    # back afterwards so a caller that goes on (e.g. `nianbao demo` serving) keeps Ctrl-C.
    main = threading.current_thread() is threading.main_thread()
    saved_signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
    saved_handlers, saved_level = logging.root.handlers[:], logging.root.level
    errors: list[Any] = []
    try:
        process = CrawlerProcess(s)
        crawler = process.create_crawler(PortalSpider)
        d = process.crawl(crawler, source_objects=sources)
        d.addErrback(lambda f: errors.append(f))
        process.start()
    finally:
        for sig, handler in saved_signals.items():
            signal.signal(sig, handler)
        logging.root.handlers[:] = saved_handlers
        logging.root.setLevel(saved_level)
    if errors:
        errors[0].raiseException()
    spider = crawler.spider
    if not isinstance(spider, PortalSpider):
        raise RuntimeError("the portal spider did not start")
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    return CrawlSummary(per_source=spider.tally.rows(), finish_reason=reason)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nianbao.crawler.run",
        description="Crawl annual-report columns into a capture store (WARC + index.jsonl).",
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="column URLs (default: the registry)")
    parser.add_argument("--data", default="data", help="data directory (default: data)")
    parser.add_argument("--sources", help="source registry (default: crawler/sources.yaml)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting, e.g. -s JOBDIR=data/job (repeatable)")
    args = parser.parse_args(argv)
    try:
        settings = dict(item.split("=", 1) for item in args.set)
    except ValueError:
        parser.error("-s takes NAME=VALUE")
    try:
        summary = crawl(args.data, sources_file=args.sources, urls=args.urls, settings=settings)
    except (SourceError, CaptureError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary.lines():
        print(line)
    if not summary.per_source:
        print("nothing to crawl", file=sys.stderr)
    elif not summary.ok:
        print("some source yielded no report: has its portal been redesigned?", file=sys.stderr)
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
