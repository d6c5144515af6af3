"""`python -m bench [--quick] [--out DIR] [--only NAME ...]`: run the benchmarks, print a table.

Every figure is measured together with a reference in the same run (these machines are
noisy). A full run writes bench/results.json and the table of docs/benchmarks.md; a quick run,
an --only run, or any run with --out, writes results.json and benchmarks.md into its
output directory instead (default bench/out/), so the committed figures stay those of a
complete full run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from . import b_archive, b_crawl, b_ocr, b_parse, b_pool, machine, output
from .harness import REPO, Context, Result, Unavailable

BENCHMARKS: dict[str, tuple[str, list[str], Callable[[Context], Result]]] = {
    "parse_html": ("Parsing HTML report pages", b_parse.HTML_EXPECTED, b_parse.run_html),
    "parse_pdf": ("Parsing PDF reports", b_parse.PDF_EXPECTED, b_parse.run_pdf),
    "crawl": ("Crawling a TRS portal on 127.0.0.1", b_crawl.EXPECTED, b_crawl.run),
    "build": ("Building the archive", b_archive.BUILD_EXPECTED, b_archive.run_build),
    "search": ("Search through Datasette", b_archive.SEARCH_EXPECTED, b_archive.run_search),
    "pool": ("Building with a parse pool vs one process", b_pool.POOL_EXPECTED, b_pool.run_pool),
    "linear": ("Hostile documents at sizes ×1, ×2, ×4", b_pool.LINEAR_EXPECTED, b_pool.run_linear),
    "ocr": ("Reading scans (OCR) and legacy Word", b_ocr.EXPECTED, b_ocr.run),
}


def run_one(name: str, ctx: Context) -> dict:
    title, expected, fn = BENCHMARKS[name]
    t0 = time.perf_counter()
    try:
        result = fn(ctx)
    except Unavailable as exc:
        result = Result(name, title, expected, unavailable=str(exc))
    except Exception as exc:  # one broken benchmark must not lose the others' figures
        out = Result(name, title, expected).to_json()
        out.update(
            status="error",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=8),
            seconds=round(time.perf_counter() - t0, 2),
        )
        return out
    result.seconds = time.perf_counter() - t0
    out = result.to_json()
    missing = result.missing()
    if missing:
        out.update(status="error", error=f"figures not produced: {', '.join(missing)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: runs in under a minute")
    ap.add_argument("--out", type=Path, help="write results.json and benchmarks.md here")
    ap.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these benchmarks")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (printed)")
    args = ap.parse_args(argv)

    # Only a complete full run replaces the committed figures.
    out_dir = args.out or (REPO / "bench" / "out" if args.quick or args.only else None)
    json_path = out_dir / "results.json" if out_dir else REPO / "bench" / "results.json"
    md_path = out_dir / "benchmarks.md" if out_dir else REPO / "docs" / "benchmarks.md"

    work = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    ctx = Context(quick=args.quick, work=work, log=lambda s: print(s, flush=True))
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    results = []
    try:
        for name in args.only or list(BENCHMARKS):
            print(f"[bench] {name} ...", flush=True)
            r = run_one(name, ctx)
            print(
                f"[bench] {name}: {r['status']} in {r['seconds']:.1f} s"
                + (f" ({r.get('unavailable') or r.get('error')})" if r["status"] != "ok" else ""),
                flush=True,
            )
            results.append(r)
    finally:
        if args.keep:
            print(f"[bench] scratch kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    doc = {
        "started": started,
        "quick": args.quick,
        "seconds": round(time.perf_counter() - t0, 1),
        "machine": machine.describe(),
        "results": results,
    }
    output.write(doc, json_path, md_path)
    print()
    print(output.console_table(results))
    print(f"\n[bench] {doc['seconds']:.0f} s; results in {json_path}, table in {md_path}")
    return 1 if any(r["status"] == "error" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
