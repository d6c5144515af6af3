"""Parsing in a pool, and the cost of hostile documents as they grow.

pool: `nianbao build` of one capture store (real report pages, PDFs and .docx of the form
fixtures, under distinct agencies) three times, each into a fresh archive: parsing in
this process (`--jobs 0`, the old way, no limits), in one worker process (`--jobs 1`: what
the isolation costs), and in one worker per core (the default). Run as the command users
run, wall time from start to exit, worker start-up included.

linear: the parse time of hostile documents at sizes ×1, ×2, ×4 (a page holding one big
table, a PDF page of drawn boxes, HTML nested ever deeper); the ratio of the ×4 time to
the ×1 time is about 4 when the work is linear in the size (it was 16 and more for the
quadratic loops this replaced).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from . import synth_hostile
from .harness import FORMS, REPO, Context, Figure, Result, Unavailable, child_env

POOL_EXPECTED = ["one process reports/s", "one worker reports/s", "pool reports/s", "pool speed-up"]
LINEAR_EXPECTED = ["table page ×4/×1 time", "drawn boxes ×4/×1 time", "nesting ×4/×1 time"]


def _store(data: Path, n: int) -> int:
    from nianbao.crawler.captures import CaptureStore, Fetched

    forms = sorted(p for p in FORMS.glob("*") if p.suffix in (".html", ".pdf", ".docx") and "." not in p.stem)
    if not forms:
        raise Unavailable("no form fixtures in tests/fixtures/forms")
    types = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf",
             ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    with CaptureStore(data) as store:
        for i in range(n):
            src = forms[i % len(forms)]
            body = src.read_bytes()
            if src.suffix == ".html":  # another agency each time, so that each is its own report
                body = body.replace("广州市".encode(), f"第{i}市".encode())
            url = f"http://127.0.0.1:1/bench/{i}{src.suffix}"
            store.add(Fetched(url=url, status=200, body=body, headers=[("Content-Type", types[src.suffix])]),
                      {"kind": "page", "report_url": url, "source_id": "bench", "agency": f"第{i}局",
                       "title": f"第{i}局2023年政府信息公开工作年度报告"})
    return n


def _build(db: Path, data: Path, jobs: int) -> float:
    nianbao = Path(sys.executable).with_name("nianbao")
    cmd = [str(nianbao), "build", "--db", str(db), "--data", str(data), "--jobs", str(jobs)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=REPO, timeout=1800)
    seconds = time.perf_counter() - t0
    if p.returncode not in (0, 1) or "archive:" not in p.stderr:
        raise RuntimeError(f"nianbao build --jobs {jobs} failed (rc={p.returncode}): {p.stderr[-1500:]}")
    return seconds


def run_pool(ctx: Context) -> Result:
    res = Result("pool", "Building the archive: parse pool vs one process", POOL_EXPECTED)
    # enough reports that worker start-up (the OCR libraries) is amortised as in a real build
    n = 15 if ctx.quick else 600
    data = ctx.work / "pool-store"
    _store(data, n)
    cores = os.cpu_count() or 1
    times = {}
    for jobs in (0, 1, cores):
        times[jobs] = _build(ctx.work / f"pool-{jobs}.db", data, jobs)
        ctx.log(f"  build --jobs {jobs}: {times[jobs]:.1f} s for {n} reports")
    shared = "shared machine, other work running: noisy"
    res.add(Figure("one process reports/s", round(n / times[0], 2), "reports/s",
                   note=f"{n} reports, --jobs 0 (in this process, no limits); {shared}"))
    one = round(n / times[0], 2)
    res.add(Figure("one worker reports/s", round(n / times[1], 2), "reports/s", reference=one,
                   reference_name="one process", ratio=round(times[0] / times[1], 2),
                   note="--jobs 1: isolation and limits, no parallelism"))
    res.add(Figure("pool reports/s", round(n / times[cores], 2), "reports/s", reference=one,
                   reference_name="one process", ratio=round(times[0] / times[cores], 2),
                   note=f"--jobs {cores} (one worker per core)"))
    speedup = times[0] / times[cores]
    res.add(Figure("pool speed-up", round(speedup, 2), "×", target=f"> 1 with {cores} cores", met=speedup > 1,
                   note=f"{cores} cores; worker start-up included"))
    res.details.update(reports=n, cores=cores, seconds={str(k): round(v, 2) for k, v in times.items()})
    return res


def _parse_seconds(data: bytes, source: str) -> float:
    from nianbao import parsers

    t0 = time.perf_counter()
    # drawn boxes alone are not a report: the time to say so is what is measured
    with contextlib.suppress(parsers.ParseError):
        parsers.parse_bytes(data, source)
    return time.perf_counter() - t0


def run_linear(ctx: Context) -> Result:
    res = Result("linear", "Hostile documents: parse time at sizes ×1, ×2, ×4", LINEAR_EXPECTED)
    from nianbao.parsers import limits

    limits.use(limits.Limits(memory_mb=4096))  # measure the work, not the refusals
    base_table = (256 << 10) if ctx.quick else (2 << 20)
    base_boxes = 5_000 if ctx.quick else 20_000
    base_depth = 5_000 if ctx.quick else 25_000
    series = {}
    for name, make in (
        ("table page", lambda k: synth_hostile.html_table_page(ctx.work / f"table{k}.html",
                                                                base_table * k).read_bytes()),
        ("drawn boxes", lambda k: synth_hostile.pdf_rectangles(ctx.work / f"boxes{k}.pdf",
                                                               base_boxes * k).read_bytes()),
        ("nesting", lambda k: synth_hostile.deep_page(base_depth * k).encode()),
    ):
        times = {}
        for k in (1, 2, 4):
            data = make(k)
            times[k] = min(_parse_seconds(data, f"{name}-{k}"), _parse_seconds(data, f"{name}-{k}"))
        series[name] = times
        growth = times[4] / times[1]
        size = {"table page": f"{base_table >> 10} KB", "drawn boxes": f"{base_boxes:,} boxes",
                "nesting": f"{base_depth:,} levels"}[name]
        res.add(Figure(f"{name} ×4/×1 time", round(growth, 2), "×",
                       target="about 4 (linear); 16 would be quadratic", met=growth < 7,
                       note=f"×1 = {size}: " + ", ".join(f"×{k} {t:.2f} s" for k, t in times.items())))
    limits.use(limits.Limits())
    res.details["seconds"] = {n: {str(k): round(v, 3) for k, v in t.items()} for n, t in series.items()}
    return res
