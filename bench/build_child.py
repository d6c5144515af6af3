"""Subprocess: build a synthetic archive through the archive's own bulk loader, print one JSON line.

Run in its own process so that its peak memory (VmHWM) is the build's alone and the
bench process's own allocations do not blur it. Reports are generated outside the timed
region; the timed region is `archive.load.open_archive` plus `archive.load.load_reports`
for every batch (`--batch 1` is `load_report`, one transaction per report). This module
writes no SQL of its own: the archive's code is the only writer.

    python -m bench.build_child DB N [--batch N] [--narrative CHARS] [--snapshot N:PATH]

`--snapshot N:PATH` copies the archive file to PATH once N reports are committed (the
search benchmark's smaller archive, for the growth curve). The plain-files size of every
report loaded (bench/plain_size.py) is summed outside the timed region.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from . import plain_size, synth_reports
from .harness import self_maxrss_bytes

# Load rate is recorded every CHECKPOINT reports, to see how it changes as the archive grows.
CHECKPOINT = 10_000


def documents_for(url: str) -> list[dict[str, Any]]:
    """One page capture per report; bytes not stored (content None: blobs are not measured)."""
    return [
        {
            "url": url,
            "sha256": hashlib.sha256(url.encode("utf-8")).hexdigest(),
            "content_type": "text/html",
            "fetched_at": "2025-01-01T00:00:00+00:00",
            "kind": "page",
            "content": None,
            "warc_file": None,
            "warc_offset": None,
        }
    ]


def load_item(i: int, narrative: int | None) -> Any:
    """The i-th synthetic report as the archive's LoadItem."""
    from nianbao.archive import load

    report = synth_reports.make_report(i, narrative_chars=narrative)
    return load.LoadItem(
        report=report,
        url=report["source"],
        documents=documents_for(report["source"]),
        published=report["published"],
        source={"region": report["region"], "level": report["level"]},
    )


def _file_bytes(db_path: Path) -> int:
    size = db_path.stat().st_size
    for extra in ("-wal", "-shm"):
        p = Path(str(db_path) + extra)
        if p.exists():
            size += p.stat().st_size
    return size


def build(
    db_path: Path,
    n: int,
    batch: int,
    narrative: int | None,
    start: int = 0,
    snapshot: tuple[int, Path] | None = None,
) -> dict[str, Any]:
    """Load reports start..n-1 into `db_path` (created when missing); timings and counts."""
    import shutil

    from nianbao.archive import load, schema

    load_s = gen_s = cpu_s = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    db = load.open_archive(db_path)
    load_s += time.perf_counter() - t0
    cpu_s += time.process_time() - c0
    changes: dict[str, int] = {}
    refused: list[str] = []
    checkpoints: list[dict[str, Any]] = []
    chunk = max(1, batch)
    plain = {"text": 0, "csv": 0, "csv_with_labels": 0}
    snapshots: dict[str, Any] = {}
    since = time.perf_counter()
    load_since = load_s
    first = start
    while first < n:
        end = min(n, first + chunk)
        if snapshot and first < snapshot[0] < end:
            end = snapshot[0]  # the snapshot holds exactly its number of reports
        t0 = time.perf_counter()
        items = [load_item(i, narrative) for i in range(first, end)]
        for item in items:
            for k, v in plain_size.plain_bytes(item.report, schema.APPLICATION_ROW_LABELS).items():
                plain[k] += v
        gen_s += time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        if batch > 1:
            results = load.load_reports(db, items)
        else:
            results = [load.load_reports(db, [item])[0] for item in items]
        load_s += time.perf_counter() - t0
        cpu_s += time.process_time() - c0
        for r in results:
            if isinstance(r, load.LoadError):
                refused.append(str(r))
            else:
                changes[r.change] = changes.get(r.change, 0) + 1
        done = first = end
        if done % CHECKPOINT == 0 or done == n:
            checkpoints.append({
                "reports": done,
                "load_seconds": round(load_s, 2),
                "cpu_seconds": round(cpu_s, 2),
                "reports_per_second_since_last": round(
                    (done - (checkpoints[-1]["reports"] if checkpoints else start)) / (load_s - load_since), 1
                ) if load_s > load_since else None,
                "db_bytes": _file_bytes(db_path),
                "wall_seconds": round(time.perf_counter() - since, 1),
            })
            load_since = load_s
        if snapshot and done == snapshot[0]:
            shutil.copyfile(db_path, snapshot[1])  # committed: the file is the archive
            snapshots = {"reports": done, "path": str(snapshot[1]), "db_bytes": snapshot[1].stat().st_size}
    db.conn.close()
    sections = _count(db_path, "sections")
    return {
        "reports": n - start,
        "sections": sections,
        "batch": batch,
        "narrative": "seeds" if narrative is None else narrative,
        "load_seconds": round(load_s, 3),
        "cpu_seconds": round(cpu_s, 3),
        "generate_seconds": round(gen_s, 3),
        "reports_per_second": round((n - start) / load_s, 1) if load_s else None,
        "db_bytes": _file_bytes(db_path),
        "plain_bytes": plain,
        "snapshot": snapshots,
        "changes": changes,
        "refused": refused[:10],
        "checkpoints": checkpoints,
        "maxrss_bytes": self_maxrss_bytes(),
        "pid": os.getpid(),
    }


def _count(db_path: Path, table: str) -> int:
    import sqlite3

    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return con.execute(f"select count(*) from [{table}]").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.build_child")
    ap.add_argument("db", type=Path)
    ap.add_argument("n", type=int)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--start", type=int, default=0, help="first report (to grow an existing archive)")
    ap.add_argument(
        "--narrative", type=int, default=None,
        help="characters of sections 一 and 五 (short pages); default: as long as the seeds'",
    )
    ap.add_argument("--fresh", action="store_true", help="delete DB first")
    ap.add_argument("--snapshot", help="N:PATH: copy the archive to PATH after N reports")
    args = ap.parse_args()
    if args.fresh and args.db.exists():
        args.db.unlink()
    snapshot = None
    if args.snapshot:
        count, _, path = args.snapshot.partition(":")
        snapshot = (int(count), Path(path))
    print(json.dumps(build(args.db, args.n, args.batch, args.narrative, args.start, snapshot)))


if __name__ == "__main__":
    main()
