"""`nianbao`: crawl portals, parse reports, build and serve the archive.

Each subcommand ends with a one-line summary on stderr (stdout of `parse` is JSON Lines
and stays machine-readable) and exits non-zero when something needs a human: a file that
failed to parse, a source that yielded no report.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_DB = "data/archive.db"
DEFAULT_DATA = "data"


def _eprint(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def cmd_parse(args: argparse.Namespace) -> int:
    """Print one JSON object per file; an unreadable file gets an object with "error"."""
    from tqdm import tqdm

    from nianbao import parsers

    failed = flagged = incomplete = 0
    show_bar = len(args.files) > 3 and sys.stderr.isatty()
    for path in tqdm(args.files, desc="parse", unit="file", disable=not show_bar, leave=False):
        try:
            result = parsers.parse_file(path)
        except parsers.ParseError as exc:
            result = parsers.error_result(exc.source, exc.problem)
            failed += 1
        except Exception as exc:  # one broken document never stops the run
            result = parsers.error_result(str(path), f"internal error: {type(exc).__name__}: {exc}")
            failed += 1
        else:
            flagged += result.get("status") == "flagged"
            incomplete += result.get("status") == "incomplete"
        print(json.dumps(result, ensure_ascii=False, indent=2 if args.pretty else None), flush=True)
    n = len(args.files)
    _eprint(f"parsed {n} file(s): {n - failed} read ({flagged} flagged, {incomplete} incomplete), "
            f"{failed} failed")
    return 1 if failed else 0


def _print_lines(*summaries: object) -> None:
    """Print the `lines()` of crawl and build summaries to stderr."""
    for summary in summaries:
        for line in summary.lines():  # type: ignore[attr-defined]
            _eprint(line)


def cmd_build(args: argparse.Namespace) -> int:
    """Load captures from a crawl and/or files given on the command line."""
    from . import pipeline

    failed = 0
    data_dir = Path(args.data)
    if (data_dir / "captures" / "index.jsonl").exists():
        summary = pipeline.build_from_captures(args.db, data_dir)
        _print_lines(summary)
        failed += len(summary.failed)
    elif not args.files:
        _eprint(f"no captures in {data_dir}/captures and no files given: nothing to build")
        return 2
    if args.files:
        summary = pipeline.build_from_files(args.db, args.files, url=args.url)
        _print_lines(summary)
        failed += len(summary.failed)
    _eprint(f"archive at {args.db}")
    return 1 if failed else 0


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl the registry (or the given column URLs), then load what was fetched."""
    from nianbao.crawler import run

    from . import pipeline

    settings = dict(s.split("=", 1) for s in args.set or [])
    crawl = run.crawl(args.data, sources_file=args.sources, urls=tuple(args.urls), settings=settings)
    _print_lines(crawl)
    status = 0 if crawl.ok else 1
    if not crawl.ok:
        _eprint("some source yielded no report: has its portal been redesigned?")
    if not args.no_build:
        summary = pipeline.build_from_captures(args.db, args.data)
        _print_lines(summary)
        if summary.failed:
            status = 1
    return status


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
    from . import demo

    return demo.run(
        db=args.db,
        data_dir=args.data,
        serve=not args.no_serve,
        host=args.host,
        port=args.port,
        portal_port=args.portal_port,
    )


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
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("crawl", help="crawl report columns and load the archive",
                       description="Crawl the source registry (or the given column URLs) with the "
                       "real Scrapy spider, keep raw captures as WARC, then parse and load what is "
                       "new or changed. Exit status 1 when a source yields no report.")
    p.add_argument("urls", nargs="*", metavar="URL", help="column URLs to crawl instead of the registry")
    p.add_argument("--sources", help="source registry file (default: crawler/sources.yaml)")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive database (default {DEFAULT_DB})")
    p.add_argument("--data", default=DEFAULT_DATA, help=f"capture store directory (default {DEFAULT_DATA})")
    p.add_argument("--no-build", action="store_true", help="only crawl; load later with `nianbao build`")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("build", help="load captures and/or report files into the archive",
                       description="Load the captures of a crawl (DATA/captures) and report files "
                       "given on the command line into the archive. Re-loading is idempotent.")
    p.add_argument("files", nargs="*", metavar="FILE", help="report files downloaded by hand")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive database (default {DEFAULT_DB})")
    p.add_argument("--data", default=DEFAULT_DATA, help=f"capture store directory (default {DEFAULT_DATA})")
    p.add_argument("--url", help="the original URL of the one FILE given")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("serve", help="serve the archive with Datasette (read-only)")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive database (default {DEFAULT_DB})")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="crawl the bundled sample portal, build and serve the archive",
                       description="Start the bundled sample portal on 127.0.0.1, crawl it with the "
                       "real spider, build the archive and serve it with Datasette.")
    p.add_argument("--db", default=DEFAULT_DB, help=f"archive database (default {DEFAULT_DB})")
    p.add_argument("--data", default="data/demo", help="capture store directory (default data/demo)")
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
