"""Crawl faults, all in one suite, against the hostile portal (tests/reliability/hostile_portal.py).

After each run, whatever happened: the crawl ended by itself within its limits, no request
left the allowed domain, every report link is accounted for with a kind and a reason,
the WARC store reads back record by record, the archive holds no half-written report
and no duplicate, and a re-run finishes the job. Also: SIGKILL half-way through a crawl
and half-way through a build, each followed by a re-run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nianbao.crawler.captures import CaptureStore, Fetched, read_index, read_payload

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NIANBAO = str(Path(sys.executable).with_name("nianbao"))
SETTINGS = {
    "DOWNLOAD_TIMEOUT": "2", "RETRY_TIMES": "1", "AUTOTHROTTLE_START_DELAY": "0", "DOWNLOAD_DELAY": "0",
    "DOWNLOAD_MAXSIZE": "200000", "DOWNLOAD_WARNSIZE": "100000", "NIANBAO_MAX_LIST_PAGES": "15",
}
LIMITS = ["--time-limit", "20", "--memory-limit", "512", "--jobs", "2"]


def crawl_cmd(hp, tmp: Path) -> list[str]:
    sources = tmp / "sources.yaml"
    sources.write_text(hp.sources_yaml(), encoding="utf-8")
    cmd = [NIANBAO, "crawl", "--sources", str(sources), "--db", str(tmp / "archive.db"), *LIMITS]
    for k, v in SETTINGS.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def path_of(url: str) -> str:
    p = urlsplit(url)
    return p.path + (f"?{p.query}" if p.query else "")


def warc_reads_back(data: Path) -> int:
    """Every WARC file read record by record; every indexed capture read back with its
    sha256. A record torn by a kill may only follow the last indexed record of its file."""
    from warcio.archiveiterator import ArchiveIterator

    index = read_index(data)
    last = {}
    for rec in index:
        last[rec["warc_file"]] = max(last.get(rec["warc_file"], -1), rec["warc_offset"])
    records = 0
    for warc in sorted((data / "captures").glob("*.warc.gz")):
        offset = -1
        try:
            with warc.open("rb") as fh:
                it = ArchiveIterator(fh)
                for rec in it:
                    offset = it.get_record_offset()
                    rec.content_stream().read()
                    records += 1
        except Exception as exc:  # a torn tail: allowed only after the last indexed record
            assert offset >= last.get(warc.name, -1), f"{warc.name} damaged before indexed records: {exc}"
    for rec in index:
        read_payload(data, rec)  # raises on any difference
    return records


def archive_sound(db_path: Path) -> dict[str, int]:
    """integrity_check ok; every report whole (its documents and cells there); no duplicate."""
    db = sqlite3.connect(db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        urls = [u for (u,) in db.execute("SELECT url FROM reports")]
        assert len(urls) == len(set(urls)), "a report archived twice"
        for (rid,) in db.execute("SELECT id FROM reports"):
            docs = db.execute("SELECT count(*) FROM documents WHERE report_id = ?", [rid]).fetchone()[0]
            assert docs >= 1, f"report {rid} without its documents"
        pairs = db.execute(
            "SELECT count(*), count(DISTINCT report_id || url || sha256) FROM documents").fetchone()
        assert pairs[0] == pairs[1], "a document archived twice"
        return {"reports": len(urls), "documents": pairs[0]}
    finally:
        db.close()


def cells_by_report(db_path: Path) -> dict[str, int]:
    db = sqlite3.connect(db_path)
    try:
        tables = [t for (t,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'cells%'")]
        out: dict[str, int] = {}
        for (rid,) in db.execute("SELECT id FROM reports"):
            out[rid] = sum(db.execute(f"SELECT count(*) FROM [{t}] WHERE report_id = ?", [rid]).fetchone()[0]
                           for t in tables) + db.execute(
                "SELECT count(*) FROM sections WHERE report_id = ?", [rid]).fetchone()[0]
        return out
    finally:
        db.close()


def test_hostile_portal_crawl(hostile_portal, tmp_path, sampler, record):
    hp = hostile_portal
    cmd = crawl_cmd(hp, tmp_path)
    mark = len(hp.log)
    with sampler() as peak:
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
        seconds = time.monotonic() - t0
    assert proc.returncode == 1, proc.stderr[-3000:]  # some report links failed: needs a look
    assert "Traceback" not in proc.stderr
    # no request left the allowed domain, and the endless pager stopped at its limit
    hosts = {e["host"] for e in hp.log[mark:]}
    assert hosts == {f"127.0.0.1:{hp.port}"}, hosts
    assert hp.endless_max <= int(SETTINGS["NIANBAO_MAX_LIST_PAGES"])
    last = json.loads((tmp_path / "captures" / "last_crawl.json").read_text(encoding="utf-8"))
    rows = {r["source_id"]: r for r in last["per_source"]}
    row = rows["hostile"]
    # every report link accounted for: captured or failed with a kind and a reason
    assert row["reports_unaccounted"] == 0, row
    assert row["reports_found"] == len(hp.EXPECTED), row["failure_records"]
    kinds = {path_of(f["report_url"] or f["url"]): f["kind"] for f in row["failure_records"]}
    failed = {p: k for p, k in hp.EXPECTED.items() if k not in ("new", "changed", "unchanged")}
    assert kinds == failed
    assert all(f["reason"] for f in row["failure_records"])
    offsite = [f for f in row["failure_records"] if "example.invalid" in f["url"] or "localhost" in f["url"]]
    assert [f["kind"] for f in offsite] == ["offsite"]  # named, never requested (hosts above)
    for line in proc.stderr.splitlines():  # the console shows failures in the summary
        if line.startswith("crawl hostile:"):
            assert f"{len(failed)} failed" in line
    # the store reads back; the archive is sound
    assert warc_reads_back(tmp_path) >= 2 * 6
    first = archive_sound(tmp_path / "archive.db")
    gbk = sqlite3.connect(tmp_path / "archive.db").execute(
        "SELECT title FROM reports WHERE url LIKE '%/r/gbk.html'").fetchone()
    assert gbk and gbk[0] == hp.LINKS["/r/gbk.html"], gbk  # declared UTF-8, is GBK: decoded right
    # a re-run finishes: nothing duplicated, nothing new
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    pairs = [(r["url"], r["sha256"]) for r in read_index(tmp_path)]
    assert len(pairs) == len(set(pairs))
    assert archive_sound(tmp_path / "archive.db") == first
    record(what="hostile portal: redirect loop, 25-hop chain, offsite redirect and links, bodies over the "
           "cap with/without Content-Length, 1 byte/s drip, ../ segments, 10,000-character URL, GBK "
           "declared UTF-8, HTML error page as application/pdf, endless pager",
           size=f"{row['reports_found']} report links, {row['pages']} + {rows['endless']['pages']} "
           "list pages",
           limit=f"DOWNLOAD_TIMEOUT 2 s, DOWNLOAD_MAXSIZE 200 KB, {SETTINGS['NIANBAO_MAX_LIST_PAGES']} "
           "list pages", seconds=round(seconds, 2), peak_mb=peak.peak_mb,
           outcome=f"crawl ended by itself, exit 1; failed: {', '.join(sorted(set(failed.values())))}; "
           f"{first['reports']} reports archived",
           lost="nothing: every link accounted for, no request off the domain, store and archive sound, "
           "re-run duplicates nothing")


def kill_when(cmd: list[str], ready, timeout: float) -> None:
    """Start `cmd` in its own process group; SIGKILL the group (workers too) once `ready()`."""
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None and not ready():
            time.sleep(0.05)
        assert ready(), "the kill would come before anything was done"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_sigkill_half_way_through_a_crawl(hostile_portal, tmp_path, sampler, record):
    hp = hostile_portal
    cmd = crawl_cmd(hp, tmp_path)
    index = tmp_path / "captures" / "index.jsonl"
    with sampler() as peak:
        t0 = time.monotonic()
        kill_when(cmd, lambda: index.exists() and index.read_text().count("\n") >= 2, timeout=120)
        seconds = time.monotonic() - t0
    partial = read_index(tmp_path)
    assert partial, "the kill came before any capture"
    warc_reads_back(tmp_path)
    rerun = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 1 and "Traceback" not in rerun.stderr, rerun.stderr[-3000:]
    records = read_index(tmp_path)
    pairs = [(r["url"], r["sha256"]) for r in records]
    assert len(pairs) == len(set(pairs)), "a capture stored twice"
    got = {path_of(r["url"]) for r in records}
    want = {p for p, k in hp.EXPECTED.items() if k == "new"}
    assert want <= got, want - got
    warc_reads_back(tmp_path)
    sound = archive_sound(tmp_path / "archive.db")
    record(what="SIGKILL half-way through a crawl, then a re-run",
           size=f"{len(partial)} captures before the kill",
           limit="-", seconds=round(seconds, 2), peak_mb=peak.peak_mb,
           outcome=f"re-run captured the rest: {len(records)} captures, {sound['reports']} reports archived",
           lost="nothing: indexed captures read back, no duplicate, archive sound")


def _store_of_reports(data: Path, n: int) -> None:
    """A capture store of `n` real report pages (form fixtures under distinct agencies)."""
    forms = sorted(p for p in (REPO / "tests" / "fixtures" / "forms").glob("*.html") if "." not in p.stem)
    with CaptureStore(data) as store:
        for i in range(n):
            # another city's agency each time: one report per copy (ids come from agency and year)
            page = forms[i % len(forms)].read_bytes().replace("广州市".encode(), f"第{i}市".encode())
            url = f"http://127.0.0.1:1/r/{i}.html"
            store.add(Fetched(url=url, status=200, body=page,
                              headers=[("Content-Type", "text/html; charset=utf-8")]),
                      {"kind": "page", "report_url": url, "source_id": "s"})


def test_sigkill_half_way_through_a_build(tmp_path, sampler, record):
    """A build is one transaction (archive/transaction.py): killed half-way (half the time
    a whole build takes), the archive holds the previous build's reports whole and nothing
    of the killed one; a re-run loads everything."""
    n = 24
    data = tmp_path / "data"
    _store_of_reports(data, n)
    reference = tmp_path / "reference.db"
    t0 = time.monotonic()
    done = subprocess.run([NIANBAO, "build", "--db", str(reference), "--data", str(data), *LIMITS],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    whole = time.monotonic() - t0
    assert done.returncode == 0, done.stderr[-3000:]
    want = cells_by_report(reference)
    assert len(want) == n
    db = tmp_path / "archive.db"
    # an archive holding an earlier build: the first 6 reports, loaded from their own store
    _store_of_reports(tmp_path / "early", 6)
    early = subprocess.run([NIANBAO, "build", "--db", str(db), "--data", str(tmp_path / "early"), *LIMITS],
                           cwd=REPO, capture_output=True, text=True, timeout=600)
    assert early.returncode == 0, early.stderr[-3000:]
    before = cells_by_report(db)
    cmd = [NIANBAO, "build", "--db", str(db), "--data", str(data), *LIMITS]
    with sampler() as peak:
        t0 = time.monotonic()
        kill_when(cmd, lambda: time.monotonic() - t0 >= whole / 2, timeout=whole)
        seconds = time.monotonic() - t0
    killed = cells_by_report(db)
    archive_sound(db)
    assert killed == before, "the killed build left part of itself in the archive"
    rerun = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert cells_by_report(db) == want
    archive_sound(db)
    record(what="SIGKILL half-way through a build, then a re-run", size=f"{n} reports",
           limit="-", seconds=round(seconds, 2), peak_mb=peak.peak_mb,
           outcome=f"killed after {seconds:.1f} s of a {whole:.1f} s build: the archive held its earlier "
           f"{len(before)} reports whole and nothing of the killed build; re-run loaded all {n}",
           lost="nothing: no half-written report, no duplicate")


def test_build_of_hostile_attachments_keeps_captures(tmp_path, hostile, monkeypatch, sampler, record):
    """A crawl that captured bombs and a document that crashes its worker: the build fails
    those reports with reasons, loads the rest, keeps every capture, and a re-run is idempotent."""
    from nianbao import parse_pool

    data = tmp_path / "data"
    _store_of_reports(data, 3)
    bad = {
        "http://127.0.0.1:1/f/bomb.docx": (hostile("docx_bomb_200mb.docx").read_bytes(),
                                           "application/vnd.openxmlformats-officedocument"
                                           ".wordprocessingml.document"),
        "http://127.0.0.1:1/f/stream.pdf": (hostile("stream_bomb_1.5gb.pdf").read_bytes(), "application/pdf"),
        "http://127.0.0.1:1/f/crash-me.pdf": (
            (REPO / "tests" / "fixtures" / "forms" / "000_eac659b3405373d8.pdf").read_bytes(),
            "application/pdf"),
    }
    with CaptureStore(data) as store:
        for url, (body, ctype) in bad.items():
            store.add(Fetched(url=url, status=200, body=body, headers=[("Content-Type", ctype)]),
                      {"kind": "attachment", "report_url": url, "source_id": "s",
                       "title": "某局2023年政府信息公开工作年度报告"})
    before = read_index(data)
    monkeypatch.setenv(parse_pool.ENV_CRASH, "crash-me")
    cmd = [NIANBAO, "build", "--db", str(tmp_path / "archive.db"), "--data", str(data),
           "--time-limit", "20", "--memory-limit", "256", "--jobs", "2"]
    with sampler() as peak:
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
        seconds = time.monotonic() - t0
    assert proc.returncode == 1, proc.stderr[-3000:]
    err = proc.stderr
    assert "archive: 3 new" in err and "3 failed" in err, err
    assert "bomb.docx: document too large: word/document.xml inflates to 200 MB" in err
    assert "stream.pdf: document too large: a PDF stream" in err
    assert "crash-me.pdf: parser process died (SIGSEGV)" in err
    assert read_index(data) == before
    for rec in before:
        read_payload(data, rec)  # every capture kept, byte for byte
    first = archive_sound(tmp_path / "archive.db")
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert "archive: 0 new, 0 changed, 3 unchanged" in again.stderr and "3 failed" in again.stderr
    assert archive_sound(tmp_path / "archive.db") == first
    record(what="build of a store holding a zip bomb, a 1.5 GB PDF stream and a document that crashes "
           "its worker", size="6 captures", limit="20 s, 256 MB, 2 workers", seconds=round(seconds, 2),
           peak_mb=peak.peak_mb, outcome="3 reports loaded, 3 failed with reasons, exit 1",
           lost="nothing: every capture kept byte for byte, re-run idempotent")
