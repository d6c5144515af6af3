"""One agency, one name: aliases recognised conservatively, one report whatever the route."""

from __future__ import annotations

import copy
import hashlib

import pytest

from nianbao import parsers
from nianbao.archive import agencies, load

HUANGPU = "广州市黄埔区人民政府"
JOINT = "广州市黄埔区人民政府广州开发区管委会"
DEMO_PAGE = "demo/portal/zfxxgknb/202101/t20210130_1003.html"


@pytest.mark.parametrize(("shorter", "longer", "same"), [
    (HUANGPU, "广州市黄埔区人民政府 广州开发区管委会", True),
    (HUANGPU, "广州市黄埔区人民政府（广州开发区管委会）", True),
    (HUANGPU, "广州市黄埔区人民政府办公室", False),  # the government's office: another organ
    (HUANGPU, "广州市黄埔区人民政府黄埔街道办事处", False),
    ("广州市人民政府", "广州市人民政府办公厅", False),
    ("广州市人民政府", "广州市人民政府国有资产监督管理委员会", False),
    ("广州市协作办公室", "广州市协作办公室", True),
    ("广州市协作办公室", "广州市 协作办公室", True),
    ("广州市", "广州市黄埔区人民政府", False),
])
def test_which_names_are_one_agency(shorter, longer, same):
    assert agencies.same_agency(shorter, longer) is same


def _file_route(h):
    path = h.SEEDS / "003_a4b06523178ecf58.txt"
    data = path.read_bytes()
    report = parsers.parse_file(path)
    assert agencies.display(report["agency"]) == JOINT  # the title is all a text file has
    url = path.resolve().as_uri()
    return {"report": report, "url": url,
            "documents": [h.document(url, data, content_type="text/plain")]}


def _crawl_route(h):
    data = (h.REPO / DEMO_PAGE).read_bytes()
    url = "http://127.0.0.1:8000/zfxxgknb/202101/t20210130_1003.html"
    report = parsers.parse_bytes(data, url, content_type="text/html")
    assert report["agency"] == HUANGPU  # the page's metadata names the publisher
    return {"report": report, "url": url, "documents": [h.document(url, data)],
            "source": {"source_id": "demo", "agency": None, "region": "广州市黄埔区", "level": "区"}}


@pytest.mark.parametrize("order", ["file first", "crawl first"])
def test_the_same_report_by_two_routes_is_one_report(tmp_path, h, order):
    db = load.open_archive(tmp_path / "archive.db")
    routes = [_file_route(h), _crawl_route(h)]
    if order == "crawl first":
        routes.reverse()
    first = load.load_report(db, **routes[0])
    second = load.load_report(db, **routes[1])
    assert second.report_id == first.report_id
    assert db.execute("select count(*) from reports").fetchone()[0] == 1
    assert db.execute("select count(*) from documents").fetchone()[0] == 2  # both captures kept
    canonical = agencies.display(routes[0]["report"]["agency"])  # the first name seen stays
    assert [r["name"] for r in db.query("select name from agencies")] == [canonical]
    for name in (HUANGPU, JOINT, "广州市黄埔区人民政府 广州开发区管委会"):
        assert agencies.canonical(db, name) == canonical, name
    assert agencies.canonical(db, "广州市黄埔区人民政府办公室") is None
    aliases = {r["name"]: r["canonical"] for r in db.query("select * from agency_aliases")}
    assert aliases == {HUANGPU: canonical, JOINT: canonical}
    row = db["reports"].get(first.report_id)
    assert row["agency"] == canonical and row["agency_id"] == agencies.agency_id(canonical)


def test_an_office_of_the_government_stays_its_own_agency(tmp_path, h):
    db = load.open_archive(tmp_path / "archive.db")
    args = h.seed_load_args("003_a4b06523178ecf58")
    load.load_report(db, **args)
    office = copy.deepcopy(args)
    office["report"]["title"] = "广州市黄埔区人民政府办公室2020年政府信息公开工作年度报告"
    office["report"]["agency"] = "广州市黄埔区人民政府办公室"
    office["url"] = office["report"]["source"] = "https://www.hp.gov.cn/bgs/2020.html"
    office["documents"] = [h.document(office["url"], b"office")]
    office["source"]["agency"] = HUANGPU  # the column is the district's: not the office's name
    result = load.load_report(db, **office)
    assert db.execute("select count(*) from reports").fetchone()[0] == 2
    assert db["reports"].get(result.report_id)["agency"] == "广州市黄埔区人民政府办公室"
    assert agencies.canonical(db, "广州市黄埔区人民政府办公室") == "广州市黄埔区人民政府办公室"
    assert agencies.canonical(db, HUANGPU) == HUANGPU
    assert db.execute("select count(*) from agencies").fetchone()[0] == 2


def test_agency_ids_are_stable(h):
    expected = hashlib.sha256(("agency\x00" + HUANGPU).encode()).hexdigest()[:12]
    assert agencies.agency_id(HUANGPU) == agencies.agency_id(" 广州市黄埔区 人民政府") == expected
