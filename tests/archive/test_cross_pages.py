"""The prose checks and the mirror copies on the pages of a real Datasette.

The archive served: seed 001 and seed 003 parsed from their official HTML pages (001's
prose says 1 application where its 总计 column prints 0), seed 003's Traditional mirror
(recorded as a copy), and seed 002 known only from its mirror (kept, marked unofficial).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from nianbao import parsers
from nianbao.archive import load

FORMS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "forms"
GOV = "https://www.gz.gov.cn/zfxxgknb/{}/content/post_{}.html"
MIRROR = "http://mirror.example.com/zfxxgknb/{}/content/post_{}.html"
LOADS = [("001_092bb9cf510e616c.html", GOV), ("003_a4b06523178ecf58.html", GOV),
         ("003_a4b06523178ecf58.tw.html", MIRROR), ("002_c44ede4c9c57f811.tw.html", MIRROR)]


def _load(db, name: str, pattern: str) -> load.LoadResult:
    data = (FORMS / name).read_bytes()
    url = pattern.format(name[:3], name[:3])
    report = parsers.parse_bytes(data, url, content_type="text/html")
    doc = {"url": url, "sha256": hashlib.sha256(data).hexdigest(), "content_type": "text/html",
           "fetched_at": "2026-11-01T00:00:00+00:00", "kind": "page", "content": data,
           "warc_file": None, "warc_offset": None}
    return load.load_report(db, report, url=url, documents=[doc])


@pytest.fixture(scope="module")
def served_cross(h, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cross")
    db = load.open_archive(tmp / "archive.db")
    ids = {name: _load(db, name, pattern).report_id for name, pattern in LOADS}
    db.close()
    with h.datasette_serving(tmp / "archive.db", tmp / "datasette.log") as s:
        s.ids = ids  # type: ignore[attr-defined]
        yield s


def _page(served, report_id: str) -> str:
    status, _, body = served.get(f"/-/nianbao/report/{report_id}")
    assert status == 200
    return body.decode("utf-8")


def _part(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end)]


def test_prose_checks_on_the_report_page(served_cross):
    html = _page(served_cross, served_cross.ids["001_092bb9cf510e616c.html"])
    prose = _part(html, 'id="prose"', 'id="years"')
    assert prose.count('<tr class="failing">') == 1 and "我办共收到依申请公开 1 件" in prose
    assert "<td>1</td><td>0</td>" in prose  # stated, printed
    checks = _part(html, 'id="checks"', 'id="prose"')
    assert "正文与表格（prose）未通过" in checks
    assert "第三部分「一、本年新收政府信息公开申请数量」总计为 0" in checks
    html = _page(served_cross, served_cross.ids["003_a4b06523178ecf58.html"])
    prose = _part(html, 'id="prose"', 'id="years"')
    assert prose.count('<tr class="ok">') == 17 and 'class="failing"' not in prose
    assert "第三部分「（四）无法提供」3 项总计之和" in prose


def test_failing_prose_in_the_canned_query_and_the_checks_table(served_cross):
    rows = [r for r in served_cross.rows("/archive/failing_checks.json") if r["校验"] == "prose"]
    assert len(rows) == 1
    assert rows[0]["报告编号"] == served_cross.ids["001_092bb9cf510e616c.html"]
    assert (rows[0]["左边"], rows[0]["右边"]) == (1, 0) and "共收到依申请公开 1 件" in rows[0]["说明"]
    stored = served_cross.rows("/archive/checks.json", name="prose", ok="0")
    assert [(r["stated"], r["printed"]) for r in stored] == [(1, 0)]
    assert json.loads(stored[0]["about"]) == [{"table": "applications", "row": "1", "applicant": "总计"}]


def test_copies_on_the_report_page(served_cross):
    ids = served_cross.ids
    assert ids["003_a4b06523178ecf58.tw.html"] == ids["003_a4b06523178ecf58.html"]
    html = _page(served_cross, ids["003_a4b06523178ecf58.html"])
    assert 'id="unofficial"' not in html
    part = _part(html, 'id="copies"', 'id="text"')
    assert "mirror.example.com" in part and "繁体" in part and "%" in part and "<td>否</td>" in part
    assert "镜像副本</strong>" in _part(html, "存档原件", "报告编号")
    only = _page(served_cross, ids["002_c44ede4c9c57f811.tw.html"])
    assert 'id="unofficial"' in only and "本页数字的来源" in _part(only, 'id="copies"', 'id="text"')
    reports = served_cross.rows("/archive/reports.json", _col="official")
    assert sorted(r["official"] for r in reports) == [0, 1, 1]
    assert len(served_cross.rows("/archive/copies.json")) == 2
