"""`nianbao`: crawl portals, parse reports, build and serve the archive.

Each subcommand ends with a one-line summary on stderr (stdout of `parse` is JSON Lines
and stays machine-readable) and exits non-zero when something needs a human: a file that
failed to parse, a source that yielded no report.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_DB = "data/archive.db"
DATA_HELP = ("capture store directory (default: the archive's own folder, so --db DIR/archive.db "
             "keeps its captures in DIR/captures)")
CRAWL_EXIT_CODES = """exit status:
  0  every source crawled fine and every report loaded
  1  some source failed (unreachable, HTTP error, no report links, list page changed shape),
     lost some reports, or has gone stale (no new report for longer than its usual interval)
  2  nothing crawled: bad registry or arguments, capture store held by another crawl
  3  every source fine, but some report could not be parsed or loaded"""


def _eprint(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def cmd_parse(args: argparse.Namespace) -> int:
    """Print one JSON object per file, in the order given; a file that failed gets an object
    with "error". Files are parsed in worker processes, each within the time and memory limits."""
    from tqdm import tqdm

    from nianbao import parse_pool, parsers

    failed = flagged = incomplete = 0
    show_bar = len(args.files) > 3 and sys.stderr.isatty()

    def parse_one(path: str) -> Mapping[str, Any]:
        try:
            return parser.parse_file(path)
        except parsers.ParseError as exc:
            return parsers.error_result(exc.source, exc.problem)

    settings = _parse_settings(args)
    if settings.workers > len(args.files) > 0:  # no idle workers: the cores go to OCR's threads
        settings = dataclasses.replace(settings, jobs=len(args.files))
    with parse_pool.open_parser(settings) as parser:
        results = parse_pool.ordered(parse_one, args.files, parser.jobs)
        for result in tqdm(results, total=len(args.files), desc="parse", unit="file", disable=not show_bar,
                           leave=False):
            if "error" in result:
                failed += 1
            else:
                flagged += result.get("status") == "flagged"
                incomplete += result.get("status") == "incomplete"
            print(json.dumps(result, ensure_ascii=False, indent=2 if args.pretty else None), flush=True)
    n = len(args.files)
    _eprint(f"parsed {n} file(s): {n - failed} read ({flagged} flagged, {incomplete} incomplete), "
            f"{failed} failed")
    return 1 if failed else 0


def _parse_settings(args: argparse.Namespace):  # -> parse_pool.Settings
    """The parse limits: command-line options, else NIANBAO_TIME_LIMIT/_MEMORY_LIMIT/_JOBS, else defaults."""
    from nianbao import parse_pool

    try:
        return parse_pool.Settings.from_env(seconds=args.time_limit, memory_mb=args.memory_limit,
                                            jobs=args.jobs)
    except ValueError as exc:
        _eprint(f"error: {exc}")
        raise SystemExit(2) from None


def _limit_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("parsing limits (each document is parsed in a worker process)")
    g.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help="time one document may take (default 60, or $NIANBAO_TIME_LIMIT)")
    g.add_argument("--memory-limit", type=int, metavar="MB",
                   help="memory one document may take (default 1024, or $NIANBAO_MEMORY_LIMIT)")
    g.add_argument("--jobs", type=int, metavar="N",
                   help="worker processes (default: one per core, or $NIANBAO_JOBS; 0 parses in this "
                   "process without limits, for debugging)")


def _print_lines(*summaries: object) -> None:
    """Print the `lines()` of crawl and build summaries to stderr."""
    for summary in summaries:
        for line in summary.lines():  # type: ignore[attr-defined]
            _eprint(line)


def cmd_build(args: argparse.Namespace) -> int:
    """Load the files given, or the whole capture store (no files, or --captures), in one
    transaction: a served archive shows the old archive until the build commits."""
    from nianbao.archive import transaction

    try:
        with transaction.build_transaction(args.db):
            return _build(args)
    except transaction.ArchiveBusy as exc:
        _eprint(f"error: {exc}")
        return 2


def _build(args: argparse.Namespace) -> int:
    from nianbao.crawler.captures import has_captures

    from . import pipeline, runs

    failed = 0
    data_dir = runs.data_dir_for(args.db, args.data)
    stored = has_captures(data_dir)  # captures/index.jsonl, or the stores of distributed-crawl workers
    load_store = args.captures or not args.files
    if load_store:
        if not stored:
            _eprint(f"no captures in {data_dir}/captures" + ("" if args.files else " and no files given")
                    + ": nothing to load from the store")
            if not args.files:
                return 2
        else:
            _eprint(f"build: loading the whole capture store {data_dir}/captures")
            summary = pipeline.build_from_captures(args.db, data_dir, parsing=_parse_settings(args))
            _print_lines(summary)
            failed += len(summary.failed)
    else:
        _eprint(f"build: loading the {len(args.files)} file(s) given; the capture store is not loaded "
                "(`nianbao build` without files, or --captures, loads it)")
    if args.files:
        summary = pipeline.build_from_files(args.db, args.files, url=args.url, parsing=_parse_settings(args))
        _print_lines(summary)
        failed += len(summary.failed)
    if load_store and stored:
        runs.record_store(args.db, data_dir)
    else:
        from nianbao.archive import coverage, load

        coverage.refresh(load.open_archive(args.db))
    _eprint(runs.coverage_line(args.db))
    _eprint(f"archive at {args.db}")
    return 1 if failed else 0


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl the registry (or the given column URLs), then load what was fetched."""
    from nianbao.archive.transaction import ArchiveBusy
    from nianbao.crawler.captures import CaptureError
    from nianbao.crawler.distributed import DistributedError
    from nianbao.crawler.sources import SourceError

    from . import runs

    settings = dict(args.set)
    data_dir = runs.data_dir_for(args.db, args.data)
    try:
        outcome = runs.crawl_and_build(args.db, data_dir, sources_file=args.sources, urls=args.urls,
                                       settings=settings, build=not args.no_build,
                                       parsing=_parse_settings(args), redis=args.redis, worker=args.worker)
    except (SourceError, CaptureError, DistributedError, ValueError, ArchiveBusy) as exc:
        _eprint(f"error: {exc}")
        return runs.EXIT_USAGE
    for line in outcome.lines:
        _eprint(line)
    return outcome.exit_status


def cmd_sources(args: argparse.Namespace) -> int:
    """`nianbao sources check [--probe]`: validate the registry, optionally fetch each column."""
    from nianbao.crawler import registry_check

    problems, sources = registry_check.check(args.sources)
    for problem in problems:
        print(f"error: {problem}")
    print(f"{args.sources or 'crawler/sources.yaml'}: {len(sources)} source(s), {len(problems)} problem(s)")
    status = 1 if problems else 0
    if args.probe and sources:
        for result in registry_check.probe(sources, settings=dict(args.set)):
            print(registry_check.probe_line(result))
            if not result.get("ok"):
                status = 1
    return status


def cmd_discover(args: argparse.Namespace) -> int:
    """`nianbao discover PORTAL_URL`: find annual-report columns, print registry entries."""
    from nianbao.crawler import discover

    try:
        found = discover.discover(args.url, max_pages=args.max_pages, settings=dict(args.set))
    except ValueError as exc:
        _eprint(f"error: {exc}")
        return 2
    print(discover.as_yaml(found, args.url))
    _eprint(f"discover: {len(found)} candidate column(s) on {args.url}"
            + ("" if found else " — none found: is the 政府信息公开 page linked from this page?"))
    return 0 if found else 1


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the archive read-only with Datasette and the datasette/ configuration."""
    from nianbao.archive import serve

    if not Path(args.db).exists():
        _eprint(f"{args.db}: no archive there; run `nianbao build` or `make demo` first")
        return 2
    _eprint(f"serving {args.db} at http://{args.host}:{args.port}/  (Ctrl-C to stop)")
    return serve.serve(args.db, host=args.host, port=args.port)


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole job on the bundled sample portal: serve it, crawl it, build, serve."""
    from . import demo, runs

    return demo.run(
        db=args.db,
        data_dir=str(runs.data_dir_for(args.db, args.data)),
        serve=not args.no_serve,
        host=args.host,
        port=args.port,
        portal_port=args.portal_port,
    )


def _scrapy_set(p: argparse.ArgumentParser) -> None:
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   type=_setting, help="a Scrapy setting (repeatable)")


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: a setting is NAME=VALUE")
    return name, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nianbao",
        description="Crawl, parse and archive 政府信息公开工作年度报告 (government information-"
        "disclosure annual reports).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("parse", help="parse report files into nianbao.report/1 JSON Lines",
                       description="Parse report files (HTML, PDF, .docx, .txt/.md) and print one "
                       "JSON object per file (JSON Lines). Exit status 1 when some file failed.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--pretty", action="store_true", help="indent the JSON (no longer one per line)")
    _limit_options(p)
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("crawl", help="crawl report columns and load the archive",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=CRAWL_EXIT_CODES,
                       description="Crawl the source registry (or the given column URLs) with the "
                       "real Scrapy spider, keep raw captures as WARC beside the archive, then parse "
                       "and load what is new or changed, and record the run and each source's health "
                       "in the archive. Prints one line per source; Scrapy's messages and tracebacks "
                       "go to a log file in DATA/logs/.")
    p.add_argument("urls", nargs="*", metavar="URL", help="column URLs to crawl instead of the registry")
    p.add_argument("--sources", help="source registry file (default: crawler/sources.yaml)")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive database (default {DEFAULT_DB})")
    p.add_argument("--data", help=DATA_HELP)
    p.add_argument("--no-build", action="store_true", help="only crawl; load later with `nianbao build`")
    p.add_argument("--redis", metavar="URL",
                   help="be one worker of a distributed crawl: processes on any machines started with "
                   "the same redis://HOST:PORT/N share one queue and duplicate filter, each writing "
                   "its captures to DATA/captures/workers/NAME/; implies --no-build (docs/scale.md)")
    p.add_argument("--worker", metavar="NAME",
                   help="with --redis: this worker's name (default: the host name and a number)")
    _scrapy_set(p)
    _limit_options(p)
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("build", help="load report files, or the capture store, into the archive",
                       description="With FILEs: load those files only. Without: load the whole "
                       "capture store of the archive (DATA/captures) and the crawl runs it recorded. "
                       "--captures loads the store as well as the files. Re-loading is idempotent. "
                       "Exit status 1 when some report failed, 2 when there is nothing to load.")
    p.add_argument("files", nargs="*", metavar="FILE", help="report files downloaded by hand")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive database (default {DEFAULT_DB})")
    p.add_argument("--data", help=DATA_HELP)
    p.add_argument("--captures", action="store_true",
                   help="also load the whole capture store when FILEs are given")
    p.add_argument("--url", help="the original URL of the one FILE given")
    _limit_options(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("sources", help="check the source registry (and probe its columns)",
                       description="Check the source registry: unknown fields, duplicate ids, "
                       "platforms that no adapter serves, bad URLs and levels. With --probe, fetch "
                       "each column's first page (robots.txt obeyed) and say which adapter recognises "
                       "it and how many report links it shows. Exit status 1 when something is wrong.")
    p.add_argument("action", choices=["check"])
    p.add_argument("--sources", help="source registry file (default: crawler/sources.yaml)")
    p.add_argument("--probe", action="store_true", help="fetch each column's first page")
    _scrapy_set(p)
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("discover", help="find a portal's annual-report columns",
                       description="From a portal's home page, follow its 政府信息公开 links (same "
                       "host only, robots.txt obeyed) to candidate annual-report columns (年报, "
                       "年度报告, zfxxgknb, gknb, ndbg…) and print registry entries (YAML) to review "
                       "and add to crawler/sources.yaml. Exit status 1 when none is found.")
    p.add_argument("url", metavar="PORTAL_URL")
    p.add_argument("--max-pages", type=int, default=40, help="pages to read at most (default 40)")
    _scrapy_set(p)
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("serve", help="serve the archive with Datasette (read-only)")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive database (default {DEFAULT_DB})")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="crawl the bundled sample portal, build and serve the archive",
                       description="Start the bundled sample portal on 127.0.0.1, crawl it with the "
                       "real spider, build the archive and serve it with Datasette.")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive database (default {DEFAULT_DB})")
    p.add_argument("--data", help=DATA_HELP)
    p.add_argument("--no-serve", action="store_true", help="do everything but serve")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001, help="Datasette port")
    p.add_argument("--portal-port", type=int, default=8764,
                   help="sample portal port (default 8764, any free port when taken); a fixed "
                   "port lets a second demo re-crawl incrementally")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
