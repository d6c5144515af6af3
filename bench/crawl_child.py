"""Subprocess: one crawl of the benchmark portal, printing one JSON line of figures.

Crawls run in their own process because Twisted's reactor cannot be restarted within a
process, and so that its peak memory (VmHWM) is the crawl's alone. Two spiders:

- `real`: the project's spider through its public entry `crawler.run.crawl(data_dir,
  urls=..., settings=...)`, with the benchmark settings (no AutoThrottle, no delay);
- `bare`: a minimal Scrapy spider that only follows links — `<a href>` plus the list
  pages that TRS's `createPageHTML(count, current, "index", "html")` would write, which
  any spider needs to see past page one — and stores nothing.

Scrapy's own stats (responses, bytes downloaded, start and finish time) are taken from
the stats collector when it closes, the same way for both spiders.

    python -m bench.crawl_child real|bare URL DATA_DIR [-s NAME=VALUE ...]
    python -m bench.crawl_child probe URL_FILE SECONDS   # server capacity, keep-alive clients
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .harness import self_maxrss_bytes

BENCH_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    # The project's setting (crawler/settings.py), given to the bare spider too: Scrapy's default
    # of 100 costs every response 100 asyncio tasks, whatever the spider does.
    "CONCURRENT_ITEMS": 1,
    # Per-host slots override the per-domain figure; give both spiders the same one.
    "DOWNLOAD_SLOTS": {"127.0.0.1": {"concurrency": 16, "delay": 0}},
    "HTTPCACHE_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "ROBOTSTXT_OBEY": True,
}

_CREATE_PAGE = re.compile(r'createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*"([^"]+)"\s*,\s*"([^"]+)"')
_collected: list[dict[str, Any]] = []


def _hook_stats() -> None:
    """Keep a copy of every stats collector's figures when its spider closes."""
    from scrapy.statscollectors import StatsCollector

    original = StatsCollector.close_spider

    def close_spider(self: StatsCollector, *args: Any, **kwargs: Any) -> Any:
        _collected.append(dict(self.get_stats()))
        return original(self, *args, **kwargs)

    StatsCollector.close_spider = close_spider  # type: ignore[method-assign]


def _bare_spider() -> type:
    import scrapy
    from scrapy.http import TextResponse

    class BareSpider(scrapy.Spider):
        """Follows every link of the portal's host, parses nothing, keeps nothing."""

        name = "bench_bare"

        def __init__(self, url: str, **kw: Any) -> None:
            super().__init__(**kw)
            self.start_urls = [url]
            self.allowed_domains = [urlsplit(url).hostname or "127.0.0.1"]

        def parse(self, response: Any) -> Any:
            if not isinstance(response, TextResponse):
                return
            seen: set[str] = set()
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href).split("#", 1)[0]
                if url not in seen:
                    seen.add(url)
                    yield scrapy.Request(url, callback=self.parse)
            m = _CREATE_PAGE.search(response.text)
            if m:  # TRS pagination: the next list page, as the script would link it
                count, current, stem, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
                if current + 1 < count:
                    yield response.follow(f"{stem}_{current + 1}.{ext}", self.parse)

    return BareSpider


def _figures(wall: float) -> dict[str, Any]:
    stats = _collected[-1] if _collected else {}
    start, finish = stats.get("start_time"), stats.get("finish_time")
    elapsed = (
        (finish - start).total_seconds()
        if isinstance(start, datetime) and isinstance(finish, datetime)
        else wall
    )
    codes = {
        k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("downloader/response_status_count/")
    }
    return {
        "responses": stats.get("response_received_count", 0),
        "requests": stats.get("downloader/request_count", 0),
        "response_bytes": stats.get("downloader/response_bytes", 0),
        "status_counts": codes,
        "items": stats.get("item_scraped_count", 0),
        "errors": stats.get("log_count/ERROR", 0),
        "elapsed_seconds": round(elapsed, 3),
        "wall_seconds": round(wall, 3),
        "finish_reason": stats.get("finish_reason"),
    }


def run_real(url: str, data_dir: Path, settings: dict[str, Any]) -> dict[str, Any]:
    from nianbao.crawler import run  # the stage under test; ImportError means "not landed yet"

    _hook_stats()
    t0 = time.perf_counter()
    summary = run.crawl(data_dir, urls=(url,), settings=settings)
    wall = time.perf_counter() - t0
    out = _figures(wall)
    per_source = getattr(summary, "per_source", None)
    out["summary"] = per_source if isinstance(per_source, list) else repr(summary)[:500]
    out["ok"] = getattr(summary, "ok", None)
    return out


def run_bare(url: str, settings: dict[str, Any]) -> dict[str, Any]:
    from scrapy.crawler import CrawlerProcess

    _hook_stats()
    process = CrawlerProcess(settings={**settings})
    process.crawl(_bare_spider(), url=url)
    t0 = time.perf_counter()
    process.start()
    return _figures(time.perf_counter() - t0)


def run_probe(url_file: Path, seconds: float, threads: int = 8) -> dict[str, Any]:
    """Requests/second the portal server sustains with keep-alive clients in another process."""
    import http.client

    urls = url_file.read_text().split()
    host = urlsplit(urls[0])
    paths = [urlsplit(u).path for u in urls]
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        i = k
        while time.perf_counter() < stop:
            conn.request("GET", paths[i % len(paths)])
            conn.getresponse().read()
            done[k] += 1
            i += threads

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return {"requests": sum(done), "seconds": round(time.perf_counter() - t0, 3), "threads": threads}


def _setting(text: str) -> tuple[str, Any]:
    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.crawl_child")
    ap.add_argument("mode", choices=["real", "bare", "probe"])
    ap.add_argument("target")
    ap.add_argument("arg")
    ap.add_argument("-s", dest="settings", action="append", default=[], type=_setting)
    args = ap.parse_args()
    settings = {**BENCH_SETTINGS, **dict(args.settings)}
    if args.mode == "probe":
        out = run_probe(Path(args.target), float(args.arg))
    elif args.mode == "bare":
        out = run_bare(args.target, settings)
    else:
        out = run_real(args.target, Path(args.arg), settings)
    out["maxrss_bytes"] = self_maxrss_bytes()
    # CPU time of the whole child (start-up included): on a shared machine the least noisy cost
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 3)
    sys.stdout.write("BENCH-RESULT " + json.dumps(out, default=str) + "\n")


if __name__ == "__main__":
    main()
