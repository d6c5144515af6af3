"""The report, agency and comparison pages, checked through HTTP against the seed truth.

A real Datasette serves the seed archive (conftest.served). Each table cell of a report page
carries its key (data-cell="applications|3.7|总计"); the expectations are computed from the
truth files and the contract's rules, never typed in.
"""

from __future__ import annotations

import csv
import io
import re
import statistics

import lxml.html
import openpyxl
import pytest
from markupsafe import escape

from nianbao.archive import agencies, load

pytestmark = pytest.mark.slow

TOTAL = "总计"
APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
OUTCOMES = ["结果维持", "结果纠正", "其他结果", "尚未审结", TOTAL]


def _html(served, path, **params):
    status, headers, body = served.get(path, **params)
    assert status == 200, (path, status, body[:300])
    assert headers["content-type"].startswith("text/html")
    return body.decode("utf-8")


def _rid(h, seed):
    t = h.truth(seed)
    return load.report_id_for(t["agency"], t["year"], h.seed_url(seed))


def _shown(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def _truth_cells(t):
    cells = {}
    for c in t["applications"]:
        cells[("applications", c["row"], c["applicant"])] = c["value"]
    for c in t["reviews"]:
        cells[("reviews", c["stage"], c["outcome"])] = c["value"]
    for c in t["active_disclosure"]:
        cells[("active_disclosure", c["article"], f"{c['item']}/{c['metric']}")] = c["value"]
    return cells


def _page_cells(doc):
    return {tuple(td.get("data-cell").split("|")): td for td in doc.xpath("//td[@data-cell]")}


@pytest.mark.parametrize("seed", ["000_eac659b3405373d8", "001_092bb9cf510e616c", "002_c44ede4c9c57f811",
                                  "003_a4b06523178ecf58", "004_87e2bd2fd6f6bd54"])
def test_report_page_shows_every_cell_as_printed(served, h, seed):
    t = h.truth(seed)
    doc = lxml.html.fromstring(_html(served, f"/-/nianbao/report/{_rid(h, seed)}"))
    cells = _page_cells(doc)
    expected = _truth_cells(t)
    # every printed cell, and nothing else, with the printed value (blank where there is none)
    assert set(expected) <= set(cells)
    for key, value in expected.items():
        assert cells[key].text_content().strip() == _shown(value), key
    assert {k for k in cells if k[0] == "applications"} == {k for k in expected if k[0] == "applications"}
    # table 三 as printed: its rows in template order, 7 columns each, labels in Chinese
    table3 = doc.get_element_by_id("table-3")
    rows = [tr.get("data-row") for tr in table3.xpath(".//tbody/tr")]
    assert rows == sorted({c["row"] for c in t["applications"]}, key=_row_order)
    assert all(len(tr.xpath("./td")) == 7 for tr in table3.xpath(".//tbody/tr"))
    labels = table3.text_content()
    for label in ("申请人情况", "法人或其他组织", "（三）不予公开", "（七）总计", "四、结转下年度继续办理"):
        assert label in labels
    # the printed 总计 of row 3.7 is where a reader looks for it
    assert cells[("applications", "3.7", TOTAL)].text_content().strip() == _shown(
        expected[("applications", "3.7", TOTAL)])
    assert doc.get_element_by_id("table-4").xpath(".//td[@data-cell]").__len__() == 15


def _row_order(row):
    order = ["1", "2", "3.1", "3.2", *[f"3.3.{i}" for i in range(1, 9)], *[f"3.4.{i}" for i in range(1, 4)],
             *[f"3.5.{i}" for i in range(1, 6)], "3.6", "3.6.1", "3.6.2", "3.6.3", "3.7", "4"]
    return order.index(row)


def _participants(t, check, named):
    """The cells of the failing equation around `named` (REPORT_JSON.md checks), from truth."""
    if check == "row_total":
        return {("applications", named["row"], a) for a in [*APPLICANTS, TOTAL]}
    if check == "outcome_total":
        rows = sorted({c["row"] for c in t["applications"]})
        parts = [r for r in rows if r.startswith("3.") and r != "3.7"]
        return {("applications", r, named["applicant"]) for r in [*parts, "3.7"]}
    if check == "balance":
        return {("applications", r, named["applicant"]) for r in ("1", "2", "3.7", "4")}
    if check == "review_total":
        return {("reviews", named["stage"], o) for o in OUTCOMES}
    raise AssertionError(check)


@pytest.mark.parametrize("seed", ["000_eac659b3405373d8", "001_092bb9cf510e616c", "002_c44ede4c9c57f811",
                                  "003_a4b06523178ecf58", "004_87e2bd2fd6f6bd54"])
def test_highlighted_cells_are_those_of_the_failing_checks(served, h, seed):
    t = h.truth(seed)
    html = _html(served, f"/-/nianbao/report/{_rid(h, seed)}")
    cells = _page_cells(lxml.html.fromstring(html))
    expected_failing: set = set()
    for check in h.compute_checks(t):
        if check["name"] != "complete" and not check["ok"]:
            assert check["name"] in t["failing_checks"]
            for named in check["cells"]:
                expected_failing |= _participants(t, check["name"], named)
    failing = {k for k, td in cells.items() if "failing" in td.get("class", "").split()}
    assert failing == expected_failing
    assert bool(failing) == bool(set(t["failing_checks"]) - {"complete"})
    blank = {k for k, td in cells.items() if "blank" in td.get("class", "").split()}
    assert blank == {k for k, v in _truth_cells(t).items() if v is None}
    # the check is explained beside its table, both sides with the printed numbers
    if "row_total" in t["failing_checks"]:
        row1 = [t_ for t_ in t["applications"] if t_["row"] == "1"]
        total = next(c["value"] for c in row1 if c["applicant"] == TOTAL)
        parts = sum(c["value"] for c in row1 if c["applicant"] != TOTAL)
        assert f"「一、本年新收政府信息公开申请数量」总计 {total} ≠ 各类申请人之和 {parts}" in html
        assert 'class="check-notes"' in html
    if blank:
        assert "个单元格空白或读不出" in html


def test_status_of_the_seeds(served, h):
    status = {r["id"]: r["status"] for r in served.rows("/archive/reports.json", _size="max")}
    by_seed = {seed: status[_rid(h, seed)] for seed in h.SEED_IDS}
    assert by_seed["001_092bb9cf510e616c"] == "flagged"  # prints a 总计 of 0 beside a 自然人 of 1
    # seeds whose only trouble is blank or unreadable cells
    assert by_seed["003_a4b06523178ecf58"] == by_seed["004_87e2bd2fd6f6bd54"] == "incomplete"
    assert by_seed["000_eac659b3405373d8"] == by_seed["002_c44ede4c9c57f811"] == "ok"
    assert by_seed == {seed: h.truth_status(h.truth(seed)) for seed in h.SEED_IDS}
    html = _html(served, f"/-/nianbao/report/{_rid(h, '001_092bb9cf510e616c')}")
    assert "报告所印数字自相矛盾" in html


def test_report_page_facts_links_and_narrative(served, h):
    seed = "003_a4b06523178ecf58"
    t = h.truth(seed)
    rid = _rid(h, seed)
    html = _html(served, f"/-/nianbao/report/{rid}")
    doc = lxml.html.fromstring(html)
    assert doc.xpath("//html/@lang") == ["zh-CN"]
    report = served.rows(f"/archive/reports/{rid}.json")[0]
    assert report["title"] in doc.xpath("//title")[0].text_content()
    assert doc.xpath("//a[@class='original']/@href") == [h.seed_url(seed)]
    assert f"/-/nianbao/capture/{report['sha256']}" in doc.xpath("//ul[@class='captures']//a/@href")
    agency_href = doc.xpath("//a[@class='agency-link']/@href")[0]
    assert agency_href == f"/-/nianbao/agency/{agencies.agency_id(t['agency'])}"
    headings = [s["heading"] for s in h.split_sections(h.seed_text(seed))]
    assert [e.text_content() for e in doc.xpath("//section[@class='narrative']/h3")] == headings
    # the downloads: the report's cells, Excel-ready
    status, headers, body = served.get(f"/-/nianbao/report/{rid}.csvbom")
    assert status == 200 and body.startswith(b"\xef\xbb\xbf")
    assert "attachment" in headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == len(_truth_cells(t))
    got = {(r["行号/条项"], r["列"]): r["数值"] for r in rows if r["部分"].startswith("三")}
    assert got == {(c["row"], c["applicant"]): _shown(c["value"]) for c in t["applications"]}
    status, headers, body = served.get(f"/-/nianbao/report/{rid}.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    values = [r for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(values) == len(rows)
    assert all(isinstance(v[4], int | float) for v in values if v[4] is not None)
    for name in ("Excel 用 CSV", "Excel 表格 (.xlsx)", "CSV"):
        assert name in html
    # every list links to the report page
    for path, params in [("/archive/sections", {"report_id": rid}),
                         ("/archive/applications", {"report_id": rid}), ("/archive/reports", {}),
                         ("/archive/checks", {"report_id": rid}),
                         ("/archive/applications_received", {}), ("/archive/key_figures", {"year": 2020})]:
        assert f'href="/-/nianbao/report/{rid}"' in _html(served, path, **params), path
    assert f'href="/-/nianbao/report/{rid}"' in _html(served, f"/archive/reports/{rid}")


def test_earlier_versions_are_listed_with_the_changed_cells(served, h):
    seed = h.HISTORY_SEED
    t = h.truth(seed)
    doc = lxml.html.fromstring(_html(served, f"/-/nianbao/report/{_rid(h, seed)}"))
    rows = doc.xpath("//table[contains(@class, 'versions')]/tbody/tr")
    assert [r.xpath("./td")[0].text_content() for r in rows] == ["2", "1"]
    changes = [li.text_content() for li in rows[0].xpath(".//ul[@class='changes']/li")]
    cur = {c["applicant"]: c["value"] for c in t["applications"] if c["row"] == "1"}
    assert sorted(changes) == sorted(
        f"第三部分「一、本年新收政府信息公开申请数量」{a}：{cur[a] + h.HISTORY_DELTA} → {cur[a]}"
        for a in ("自然人", TOTAL))
    assert "首次收录" in rows[1].text_content()
    # the table shows the latest reading
    assert _page_cells(doc)[("applications", "1", "自然人")].text_content().strip() == str(cur["自然人"])


def test_agencies_are_found_by_partial_name_and_alias(served, h):
    doc = lxml.html.fromstring(_html(served, "/-/nianbao/agencies", q="协作办"))
    names = [a.text_content() for a in doc.xpath("//table[contains(@class,'agencies')]//td[1]/a")]
    assert names == ["广州市协作办公室"]
    doc = lxml.html.fromstring(_html(served, "/-/nianbao/agencies", q="广州开发区管委会"))
    names = [a.text_content() for a in doc.xpath("//table[contains(@class,'agencies')]//td[1]/a")]
    assert names == [h.truth("003_a4b06523178ecf58")["agency"]]
    html = _html(served, "/-/nianbao/agencies", q="没有这个机关")
    assert "empty-hint" in html and "更短的词" in html
    everyone = lxml.html.fromstring(_html(served, "/-/nianbao/agencies"))
    truth_agencies = {h.truth(s)["agency"] for s in h.SEED_IDS} | {h.EXTRA["agency"]}
    assert {a.text_content() for a in everyone.xpath("//table[contains(@class,'agencies')]//td[1]/a")} \
        == truth_agencies


FIGURES = {
    "received": lambda t: _app(t, "1"),
    "handled": lambda t: _app(t, "3.7"),
    "disclosed": lambda t: _app(t, "3.1"),
    "refused": lambda t: _sum([c for c in t["applications"]
                               if c["row"].startswith("3.3.") and c["applicant"] == TOTAL]),
    "unable": lambda t: _sum([c for c in t["applications"]
                              if c["row"].startswith("3.4.") and c["applicant"] == TOTAL]),
    "admin_reviews": lambda t: next(c["value"] for c in t["reviews"]
                                    if c["stage"] == "行政复议" and c["outcome"] == TOTAL),
    "lawsuits": lambda t: _sum([c for c in t["reviews"]
                                if c["stage"] != "行政复议" and c["outcome"] == TOTAL]),
}


def _app(t, row):
    return next(c["value"] for c in t["applications"] if c["row"] == row and c["applicant"] == TOTAL)


def _sum(cells):
    values = [c["value"] for c in cells]
    return None if not values or None in values else sum(values)


def test_agency_page_figures_charts_and_downloads(served, h):
    agency = "广州市协作办公室"
    mine = sorted((h.truth(s) for s in h.SEED_IDS if h.truth(s)["agency"] == agency), key=lambda t: t["year"])
    path = f"/-/nianbao/agency/{agencies.agency_id(agency)}"
    html = _html(served, path)
    doc = lxml.html.fromstring(html)
    assert doc.xpath("//h1")[0].text_content() == agency
    body_rows = doc.xpath("//table[contains(@class,'figures')]/tbody/tr")
    assert [r.xpath("./th")[0].text_content() for r in body_rows] == [str(t["year"]) for t in mine]
    for tr, t in zip(body_rows, mine, strict=True):
        for col, fn in FIGURES.items():
            td = tr.xpath(f"./td[@data-figure='{col}']")[0]
            assert (td.text or "").strip() == _shown(fn(t)), (t["year"], col)
    # charts: inline SVG, drawn on the server, no script and nothing fetched
    svgs = doc.xpath("//figure[contains(@class,'chart')]/*[local-name()='svg']")
    assert len(svgs) == 2
    assert "<script" not in "".join(lxml.html.tostring(s, encoding="unicode") for s in svgs)
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', html)  # no CDN
    # the table as Excel CSV and xlsx, year-over-year change computed from the printed values
    _status, _, body = served.get(path + ".csvbom")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [int(r["年度"]) for r in rows] == [t["year"] for t in mine]
    assert rows[1]["新收申请增减"] == _shown(FIGURES["received"](mine[1]) - FIGURES["received"](mine[0]))
    _status, headers, body = served.get(path + ".xlsx")
    assert headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [t["year"] for t in mine]


def test_comparison_ranks_agencies_with_peer_quartiles(served, h):
    year = 2020
    ts = [h.truth(s) for s in h.SEED_IDS if h.truth(s)["year"] == year]
    for figure in ("received", "refused", "lawsuits"):
        doc = lxml.html.fromstring(_html(served, "/-/nianbao/compare", year=year, figure=figure))
        rows = doc.xpath("//table[contains(@class,'ranking')]/tbody/tr")
        got = [(tr.xpath("./td")[1].text_content(), tr.xpath("./td[@class='value']")[0].text_content())
               for tr in rows]
        values = {t["agency"]: FIGURES[figure](t) for t in ts}
        expected = sorted(values.items(), key=lambda kv: (kv[1] is None, -(kv[1] or 0), kv[0]))
        assert got == [(a, _shown(v)) for a, v in expected], figure
        known = sorted(v for v in values.values() if v is not None)
        median = doc.xpath("//td[@class='median']")[0].text_content()
        assert float(median) == statistics.median(known)
        assert doc.xpath("//figure[@id='chart-ranking']/*[local-name()='svg']")
    # a region narrows the peers; the latest year is the default
    doc = lxml.html.fromstring(_html(served, "/-/nianbao/compare", year=year, region="广州市"))
    ranking = doc.xpath("//table[contains(@class,'ranking')]/tbody/tr")
    names = {tr.xpath("./td")[1].text_content() for tr in ranking}
    assert names == {t["agency"] for t in ts if h.region_of(t["agency"]) == "广州市"}
    latest = max([t["year"] for t in (h.truth(s) for s in h.SEED_IDS)] + [h.EXTRA["year"]])
    doc = lxml.html.fromstring(_html(served, "/-/nianbao/compare"))
    assert doc.xpath("//select[@name='year']/option[@selected]/@value") == [str(latest)]
    _status, _, body = served.get("/-/nianbao/compare.csvbom", year=year)
    assert body.startswith(b"\xef\xbb\xbf")
    assert len(list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))) == len(ts)


TABLES = ["reports", "sections", "active_disclosure", "applications", "reviews", "checks", "documents",
          "agencies", "agency_names", "report_versions"]
# queries with rows on the seed archive (missing/late reports need crawls: tests/crawler)
QUERIES = {"applications_received": {}, "refusal_share": {}, "failing_checks": {}, "coverage_by_year": {},
           "agency_trend": {"agency": "协作办"}, "key_figures": {}, "search_sections": {"q": "复议"}}


def test_every_table_and_query_offers_both_excel_downloads(served):
    pages = [*((f"/archive/{t}", {}) for t in TABLES), *((f"/archive/{q}", p) for q, p in QUERIES.items())]
    for path, params in pages:
        doc = lxml.html.fromstring(_html(served, path, **params))
        links = {a.text_content(): a.get("href") for a in doc.xpath("//p[@class='export-links']/a")}
        assert {"Excel 用 CSV", "Excel 表格 (.xlsx)", "CSV"} <= set(links), path
        assert links["Excel 用 CSV"].split("?")[0].endswith(".csvbom")
        expected = served.rows(path + ".json", _size="max", **params)
        status, headers, body = served.get(path + ".xlsx", **params)
        assert status == 200 and "attachment" in headers["content-disposition"], path
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        assert sheet.max_row - 1 == len(expected), path


def test_xlsx_of_a_table_holds_every_row_with_types(served, h):
    total = sum(len(h.truth(s)["applications"]) for s in h.SEED_IDS)
    assert total > 100  # more than a page
    _status, _, body = served.get("/archive/applications.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    header = [c.value for c in sheet[1]]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == total
    col = header.index("value")
    assert all(v[col] is None or isinstance(v[col], int) for v in values)


def test_chinese_interface(served):
    for path in ["/", "/archive", "/archive/reports", "/archive/sections", "/archive/failing_checks",
                 "/archive/agency_trend", "/-/nianbao/agencies", "/-/nianbao/compare"]:
        html = _html(served, path)
        doc = lxml.html.fromstring(html)
        assert doc.xpath("//html/@lang") == ["zh-CN"], path
        title = doc.xpath("//title")[0].text_content()
        assert re.search(r"[\u4e00-\u9fff]", title) and "select" not in title.lower(), (path, title)
        for english in ("This data as", "Advanced export", "Custom SQL query", ">Apply<", "Powered by"):
            assert english not in html, (path, english)
    front = lxml.html.fromstring(_html(served, "/"))
    hrefs = set(front.xpath("//a/@href"))
    for target in ("/archive/sections", "/archive/reports", "/-/nianbao/agencies", "/-/nianbao/compare",
                   "/archive/failing_checks", "/archive/agency_trend"):
        assert target in hrefs, target
    # the table page: search and filter in Chinese; query parameters explained
    table = _html(served, "/archive/sections")
    assert "搜索：" in table and "搜索 / 筛选" in table
    query = _html(served, "/archive/missing_reports")
    assert "留空 = 最新年度" in query and "<label for=\"qp1\">年度</label>" in query
    # canned queries answer with Chinese column names
    meta = {q["name"]: q for q in served.json("/archive.json")["queries"]}
    for name in meta:
        data = served.json(f"/archive/{name}.json", **QUERIES.get(name, {}))
        assert all(re.search(r"[\u4e00-\u9fff]", c) for c in data["columns"]), (name, data["columns"])
        assert re.search(r"[\u4e00-\u9fff]", meta[name]["title"])


def test_reports_list_is_readable(served):
    doc = lxml.html.fromstring(_html(served, "/archive/reports"))
    headers = [th.get("data-column") for th in doc.xpath("//table[contains(@class,'rows-and-columns')]//th")]
    assert "text" not in headers and "flags" not in headers
    assert headers[:4] == ["title", "agency", "year", "status"]


# --- scraped text stays data -------------------------------------------------------------

def _hostile_pages(served_hostile, h):
    x = h.HOSTILE
    rid = load.report_id_for(x["agency"], 2021, x["url"])
    aid = agencies.agency_id(x["agency"])
    return rid, [
        (f"/-/nianbao/report/{rid}", {}), (f"/-/nianbao/agency/{aid}", {}),
        ("/-/nianbao/agencies", {"q": "恶意"}), ("/-/nianbao/agencies", {}),
        ("/-/nianbao/compare", {"year": 2021}), ("/-/nianbao/compare", {"year": 2021, "region": x["region"]}),
        ("/archive/reports", {}), (f"/archive/reports/{rid}", {}), ("/archive/key_figures", {"year": 2021}),
        ("/archive/agency_trend", {"agency": "恶意"}), ("/archive/sections", {"_search": "点我"}),
        ("/archive/agencies", {}), ("/archive/missing_reports", {"year": 2020}), ("/", {}),
    ]


def test_scraped_markup_and_javascript_urls_render_as_text(served_hostile, h):
    x = h.HOSTILE
    rid, pages = _hostile_pages(served_hostile, h)
    for path, params in pages:
        html = _html(served_hostile, path, **params)
        for raw in ("<script>alert", "<img src=x", "<b onmouseover", "<i>恶意区</i>", "<u>区</u>"):
            assert raw not in html, (path, raw)
        assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I), path
        doc = lxml.html.fromstring(html)
        active = "//img[@onerror] | //*[@onmouseover] | //a[starts-with(@href,'javascript')]"
        assert not doc.xpath(active), path
    report = _html(served_hostile, f"/-/nianbao/report/{rid}")
    shown = agencies.display(x["agency"])  # names are kept without white space
    assert str(escape(shown)) in report
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in report
    assert 'class="not-a-link">javascript:alert(4)' in report  # the address, shown as text
    agency = _html(served_hostile, f"/-/nianbao/agency/{agencies.agency_id(x['agency'])}")
    assert str(escape(shown)) in agency


def test_downloads_neutralise_spreadsheet_formulas(served_hostile, h):
    x = h.HOSTILE
    rid = load.report_id_for(x["agency"], 2021, x["url"])
    # the Excel CSV of a table: the formula-like title is text, numbers stay numbers
    _status, _, body = served_hostile.get("/archive/reports.csvbom")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))}
    assert rows[rid]["title"] == "'" + x["title"]
    assert rows[rid]["year"] == "2021"
    _status, _, body = served_hostile.get(f"/-/nianbao/report/{rid}.csvbom")
    cells = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {c["原文"] for c in cells} == {"'" + x["formula_raw"], "-3"}  # -3 is a number: untouched
    assert {c["数值"] for c in cells} == {"", "-3"}
    # xlsx: text is a string cell (never a formula), numbers are numbers
    _status, _, body = served_hostile.get("/archive/reports.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("id")].value == rid)
    title = row[header.index("title")]
    assert title.data_type == "s" and title.value == x["title"]
    assert row[header.index("year")].value == 2021 and row[header.index("year")].data_type == "n"
    _status, _, body = served_hostile.get(f"/-/nianbao/report/{rid}.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    raw = [r[6] for r in sheet.iter_rows(min_row=2)]
    assert {c.value for c in raw} == {x["formula_raw"], "-3"} and all(c.data_type == "s" for c in raw)


def test_neutralising_keeps_the_plain_figures(h):
    from nianbao.archive import export

    assert export.safe_text("-15") == "-15" and export.safe_text("+3.5") == "+3.5"
    assert export.safe_text("=SUM(A1)") == "'=SUM(A1)" and export.safe_text("@cmd") == "'@cmd"
    assert export.safe_text("-cmd") == "'-cmd" and export.safe_text("广州") == "广州"
    text = export.csv_text(["a", "b"], [[1, "=1+1"], [None, "x"]])
    assert text == "\ufeffa,b\r\n1,'=1+1\r\n,x\r\n"
