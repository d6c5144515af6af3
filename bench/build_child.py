"""Subprocess: build a synthetic archive with the archive's own loader, print one JSON line.

Run in its own process so that its peak memory (VmHWM) is the build's alone and the
bench process's own allocations do not blur it. Reports are generated in batches outside
the timed region; the timed region is `archive.load.open_archive` plus `load_report`
for every report. `--batch N` wraps N calls in one outer transaction (sqlite-utils turns
each call's own transaction into a savepoint), which is "load_report in batches": the
archive's code and SQL, one commit per batch instead of one per report.

    python -m bench.build_child DB N [--batch N] [--narrative CHARS]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

from . import synth_reports
from .harness import self_maxrss_bytes


def _documents(report: dict, url: str) -> list[dict]:
    """One page capture per report; bytes not stored (content None) to keep the file lean."""
    sha = hashlib.sha256(url.encode("utf-8")).hexdigest()
    return [
        {
            "url": url,
            "sha256": sha,
            "content_type": "text/html",
            "fetched_at": "2025-01-01T00:00:00+00:00",
            "kind": "page",
            "content": None,
            "warc_file": None,
            "warc_offset": None,
        }
    ]


def build(db_path: Path, n: int, batch: int, narrative: int) -> dict:
    from nianbao.archive import load

    if db_path.exists():
        db_path.unlink()
    load_s = 0.0
    gen_s = 0.0
    t0 = time.perf_counter()
    db = load.open_archive(db_path)
    load_s += time.perf_counter() - t0
    changes: dict[str, int] = {}
    chunk = max(1, batch)
    for start in range(0, n, chunk):
        t0 = time.perf_counter()
        items = []
        for i in range(start, min(n, start + chunk)):
            report = synth_reports.make_report(i, narrative_chars=narrative)
            items.append((report, report["source"], _documents(report, report["source"])))
        gen_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        if batch > 1:
            with db.atomic():
                for report, url, docs in items:
                    r = load.load_report(
                        db,
                        report,
                        url=url,
                        documents=docs,
                        published=report["published"],
                        source={"region": report["region"], "level": report["level"]},
                    )
                    changes[r.change] = changes.get(r.change, 0) + 1
        else:
            for report, url, docs in items:
                r = load.load_report(
                    db,
                    report,
                    url=url,
                    documents=docs,
                    published=report["published"],
                    source={"region": report["region"], "level": report["level"]},
                )
                changes[r.change] = changes.get(r.change, 0) + 1
        load_s += time.perf_counter() - t0
    db.conn.close()
    size = db_path.stat().st_size
    for extra in ("-wal", "-shm"):
        p = Path(str(db_path) + extra)
        if p.exists():
            size += p.stat().st_size
    return {
        "reports": n,
        "batch": batch,
        "narrative_chars": narrative,
        "load_seconds": round(load_s, 3),
        "generate_seconds": round(gen_s, 3),
        "reports_per_second": round(n / load_s, 1) if load_s else None,
        "db_bytes": size,
        "changes": changes,
        "maxrss_bytes": self_maxrss_bytes(),
        "pid": os.getpid(),
    }


def build_search_archive(db_path: Path, n: int, narrative: int) -> dict:
    """A search-scale archive: `reports`, `sections` and both search indexes, no cell tables.

    The archive's schema (`open_archive`), its report ids (`report_id_for`) and its own
    index functions (`schema.index_section`, `schema.index_report`) are used; the rows are
    written with executemany in one transaction, since `load_report` (one report at a time,
    every cell through sqlite-utils) would take far longer than the benchmark's budget.
    Cell tables take no part in search, so they are left empty here.
    """
    from nianbao.archive import load, schema

    if db_path.exists():
        db_path.unlink()
    db = load.open_archive(db_path)
    conn = db.conn
    gen_s = load_s = 0.0
    section_id = 0
    chunk = 2000
    for start in range(0, n, chunk):
        t0 = time.perf_counter()
        batch = [
            synth_reports.make_report(i, narrative_chars=narrative, tables=False)
            for i in range(start, min(n, start + chunk))
        ]
        gen_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        with db.atomic():
            for report in batch:
                rid = load.report_id_for(report["agency"], report["year"], report["source"])
                cur = conn.execute(
                    "INSERT INTO reports (id, agency, year, title, template, url, published, fetched_at,"
                    " sha256, status, region, level, script, kind, flags, text, source)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        rid,
                        report["agency"],
                        report["year"],
                        report["title"],
                        report["template"],
                        report["source"],
                        report["published"],
                        "2025-01-01T00:00:00+00:00",
                        hashlib.sha256(report["source"].encode()).hexdigest(),
                        report["status"],
                        report["region"],
                        report["level"],
                        report["script"],
                        report["kind"],
                        json.dumps(report["flags"]),
                        report["text"],
                        report["source"],
                    ],
                )
                schema.index_report(db, cur.lastrowid, report["title"], report["agency"], report["text"])
                rows = []
                for sec in report["sections"]:
                    section_id += 1
                    rows.append((section_id, rid, sec["number"], sec["heading"], sec["text"]))
                conn.executemany(
                    "INSERT INTO sections (id, report_id, number, heading, text) VALUES (?,?,?,?,?)", rows
                )
                for sid, _, _, _, text in rows:
                    schema.index_section(db, sid, text)
        load_s += time.perf_counter() - t0
    conn.close()
    return {
        "reports": n,
        "sections": section_id,
        "narrative_chars": narrative,
        "load_seconds": round(load_s, 3),
        "generate_seconds": round(gen_s, 3),
        "reports_per_second": round(n / load_s, 1) if load_s else None,
        "db_bytes": db_path.stat().st_size,
        "maxrss_bytes": self_maxrss_bytes(),
        "pid": os.getpid(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.build_child")
    ap.add_argument("db", type=Path)
    ap.add_argument("n", type=int)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--narrative", type=int, default=240)
    ap.add_argument("--search-only", action="store_true", help="reports, sections and search index only")
    args = ap.parse_args()
    if args.search_only:
        print(json.dumps(build_search_archive(args.db, args.n, args.narrative)))
    else:
        print(json.dumps(build(args.db, args.n, args.batch, args.narrative)))


if __name__ == "__main__":
    main()
