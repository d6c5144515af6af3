"""Helpers for the archive tests: report dicts built from the seed truth, and a live Datasette.

The parser is written at the same time as the archive, so the reports loaded here are
built from tests/fixtures/seeds/truth/*.json (the hand-checked values) with sections cut
from the seed texts by a tiny splitter and the report's own arithmetic checks computed
here; expectations are computed from the same truth files, never typed in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from nianbao.contract import report_status

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "tests" / "fixtures" / "seeds"
SEED_IDS = sorted(p.stem for p in (SEEDS / "truth").glob("*.json"))
APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
OUTCOMES = ["结果维持", "结果纠正", "其他结果", "尚未审结"]
XSS = "<script>alert(1)</script>"

# The extra report: no tables (like a pre-2019 report), scraped HTML in its title and text.
EXTRA = {
    "agency": "广州市测试局",
    "year": 2021,
    "title": f"广州市测试局2021年政府信息公开工作年度报告{XSS}",
    "text": f"总体情况。{XSS} 本机关年报已公开；设立12345热线，ABC Hotline 全年受理咨询。",
    "url": "https://www.gz.gov.cn/test/2021/post_1.html",
    "html": f"<html><body><h1>年度报告</h1>{XSS}</body></html>".encode(),
    "pdf_url": "https://www.gz.gov.cn/test/2021/P020220101.pdf?from=list",
    "pdf": b"%PDF-1.4\n% not a real PDF, bytes kept as captured\n",
}


def truth(seed: str) -> dict[str, Any]:
    return json.loads((SEEDS / "truth" / f"{seed}.json").read_text(encoding="utf-8"))


def seed_text(seed: str) -> str:
    return (SEEDS / f"{seed}.txt").read_text(encoding="utf-8")


_NUMERALS = "一二三四五六七八九十"


def split_sections(text: str) -> list[dict[str, Any]]:
    """Cut a report at its headings 一、 二、 … taken in order (table labels reuse them)."""
    sections: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        expected = _NUMERALS[len(sections)] if len(sections) < len(_NUMERALS) else None
        is_heading = (expected and re.match(rf"^{expected}、\S", stripped) and "\t" not in stripped
                      and not re.search(r"结转|結轉|\d", stripped))
        if is_heading:
            current = {"number": len(sections) + 1, "heading": stripped, "lines": []}
            sections.append(current)
        elif current is not None:
            current["lines"].append(line)
    return [
        {"number": s["number"], "heading": s["heading"], "text": "\n".join(s["lines"]).strip()}
        for s in sections
    ]


def _value_map(cells: list[dict[str, Any]], keys: tuple[str, str]) -> dict[tuple[str, str], Any]:
    return {(c[keys[0]], c[keys[1]]): c["value"] for c in cells}


def compute_checks(t: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's own arithmetic (REPORT_JSON.md), skipping sums with an unreadable cell."""
    app = _value_map(t["applications"], ("row", "applicant"))
    rows = sorted({r for r, _ in app})
    outcome_rows = [r for r in rows if r.startswith("3.") and r != "3.7"]

    def cell(row: str, applicant: str) -> dict[str, str]:
        return {"table": "applications", "row": row, "applicant": applicant}

    row_total = []
    for r in rows:
        vals = [app.get((r, a)) for a in APPLICANTS]
        total = app.get((r, "总计"))
        if total is not None and None not in vals and sum(vals) != total:
            row_total.append(cell(r, "总计"))
    balance, outcome_total = [], []
    for a in [*APPLICANTS, "总计"]:
        v = [app.get((r, a)) for r in ("1", "2", "3.7", "4")]
        if None not in v and v[0] + v[1] != v[2] + v[3]:
            balance.append(cell("3.7", a))
        parts = [app.get((r, a)) for r in outcome_rows]
        if app.get(("3.7", a)) is not None and None not in parts and sum(parts) != app[("3.7", a)]:
            outcome_total.append(cell("3.7", a))
    rev = _value_map(t["reviews"], ("stage", "outcome"))
    review_total = []
    for stage in sorted({s for s, _ in rev}):
        parts = [rev.get((stage, o)) for o in OUTCOMES]
        if rev.get((stage, "总计")) is not None and None not in parts and sum(parts) != rev[(stage, "总计")]:
            review_total.append({"table": "reviews", "stage": stage, "outcome": "总计"})
    # `complete`: the cells the report prints no readable value for (null in truth)
    blank = [cell(c["row"], c["applicant"]) for c in t["applications"] if c["value"] is None]
    blank += [{"table": "reviews", "stage": c["stage"], "outcome": c["outcome"]}
              for c in t["reviews"] if c["value"] is None]
    blank += [{"table": "active_disclosure", "article": c["article"], "item": c["item"],
               "metric": c["metric"]} for c in t["active_disclosure"] if c["value"] is None]
    return [
        {"name": name, "ok": not cells, "cells": cells}
        for name, cells in (
            ("row_total", row_total), ("balance", balance),
            ("outcome_total", outcome_total), ("review_total", review_total), ("complete", blank),
        )
    ]


def truth_failing(t: dict[str, Any]) -> list[str]:
    """The checks a seed fails as the truth says: its arithmetic ones, and `complete` when a
    cell has no readable value."""
    blank = any(c["value"] is None for k in ("applications", "reviews", "active_disclosure") for c in t[k])
    return [*t["failing_checks"], *(["complete"] if blank and "complete" not in t["failing_checks"] else [])]


def truth_status(t: dict[str, Any]) -> str:
    return report_status({"name": n, "ok": False} for n in truth_failing(t))


def region_of(agency: str) -> str:
    for district in ("黄埔区", "白云区", "增城区"):
        if district in agency:
            return district
    return "广州市"


def seed_url(seed: str) -> str:
    return f"https://www.gz.gov.cn/zfxxgknb/{seed}/content/post_{seed[:3]}.html"


def document(url: str, content: bytes, *, kind: str = "page", content_type: str = "text/html",
             fetched_at: str = "2026-11-01T00:00:00+00:00") -> dict[str, Any]:
    return {
        "url": url, "sha256": hashlib.sha256(content).hexdigest(), "content_type": content_type,
        "fetched_at": fetched_at, "kind": kind, "content": content,
        "warc_file": None, "warc_offset": None,
    }


def report_from_truth(seed: str) -> dict[str, Any]:
    """A nianbao.report/1 dict with the truth's values, the seed's sections and our checks."""
    t = truth(seed)
    text = seed_text(seed)
    checks = compute_checks(t)

    def with_raw(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**c, "raw": "" if c["value"] is None else str(c["value"])} for c in cells]

    title = next(line.strip() for line in text.splitlines() if line.strip())
    return {
        "schema": "nianbao.report/1",
        "source": seed_url(seed),
        "title": title,
        "agency": t["agency"],
        "year": t["year"],
        "template": t["template"],
        "script": "traditional" if seed.startswith("002") else "simplified",
        "sections": split_sections(text),
        "active_disclosure": with_raw(t["active_disclosure"]),
        "applications": with_raw(t["applications"]),
        "reviews": with_raw(t["reviews"]),
        "checks": checks,
        "published": None,
        "kind": "text",
        "status": report_status(checks),
        "flags": [],
        "text": text,
    }


def seed_load_args(seed: str) -> dict[str, Any]:
    """Keyword arguments of archive.load.load_report for one seed."""
    report = report_from_truth(seed)
    return {
        "report": report,
        "url": seed_url(seed),
        "documents": [document(seed_url(seed), seed_text(seed).encode("utf-8"),
                               content_type="text/plain; charset=utf-8")],
        "published": f"{report['year'] + 1}-01-31",
        "source": {"source_id": "gz-test", "agency": report["agency"],
                   "region": region_of(report["agency"]), "level": "city"},
    }


def extra_load_args() -> dict[str, Any]:
    report = {
        "schema": "nianbao.report/1", "source": EXTRA["url"], "title": EXTRA["title"],
        "agency": EXTRA["agency"], "year": EXTRA["year"], "template": None, "script": "simplified",
        "sections": [{"number": 1, "heading": "一、总体情况", "text": EXTRA["text"]}],
        "active_disclosure": [], "applications": [], "reviews": [], "checks": [],
        "published": None, "kind": "html", "status": "ok", "flags": ["no tables"],
        "text": EXTRA["text"],
    }
    return {
        "report": report, "url": EXTRA["url"],
        "documents": [document(EXTRA["url"], EXTRA["html"]),
                      document(EXTRA["pdf_url"], EXTRA["pdf"], kind="attachment",
                               content_type="application/pdf")],
        "source": {"source_id": "gz-test", "region": "广州市", "level": "city"},
    }


# The seed whose agency "quietly edited" it: an earlier capture printed another 自然人 figure
# in row 1 (the served archive holds both versions; see earlier_load_args).
HISTORY_SEED = SEED_IDS[0]
HISTORY_DELTA = 7


def earlier_load_args(seed: str = HISTORY_SEED) -> dict[str, Any]:
    """An earlier reading of `seed`: row 1 自然人 (and its 总计) printed HISTORY_DELTA higher."""
    args = seed_load_args(seed)
    for cell in args["report"]["applications"]:
        if cell["row"] == "1" and cell["applicant"] in ("自然人", "总计") and cell["value"] is not None:
            cell["value"] += HISTORY_DELTA
            cell["raw"] = str(cell["value"])
    url = args["url"]
    args["documents"] = [document(url, b"earlier capture\n" + seed_text(seed).encode("utf-8"),
                                  content_type="text/plain; charset=utf-8",
                                  fetched_at="2026-10-01T00:00:00+00:00")]
    return args


def build_archive(path: Path, *, history: bool = False):
    """The archive of the five seeds and the extra report; returns the open Database.

    With `history`, HISTORY_SEED is first loaded as it was earlier captured, then as it is."""
    from nianbao.archive import coverage, load

    db = load.open_archive(path)
    if history:
        load.load_report(db, **earlier_load_args())
    for seed in SEED_IDS:
        load.load_report(db, **seed_load_args(seed))
    load.load_report(db, **extra_load_args())
    coverage.refresh(db)  # as `nianbao build` does
    return db


# A report whose every scraped field is hostile: markup, a javascript: address, spreadsheet
# formulas. It must render as text on every page and stay inert in every download.
HOSTILE = {
    "agency": "<img src=x onerror=alert(1)>广州市恶意局",
    "title": '=HYPERLINK("http://evil.example/","点我")<script>alert(2)</script>2021年政府信息公开工作年度报告',
    "heading": "<b onmouseover=alert(5)>一、总体情况</b>",
    "text": '<a href="javascript:alert(3)">点我</a> 本机关全年受理复议 1 件。',
    "url": "javascript:alert(4)",
    "formula_raw": "=1+1",
    "region": "<i>恶意区</i>",
}


def hostile_load_args() -> dict[str, Any]:
    x = HOSTILE
    report = {
        "schema": "nianbao.report/1", "source": x["url"], "title": x["title"], "agency": x["agency"],
        "year": 2021, "template": "2021", "script": "simplified",
        "sections": [{"number": 1, "heading": x["heading"], "text": x["text"]}],
        "active_disclosure": [], "reviews": [],
        "applications": [{"row": "1", "applicant": "总计", "value": None, "raw": x["formula_raw"]},
                         {"row": "1", "applicant": "自然人", "value": -3, "raw": "-3"}],
        "checks": [{"name": "complete", "ok": False,
                    "cells": [{"table": "applications", "row": "1", "applicant": "总计"}]}],
        "published": None, "kind": "html", "flags": ["<script>alert(6)</script>"], "text": x["text"],
    }
    return {"report": report, "url": x["url"],
            "documents": [document(x["url"], b"<script>alert(7)</script>")],
            "source": {"source_id": "evil", "region": x["region"], "level": "<u>区</u>"}}


def build_hostile_archive(path: Path):
    from nianbao.archive import coverage, load

    db = load.open_archive(path)
    load.load_report(db, **seed_load_args(SEED_IDS[0]))
    load.load_report(db, **hostile_load_args())
    coverage.refresh(db)
    return db


# Search terms of every length 1-6, mixed and cased, that users type (see test_search*.py).
SEARCH_TERMS = ["复议", "年报", "档案馆", "12345热线", "12345 热线", "复", "政府信息公开", "不存在的词语",
                "WWW.hp.GOV", "abc hotline", "<script>", "（三）"]


def table_counts(db) -> dict[str, int]:
    names = ["reports", "sections", "active_disclosure", "applications", "reviews", "checks",
             "documents", "blobs", "agencies", "agency_names", "report_versions"]
    return {n: db.execute(f"select count(*) from [{n}]").fetchone()[0] for n in names}


# --- a real Datasette on 127.0.0.1 -------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def http_get_or_none(url: str) -> tuple[int, dict[str, str], bytes] | None:
    """None when nothing answers at `url` (server not up yet, or stopped)."""
    try:
        return http_get(url)
    except OSError:
        return None


class Served:
    """A running Datasette: its base URL and the archive file it serves."""

    def __init__(self, base: str, db_path: Path) -> None:
        self.base = base
        self.db_path = db_path

    def url(self, path: str, **params: Any) -> str:
        query = urllib.parse.urlencode(params)
        return self.base + path + ("?" + query if query else "")

    def get(self, path: str, **params: Any) -> tuple[int, dict[str, str], bytes]:
        return http_get(self.url(path, **params))

    def json(self, path: str, **params: Any) -> Any:
        status, _, body = http_get(self.url(path, **params))
        assert status == 200, f"{path} {params}: HTTP {status}: {body[:500]!r}"
        return json.loads(body)

    def rows(self, path: str, **params: Any) -> list[dict[str, Any]]:
        return self.json(path, _shape="array", **params)


@contextlib.contextmanager
def datasette_serving(db_path: Path, log_path: Path):
    """Datasette as `nianbao serve` runs it (serve.datasette_args), on a free local port."""
    from nianbao.archive import serve

    port = free_port()
    log = log_path.open("wb")
    proc = subprocess.Popen(serve.datasette_args(db_path, host="127.0.0.1", port=port),
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("datasette did not start: " + log_path.read_text()[-3000:]) from None
                time.sleep(0.2)
        yield Served(base, db_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def served(tmp_path_factory) -> Served:
    """The seed archive (with an earlier version of HISTORY_SEED), served."""
    tmp = tmp_path_factory.mktemp("served")
    db_path = tmp / "archive.db"
    build_archive(db_path, history=True).close()
    with datasette_serving(db_path, tmp / "datasette.log") as s:
        yield s


@pytest.fixture(scope="session")
def served_hostile(tmp_path_factory) -> Served:
    """An archive holding HOSTILE beside one seed, served."""
    tmp = tmp_path_factory.mktemp("hostile")
    db_path = tmp / "archive.db"
    build_hostile_archive(db_path).close()
    with datasette_serving(db_path, tmp / "datasette.log") as s:
        yield s


@pytest.fixture
def archive_db(tmp_path):
    db = build_archive(tmp_path / "archive.db")
    yield db
    db.close()


# Test modules are imported with --import-mode=importlib and cannot import this file: they
# get these helpers through the `h` fixture, and search terms through `search_term`.
HELPERS = SimpleNamespace(
    REPO=REPO, SEEDS=SEEDS, SEED_IDS=SEED_IDS, APPLICANTS=APPLICANTS, XSS=XSS, EXTRA=EXTRA,
    SEARCH_TERMS=SEARCH_TERMS, truth=truth, seed_text=seed_text, split_sections=split_sections,
    compute_checks=compute_checks, region_of=region_of, truth_failing=truth_failing,
    truth_status=truth_status, seed_url=seed_url, document=document,
    report_from_truth=report_from_truth, seed_load_args=seed_load_args,
    extra_load_args=extra_load_args, build_archive=build_archive, HISTORY_SEED=HISTORY_SEED,
    HISTORY_DELTA=HISTORY_DELTA, earlier_load_args=earlier_load_args, HOSTILE=HOSTILE,
    hostile_load_args=hostile_load_args, table_counts=table_counts,
    http_get=http_get, http_get_or_none=http_get_or_none, free_port=free_port,
    datasette_serving=datasette_serving,
)


@pytest.fixture(scope="session")
def h() -> SimpleNamespace:
    return HELPERS


def pytest_generate_tests(metafunc) -> None:
    if "search_term" in metafunc.fixturenames:
        metafunc.parametrize("search_term", SEARCH_TERMS)
