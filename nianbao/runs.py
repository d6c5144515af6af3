"""A crawl as `nianbao crawl` and `nianbao demo` run it: crawl, load, record, judge.

The crawler keeps bytes and writes a journal of its runs into the capture store; the
archive loads reports (pipeline.py), then records the run and the health of each source
(archive/health.py) and rebuilds coverage (archive/coverage.py). The per-source lines
printed at the end come from the archive's judgement, which knows the earlier runs (a
column that "changed shape", a source gone stale), so they are printed after recording.

Exit status (also in `nianbao crawl --help` and the README):
0 every source fine and every report loaded; 1 some source failed, is partial or stale;
2 nothing was crawled (bad registry or arguments, capture store busy, no source to crawl);
3 every source fine but some report could not be parsed or loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_SOURCE, EXIT_USAGE, EXIT_BUILD = 0, 1, 2, 3


def data_dir_for(db: str | Path, data: str | Path | None) -> Path:
    """The capture store of an archive: `--data` when given, else the archive's own folder."""
    return Path(data) if data else Path(db).resolve().parent


@dataclass
class CrawlOutcome:
    lines: list[str] = field(default_factory=list)
    exit_status: int = EXIT_OK
    per_source: list[dict[str, Any]] = field(default_factory=list)


def record_store(db_path: str | Path, data_dir: str | Path) -> int:
    """Record the runs of the store's journal the archive lacks, and rebuild coverage."""
    from nianbao.archive import coverage, health, load
    from nianbao.crawler import journal

    db = load.open_archive(db_path)
    added = health.record_runs(db, journal.read_runs(data_dir))
    coverage.refresh(db)
    return added


def coverage_line(db_path: str | Path) -> str:
    from nianbao.archive import coverage, load

    db = load.open_archive(db_path)
    counts = coverage.summary(db)
    order = ("on_time", "late", "undated", "missing", "pending", "not_crawled")
    text = ", ".join(f"{counts[s]} {s}" for s in order if counts.get(s))
    return f"coverage (agency x year): {text or 'nothing yet'}"


def crawl_and_build(
    db_path: str | Path,
    data_dir: str | Path,
    *,
    sources_file: str | None = None,
    urls: Iterable[str] = (),
    settings: Mapping[str, Any] | None = None,
    build: bool = True,
    parsing: Any = None,  # parse_pool.Settings: time/memory limits and workers of the build step
    redis: str | None = None,
    worker: str | None = None,
) -> CrawlOutcome:
    """Crawl, load what is new, record the run in the archive; the lines to print and the exit status.

    With `redis` this process is one worker of a distributed crawl and does not build: the
    other workers' captures are not all written yet (`nianbao build` afterwards loads them all).
    """
    from nianbao.archive import coverage, health, load, transaction
    from nianbao.crawler import run

    from . import pipeline

    crawl = run.crawl(data_dir, sources_file=sources_file, urls=tuple(urls), settings=settings,
                      redis=redis, worker=worker)
    out = CrawlOutcome(per_source=crawl.per_source)
    if crawl.worker is not None:
        out.lines = crawl.lines()
        out.exit_status = crawl.exit_status
        return out
    if not crawl.per_source:
        out.lines = [*crawl.lines(), "nothing to crawl: no URL given and no verified source in the registry"]
        out.exit_status = EXIT_USAGE
        return out
    if not build:
        out.lines = crawl.lines()
        out.exit_status = crawl.exit_status
        return out
    # One transaction: readers of a served archive see it before or after this build.
    with transaction.build_transaction(db_path):
        summary = pipeline.build_from_captures(db_path, data_dir, parsing=parsing)
        db = load.open_archive(db_path)
        this = crawl.run["run_id"] if crawl.run else None
        # the runs of earlier --no-build crawls
        health.record_runs(db, [r for r in _journal(data_dir) if r["run_id"] != this])
        judged: dict[str, dict[str, Any]] = {}
        if crawl.run is not None:
            counts = {"new": summary.reports_new, "changed": summary.reports_changed,
                      "failed": len(summary.failed)}
            judged = {r["source_id"]: r for r in health.record_run(db, crawl.run, build=counts)}
        for row in crawl.per_source:
            if row["source_id"] in judged:
                j = judged[row["source_id"]]
                row.update(status=j["status"], reason=j["reason"], detail=j["detail"])
        status = crawl.exit_status
        if status == EXIT_OK and summary.failed:
            status = EXIT_BUILD
        if crawl.run is not None:
            health.record_run(db, crawl.run, exit_status=status)
        coverage.refresh(db)
    out.lines = [*crawl.lines(), *summary.lines(), coverage_line(db_path)]
    out.exit_status = status
    return out


def _journal(data_dir: str | Path) -> list[dict[str, Any]]:
    from nianbao.crawler import journal

    return journal.read_runs(data_dir)
