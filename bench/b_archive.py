"""Archive benchmarks: building synthetic archives, and `_search` through a real Datasette.

Build: `archive.load.load_report` for every report (10,000 in the full run), in batches
of 1,000 under one outer transaction, plus a one-by-one sample for the per-report rate;
time, file size and peak RSS of the build subprocess. The 100,000-report archive for
search is built with the archive's schema, report ids and index functions but
executemany (see `build_child.build_search_archive`): `load_report` is too slow for it
within the benchmark's budget, as the 10,000 figure shows.

Search: Datasette serving the archive with the project's own configuration
(`archive.serve.datasette_args`), queried over HTTP on 127.0.0.1 with keep-alive:
`/archive/sections.json?_search=TERM` for terms of 1, 2, 3 and 6 characters (and a
mixed one), against the same page with `?text__contains=TERM` — Datasette's own
`LIKE '%TERM%'` filter, same view, same count, same page size. The rows are compared
in full: the `.csv?_stream=on` of the `_search` URL against `SELECT id … LIKE` in
sqlite3 directly.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from .harness import REPO, Context, Figure, Result, Unavailable, child_env, mib, percentile, proc_hwm_bytes

BUILD_EXPECTED = [
    "load_report reports/s (one by one)",
    "build time (load_report, batches)",
    "database size (load_report)",
    "build time (search archive)",
    "database size (search archive)",
    "build peak RSS",
]
SEARCH_EXPECTED = [
    *(f"{p} {n}-char{v}" for n in (1, 2, 3, 6) for v in ("", " (no facets)") for p in ("p50", "p95")),
    "identical rows",
    "Datasette peak RSS",
]
# (length label, term): frequencies in the synthetic narrative are 2-25% of sections.
TERMS = [
    ("1-char", "镇"),
    ("2-char", "复议"),
    ("2-char", "档案"),
    ("3-char", "博览会"),
    ("6-char", "对口帮扶资金"),
    ("mixed", "12345热线"),
]
NARRATIVE = 180


def _archive_available() -> None:
    try:
        from nianbao.archive import load, schema, serve  # noqa: F401
    except ImportError as exc:
        raise Unavailable(f"archive stage incomplete ({exc})") from exc


def _build_cmd(db: Path, n: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "bench.build_child", str(db), str(n), "--narrative", str(NARRATIVE), *extra]


def _result(n: int, rc: int, stdout: str, stderr: str) -> dict[str, Any]:
    if rc != 0:
        raise RuntimeError(f"build of {n} reports failed (rc={rc}): {stderr.strip()[-1500:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def _build(db: Path, n: int, *extra: str, timeout: float = 1200) -> dict[str, Any]:
    p = subprocess.run(
        _build_cmd(db, n, *extra), capture_output=True, text=True, timeout=timeout, env=child_env(), cwd=REPO
    )
    return _result(n, p.returncode, p.stdout, p.stderr)


def _search_paths(ctx: Context) -> tuple[Path, Path, int]:
    return (
        ctx.work / "search" / "archive.db",
        ctx.work / "search" / "build.json",
        2_000 if ctx.quick else 100_000,
    )


def start_search_archive(ctx: Context) -> subprocess.Popen | None:
    """Start building the search archive in the background (None when it is built already).

    The build is single-threaded and so is load_report: on a 2-core machine both builds
    run side by side, one core each, which keeps the full run within its time budget.
    """
    path, info, n = _search_paths(ctx)
    if info.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    ctx.log(f"  building the {n:,}-report search archive (in the background)")
    return subprocess.Popen(
        _build_cmd(path, n, "--search-only"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=REPO,
    )


def search_archive(ctx: Context, proc: subprocess.Popen | None = None) -> tuple[Path, dict[str, Any]]:
    """The search-scale archive of this run (built once, shared by both benchmarks)."""
    path, info, n = _search_paths(ctx)
    if proc is None and not info.exists():
        proc = start_search_archive(ctx)
    if proc is not None:
        out, err = proc.communicate(timeout=1800)
        info.write_text(json.dumps(_result(n, proc.returncode, out, err)))
    return path, json.loads(info.read_text())


def run_build(ctx: Context) -> Result:
    res = Result("build", "Building the archive (load_report, search archive)", BUILD_EXPECTED)
    _archive_available()
    background = start_search_archive(ctx)
    try:
        n_single = 50 if ctx.quick else 500
        n_batched = 300 if ctx.quick else 10_000
        single = _build(ctx.work / "single.db", n_single, "--batch", "1")
        res.add(
            Figure(
                "load_report reports/s (one by one)",
                single["reports_per_second"],
                "reports/s",
                note=f"{n_single} reports, one transaction (commit) each",
            )
        )
        ctx.log(f"  load_report: {single['reports_per_second']} reports/s one by one; building {n_batched:,}")
        batched = _build(ctx.work / "batched.db", n_batched, "--batch", "1000")
        res.details["load_report"] = {"one_by_one": single, "batched": batched}
        res.add(
            Figure(
                "build time (load_report, batches)",
                batched["load_seconds"],
                "s",
                note=f"{n_batched:,} reports, {batched['reports_per_second']} reports/s, 1,000 per commit; "
                "reports + sections + cells + checks + documents + search index",
            )
        )
        per_report = batched["db_bytes"] / n_batched
        res.add(
            Figure(
                "database size (load_report)",
                mib(batched["db_bytes"]),
                "MiB",
                note=f"{n_batched:,} reports, {per_report / 1024:.1f} KiB per report; "
                f"100,000 would be about {100_000 * per_report / 2**30:.1f} GiB and "
                f"{100_000 / batched['reports_per_second'] / 60:.0f} min (extrapolated, not measured)",
            )
        )
    except BaseException:
        if background is not None:
            background.kill()
            background.wait()
        raise
    _, info = search_archive(ctx, background)
    res.details["search_archive"] = info
    res.details["concurrency"] = (
        "the search archive was built while the load_report builds ran (one core each)"
    )
    res.add(
        Figure(
            "build time (search archive)",
            info["load_seconds"],
            "s",
            note=f"{info['reports']:,} reports, {info['sections']:,} sections, "
            f"{info['reports_per_second']} reports/s; reports + sections + both search indexes, "
            "no cell tables (executemany, archive schema and index functions)",
        )
    )
    res.add(
        Figure(
            "database size (search archive)",
            mib(info["db_bytes"]),
            "MiB",
            note=f"{info['reports']:,} reports, sections 一 and 五 of {NARRATIVE}–340 characters (mean ≈220)",
        )
    )
    res.add(
        Figure(
            "build peak RSS",
            mib(max(batched["maxrss_bytes"], info["maxrss_bytes"])),
            "MiB",
            note="VmHWM of the build subprocesses",
        )
    )
    return res


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


def _start_datasette(db: Path, port: int) -> subprocess.Popen:
    from nianbao.archive import serve

    argv = serve.datasette_args(db, host="127.0.0.1", port=port)
    # The LIKE reference must finish, not be cut off by the public time limit.
    argv += ["--setting", "sql_time_limit_ms", "120000"]
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env(), cwd=REPO
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            raise RuntimeError(f"datasette exited (rc={proc.returncode}): {err[-1500:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("datasette did not start within 60 s")


def _q(term: str) -> str:
    return urllib.parse.quote(term)


# The page as Datasette serves it (count, facets of metadata.json, suggestions, labels),
# and the same query with facets and facet suggestions off: what an API client gets.
VARIANTS = {"page": "", "no facets": "&_nofacet=1&_nosuggest=1"}


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


def _term_figures(client: _Client, con: sqlite3.Connection, term: str, quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for variant, extra in VARIANTS.items():
        search_url = f"/archive/sections.json?_search={_q(term)}{extra}"
        like_url = f"/archive/sections.json?text__contains={_q(term)}{extra}"
        _, status, body = client.get(search_url)  # warm-up (page cache, statement cache)
        if status != 200:
            raise RuntimeError(f"{search_url} answered {status}: {body[:300]!r}")
        count = json.loads(body).get("filtered_table_rows_count")
        times = _sample(client, search_url, 5 if quick else 20, 1 if quick else 6)
        _, _, like_body = client.get(like_url)
        like_times = _sample(client, like_url, 2 if quick else 3, 1 if quick else 4)
        p50, lp50 = percentile(times, 50), percentile(like_times, 50)
        out[variant] = {
            "p50_ms": round(1000 * p50, 2),
            "p95_ms": round(1000 * percentile(times, 95), 2),
            "requests": len(times),
            "like_p50_ms": round(1000 * lp50, 1),
            "like_p95_ms": round(1000 * percentile(like_times, 95), 1),
            "like_requests": len(like_times),
            "speedup_p50": round(lp50 / p50, 1),
            "search_count": count,
            "like_count": json.loads(like_body).get("filtered_table_rows_count"),
        }
    t0 = time.perf_counter()
    like_ids = {r[0] for r in con.execute("SELECT id FROM sections WHERE text LIKE ?", [f"%{term}%"])}
    out["sqlite_like_ms"] = round(1000 * (time.perf_counter() - t0), 1)
    out["sqlite_parts_ms"] = _parts(con, term)
    _, status, csv_body = client.get(f"/archive/sections.csv?_search={_q(term)}&_stream=on&_size=max")
    search_ids = _csv_ids(csv_body) if status == 200 else None
    out["hits"] = len(like_ids)
    out["csv_rows"] = None if search_ids is None else len(search_ids)
    out["identical"] = search_ids == like_ids
    return out


def _parts(con: sqlite3.Connection, term: str) -> dict[str, float]:
    """Where a search page's time goes, measured in sqlite3 directly (a diagnosis, not a figure).

    The FTS match alone; the count and the facet in the shape Datasette writes them
    (`rowid in (select rowid from sections_fts where … match …)`).
    """
    from nianbao.archive.search import match_query

    q = match_query(term)
    sub = "select rowid from sections_fts where sections_fts match ?"
    out = {}
    for name, sql in {
        "fts_match_count": f"select count(*) from ({sub})",
        "datasette_count": f"select count(*) from sections where rowid in ({sub})",
        "page_of_50": f"select * from sections where rowid in ({sub}) order by id limit 51",
        "facet_number": f"select number, count(*) from sections where rowid in ({sub}) group by number",
    }.items():
        t0 = time.perf_counter()
        con.execute(sql, [q]).fetchall()
        out[name] = round(1000 * (time.perf_counter() - t0), 1)
    return out


def run_search(ctx: Context) -> Result:
    res = Result("search", "Search through Datasette: _search vs LIKE", SEARCH_EXPECTED)
    _archive_available()
    if not any((REPO / "datasette").glob("metadata.*")):
        raise Unavailable(
            "datasette/metadata.* is not there yet (Datasette needs it to know the search index)"
        )
    db, info = search_archive(ctx)
    res.details["archive"] = {"reports": info["reports"], "sections": info["sections"]}
    res.details["method"] = (
        "keep-alive HTTP client; _search = /archive/sections.json?_search=T, LIKE = the same URL with "
        "?text__contains=T (Datasette's LIKE '%T%' filter); variant 'no facets' adds "
        "_nofacet=1&_nosuggest=1; "
        "rows: ids of .csv?_search=T&_stream=on vs SELECT id FROM sections WHERE text LIKE '%T%' in sqlite3"
    )
    port = _free_port()
    proc = _start_datasette(db, port)
    try:
        client = _Client(port)
        _, status, body = client.get("/archive/sections.json?_size=1")
        if status != 200:
            raise RuntimeError(f"/archive/sections.json answered {status}: {body[:300]!r}")
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        per_term: dict[str, Any] = {}
        for label, term in TERMS:
            per_term[term] = {"length": label, **_term_figures(client, con, term, ctx.quick)}
            v = per_term[term]
            ctx.log(
                f"  {term!r}: {v['hits']} rows; page p50 {v['page']['p50_ms']} ms vs LIKE "
                f"{v['page']['like_p50_ms']} ms; no facets p50 {v['no facets']['p50_ms']} ms vs LIKE "
                f"{v['no facets']['like_p50_ms']} ms; same rows: {v['identical']}"
            )
        res.details["terms"] = per_term
        hwm = proc_hwm_bytes(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    for label in ("1-char", "2-char", "3-char", "6-char"):
        for variant in VARIANTS:
            suffix = "" if variant == "page" else f" ({variant})"
            mine = [(t, v[variant]) for t, v in per_term.items() if v["length"] == label]
            term, worst = max(mine, key=lambda tv: tv[1]["p95_ms"])
            speedup = min(v["speedup_p50"] for _, v in mine)
            res.add(
                Figure(
                    f"p50 {label}{suffix}",
                    worst["p50_ms"],
                    "ms",
                    reference=worst["like_p50_ms"],
                    reference_name="LIKE, same URL with text__contains",
                    ratio=speedup,
                    target="≥ 100× faster than LIKE",
                    met=speedup >= 100,
                    note=f"{term!r}: {per_term[term]['hits']:,} rows; ratio: lowest of the terms",
                )
            )
            res.add(
                Figure(
                    f"p95 {label}{suffix}",
                    worst["p95_ms"],
                    "ms",
                    target="p95 ≤ 50 ms",
                    met=worst["p95_ms"] <= 50,
                    note=f"{term!r}, {worst['requests']} requests",
                )
            )
    identical = all(v["identical"] for v in per_term.values())
    res.add(
        Figure(
            "identical rows",
            identical,
            target="identical rows",
            met=identical,
            note=f"{len(per_term)} terms: ids of .csv?_search=…&_stream=on == SELECT id … LIKE in sqlite3",
        )
    )
    res.add(Figure("Datasette peak RSS", mib(hwm), "MiB", note="VmHWM of the datasette process"))
    return res


def _csv_ids(body: bytes) -> set[int]:
    rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
    header = next(rows, [])
    col = header.index("id") if "id" in header else 0
    return {int(r[col]) for r in rows if r}
