"""Every report link the spider finds ends as captured, unchanged or failed with a reason.

A hostile column on 127.0.0.1 lists thirteen reports, each meeting one fault a portal can
have — a redirect loop, a 30-hop redirect chain, a gzip bomb cut at the size cap, an
8,000-character URL, a hang past the download timeout, HTTP 404 and 500, a redirect to
another host, a redirect to a report already fetched, an attachment that is gone, an
attachment with a too long URL — next to two good ones. The real spider crawls it (in a
subprocess: Twisted's reactor cannot restart), then `nianbao crawl --db` records it in
the archive: the summary, the run journal and the crawl tables must name every link.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from faults_record import record_fault

REPORT = "政府信息公开工作年度报告"
LONG = "/r/" + "x" * 8000 + ".html"
# listed path -> (title, expected outcome, expected failure kind or None)
LINKS = {
    "/r/ok.html": (f"甲局2023年{REPORT}", "new", None),  # or unchanged: see /r/to-ok.html
    "/r/with-pdf.html": (f"乙局2023年{REPORT}", "new", None),
    "/r/loop-a.html": (f"丙局2023年{REPORT}", "failed", "redirects"),
    "/r/chain-0.html": (f"丁局2023年{REPORT}", "failed", "redirects"),
    "/r/bomb.pdf": (f"戊局2023年{REPORT}", "failed", "too_big"),
    LONG: (f"己局2023年{REPORT}", "failed", "url_too_long"),
    "/r/slow.html": (f"庚局2023年{REPORT}", "failed", "timeout"),
    "/r/gone.html": (f"辛局2023年{REPORT}", "failed", "http_4xx"),
    "/r/error.html": (f"壬局2023年{REPORT}", "failed", "http_5xx"),
    "/r/offsite.html": (f"癸局2023年{REPORT}", "failed", "offsite"),
    # redirected to a page another link fetched too: whichever comes second is unchanged
    "/r/to-ok.html": (f"子局2023年{REPORT}", "unchanged", None),
    "/r/lost-attachment.html": (f"丑局2023年{REPORT}", "failed", "http_4xx"),
    "/r/long-attachment.html": (f"寅局2023年{REPORT}", "failed", "url_too_long"),
}
MAXSIZE = 200_000  # the size cap of these crawls (DOWNLOAD_MAXSIZE)
TIMEOUT = 2


def _page(title: str, body: str = "") -> bytes:
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>'
            f"<p>一、总体情况</p>{body}</body></html>").encode()


class Hostile(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stop = threading.Event()
        self.bomb = gzip.compress(b"\0" * (MAXSIZE * 40), compresslevel=9)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: Hostile
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self._send(302, b"", headers={"Location": location})

    def do_GET(self) -> None:
        path = self.path
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif path == "/list/index.html":
            items = "".join(f'<li><a href="{p}">{t}</a><span>2024-01-20</span></li>'
                            for p, (t, _, _) in LINKS.items())
            self._send(200, f'<html><head><meta charset="utf-8"></head><body><ul>{items}</ul>'
                       "</body></html>".encode())
        elif path in ("/r/ok.html", "/r/with-pdf.html", "/r/lost-attachment.html",
                      "/r/long-attachment.html"):
            title = LINKS[path][0]
            body = {
                "/r/with-pdf.html": '<p>附件：<a href="/files/report.pdf">报告.pdf</a></p>',
                "/r/lost-attachment.html": '<p>附件：<a href="/files/gone.pdf">报告.pdf</a></p>',
                "/r/long-attachment.html": f'<p>附件：<a href="/files/{"y" * 8000}.pdf">报告.pdf</a></p>',
            }.get(path, "")
            self._send(200, _page(title, body))
        elif path == "/files/report.pdf":
            self._send(200, b"%PDF-1.4\n% a small file\n", "application/pdf")
        elif path == "/r/loop-a.html":
            self._redirect("/r/loop-b.html")
        elif path == "/r/loop-b.html":
            self._redirect("/r/loop-a.html")
        elif path.startswith("/r/chain-"):
            n = int(path.removeprefix("/r/chain-").removesuffix(".html"))
            self._redirect(f"/r/chain-{n + 1}.html")
        elif path == "/r/bomb.pdf":
            self._send(200, self.server.bomb, "application/pdf", {"Content-Encoding": "gzip"})
        elif path == "/r/slow.html":
            self.server.stop.wait(TIMEOUT * 3)
            self._send(200, _page("slow"))
        elif path == "/r/error.html":
            self._send(500, b"server error", "text/plain")
        elif path == "/r/offsite.html":
            self._redirect(f"http://localhost:{self.server.server_address[1]}/r/ok.html")
        elif path == "/r/to-ok.html":
            self._redirect("/r/ok.html")
        else:
            self._send(404, b"not found", "text/plain")


@pytest.fixture(scope="module")
def hostile():
    srv = Hostile()
    threading.Thread(target=srv.serve_forever, daemon=True, name="hostile-portal").start()
    yield srv
    srv.stop.set()
    srv.shutdown()
    srv.server_close()


SETTINGS = {"DOWNLOAD_MAXSIZE": str(MAXSIZE), "DOWNLOAD_TIMEOUT": str(TIMEOUT), "RETRY_TIMES": "0",
            "URLLENGTH_LIMIT": "2083"}


def _outcomes(row: dict) -> dict[str, tuple[str, str | None, str]]:
    """listed URL -> (outcome, failure kind, reason), from a summary row of the journal."""
    out: dict[str, tuple[str, str | None, str]] = {}
    failures = {f["report_url"]: f for f in row["failure_records"] if f.get("report_url")}
    for url, state in row["report_outcomes"].items():
        f = failures.get(url)
        out[url] = (state, f["kind"] if f else None, f["reason"] if f else "")
    return out


def test_every_report_link_is_accounted_for(hostile, tmp_path, fx):
    data = tmp_path / "data"
    started = time.monotonic()
    proc = fx.run_crawl(data, hostile.url("/list/index.html"), settings=SETTINGS)
    seconds = time.monotonic() - started
    assert proc.returncode == 1, "failed reports: exit 1; " + proc.stdout + proc.stderr[-2000:]
    run = json.loads((data / "captures" / "runs.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    row = run["sources"][0]
    listed = {hostile.url(p) for p in LINKS}
    assert row["reports_found"] == len(LINKS)
    assert row["reports_unaccounted"] == 0, row
    got = _outcomes(row)
    assert set(got) == listed, "every listed report has an outcome"
    # one of the two stored /r/ok.html (new, or changed: a document under another link),
    # the other found the same bytes stored (unchanged)
    pair = sorted([got[hostile.url("/r/ok.html")][0], got[hostile.url("/r/to-ok.html")][0]])
    assert pair in (["new", "unchanged"], ["changed", "unchanged"]), pair
    for path, (_, outcome, kind) in LINKS.items():
        state, failed_kind, reason = got[hostile.url(path)]
        if path in ("/r/ok.html", "/r/to-ok.html"):
            continue
        assert (state, failed_kind) == (outcome, kind), (path[:40], got[hostile.url(path)])
        if state == "failed":
            assert reason.strip(), f"{path[:40]}: a failure carries its reason"
    assert all(f["reason"].strip() and f["kind"] for f in row["failure_records"])
    failed = sum(1 for _, o, _ in LINKS.values() if o == "failed")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("crawl "))
    assert f"{len(LINKS)} reports found" in line and f"{failed} failed" in line, line
    assert "not fetched" not in line
    index = [r["url"] for r in fx.index(data)]
    assert hostile.url("/r/ok.html") in index and hostile.url("/files/report.pdf") in index
    assert not any("bomb" in u or "loop" in u or "chain" in u for u in index), "nothing failed was stored"
    record_fault(
        what="crawl of a hostile column: redirect loop, 30-hop chain, gzip bomb, 8,000-character URLs, "
             "timeout, HTTP 404/500, offsite redirect, lost attachment",
        limit=f"{MAXSIZE // 1000} kB cap, {TIMEOUT} s timeout, 20 redirects, URLs of 2,083 characters",
        seconds=round(seconds, 1),
        outcome=f"{len(LINKS)} report links: {len(LINKS) - failed} captured or unchanged, {failed} failed, "
                "each with its kind and reason, in the summary and the crawl tables; exit status 1",
        lost="nothing",
    )


def test_the_archive_records_every_failed_report(hostile, tmp_path, fx):
    """`nianbao crawl --db`: crawl_sources counts them, crawl_failures names each with a reason."""
    nianbao = Path(sys.executable).with_name("nianbao")
    db = tmp_path / "archive.db"
    cmd = [str(nianbao), "crawl", "--db", str(db), hostile.url("/list/index.html")]
    for k, v in {**fx.FAST, **SETTINGS}.items():
        cmd += ["-s", f"{k}={v}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NIANBAO_NOW": "2026-11-01T00:00:00+00:00"})
    assert proc.returncode == 1, proc.stderr[-3000:]
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    src = conn.execute("select * from crawl_sources").fetchone()
    failed = sum(1 for _, o, _ in LINKS.values() if o == "failed")
    found = (src["reports_found"], src["reports_failed"], src["reports_unaccounted"])
    assert found == (len(LINKS), failed, 0)
    assert src["reports_new"] + src["reports_changed"] + src["reports_unchanged"] == len(LINKS) - failed
    assert src["status"] == "partial"
    rows = conn.execute("select report_url, kind, reason from crawl_failures").fetchall()
    by_report = {r["report_url"]: r for r in rows}
    for path, (_, outcome, kind) in LINKS.items():
        if outcome == "failed":
            r = by_report[hostile.url(path)]
            assert r["kind"] == kind and r["reason"].strip(), (path[:40], dict(r))
    assert all(r["reason"].strip() for r in rows)
