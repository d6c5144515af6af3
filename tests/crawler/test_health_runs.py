"""Crawl health and coverage over two scheduled runs a (simulated) week apart.

Real `nianbao crawl` (real Scrapy) against portals on 127.0.0.1, the clock set through
NIANBAO_NOW, the archive then served by a real Datasette and read over HTTP. Between the
runs one source breaks (HTTP 500) and one agency publishes its report late; a source on a
closed port never works and one registry entry is not verified. Every expectation below is
derived from the pages this test publishes (their dates) and the deadlines of the 条例.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NIANBAO = Path(sys.executable).with_name("nianbao")
REPORT = "政府信息公开工作年度报告"
FIRST, SECOND = "2025-04-01T03:30:00Z", "2025-04-08T03:30:00Z"

# agency -> {year: publication date}, as the department column lists them in each run
DEPT_FIRST = {
    "示例甲局": {2023: "2024-01-20", 2024: "2025-01-22"},
    "示例乙局": {2023: "2024-01-25"},
    "示例丙局": {2023: "2024-01-18"},
}
LATE = ("示例丙局", 2024, "2025-04-03")  # published between the two runs, after 31 January
GOV = ("示例市人民政府", {2023: "2024-03-20", 2024: "2025-03-28"})  # deadline 31 March: on time


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report_page(fx, agency: str, year: int, published: str) -> str:
    title = f"{agency}{year}年{REPORT}"
    body = f"<p>{title}</p><p>一、总体情况</p><p>{agency}认真贯彻落实条例。</p>"
    return fx.page(title, body, date=published)


def publish_departments(fx, server, extra: tuple[str, int, str] | None = None) -> None:
    items = []
    listed = {a: dict(y) for a, y in DEPT_FIRST.items()}
    if extra:
        listed[extra[0]][extra[1]] = extra[2]
    for n, (agency, years) in enumerate(sorted(listed.items())):
        for year, published in sorted(years.items(), reverse=True):
            path = f"/health/bm/{published[:7].replace('-', '')}/t{published.replace('-', '')}_{n}{year}.html"
            server.portal.put(path, report_page(fx, agency, year, published))
            items.append((path, f"{agency}{year}年{REPORT}", published))
    items.append(("/health/bm/notice.html", "关于报送2024年政府信息公开工作年度报告的通知", "2024-12-01"))
    server.portal.put("/health/bm/index.html", fx.list_page(sorted(items, key=lambda i: i[2], reverse=True)))


def publish_government(fx, server) -> None:
    agency, years = GOV
    items = []
    for year, published in years.items():
        path = f"/health/gov/{year}.html"
        server.portal.put(path, report_page(fx, agency, year, published))
        items.append((path, f"{agency}{year}年{REPORT}", published))
    server.portal.put("/health/gov/index.html", fx.list_page(items))


def registry(server, down_port: int) -> str:
    base = server.url("")
    return f"""sources:
  - id: hx-departments
    url: {base}/health/bm/index.html
    level: 部门
    region: 示例市
    agencies: 示例市人民政府工作部门
  - id: hx-government
    url: {base}/health/gov/index.html
    level: 市
    region: 示例市
    agency: 示例市人民政府
  - id: hx-county
    url: http://127.0.0.1:{down_port}/xxgk/nb/
    level: 县
    region: 示例县
    agency: 示例县人民政府
  - id: hx-town
    url: {base}/health/town/
    level: 街镇
    region: 示例县
    agency: 示例县示例镇人民政府
    verified: false
"""


def crawl(fx, workdir: Path, db: Path, sources: Path, now: str) -> subprocess.CompletedProcess:
    cmd = [str(NIANBAO), "crawl", "--db", str(db), "--sources", str(sources)]
    for k, v in fx.FAST.items():
        cmd += ["-s", f"{k}={v}"]
    env = {**os.environ, "NIANBAO_NOW": now}
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=300, env=env)


def rows(db: Path, sql: str, *params) -> list[dict]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def coverage(db: Path) -> dict[tuple[str, int], dict]:
    return {(r["agency"], r["year"]): r for r in rows(db, "select * from coverage")}


def days(a: str, b: str) -> int:
    return (date.fromisoformat(a) - date.fromisoformat(b)).days


@pytest.fixture(scope="module")
def two_runs(server, tmp_path_factory, fx):
    tmp = tmp_path_factory.mktemp("health")
    work = tmp / "work"  # the scheduler's working directory: nothing may appear in it
    work.mkdir()
    db = tmp / "archive" / "archive.db"
    db.parent.mkdir()
    sources = tmp / "sources.yaml"
    sources.write_text(registry(server, closed_port()), encoding="utf-8")
    publish_departments(fx, server)
    publish_government(fx, server)
    first = crawl(fx, work, db, sources, FIRST)
    after_first = {"coverage": coverage(db), "runs": rows(db, "select * from crawl_runs")}
    publish_departments(fx, server, extra=LATE)
    server.faults["/health/gov/index.html"] = "500"
    try:
        second = crawl(fx, work, db, sources, SECOND)
    finally:
        server.faults.pop("/health/gov/index.html", None)
    return {"db": db, "work": work, "first": first, "second": second, "after_first": after_first,
            "server": server}


def test_console_is_one_line_per_source_and_the_exit_status_says_a_source_failed(two_runs):
    for proc in (two_runs["first"], two_runs["second"]):
        assert proc.returncode == 1, proc.stderr[-3000:]
        out = proc.stdout + proc.stderr
        assert "Traceback" not in out
        for sid in ("hx-departments", "hx-government", "hx-county"):
            assert sum(line.startswith(f"crawl {sid}:") for line in out.splitlines()) == 1, out
        assert ("skipped 1 source(s), 栏目地址未核实，未抓取 / column address not verified, not crawled: "
                "hx-town") in out
        assert not any("failed:" in line and line.startswith("  ") for line in out.splitlines())
    second = two_runs["second"].stderr
    assert re.search(r"crawl hx-government: 0 pages, .* — FAILED: 服务器错误（HTTP 5xx） / server error "
                     r"\(HTTP 5xx\)", second)
    assert re.search(r"crawl hx-county: .* — FAILED: 无法连接服务器 / cannot connect to the server", second)
    assert "crawl hx-departments: 1 pages, 5 reports found, 1 new, 0 changed, 4 unchanged, 0 failed — ok" \
        in second
    assert not (two_runs["work"] / "data").exists(), "a crawl with --db never touches ./data"
    captures = two_runs["db"].parent / "captures"
    assert (captures / "index.jsonl").exists() and (captures / "runs.jsonl").exists()
    logs = list((two_runs["db"].parent / "logs").glob("crawl-*.log"))
    assert len(logs) == 2 and "HTTP 500" in "".join(p.read_text(encoding="utf-8") for p in logs)


def test_runs_and_source_health_tables(two_runs):
    db = two_runs["db"]
    runs = rows(db, "select * from crawl_runs order by started")
    assert [r["started"] for r in runs] == [FIRST, SECOND]
    assert [r["exit_status"] for r in runs] == [1, 1]
    keys = ("sources_crawled", "sources_ok", "sources_failed", "sources_skipped")
    counts = [tuple(r[k] for k in keys) for r in runs]
    assert counts == [(3, 2, 1, 1), (3, 1, 2, 1)]
    assert runs[1]["build_new"] == 1 and runs[1]["build_failed"] == 0
    settings = json.loads(runs[0]["settings"])
    assert settings["ROBOTSTXT_OBEY"] is True and settings["DOWNLOAD_TIMEOUT"] == 2.0
    assert runs[0]["nianbao_version"]

    per = {(r["run_id"], r["source_id"]): r for r in rows(db, "select * from crawl_sources")}
    first_id, second_id = runs[0]["id"], runs[1]["id"]
    gov1, gov2 = per[(first_id, "hx-government")], per[(second_id, "hx-government")]
    assert (gov1["status"], gov1["reports_found"], gov1["reports_new"]) == ("ok", 2, 2)
    assert (gov2["status"], gov2["reason"], gov2["reason_zh"], gov2["reason_en"]) == (
        "failed", "http_5xx", "服务器错误（HTTP 5xx）", "server error (HTTP 5xx)")
    assert json.loads(gov2["errors"]) == {"http_5xx": 1}
    assert gov2["last_success"] == FIRST, "the last success is the first run"
    assert gov2["last_new_report"] == "2025-03-28"
    assert gov2["days_since_new_report"] == days(SECOND[:10], "2025-03-28")
    dept2 = per[(second_id, "hx-departments")]
    assert (dept2["status"], dept2["reports_found"], dept2["reports_new"], dept2["reports_unchanged"],
            dept2["reports_failed"], dept2["reports_unaccounted"]) == ("ok", 5, 1, 4, 0, 0)
    assert (dept2["first_year"], dept2["last_year"], dept2["newest_published"]) == (2023, 2024, LATE[2])
    assert dept2["last_success"] == SECOND and dept2["days_since_new_report"] == days(SECOND[:10], LATE[2])
    for run_id in (first_id, second_id):
        county = per[(run_id, "hx-county")]
        assert (county["status"], county["reason"], county["last_success"]) == ("failed", "connect", None)
    failures = rows(db, "select * from crawl_failures where run_id = ?", second_id)
    assert {(f["source_id"], f["kind"]) for f in failures} == {("hx-government", "http_5xx"),
                                                                ("hx-county", "connect")}
    assert all(f["reason"] for f in failures)
    sources = {r["id"]: r for r in rows(db, "select * from sources")}
    assert {k: v["last_status"] for k, v in sources.items()} == {
        "hx-departments": "ok", "hx-government": "failed", "hx-county": "failed", "hx-town": "skipped"}
    assert sources["hx-town"]["verified"] == 0 and sources["hx-town"]["last_reason"] == "unverified"


def expected_coverage(after_second: bool) -> dict[tuple[str, int], tuple]:
    """(status, published, days_late) per agency and year, from the published dates and the 条例."""
    out: dict[tuple[str, int], tuple] = {}
    for agency, years in DEPT_FIRST.items():
        for year in (2023, 2024):
            published = years.get(year)
            if after_second and (agency, year) == LATE[:2]:
                published = LATE[2]
            deadline = f"{year + 1}-01-31"
            if published is None:
                out[(agency, year)] = ("missing", None, None)
            elif published > deadline:
                out[(agency, year)] = ("late", published, days(published, deadline))
            else:
                out[(agency, year)] = ("on_time", published, None)
    for year, published in GOV[1].items():
        assert published <= f"{year + 1}-03-31"
        out[(GOV[0], year)] = ("on_time", published, None)
    for agency in ("示例县人民政府", "示例县示例镇人民政府"):  # never crawled: never "missing"
        for year in (2023, 2024):
            out[(agency, year)] = ("not_crawled", None, None)
    return out


def test_coverage_in_the_archive_after_each_run(two_runs):
    for cov, after_second in ((two_runs["after_first"]["coverage"], False), (coverage(two_runs["db"]), True)):
        got = {k: (v["status"], v["published"], v["days_late"]) for k, v in cov.items()}
        assert got == expected_coverage(after_second)
    cov = coverage(two_runs["db"])
    assert cov[LATE[:2]]["deadline"] == "2025-01-31" and cov[(GOV[0], 2024)]["deadline"] == "2025-03-31"
    assert cov[("示例乙局", 2024)]["last_crawl"] == SECOND


@pytest.fixture(scope="module")
def served(two_runs, tmp_path_factory):
    from nianbao.archive import serve

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
    from e2e_support import free_port, wait_http

    port = free_port()
    log = (tmp_path_factory.mktemp("ds") / "datasette.log").open("wb")
    proc = subprocess.Popen(serve.datasette_args(two_runs["db"], port=port), stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/archive.json", timeout=60)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=20) as r:
        assert r.status == 200
        return r.read().decode("utf-8")


def test_coverage_page_and_canned_queries_over_http(served):
    html = get(served + "/-/nianbao/coverage")
    cells = {(a, int(y)): s for a, y, s in re.findall(
        r'data-agency="([^"]+)" data-year="(\d+)" data-status="(\w+)"', html)}
    assert cells == {k: v[0] for k, v in expected_coverage(True).items()}
    health = dict(re.findall(r'data-source="([^"]+)" data-status="(\w+)"', html))
    assert health == {"hx-departments": "ok", "hx-government": "failed", "hx-county": "failed",
                      "hx-town": "skipped"}
    assert "服务器错误（HTTP 5xx）" in html and "server error (HTTP 5xx)" in html

    def query(name: str, **params) -> list[dict]:
        qs = urllib.parse.urlencode({**params, "_shape": "array"})
        return json.loads(get(f"{served}/archive/{name}.json?{qs}"))

    # the canned queries answer with Chinese column names (机关, 年度 …)
    assert [(r["机关"], r["年度"]) for r in query("missing_for_year", year=2024)] == [("示例乙局", 2024)]
    assert query("missing_for_year", year=2023) == []
    assert [(r["机关"], r["年度"]) for r in query("missing_reports", year=2024)] == [("示例乙局", 2024)]
    late = query("late_for_year", year=2024)
    assert [(r["机关"], r["发布日期"], r["逾期天数"]) for r in late] == [
        (LATE[0], LATE[2], days(LATE[2], "2025-01-31"))]
    assert query("late_for_year", year=2023) == []
    not_crawled = {r["机关"] for r in query("coverage_by_year", year=2024, status="not_crawled")}
    assert not_crawled == {"示例县人民政府", "示例县示例镇人民政府"}
    assert not not_crawled & {r["机关"] for r in query("missing_for_year", year=2024)}
