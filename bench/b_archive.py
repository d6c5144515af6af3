"""Archive benchmarks: building a national-size archive, its bytes, and `_search` through Datasette.

Build: `archive.load.load_reports`, the archive's bulk path (the only writer of its SQL),
loads 100,000 synthetic reports (2,000 in --quick) with narrative as long as the seeds'
(bench/synth_reports.py), cells, checks and a capture each, in batches of 1,000; a copy of
the file is kept at half the archive (50,000; 1,000) for the search growth curve. Also measured: the
rate of `load_report` one report per transaction (what a crawl-and-build sees), a re-load
of 10,000 unchanged reports (a re-crawl), the database's bytes per report against the
same reports as plain files (bench/plain_size.py), and where the bytes go (SQLite's
dbstat, table by table and index by index). Figures for 1,000,000 reports are
extrapolated from the measured load rate of every 10,000 and from the bytes per report.

Search: Datasette serving the archive with the project's own configuration
(`archive.serve.datasette_args`), queried over HTTP on 127.0.0.1 with keep-alive:
`/archive/sections.json?_search=TERM`, the page as served (rows, count, facets of the
metadata), for terms of 1, 2, 3 and 6 characters and a mixed one, against the same page
with `?text__contains=TERM` — Datasette's own `LIKE '%TERM%'` filter, same view, same
count, same page size. The rows are compared in full (`.csv?_stream=on` of the `_search`
URL against `SELECT id … LIKE` in sqlite3) and so is the count: equal to LIKE's where the
page shows one; where the count stopped at the limit (the page says more than 10,000,
`filtered_table_rows_count` is null) LIKE's count must be above the limit, and the canned
query that counts on demand (`count_sections`) must give LIKE's exact count. The same search
pages on the 50,000-report copy give the growth curve from which the 1,000,000 figures are
read: at both sizes every term has more than the 10,000 matches a count reads, so the line
runs through the regime a larger archive is in (a 10,000-report copy, where the terms had
fewer matches than that, put the whole cost of counting into the slope).
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import math
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from .harness import REPO, Context, Figure, Result, Unavailable, child_env, mib, percentile, proc_hwm_bytes

MILLION = 1_000_000
BUILD_EXPECTED = [
    "load_report reports/s (one by one)",
    "build time (load_reports)",
    "load rate, last 10% of the build",
    "re-load of unchanged reports",
    "database bytes per report",
    "database size",
    "build time at 1,000,000 reports (extrapolated)",
    "database size at 1,000,000 reports (extrapolated)",
    "build peak RSS",
]
LABELS = ("1-char", "2-char", "3-char", "6-char", "mixed")
SEARCH_EXPECTED = [
    *(f"{p} {label}" for label in LABELS for p in ("p50", "p95")),
    *(f"p95 {label} at 1,000,000 reports (growth curve)" for label in LABELS),
    "identical rows",
    "identical counts",
    "page floor (a search matching nothing)",
    "Datasette peak RSS",
]
# A term no report contains (two characters of CJK Extension B): its page is Datasette's
# own work with an index lookup that finds nothing, the least any search page costs.
NO_MATCH_TERM = "𠀀𠀁"
# (length label, term): the frequent and the rare, 1 to 6 characters and mixed script.
TERMS = [
    ("1-char", "镇"),
    ("2-char", "复议"),
    ("2-char", "档案"),
    ("3-char", "博览会"),
    ("6-char", "对口帮扶资金"),
    ("mixed", "12345热线"),
]
BUILD_SECONDS_TARGET = 300  # 100,000 reports in at most 5 minutes
SIZE_RATIO_TARGET = 2.0  # the database at most 2x the plain files
BATCH = 1_000


def _archive_available() -> None:
    try:
        from nianbao.archive import load, schema, serve  # noqa: F401
    except ImportError as exc:
        raise Unavailable(f"archive stage incomplete ({exc})") from exc
    if not hasattr(load, "load_reports"):
        raise Unavailable("archive.load.load_reports (the bulk path) is not there yet")


def _sizes(ctx: Context) -> tuple[int, int]:
    """(reports in the archive, reports in the growth-curve copy).

    The copy is half the archive: the terms have more matches there than a search page
    counts (10,000), as in any larger archive, so the slope between the two sizes is the
    one that continues to 1,000,000 (docs/benchmarks.md, Search).
    """
    return (2_000, 1_000) if ctx.quick else (100_000, 50_000)


def _paths(ctx: Context) -> dict[str, Path]:
    d = ctx.work / "archive"
    d.mkdir(parents=True, exist_ok=True)
    return {"big": d / "archive.db", "small": d / "small.db", "info": d / "build.json"}


def _build_child(args: list[str], timeout: float) -> dict[str, Any]:
    p = subprocess.run(
        [sys.executable, "-m", "bench.build_child", *args],
        capture_output=True, text=True, timeout=timeout, env=child_env(), cwd=REPO,
    )
    if p.returncode != 0:
        err = p.stderr.strip()[-1500:]
        raise RuntimeError(f"build_child {' '.join(args)} failed (rc={p.returncode}): {err}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def build_archive(ctx: Context) -> dict[str, Any]:
    """The archive of this run, built once and shared by both benchmarks."""
    paths = _paths(ctx)
    if paths["info"].exists():
        return json.loads(paths["info"].read_text())
    n, n_small = _sizes(ctx)
    ctx.log(f"  loading {n:,} reports through load_reports (batches of {BATCH:,})")
    before = _loadavg()
    info = _build_child(
        [str(paths["big"]), str(n), "--fresh", "--batch", str(BATCH),
         "--snapshot", f"{n_small}:{paths['small']}"],
        timeout=3600,
    )
    info["loadavg_before"], info["loadavg_after"] = before, _loadavg()
    paths["info"].write_text(json.dumps(info))
    return info


def _extrapolated_seconds(checkpoints: list[dict[str, Any]], n: int, target: int) -> float | None:
    """Build time at `target` reports from the load rate of each checkpoint interval.

    The time per report grows with the archive (deeper b-trees, larger index merges):
    fit seconds-per-report = a + b*ln(reports) on the intervals, sum it from n to target.
    """
    points = []
    prev_n, prev_s = 0, 0.0
    for c in checkpoints:
        if c["reports"] > prev_n and c["load_seconds"] > prev_s:
            mid = (prev_n + c["reports"]) / 2
            points.append((math.log(max(mid, 1)), (c["load_seconds"] - prev_s) / (c["reports"] - prev_n)))
        prev_n, prev_s = c["reports"], c["load_seconds"]
    if not points or not checkpoints:
        return None
    if len(points) == 1:
        a, b = points[0][1], 0.0
    else:
        mx = sum(x for x, _ in points) / len(points)
        my = sum(y for _, y in points) / len(points)
        sxx = sum((x - mx) ** 2 for x, _ in points)
        b = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
        b = max(b, 0.0)  # noise must not make a bigger archive look faster to build
        a = my - b * mx
    total = checkpoints[-1]["load_seconds"]
    step = 10_000
    for start in range(n, target, step):
        mid = start + step / 2
        total += step * (a + b * math.log(mid))
    return total


def run_build(ctx: Context) -> Result:
    res = Result("build", "Building the archive (load_reports: time, bytes, growth)", BUILD_EXPECTED)
    _archive_available()
    n, n_small = _sizes(ctx)
    paths = _paths(ctx)

    n_single = 50 if ctx.quick else 500
    single = _build_child([str(ctx.work / "single.db"), str(n_single), "--fresh", "--batch", "1"], 600)
    res.add(Figure(
        "load_report reports/s (one by one)", single["reports_per_second"], "reports/s",
        note=f"{n_single} reports, one transaction (commit) each: what a crawl-and-build sees",
    ))

    info = build_archive(ctx)
    res.details["build"] = info
    secs = info["load_seconds"]
    res.add(Figure(
        "build time (load_reports)", round(secs, 1), "s",
        reference=BUILD_SECONDS_TARGET if n == 100_000 else None,
        reference_name="5 minutes" if n == 100_000 else "",
        ratio=round(secs / BUILD_SECONDS_TARGET, 2) if n == 100_000 else None,
        target="100,000 reports in ≤ 300 s" if n == 100_000 else "",
        met=secs <= BUILD_SECONDS_TARGET if n == 100_000 else None,
        note=f"{n:,} reports ({info['sections']:,} sections, cells, checks, a capture each), "
        f"{info['reports_per_second']} reports/s, {info['cpu_seconds']:.0f} s of CPU; batches of "
        f"{BATCH:,}; load average {info['loadavg_before']} before, {info['loadavg_after']} after",
    ))
    cps = info["checkpoints"]
    last = cps[-1]["reports_per_second_since_last"] if cps else None
    if len(cps) >= 2:
        done = cps[-1]["reports"] - cps[-2]["reports"]
        last = round(done / (cps[-1]["load_seconds"] - cps[-2]["load_seconds"]), 1)
    res.add(Figure(
        "load rate, last 10% of the build", last, "reports/s",
        note="rate per 10,000 reports: " + ", ".join(
            str(c["reports_per_second_since_last"]) for c in cps) if len(cps) > 1 else "",
    ))

    # A re-crawl: the same reports offered again are unchanged and write nothing.
    n_again = min(n, 10_000 if not ctx.quick else 500)
    again = _build_child([str(paths["big"]), str(n_again), "--batch", str(BATCH)], 1200)
    res.details["reload"] = again
    unchanged = again["changes"].get("unchanged", 0)
    res.add(Figure(
        "re-load of unchanged reports", again["reports_per_second"], "reports/s",
        note=f"{n_again:,} reports offered again: {unchanged:,} unchanged"
        + ("" if unchanged == n_again else f" (NOT all: {again['changes']})")
        + f"; {n:,} would take {n / again['reports_per_second']:.0f} s, a million "
        f"{MILLION / again['reports_per_second'] / 60:.0f} min",
    ))

    plain = info["plain_bytes"]
    db_per = info["db_bytes"] / n
    plain_per = (plain["text"] + plain["csv"]) / n
    labelled_per = (plain["text"] + plain["csv_with_labels"]) / n
    ratio = db_per / plain_per
    res.add(Figure(
        "database bytes per report", round(db_per), "B",
        reference=round(plain_per), reference_name="plain files: text UTF-8 + cells CSV",
        ratio=round(ratio, 2), target="≤ 2× the plain files", met=ratio <= SIZE_RATIO_TARGET,
        note=f"ratio = database / plain files (lower is better); plain files: text "
        f"{plain['text'] / n:,.0f} B "
        f"+ CSV {plain['csv'] / n:,.0f} B; {db_per / labelled_per:.2f}× against a CSV that repeats the row "
        f"label in every line ({labelled_per:,.0f} B); blobs excluded (no bytes stored)",
    ))
    res.add(Figure("database size", mib(info["db_bytes"]), "MiB", note=f"{n:,} reports"))
    res.details["bytes_by_object"] = bytes_by_object(paths["big"], n)

    at_million = _extrapolated_seconds(cps, n, MILLION)
    res.add(Figure(
        "build time at 1,000,000 reports (extrapolated)",
        None if at_million is None else round(at_million / 60, 1), "min",
        note="from the load rate of every 10,000 reports (seconds per report fitted as a + b·ln n)"
        if at_million is not None else "not available: no checkpoints",
    ))
    res.add(Figure(
        "database size at 1,000,000 reports (extrapolated)", round(db_per * MILLION / 2**30, 1), "GiB",
        note=f"{db_per:,.0f} B per report (the bytes per report do not grow with the archive: "
        f"{info['snapshot'].get('db_bytes', 0) / max(n_small, 1):,.0f} B at {n_small:,})",
    ))
    res.add(Figure(
        "build peak RSS", mib(max(info["maxrss_bytes"], single["maxrss_bytes"])), "MiB",
        note="VmHWM of the build subprocesses",
    ))
    return res


def bytes_by_object(db_path: Path, n: int) -> list[dict[str, Any]]:
    """Where the bytes go: every table and index, with SQLite's dbstat (pages, unused included)."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        objects = dict(con.execute("select name, type from sqlite_master").fetchall())
        rows = con.execute(
            "select name, sum(pgsize), sum(unused) from dbstat group by name order by 2 desc"
        ).fetchall()
    finally:
        con.close()
    total = sum(r[1] for r in rows)
    return [
        {
            "name": name,
            "type": objects.get(name, "internal"),
            "bytes": size,
            "bytes_per_report": round(size / n),
            "share": round(size / total, 4),
            "unused": round(unused / size, 3) if size else 0,
        }
        for name, size, unused in rows
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Client:
    """One keep-alive HTTP connection to Datasette; returns (seconds, status, body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def get(self, path: str) -> tuple[float, int, bytes]:
        t0 = time.perf_counter()
        try:
            self.conn.request("GET", path)
            r = self.conn.getresponse()
            body = r.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            self.conn.request("GET", path)
            r = self.conn.getresponse()
            body = r.read()
        return time.perf_counter() - t0, r.status, body


class _Datasette:
    """Datasette serving one archive with the project's arguments, on a free port."""

    def __init__(self, db: Path) -> None:
        from nianbao.archive import serve

        self.port = _free_port()
        argv = serve.datasette_args(db, host="127.0.0.1", port=self.port)
        # The LIKE reference must finish, not be cut off by the public time limit.
        argv += ["--setting", "sql_time_limit_ms", "120000"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=child_env(), cwd=REPO)

    def __enter__(self) -> _Datasette:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode("utf-8", "replace") if self.proc.stderr else ""
                raise RuntimeError(f"datasette exited (rc={self.proc.returncode}): {err[-1500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("datasette did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _q(term: str) -> str:
    return urllib.parse.quote(term)


def _sample(client: _Client, url: str, reps: int, budget: float) -> list[float]:
    """Up to `reps` timings of `url`; stops early (after 3) once `budget` seconds are spent."""
    times: list[float] = []
    t0 = time.perf_counter()
    while len(times) < reps and (len(times) < 3 or time.perf_counter() - t0 < budget):
        took, status, body = client.get(url)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}: {body[:300]!r}")
        times.append(took)
    return times


def _page(client: _Client, term: str, reps: int, budget: float, table: str = "sections") -> dict[str, Any]:
    url = f"/archive/{table}.json?_search={_q(term)}"
    _, status, body = client.get(url)  # warm-up (page cache, statement cache)
    if status != 200:
        raise RuntimeError(f"{url} answered {status}: {body[:300]!r}")
    times = _sample(client, url, reps, budget)
    return {
        "p50_ms": round(1000 * percentile(times, 50), 2),
        "p95_ms": round(1000 * percentile(times, 95), 2),
        "requests": len(times),
        "count": json.loads(body).get("filtered_table_rows_count"),
    }


def _count_limit() -> int:
    """The search plugin's count limit as the served metadata sets it (datasette/metadata.yaml)."""
    import yaml

    from nianbao.resources import site_dir
    from nianbao.site.plugins import nianbao_search

    meta = yaml.safe_load((site_dir() / "metadata.yaml").read_text(encoding="utf-8")) or {}
    config = (meta.get("plugins") or {}).get(nianbao_search.PLUGIN) or {}
    return int(config.get("count_limit") or nianbao_search.COUNT_LIMIT)


def _counts_hold(page_count: int | None, like_page_count: int | None, like_rows: int, exact: int | None,
                 limit: int) -> bool:
    """The page's count is LIKE's where it is shown; where it stopped at the limit (null), LIKE
    finds more rows than the limit; either way the count on demand is LIKE's."""
    shown = page_count == like_rows if page_count is not None else like_rows > limit
    return shown and like_page_count == like_rows and exact == like_rows


def _term_figures(client: _Client, con: sqlite3.Connection, term: str, quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"page": _page(client, term, 5 if quick else 20, 1 if quick else 6)}
    # the reports table's search page (facets of the metadata, newest year first): no target
    out["reports_page"] = _page(client, term, 3 if quick else 8, 1 if quick else 3, table="reports")
    like_url = f"/archive/sections.json?text__contains={_q(term)}"
    _, _, like_body = client.get(like_url)
    like_times = _sample(client, like_url, 2 if quick else 3, 1 if quick else 4)
    lp50 = percentile(like_times, 50)
    out["like"] = {
        "p50_ms": round(1000 * lp50, 1),
        "p95_ms": round(1000 * percentile(like_times, 95), 1),
        "requests": len(like_times),
        "count": json.loads(like_body).get("filtered_table_rows_count"),
    }
    out["speedup_p50"] = round(lp50 / (out["page"]["p50_ms"] / 1000), 1)
    t0 = time.perf_counter()
    like_ids = {r[0] for r in con.execute("SELECT id FROM sections WHERE text LIKE ?", [f"%{term}%"])}
    out["sqlite_like_ms"] = round(1000 * (time.perf_counter() - t0), 1)
    out["sqlite_parts_ms"] = _parts(con, term)
    _, status, csv_body = client.get(f"/archive/sections.csv?_search={_q(term)}&_stream=on&_col=id")
    search_ids = _csv_ids(csv_body) if status == 200 else None
    # the exact count on demand (the link of a page whose count stopped at the limit)
    count_url = f"/archive/count_sections.json?q={_q(term)}&_shape=array"
    took, status, body = client.get(count_url)
    exact = json.loads(body)[0]["行数"] if status == 200 else None
    out["exact_count"] = {"count": exact, "ms": round(1000 * took, 1)}
    out["hits"] = len(like_ids)
    out["csv_rows"] = None if search_ids is None else len(search_ids)
    out["identical"] = search_ids == like_ids
    out["count_limit"] = limit = _count_limit()
    out["count_identical"] = _counts_hold(out["page"]["count"], out["like"]["count"], len(like_ids), exact,
                                          limit)
    return out


def _parts(con: sqlite3.Connection, term: str) -> dict[str, float]:
    """Where a search page's time goes, measured in sqlite3 directly (a diagnosis, not a figure).

    The count and the page of rows as the search plugin has them read from the index (what
    the page runs: the count stopped at the limit, a one-character term from the
    single-character index where the archive has one), the whole count from the bigram
    index (the canned query's), and as Datasette writes them (`… where id in (select rowid
    from sections_fts where … match …)`: one lookup in sections per match for the count, the
    whole match evaluated before the first 51 rows).
    """
    from nianbao.archive.search import CHAR_INDEXES, char_query, match_query

    q = match_query(term)
    sub = "select rowid from sections_fts where sections_fts match ?"
    chars = CHAR_INDEXES["sections_fts"]
    has_chars = con.execute("select 1 from sqlite_master where name = ?", [chars]).fetchone() is not None
    mine, mine_q = (f"select rowid from {chars} where {chars} match ?", char_query(term)) \
        if has_chars and char_query(term) else (sub, q)
    limit = _count_limit()
    out = {}
    for name, sql, param in [
        ("count_from_index", f"select count(*) from ({mine} limit {limit + 1})", mine_q),
        ("exact_count_from_index", f"select count(*) from ({sub})", q),
        ("datasette_count", f"select count(*) from sections where id in ({sub})", q),
        ("page_from_index", f"select * from sections where id in ({mine} order by rowid limit 51) "
         "order by id limit 51", mine_q),
        ("datasette_page", f"select * from sections where id in ({sub}) order by id limit 51", q),
    ]:
        t0 = time.perf_counter()
        con.execute(sql, [param]).fetchall()
        out[name] = round(1000 * (time.perf_counter() - t0), 1)
    return out


def _grown(small: dict[str, Any], big: dict[str, Any], n_small: int, n_big: int, target: int) -> float:
    """The p95 at `target` reports: the p95 at `n_big` plus the growth of the median.

    What grows with the archive is the number of matches (the index's doclists, the set
    of matching rows): linear in the reports, so the line through the medians at two
    sizes (the median: a p95 of 20 requests is one request, too noisy for a slope). A
    line never falls: noise is not a speed-up.
    """
    slope = max((big["p50_ms"] - small["p50_ms"]) / (n_big - n_small), 0.0)
    return big["p95_ms"] + slope * (target - n_big)


def run_search(ctx: Context) -> Result:
    res = Result("search", "Search through Datasette: _search vs LIKE, count included", SEARCH_EXPECTED)
    _archive_available()
    if not any((REPO / "datasette").glob("metadata.*")):
        raise Unavailable(
            "datasette/metadata.* is not there yet (Datasette needs it to know the search index)"
        )
    info = build_archive(ctx)
    paths = _paths(ctx)
    n, n_small = _sizes(ctx)
    res.details["archive"] = {"reports": n, "sections": info["sections"], "growth_curve_copy": n_small}
    res.details["method"] = (
        "keep-alive HTTP client; _search = /archive/sections.json?_search=T (the page as served: rows, "
        "count, metadata facets), LIKE = the same URL with ?text__contains=T (Datasette's LIKE '%T%' "
        "filter); "
        "rows: ids of .csv?_search=T&_stream=on&_col=id vs SELECT id FROM sections WHERE text LIKE '%T%' in "
        "sqlite3; counts: filtered_table_rows_count of both pages vs the number of LIKE rows (where the "
        "page's count stopped at the limit, null: LIKE's above the limit) and count_sections.json?q=T (the "
        "count on demand) vs LIKE's; 1,000,000: the "
        f"straight line through the p95 at {n_small:,} and {n:,} reports"
    )
    res.details["loadavg_before"] = _loadavg()
    small: dict[str, Any] = {}
    with _Datasette(paths["small"]) as ds:
        client = _Client(ds.port)
        for _, term in TERMS:
            small[term] = _page(client, term, 5 if ctx.quick else 12, 1 if ctx.quick else 4)
    per_term: dict[str, Any] = {}
    with _Datasette(paths["big"]) as ds:
        client = _Client(ds.port)
        con = sqlite3.connect(f"file:{paths['big']}?mode=ro", uri=True)
        for label, term in TERMS:
            v = {"length": label, **_term_figures(client, con, term, ctx.quick), "small": small[term]}
            grown = _grown(small[term], v["page"], n_small, n, MILLION)
            v["p95_ms_at_million"] = round(grown, 1)
            per_term[term] = v
            ctx.log(
                f"  {term!r}: {v['hits']:,} rows; page p50 {v['page']['p50_ms']} ms, "
                f"p95 {v['page']['p95_ms']} ms "
                f"(at {n_small:,}: {small[term]['p95_ms']} ms) vs LIKE {v['like']['p50_ms']} ms; "
                f"count {v['page']['count']} (on demand {v['exact_count']['count']}); "
                f"same rows: {v['identical']}, same count: {v['count_identical']}"
            )
        floor = _page(client, NO_MATCH_TERM, 5 if ctx.quick else 40, 1 if ctx.quick else 4)
        con.close()
        hwm = proc_hwm_bytes(ds.proc.pid)
    res.details["loadavg_after"] = _loadavg()
    res.details["terms"] = per_term
    for label in LABELS:
        mine = [(t, v) for t, v in per_term.items() if v["length"] == label]
        term, worst = max(mine, key=lambda tv: tv[1]["page"]["p95_ms"])
        speedup = min(v["speedup_p50"] for _, v in mine)
        slowest_like = min(mine, key=lambda tv: tv[1]["speedup_p50"])[1]
        res.add(Figure(
            f"p50 {label}", worst["page"]["p50_ms"], "ms",
            reference=slowest_like["like"]["p50_ms"], reference_name="LIKE, same URL with text__contains",
            ratio=speedup, target="≥ 100× faster than LIKE", met=speedup >= 100,
            note=f"{', '.join(repr(t) for t, _ in mine)}: ratio is the lowest of the terms; "
            f"{worst['hits']:,} rows for {term!r}",
        ))
        res.add(Figure(
            f"p95 {label}", worst["page"]["p95_ms"], "ms", target="p95 ≤ 50 ms",
            met=worst["page"]["p95_ms"] <= 50, note=f"{term!r}, {worst['page']['requests']} requests",
        ))
        grown = max(v["p95_ms_at_million"] for _, v in mine)
        res.add(Figure(
            f"p95 {label} at 1,000,000 reports (growth curve)", grown, "ms", target="p95 ≤ 50 ms",
            met=grown <= 50,
            note=f"p95 at {n:,} plus the growth of the median between {n_small:,} "
            f"({max(v['small']['p50_ms'] for _, v in mine)} ms) and {n:,} reports, linear in reports",
        ))
    identical = all(v["identical"] for v in per_term.values())
    res.add(Figure(
        "identical rows", identical, target="identical rows", met=identical,
        note=f"{len(per_term)} terms: ids of .csv?_search=…&_stream=on == SELECT id … LIKE in sqlite3",
    ))
    counts = all(v["count_identical"] for v in per_term.values())
    res.add(Figure(
        "identical counts", counts, target="identical counts", met=counts,
        note="the page's count (read from the index, stopped at the limit) == the LIKE page's count == the "
        "LIKE rows, or null (more than the limit) and LIKE rows > the limit; count on demand == LIKE rows",
    ))
    # What 100x LIKE would need, against the least a page costs: a LIKE page quicker than 100x
    # this floor cannot be beaten 100 times by any search through Datasette's table page.
    res.details["page_floor"] = floor
    quickest_like = min(per_term.items(), key=lambda tv: tv[1]["like"]["p50_ms"])
    res.add(Figure(
        "page floor (a search matching nothing)", floor["p50_ms"], "ms",
        note=f"p50 of {floor['requests']} requests of _search={NO_MATCH_TERM} (count {floor['count']}); "
        f"the quickest LIKE page ({quickest_like[0]!r}, {quickest_like[1]['like']['p50_ms']} ms) allows at "
        f"most {quickest_like[1]['like']['p50_ms'] / floor['p50_ms']:.0f}× over any search page",
    ))
    res.add(Figure("Datasette peak RSS", mib(hwm), "MiB", note="VmHWM of the datasette process"))
    return res


def _csv_ids(body: bytes) -> set[int]:
    rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    header = next(rows, [])
    col = header.index("id") if "id" in header else 0
    return {int(r[col]) for r in rows if r}
