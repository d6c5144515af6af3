"""What one anonymous request may cost the published archive, and what every page sends.

A real `nianbao serve` publishes an archive whose file is not called archive.db (so it is
renamed by the live plugin, not linked from a scratch directory). Attack queries are sent
the way anyone could: the zeroblob that built a 1.8 GB response, results larger than the
configured size, `fts3_tokenizer()` and `load_extension()`. The server's resident memory
is sampled from /proc while they run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from e2e_support import stop, wait_http
from faults_record import record_fault

from nianbao.archive import serve

NIANBAO = Path(sys.executable).with_name("nianbao")
MB = 1024 * 1024


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Peak(threading.Thread):
    """The largest resident set of `pid` while the block runs (sampled every 5 ms)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.halt = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.peak = max(self.peak, rss(self.pid))
            self.halt.wait(0.005)

    def __enter__(self) -> Peak:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.halt.set()
        self.join()


class Site:
    def __init__(self, base: str, pid: int, db: Path, h) -> None:
        self.base, self.pid, self.db, self.h = base, pid, db, h

    def get(self, path: str, **params: str):
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self.h.http_get(self.base + path + query)

    def sql(self, sql: str, fmt: str = "json"):
        return self.get(f"/archive.{fmt}", sql=sql)


def concurrently(site: Site, queries: list[str]):
    """Each SQL query from its own client, all at once: (responses, peak RSS, growth)."""
    base = rss(site.pid)
    results: list = []
    with Peak(site.pid) as peak:
        threads = [threading.Thread(target=lambda q=q: results.append(site.sql(q))) for q in queries]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return results, peak.peak, peak.peak - base


def _old_scratch_dir(db: Path) -> Path:
    """Where archive/serve.py used to link a database not called archive.db: guessable."""
    key = hashlib.sha256(str(db.resolve()).encode("utf-8")).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"nianbao-serve-{key}"


@pytest.fixture(scope="module")
def site(h, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guard")
    db = tmp / "published.db"
    h.build_archive(db).close()
    # Another user's trap: the old guessable scratch directory, its archive.db linked to theirs.
    trap = _old_scratch_dir(db)
    trap.mkdir(exist_ok=True)
    evil = tmp / "evil.db"
    sqlite3.connect(evil).execute("create table reports(id)").connection.commit()
    (trap / "archive.db").unlink(missing_ok=True)
    (trap / "archive.db").symlink_to(evil)
    port = h.free_port()
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen([str(NIANBAO), "serve", "--db", str(db), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/-/versions.json", timeout=60)
        yield Site(base, proc.pid, db, h)
    finally:
        stop(proc)
        log.close()
        (trap / "archive.db").unlink(missing_ok=True)
        trap.rmdir()


def test_the_archive_is_published_from_its_own_file_never_a_guessable_scratch_path(site, h):
    status, _, body = site.get("/archive/reports.json", _shape="objects")
    assert status == 200
    assert json.loads(body)["filtered_table_rows_count"] == len(h.SEED_IDS) + 1, "our archive, not the trap"
    trap = _old_scratch_dir(site.db)
    assert [p.name for p in trap.iterdir()] == ["archive.db"], "nothing of ours in the trap"
    assert (trap / "archive.db").resolve().name == "evil.db", "the trap untouched"
    argv = serve.datasette_args(site.db)
    assert str(site.db.resolve()) in argv and "-i" not in argv, "served in place, not immutable"
    record_fault(
        what="a scratch directory pre-created by another user at the old guessable path, "
             "its archive.db linked to their database",
        limit="no scratch directory: the live plugin publishes any archive file as `archive`",
        outcome="the server published our archive; the trap was neither used nor touched",
        lost="nothing",
    )


def test_the_zeroblob_query_is_refused_with_memory_bounded(site):
    sql = "select zeroblob(300000000) as b"
    results, peak, grew = concurrently(site, [sql, sql])
    for status, _, body in results:
        assert status == 400 and "string or blob too big" in json.loads(body)["error"]
    assert grew < 64 * MB, f"two zeroblob queries grew the server by {grew // MB} MB"
    status, _, body = site.sql(sql, fmt="csv")
    assert status == 400 and b"string or blob too big" in body, "a refused query's CSV says so"
    record_fault(
        what="`/archive.json?sql=select zeroblob(300000000)`, two at once",
        limit="a value at most 16 MB (SQLITE_LIMIT_LENGTH)",
        seconds=None, peak_mb=round(peak / MB, 1),
        outcome=f"refused by SQLite before allocating (HTTP 400, string or blob too big); "
                f"server grew {grew // MB} MB",
        lost="nothing",
    )


def test_results_larger_than_the_configured_size_are_refused_with_memory_bounded(site):
    many_rows = ("with recursive c(x) as (select 1 union all select x + 1 from c limit 100) "
                 "select zeroblob(1000000) as b from c")
    wide_row = "select " + ", ".join(f"zeroblob(1000000) as c{i}" for i in range(64))
    results, peak, grew = concurrently(site, [many_rows, wide_row, wide_row])
    for status, _, body in results:
        assert status == 400 and "result too large" in json.loads(body)["error"], body[:300]
    status, _, body = site.sql("select " + ", ".join(f"1 as c{i}" for i in range(65)))
    assert status == 400 and "too many columns" in json.loads(body)["error"]
    # three SQL threads, each holding at most one row of 64 values of 1 MB twice (SQLite, Python)
    assert grew < 3 * 64 * 2 * MB + 64 * MB, f"grew {grew // MB} MB"
    # what journalists ask for still works: a whole table page at the largest size
    status, _, body = site.get("/archive/sections.json", _size="max", _shape="objects")
    assert status == 200 and json.loads(body)["rows"]
    status, _, body = site.sql("select id, agency, text from reports")
    assert status == 200 and len(json.loads(body)["rows"]) == 6
    record_fault(
        what="results of 100 MB (100 rows x 1 MB) and rows of 64 MB (64 columns x 1 MB), three at once",
        limit="32 MB of cell data per query, 64 columns, 1 MB per blob; 1,000 rows (max_returned_rows)",
        seconds=None, peak_mb=round(peak / MB, 1),
        outcome=f"refused (HTTP 400, result too large) while the rows were read; server grew {grew // MB} MB",
        lost="nothing",
    )


DANGEROUS = [
    ("select fts3_tokenizer('simple')", "fts3_tokenizer"),  # reads a library pointer
    ("select hex(fts3_tokenizer('simple', x'0000000000000000'))", "fts3_tokenizer"),  # replaces it
    ("select load_extension('/lib/x86_64-linux-gnu/libc.so.6')", "load_extension"),
]


def test_dangerous_sql_functions_are_refused(site):
    for sql, function in DANGEROUS:
        status, _, body = site.sql(sql)
        error = json.loads(body)["error"]
        assert status == 400 and f"not authorized to use function: {function}" in error, error
        for fmt in ("csv", "csvbom"):  # a download says so too, never an empty "no rows" file
            status, _, body = site.sql(sql, fmt=fmt)
            assert status == 400 and f"not authorized to use function: {function}".encode() in body, body
    # an empty result is still a CSV with its header row
    status, _, body = site.sql("select 1 as a where 0", fmt="csv")
    assert status == 200 and body.strip() == b"a", body
    # and the search, whose FTS5 neighbours the tokenizer, still works
    status, _, body = site.get("/archive/sections.json", _search="复议", _shape="array")
    assert status == 200 and json.loads(body)
    record_fault(
        what="`fts3_tokenizer('simple')` (reads a pointer), `fts3_tokenizer('simple', x'00…')` (replaces "
             "it), `load_extension(…)` in anonymous SQL",
        limit="an SQLite authorizer on every archive connection",
        outcome="refused (HTTP 400, not authorized to use function); search still works",
        lost="nothing",
    )


def test_attach_and_pragmas_that_lift_protections_are_refused(site):
    """Datasette lets only SELECT through its SQL box; below that, an archive connection as
    the server prepares it refuses ATTACH and the pragmas SQLITE_DBCONFIG_DEFENSIVE guards."""
    from nianbao.site.plugins import nianbao_guard

    status, _, _ = site.sql("select * from pragma_table_info('reports')")
    assert status == 200, "harmless introspection still works"
    conn = sqlite3.connect(f"file:{site.db}?mode=ro", uri=True)
    nianbao_guard.prepare_connection(conn, "archive", None)
    for sql in ("attach database ':memory:' as other", "pragma writable_schema = 1",
                "pragma query_only = 0", "pragma trusted_schema = 1"):
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            conn.execute(sql)
    assert conn.execute("select count(*) from reports").fetchone()[0] == 6
    conn.close()


HTML_PAGES = ["/", "/archive", "/archive/reports", "/archive/sections?_search=%E5%A4%8D%E8%AE%AE",
              "/archive?sql=select+1", "/-/nianbao/coverage", "/archive/no_such_table"]


def test_html_pages_send_a_content_security_policy_and_frame_options(site):
    for path in HTML_PAGES:
        status, headers, _ = site.get(path)
        assert status in (200, 404), path
        csp = headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp
        assert headers.get("x-frame-options") == "DENY", path
        assert headers.get("x-content-type-options") == "nosniff", path
    record_fault(
        what=f"framing and scripts from elsewhere: {len(HTML_PAGES)} pages (index, database, table, search, "
             "SQL, coverage, 404)",
        limit="Content-Security-Policy default-src 'self', frame-ancestors 'none'; X-Frame-Options DENY",
        outcome="every page sends both, and nosniff; a capture download keeps its own sandbox policy",
        lost="nothing",
    )


def test_a_capture_download_keeps_its_own_sandbox_policy(site):
    conn = sqlite3.connect(f"file:{site.db}?mode=ro", uri=True)
    sha = conn.execute("select sha256 from blobs limit 1").fetchone()[0]
    conn.close()
    status, headers, _ = site.get(f"/-/nianbao/capture/{sha}")
    assert status == 200
    assert headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert headers.get("x-frame-options") == "DENY"


INTROSPECTION = ["/-/databases.json", "/-/databases", "/-/settings.json", "/-/plugins.json", "/.json"]


def test_introspection_shows_no_file_paths(site):
    for path in INTROSPECTION:
        status, _, body = site.get(path)
        assert status == 200
        text = body.decode("utf-8")
        assert str(site.db.parent) not in text and str(site.db.resolve().parent) not in text, path
    paths = {d["name"]: d["path"] for d in json.loads(site.get("/-/databases.json")[2])}
    assert paths["archive"] == "published.db"
    record_fault(
        what="the server's file paths in introspection pages (`/-/databases.json` showed the absolute path)",
        limit="responses of /-/ pages name a database's file only",
        outcome=f"{len(INTROSPECTION)} pages checked: the archive shows as published.db, no directory",
        lost="nothing",
    )


def test_large_captures_are_downloaded_whole_but_never_rendered_into_json_or_csv(h, tmp_path):
    """A capture over the value limit: its download works, SQL over it is refused with a 400."""
    db = tmp_path / "archive.db"
    archive = h.build_archive(db)
    big = os.urandom(3 * MB)
    sha = hashlib.sha256(big).hexdigest()
    args = h.extra_load_args()
    args["documents"].append(h.document("https://www.gz.gov.cn/test/2021/big.pdf", big, kind="attachment",
                                        content_type="application/pdf"))
    from nianbao.archive import load

    load.load_report(archive, **args)
    archive.close()
    port = h.free_port()
    proc = subprocess.Popen(serve.datasette_args(db, port=port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/-/versions.json", timeout=60)
        status, headers, body = h.http_get(f"{base}/-/nianbao/capture/{sha}")
        assert status == 200 and body == big and headers["content-disposition"].startswith("attachment")
        for path in ("/archive/blobs.json", "/archive/blobs.csv", f"/archive/blobs/{sha}.json",
                     "/archive.json?sql=select+content+from+blobs"):
            status, _, body = h.http_get(base + path)
            assert status == 400 and b"too big" in body, (path, status, body[:200])
        status, _, body = h.http_get(f"{base}/archive/blobs.json?_nocol=content&_shape=array")
        assert status == 200 and sha in {r["sha256"] for r in json.loads(body)}
    finally:
        stop(proc)


def _serve(argv: list[str], log: Path):
    """Start a server (argv), wait for it; yields its base URL and process."""
    port = argv[argv.index("--port") + 1]
    proc = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/-/versions.json", timeout=60)
    return base, proc


LONG_TEXT = "本机关依申请公开政府信息，办理行政复议。" * 60000  # 1.2 million characters, 3.6 MB of UTF-8


def _long_report_args(h) -> dict:
    """A report whose text (and one section) is 3.6 MB, as a 300-page report's can be."""
    args = h.extra_load_args()
    url = "https://www.gz.gov.cn/test/2021/long.html"
    report = {**args["report"], "agency": "广州市长报告局", "source": url,
              "title": "广州市长报告局2021年政府信息公开工作年度报告", "text": LONG_TEXT,
              "sections": [{"number": 1, "heading": "一、总体情况", "text": LONG_TEXT}]}
    return {**args, "report": report, "url": url,
            "documents": [h.document(url, LONG_TEXT.encode("utf-8"),
                                     content_type="text/plain; charset=utf-8")]}


@pytest.fixture(scope="module")
def long_site(h, tmp_path_factory):
    from nianbao.archive import load

    tmp = tmp_path_factory.mktemp("long")
    db = tmp / "archive.db"
    archive = h.build_archive(db)
    args = _long_report_args(h)
    load.load_reports(archive, [load.LoadItem(args["report"], args["url"], args["documents"])])
    archive.close()
    argv = [str(NIANBAO), "serve", "--db", str(db), "--port", str(h.free_port())]
    base, proc = _serve(argv, tmp / "serve.log")
    try:
        rid = load.report_id_for(args["report"]["agency"], args["report"]["year"], args["url"])
        yield Site(base, proc.pid, db, h), rid
    finally:
        stop(proc)


def test_a_report_longer_than_a_megabyte_is_served_on_every_page(long_site):
    site, rid = long_site
    assert len(LONG_TEXT.encode("utf-8")) > 3 * MB
    status, _, body = site.get(f"/-/nianbao/report/{rid}")
    assert status == 200 and LONG_TEXT[:2000].encode() in body, "its report page"
    status, _, body = site.get(f"/archive/reports/{rid}")
    assert status == 200 and "广州市长报告局".encode() in body, "its row page"
    status, _, body = site.get(f"/archive/reports/{rid}.json", _shape="objects")
    assert status == 200 and json.loads(body)["rows"][0]["text"] == LONG_TEXT, "its row, whole"
    for path in ("/archive/reports", "/archive/sections"):
        status, _, body = site.get(path)
        assert status == 200, path
    status, _, body = site.get("/archive/sections.json", _search="办理行政复议", _shape="array",
                               _col="report_id")
    assert status == 200 and rid in {r["report_id"] for r in json.loads(body)}, "a search that hits it"
    status, _, body = site.get("/archive/reports.json", _search="长报告局", _shape="array", _col="agency")
    assert status == 200 and [r["agency"] for r in json.loads(body)] == ["广州市长报告局"]
    for fmt in ("csv", "csvbom"):
        status, _, body = site.get(f"/archive/sections.{fmt}", _stream="on", report_id=rid)
        assert status == 200 and LONG_TEXT.encode() in body, fmt
    status, _, body = site.get("/archive/reports.csvbom")
    assert status == 200 and body.count(LONG_TEXT.encode()) == 1, "the whole text, in the CSV of all reports"
    record_fault(
        what="a report whose text is 3.6 MB (1.2 million characters), as a 300-page report's can be",
        limit="a value at most 16 MB (SQLITE_LIMIT_LENGTH), 32 MB of cell data per query",
        outcome="its report page, row page, table pages, searches hitting it, CSV and Excel CSV answer 200 "
                "with the whole text (with the former 1 MB limit every one of them answered 400)",
        lost="nothing",
    )


def test_values_made_by_a_query_stay_bounded_with_long_values_readable(long_site):
    """With values up to 16 MB readable, a row of 32 made values of 16 MB (512 MB) is refused
    by SQLite's hard heap limit before it is built, and the zeroblob still by the value limit."""
    site, _ = long_site
    wide = "select " + ", ".join(f"hex(zeroblob(8000000)) as c{i}" for i in range(32))
    results, peak, grew = concurrently(site, [wide, wide, "select zeroblob(300000000) as b"])
    errors = sorted(json.loads(body)["error"] for status, _, body in results if status == 400)
    assert len(errors) == 3, [r[:2] for r in results]
    assert "string or blob too big" in errors[-1]
    assert all("out of memory" in e for e in errors[:2]), errors
    assert grew < 600 * MB, f"grew {grew // MB} MB"
    status, _, body = site.sql("select length(text) as n from reports order by n desc limit 1")
    assert status == 200 and json.loads(body)["rows"] == [[len(LONG_TEXT)]], "the server still answers"
    record_fault(
        what="a row of 32 values of 16 MB made by a query (512 MB), two at once, beside the zeroblob",
        limit="256 MB of SQLite memory for all queries (hard heap limit), a value at most 16 MB",
        seconds=None, peak_mb=round(peak / MB, 1),
        outcome=f"refused (HTTP 400, out of memory) before the row was built; server grew {grew // MB} MB",
        lost="nothing",
    )


@pytest.fixture(scope="module")
def large_archive(h, tmp_path_factory):
    """An archive whose `sections` table is 350 MB, built through the loader. The long values
    are the sections' headings: the stream's memory does not depend on which column holds
    the bytes, and the bigram search index of 350 MB of section text would take the test
    many minutes to build. Every heading starts with a formula."""
    from nianbao.archive import load

    db = tmp_path_factory.mktemp("large") / "archive.db"
    archive = load.open_archive(db)
    per_report, heading_chars = 80, 4000
    for batch in range(9):
        items = []
        for i in range(batch * 50, batch * 50 + 50):
            args = h.extra_load_args()
            url = f"https://www.gz.gov.cn/test/large/{i}.html"
            heading = "第一部分 " * 800
            sections = [{"number": k + 1, "heading": f"=HYPERLINK({i},{k}) {heading}"[:heading_chars],
                         "text": "正文"} for k in range(per_report)]
            report = {**args["report"], "agency": f"广州市测试{i}局", "source": url, "text": "正文",
                      "title": f"广州市测试{i}局2021年政府信息公开工作年度报告", "sections": sections}
            items.append(load.LoadItem(report, url, [h.document(url, f"<p>{i}</p>".encode())],
                                       None, args["source"]))
        assert not [r for r in load.load_reports(archive, items) if isinstance(r, Exception)]
    sections = archive["sections"].count
    archive.close()
    return db, sections


def test_the_excel_csv_of_a_large_table_streams_in_bounded_memory(large_archive, h, tmp_path):
    """`.csvbom` of the whole table: the server's memory must not grow with the download.
    (Datasette cuts any CSV at max_csv_mb, 100 MB by default; this server lifts that so the
    download is 10 times the bound.)"""
    db, sections = large_archive
    argv = [*serve.datasette_args(db, port=h.free_port()), "--setting", "max_csv_mb", "0"]
    base, proc = _serve(argv, tmp_path / "serve.log")
    bound = 32 * MB
    try:
        h.http_get(base + "/archive/sections.csvbom?id__lt=1000")  # warm: templates, connections
        before = rss(proc.pid)
        size, rows, neutralised, raw, tail = 0, 0, 0, 0, b""
        started = time.monotonic()
        with Peak(proc.pid) as peak, \
                urllib.request.urlopen(base + "/archive/sections.csvbom", timeout=600) as r:
            assert r.headers["content-disposition"] == 'attachment; filename="sections.csv"'
            first = True
            while chunk := r.read(1 << 20):
                if first:
                    assert chunk.startswith(b"\xef\xbb\xbfid,report_id,number,heading,text\r\n")
                    first = False
                size += len(chunk)
                text = tail + chunk  # a match inside the tail was counted with the chunk before
                neutralised += text.count(b",\"'=HYPERLINK(") - tail.count(b",\"'=HYPERLINK(")
                raw += sum(text.count(p) - tail.count(p) for p in (b',"=HYPERLINK(', b",=HYPERLINK("))
                rows += chunk.count("正文\r\n".encode())
                tail = text[-20:]
        seconds = time.monotonic() - started
        # a download abandoned after its first megabyte is not made to its end for nobody
        with urllib.request.urlopen(base + "/archive/sections.csvbom", timeout=600) as r:
            assert len(r.read(1 << 20)) == 1 << 20
        deadline = time.monotonic() + 60
        while b"the client left: download stopped" not in (tmp_path / "serve.log").read_bytes():
            assert time.monotonic() < deadline, "the abandoned download went on"
            time.sleep(0.2)
        status, _, body = h.http_get(base + "/archive/sections.csvbom?id__lt=3")
        assert status == 200 and body.count(b"\r\n") == 3, "and the server answers the next one"
    finally:
        stop(proc)
    grew = peak.peak - before
    assert rows == sections == 450 * 80, "every row, once"
    assert neutralised == sections and raw == 0, "every formula neutralised, none left"
    assert size >= 10 * bound, f"only {size // MB} MB downloaded"
    assert grew < bound, f"the server grew {grew // MB} MB while sending {size // MB} MB"
    record_fault(
        what=f"`/archive/sections.csvbom` of a {size // MB} MB table (every heading a formula)",
        limit="streamed: Datasette's own CSV 500 rows at a time, neutralised record by record",
        seconds=round(seconds, 1), peak_mb=round(peak.peak / MB, 1),
        outcome=f"{rows} rows, all neutralised, server grew {grew / MB:.1f} MB "
                "(the buffered renderer grew 485 MB for an 80 MB download)",
        lost="nothing",
    )
