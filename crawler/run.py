"""Run the real `portal` spider in-process and return what it did, per source.

`crawl()` is what `nianbao crawl` and `nianbao demo` call; `python -m nianbao.crawler.run` is
the same for schedulers. It prints one line per source and exits 0 when every source is
fine, 1 when some source failed (unreachable, no report found: a redesigned portal shows
up here first) or some report could not be fetched, 2 for a bad registry or a capture
store another crawl holds. Scrapy's own messages and tracebacks go to a log file under
the data directory. Twisted's reactor cannot be restarted, so call crawl() once per process.

    python -m nianbao.crawler.run --data data                      # the registry's verified sources
    python -m nianbao.crawler.run --data data http://host/zfxxgknb/index.html
    python -m nianbao.crawler.run --data data --sources my.yaml -s JOBDIR=data/job
    python -m nianbao.crawler.run --data /shared/data --redis redis://10.0.0.5:6379/0   # one worker

With `redis`, this process is one worker of a distributed crawl (crawler/distributed.py):
it prints a line for itself, and the last worker to finish prints the run's lines.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import clock
from ..reasons import NEEDS_A_LOOK, SOURCE_STATUSES, assess
from .captures import CaptureError
from .process import project_settings, run_spider
from .sources import SourceError, resolve_sources, skipped_sources
from .summary import skipped_line, summary_line


@dataclass
class CrawlSummary:
    """What a crawl did: one row per source (crawler/summary.py), the registry entries it
    skipped, the journal record of the run and the log file that holds the details."""

    per_source: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)
    run: dict[str, Any] | None = None
    log_file: str | None = None
    store_error: str | None = None  # the capture store stopped taking writes: the crawl stopped
    journal_error: str | None = None  # the run could not be added to the store's journal
    # a worker of a distributed crawl: its name, the run, what it did itself, how it left
    worker: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """False when there was nothing to crawl, some source needs a look, or the store failed."""
        if self.store_error or self.journal_error:
            return False
        if self.worker is not None and self.worker.get("outcome") != "final":
            # another worker writes the run up; this one is fine if it saw the run to its end
            return self.finish_reason == "finished"
        return bool(self.per_source) and all(_status(r) not in NEEDS_A_LOOK for r in self.per_source)

    @property
    def exit_status(self) -> int:
        """0 when every source is fine, 1 when some source failed, is partial or stale."""
        return 0 if self.ok else 1

    def lines(self) -> list[str]:
        """One line per source, one for the skipped entries, one for the run: never a traceback."""
        out = worker_lines(self.worker, self.finish_reason) if self.worker else []
        out += [summary_line(row) for row in self.per_source]
        if self.store_error:
            out.append(f"error: the capture store cannot be written, the crawl stopped: {self.store_error}")
        if self.journal_error:
            out.append(f"error: {self.journal_error}")
        skipped = skipped_line(self.skipped)
        if skipped:
            out.append(skipped)
        if self.per_source:
            states = Counter(_status(r) for r in self.per_source)
            order = sorted(states.items(), key=lambda kv: SOURCE_STATUSES.index(kv[0]))
            tally = ", ".join(f"{n} {s}" for s, n in order)
            where = f"; details in {self.log_file}" if self.log_file else ""
            out.append(f"crawl: {len(self.per_source)} source(s): {tally}{where}")
        return out


def worker_lines(worker: dict[str, Any], finish_reason: str | None) -> list[str]:
    """What a distributed worker did itself, and where its run stands."""
    run = worker.get("run_id")
    out = [
        f"worker {worker.get('name')}: {worker.get('role') or 'joined'} run {run}; "
        f"read {worker.get('pages', 0)} list page(s); documents: {worker.get('new', 0)} new, "
        f"{worker.get('changed', 0)} changed, "
        f"{worker.get('unchanged', 0)} unchanged, {worker.get('failed', 0)} failed"
    ]
    outcome = worker.get("outcome")
    if outcome == "final":
        names = ", ".join(worker.get("workers") or [])
        dead = worker.get("dead_workers") or []
        out.append(f"run {run}: finished by {len(worker.get('workers') or [])} worker(s) ({names})"
                   + (f", {len(dead)} of them lost on the way ({', '.join(dead)})" if dead else "")
                   + "; this worker wrote it up: `nianbao build` loads it")
    elif outcome == "open":
        out.append(f"run {run}: this worker stopped ({finish_reason}) with requests left in redis; "
                   "start `nianbao crawl --redis` again to finish the run")
    elif finish_reason != "finished":
        out.append(f"run {run}: this worker stopped ({finish_reason}); its requests went back to the "
                   "queue and the other workers go on")
    else:
        out.append(f"run {run}: finished here; the last worker to leave writes the run up "
                   "(run `nianbao build` when every worker has finished)")
    return out


def _status(row: dict[str, Any]) -> str:
    return row.get("status") or assess(row)[0]


def log_path(data_dir: str | os.PathLike[str]) -> Path:
    """Where a crawl's log (Scrapy's messages, tracebacks) goes: logs/ in the data directory."""
    stamp = clock.iso(clock.now()).replace("-", "").replace(":", "")
    return Path(data_dir) / "logs" / f"crawl-{stamp}-{os.getpid()}.log"


def crawl(
    data_dir: str | os.PathLike[str],
    *,
    sources_file: str | os.PathLike[str] | None = None,
    urls: Iterable[str] = (),
    settings: Mapping[str, Any] | None = None,
    redis: str | None = None,
    worker: str | None = None,
) -> CrawlSummary:
    """Crawl the sources into the capture store under `data_dir`; once per process.

    Scrapy's messages go to a log file under `data_dir/logs/` (unless `settings` names a
    LOG_FILE): the console gets only the summary lines. With `redis` (redis://HOST:PORT/N)
    this process is one worker of a distributed crawl, named `worker` (default: the host
    name and a number); it raises DistributedError when redis cannot be reached.
    """
    from .spiders.portal import PortalSpider

    urls = tuple(urls)
    sources = resolve_sources(sources_file, urls)
    left_out = skipped_sources(sources_file, urls)
    skipped = [{"id": s.id, "url": s.url, "reason": "unverified"} for s in left_out]
    if not sources:
        return CrawlSummary(skipped=skipped)
    user = dict(settings or {})
    log_file = user.get("LOG_FILE") or str(log_path(data_dir))
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    fixed: dict[str, Any] = {}
    if redis:
        from . import distributed

        if user.get("JOBDIR"):
            raise distributed.DistributedError("JOBDIR and --redis do not go together: redis keeps the "
                                               "state of a distributed run")
        distributed.connect(redis)  # a clear error now rather than a traceback in the log
        key = user.pop("NIANBAO_REDIS_KEY", None) or distributed.DEFAULT_KEY
        fixed = {**distributed.settings_for(redis, key), "NIANBAO_REDIS_WORKER": worker or ""}
    s = project_settings(user, NIANBAO_DATA_DIR=str(data_dir), LOG_FILE=log_file, LOG_LEVEL="INFO", **fixed)
    crawler = run_spider(PortalSpider, s, source_objects=sources,
                         skipped_sources=left_out)
    spider = crawler.spider
    if not isinstance(spider, PortalSpider):
        raise RuntimeError("the portal spider did not start")
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    run = spider.last_run
    rows = spider.tally.rows()
    info = None
    if spider.coordinator is not None:
        c = spider.coordinator
        distributed_run = (run or {}).get("settings", {}).get("distributed", {})
        info = {"name": c.worker, "role": c.role, "run_id": c.run_id, "outcome": c.outcome,
                "pages": sum(r["pages"] for r in rows), "failed": sum(r["failed"] for r in rows),
                **{k: sum(r[k] for r in rows) for k in ("new", "changed", "unchanged")},
                "workers": distributed_run.get("workers", []),
                "dead_workers": distributed_run.get("dead_workers", [])}
        rows = spider.final_rows
    return CrawlSummary(per_source=rows, finish_reason=reason, skipped=skipped, run=run,
                        log_file=log_file, store_error=spider.store_error,
                        journal_error=spider.journal_error, worker=info)


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
    parser.add_argument("--redis", metavar="URL", help="be one worker of a distributed crawl "
                        "sharing its queue through redis://HOST:PORT/N")
    parser.add_argument("--worker", metavar="NAME",
                        help="this worker's name (default: the host name and a number)")
    args = parser.parse_args(argv)
    try:
        settings = dict(item.split("=", 1) for item in args.set)
    except ValueError:
        parser.error("-s takes NAME=VALUE")
    from .distributed import DistributedError

    try:
        summary = crawl(args.data, sources_file=args.sources, urls=args.urls, settings=settings,
                        redis=args.redis, worker=args.worker)
    except (SourceError, CaptureError, DistributedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary.lines():
        print(line)
    if not summary.per_source and summary.worker is None:
        print("nothing to crawl", file=sys.stderr)
        return 1
    return summary.exit_status


if __name__ == "__main__":
    sys.exit(main())
