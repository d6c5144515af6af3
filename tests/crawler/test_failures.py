"""Crawls that go wrong: server errors, hangs, resets, truncated bodies, size cap, kills."""

from __future__ import annotations

import collections
import subprocess

import pytest

from nianbao.crawler.captures import read_payload

TRS_PAGE = "/trs/zfxxgknb/202401/t20240115_1001.html"
TRS_PDF = "/trs/zfxxgknb/202401/P020240120.pdf"
DOCX = "/trs/zfxxgknb/202301/W020230125.docx"
GD_PAGE = "/gd/zfxxgknb/bm/2024n/content/post_2003.html"
VIEWER_PDF = "/trs/files/P020230126.pdf"


def expected_documents(fx) -> set[str]:
    return {p for pages in fx.EXPECTED_PAGES.values() for p in pages} | set(fx.EXPECTED_ATTACHMENTS)


def test_failures_are_retried_reported_and_the_rest_completes(server, tmp_path, fx):
    data = tmp_path / "data"
    sources = fx.write_sources(tmp_path, server.port)
    # A good crawl first: what it captured must survive the bad one.
    assert fx.run_crawl(data, "--sources", str(sources)).returncode == 0
    before = fx.index(data)
    # Then: the pages change (so they would be re-downloaded) but the server misbehaves.
    saved = {p: server.portal.files[p] for p in (TRS_PAGE, GD_PAGE, TRS_PDF, DOCX)}
    for p in (TRS_PAGE, GD_PAGE, TRS_PDF, DOCX):
        body, ctype = server.portal.files[p]
        server.portal.put(p, body + b"\n<!-- edited -->", ctype)
    server.faults.update({TRS_PAGE: "500", GD_PAGE: "hang", TRS_PDF: "reset", DOCX: "truncate"})
    mark = server.mark()
    try:
        proc = fx.run_crawl(data, "--sources", str(sources))
    finally:
        server.faults.clear()
        server.portal.files.update(saved)
    log = server.requests_since(mark)
    hits = collections.Counter(e["path"] for e in log)
    for p in (TRS_PAGE, GD_PAGE, DOCX):
        assert hits[p] == 2, f"{p} fetched {hits[p]} times; RETRY_TIMES=1 means two tries"
    # Twisted itself retries once a reset on a reused keep-alive connection.
    assert 2 <= hits[TRS_PDF] <= 4
    assert proc.returncode == 1, "some reports failed: the run needs a look"
    rows = {r["source_id"]: r for r in fx.last_crawl(data)["per_source"]}
    failed = {fx.path_of(f.split(": ", 1)[0]) for r in rows.values() for f in r["failures"]}
    assert failed == {TRS_PAGE, GD_PAGE, TRS_PDF, DOCX}
    assert rows["fx-trs"]["failed"] == 3 and rows["fx-gd"]["failed"] == 1
    assert "crawl fx-trs:" in proc.stdout and "3 failed" in proc.stdout
    reasons = " ".join(f for r in rows.values() for f in r["failures"])
    assert "HTTP 500" in reasons and "TimeoutError" in reasons
    # every report link is accounted for, each failure has a kind and a reason
    assert rows["fx-trs"]["errors"] == {"http_5xx": 1, "connection": 1, "truncated": 1}
    assert rows["fx-gd"]["errors"] == {"timeout": 1}
    for r in rows.values():
        assert r["reports_found"] == (r["reports_new"] + r["reports_changed"] + r["reports_unchanged"]
                                      + r["reports_failed"])
        assert all(f["reason"] and f["kind"] for f in r["failure_records"])
    assert (rows["fx-trs"]["status"], rows["fx-trs"]["reports_failed"]) == ("partial", 3)
    assert rows["fx-hanweb"]["status"] == "ok"
    lines = proc.stdout.splitlines()
    assert len(lines) == 4 and "Traceback" not in proc.stdout + proc.stderr, proc.stdout
    assert "PARTIAL: 部分报告未能下载 / some reports could not be fetched" in lines[0]
    # The rest completed; nothing captured before was lost or altered; no truncated capture.
    after = fx.index(data)
    assert after == before
    for rec in before:
        assert read_payload(data, rec) == server.portal.files[fx.path_of(rec["url"])][0]


def test_size_cap_stops_big_downloads(server, tmp_path, fx):
    big = "/trs/files/P020230126.pdf"
    saved = server.portal.files[big]
    server.portal.put(big, saved[0] + b"%" + b"x" * 300_000, "application/pdf")
    try:
        proc = fx.run_crawl(tmp_path / "data", "--sources", str(fx.write_sources(tmp_path, server.port)),
                            settings={"DOWNLOAD_MAXSIZE": "100000", "DOWNLOAD_WARNSIZE": "50000"})
    finally:
        server.portal.files[big] = saved
    assert proc.returncode == 1, "a report over the size cap was not captured"
    got = {fx.path_of(r["url"]) for r in fx.index(tmp_path / "data")}
    assert got == expected_documents(fx) - {big}
    rows = {r["source_id"]: r for r in fx.last_crawl(tmp_path / "data")["per_source"]}
    assert [fx.path_of(f.split(": ", 1)[0]) for f in rows["fx-trs"]["failures"]] == [big]
    assert rows["fx-trs"]["errors"] == {"too_big": 1}


def test_a_source_without_reports_fails_the_crawl(server, tmp_path, fx):
    sources = fx.write_sources(tmp_path, server.port, ("fx-trs", "fx-empty"))
    proc = fx.run_crawl(tmp_path / "data", "--sources", str(sources))
    assert proc.returncode == 1
    assert "crawl fx-empty: 1 pages, 0 reports found" in proc.stdout
    assert "FAILED: 栏目中未找到报告链接 / no report links found" in proc.stdout
    assert {r["source_id"] for r in fx.index(tmp_path / "data")} == {"fx-trs"}


def test_killed_crawl_resumes_from_jobdir_without_duplicates(server, tmp_path, fx):
    data = tmp_path / "data"
    job = tmp_path / "job"
    sources = fx.write_sources(tmp_path, server.port)
    first = fx.run_crawl(data, "--sources", str(sources),
                         settings={"JOBDIR": str(job), "CLOSESPIDER_PAGECOUNT": "6",
                                   "CONCURRENT_REQUESTS": "1"})
    assert "closespider_pagecount" in fx.crawl_log(data)
    assert "not fetched" in first.stdout, "report links the stopped crawl never reached are counted"
    partial = fx.index(data)
    assert 0 < len(partial) < len(expected_documents(fx)), "the first run must stop half-way"
    assert (job / "requests.queue").exists(), "pending requests were saved"
    second = fx.run_crawl(data, "--sources", str(sources), settings={"JOBDIR": str(job)})
    assert second.returncode == 0, second.stderr[-3000:]
    records = fx.index(data)
    assert records[: len(partial)] == partial
    pairs = [(r["url"], r["sha256"]) for r in records]
    assert len(pairs) == len(set(pairs)), "no duplicate records"
    assert {fx.path_of(u) for u, _ in pairs} == expected_documents(fx)


def test_sigterm_mid_crawl_then_resume(server, tmp_path, fx):
    """A crawl stopped by SIGTERM (a scheduler's timeout) finishes on resume with the same JOBDIR."""
    data = tmp_path / "data"
    job = tmp_path / "job"
    sources = fx.write_sources(tmp_path, server.port)
    # A slow server, so the crawl is surely in flight when the scheduler's SIGTERM comes.
    server.delay = 0.3
    cmd = [fx.PYTHON, "-m", "nianbao.crawler.run", "--data", str(data), "--sources", str(sources),
           "-s", f"JOBDIR={job}", "-s", "CONCURRENT_REQUESTS=2", "-s", "LOG_LEVEL=INFO"]
    mark = server.mark()
    proc = subprocess.Popen(cmd, cwd=fx.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert fx.wait_until(lambda: len(server.requests_since(mark)) >= 8, timeout=30)
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    finally:
        server.delay = 0
        if proc.poll() is None:
            proc.kill()
    assert "shutdown" in fx.crawl_log(data)
    assert "Traceback" not in err
    interrupted = {fx.path_of(r["url"]) for r in fx.index(data)}
    assert interrupted < expected_documents(fx)
    resumed = fx.run_crawl(data, "--sources", str(sources), settings={"JOBDIR": str(job)})
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    pairs = [(r["url"], r["sha256"]) for r in fx.index(data)]
    assert len(pairs) == len(set(pairs))
    assert {fx.path_of(u) for u, _ in pairs} == expected_documents(fx)


@pytest.mark.parametrize("how", ["module", "scrapy"])
def test_command_lines(server, tmp_path, fx, how):
    """`python -m nianbao.crawler.run URL` and `scrapy crawl portal -a url=URL` both work from the
    repo root."""
    url = server.url("/gd/zfxxgknb/bm/")
    data = tmp_path / "data"
    if how == "module":
        proc = fx.run_crawl(data, url)
    else:
        cmd = [str(fx.REPO / ".venv" / "bin" / "scrapy"), "crawl", "portal", "-a", f"url={url}",
               "-s", f"NIANBAO_DATA_DIR={data}"]
        for k, v in fx.FAST.items():
            cmd += ["-s", f"{k}={v}"]
        proc = subprocess.run(cmd, cwd=fx.REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = {fx.path_of(r["url"]) for r in fx.index(data)}
    assert got == set(fx.EXPECTED_PAGES["fx-gd"])
    assert "4 reports found, 4 new" in (proc.stdout + proc.stderr)


def test_bad_registry_and_busy_store_are_clear_errors(tmp_path, fx):
    from nianbao.crawler.captures import CaptureStore

    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - id: x\n    url: http://127.0.0.1:9/\n    level: 市\n", encoding="utf-8")
    proc = fx.run_crawl(tmp_path / "data", "--sources", str(bad))
    assert proc.returncode == 2
    assert f"error: {bad}: source #1 (x): missing required field 'region'" in proc.stderr
    with CaptureStore(tmp_path / "busy").open():
        proc = fx.run_crawl(tmp_path / "busy", "http://127.0.0.1:9/nb/")
    assert proc.returncode == 2
    assert "another crawl is writing to this capture store" in proc.stderr


def test_attachment_without_validators_is_not_downloaded_again(server, tmp_path, fx):
    """A download servlet that sends no ETag/Last-Modified: captured once, then left alone."""
    servlet = "/module/download/downfile.jsp?classid=0&filename=G.pdf"
    page = "/art/2024/1/11/art_1234_3.html"
    server.no_validators.update({servlet, page})
    try:
        sources = fx.write_sources(tmp_path, server.port, ("fx-hanweb",))
        data = tmp_path / "data"
        assert fx.run_crawl(data, "--sources", str(sources)).returncode == 0
        first = fx.index(data)
        rec = next(r for r in first if fx.path_of(r["url"]) == servlet)
        assert rec["etag"] is None and rec["last_modified"] is None
        mark = server.mark()
        assert fx.run_crawl(data, "--sources", str(sources)).returncode == 0
        paths = [e["path"] for e in server.requests_since(mark)]
        assert servlet not in paths
        assert paths.count(page) == 1, "the (small) report page is still checked"
        assert fx.index(data) == first, "the unchanged page is not stored again"
        mark = server.mark()
        proc = fx.run_crawl(data, "--sources", str(sources), settings={"NIANBAO_RECHECK_ALL": "1"})
        assert proc.returncode == 0
        assert [e["status"] for e in server.requests_since(mark) if e["path"] == servlet] == [200]
        assert fx.index(data) == first
    finally:
        server.no_validators.clear()
