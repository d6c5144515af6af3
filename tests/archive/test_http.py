"""The archive as journalists see it: a real Datasette on 127.0.0.1, checked through HTTP.

Every expectation is computed from the truth files (or from the archive file with plain
SQL, for search), never typed in.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from nianbao.archive import load, serve
from nianbao.resources import site_dir

pytestmark = pytest.mark.slow

TOTAL = "总计"


def truths(h):
    return [h.truth(s) for s in h.SEED_IDS]


def csv_rows(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_tables_and_counts(served, h):
    data = served.json("/archive.json")
    counts = {t["name"]: t["count"] for t in data["tables"]}
    ts = truths(h)
    assert counts["reports"] == len(ts) + 1
    assert counts["applications"] == sum(len(t["applications"]) for t in ts)
    assert counts["active_disclosure"] == sum(len(t["active_disclosure"]) for t in ts)
    assert counts["reviews"] == sum(len(t["reviews"]) for t in ts)
    assert counts["sections"] == sum(len(h.split_sections(h.seed_text(s))) for s in h.SEED_IDS) + 1
    # the extra report has a page and a PDF; HISTORY_SEED has an earlier capture
    assert counts["documents"] == len(ts) + 3
    hidden = {t["name"] for t in data["tables"] if t["hidden"]}
    assert {"sections_fts", "reports_fts", "blobs"} <= hidden


def test_status_facet_and_the_configured_facets(served, h):
    data = served.json("/archive/reports.json")
    facets = data["facet_results"]
    assert {"year", "agency", "region", "template", "status"} <= set(facets)
    status = {r["value"]: r["count"] for r in facets["status"]["results"]}
    expected = Counter(h.truth_status(t) for t in truths(h))
    expected["ok"] += 1  # the extra report
    assert status == dict(expected)
    years = {r["value"]: r["count"] for r in facets["year"]["results"]}
    expected_years = defaultdict(int)
    for t in truths(h):
        expected_years[t["year"]] += 1
    expected_years[h.EXTRA["year"]] += 1
    assert years == dict(expected_years)
    # following the facet gives the flagged reports only
    rows = served.rows("/archive/reports.json", status="flagged")
    assert sorted((r["agency"], r["year"]) for r in rows) == sorted(
        (t["agency"], t["year"]) for t in truths(h) if h.truth_status(t) == "flagged")


def _cell(t, row, applicant):
    cells = t["applications"]
    return next((c["value"] for c in cells if c["row"] == row and c["applicant"] == applicant), None)


def test_canned_applications_received(served, h):
    rows = served.rows("/archive/applications_received.json")
    got = {(r["机关"], r["年度"]): (r["新收申请总计"], r["六类申请人之和"]) for r in rows}
    expected = {}
    for t in truths(h):
        parts = [c["value"] for c in t["applications"] if c["row"] == "1" and c["applicant"] != TOTAL
                 and c["value"] is not None]
        expected[(t["agency"], t["year"])] = (_cell(t, "1", TOTAL), sum(parts) if parts else None)
    assert got == expected
    one = served.rows("/archive/applications_received.json", year=2022)
    assert {(r["机关"], r["年度"]) for r in one} == {k for k in expected if k[1] == 2022}


def _row_value(t, row):
    total = _cell(t, row, TOTAL)
    if total is not None:
        return total
    parts = [c["value"] for c in t["applications"] if c["row"] == row and c["applicant"] != TOTAL
             and c["value"] is not None]
    return sum(parts) if parts else None


def _latest_year(h):
    return max([t["year"] for t in truths(h)] + [h.EXTRA["year"]])


def test_canned_refusal_share(served, h):
    def expected_for(ts):
        per_agency = defaultdict(lambda: {"不予公开": 0, "无法提供": 0, "办理结果总计": 0})
        for t in ts:
            rows_in = {c["row"] for c in t["applications"]}
            acc = per_agency[t["agency"]]
            acc["不予公开"] += sum(_row_value(t, r) or 0 for r in rows_in if r.startswith("3.3."))
            acc["无法提供"] += sum(_row_value(t, r) or 0 for r in rows_in if r.startswith("3.4."))
            acc["办理结果总计"] += _row_value(t, "3.7") or 0
        return per_agency

    per_agency = expected_for(truths(h))
    rows = {r["机关"]: r for r in served.rows("/archive/refusal_share.json", year="全部")}
    assert set(rows) == set(per_agency)
    for agency, acc in per_agency.items():
        got = rows[agency]
        assert [got[k] for k in acc] == list(acc.values())
        if acc["办理结果总计"]:
            share = round(100.0 * (acc["不予公开"] + acc["无法提供"]) / acc["办理结果总计"], 1)
            assert got["两者合计占比%"] == share
        else:
            assert got["两者合计占比%"] is None
    # one year; a blank year is the latest year, not every year
    for year, params in ((2020, {"year": 2020}), (_latest_year(h), {})):
        only = served.rows("/archive/refusal_share.json", **params)
        want = expected_for([t for t in truths(h) if t["year"] == year])
        assert {r["机关"]: [r[k] for k in ("不予公开", "无法提供", "办理结果总计")] for r in only} == {
            a: list(acc.values()) for a, acc in want.items()}, year


def h_applicants():
    return ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]


def test_canned_failing_checks_show_both_sides(served, h):
    rows = served.rows("/archive/failing_checks.json")
    expected = []
    for t in truths(h):
        for check in h.compute_checks(t):
            if check["ok"] or check["name"] == "complete":
                continue
            for named in check["cells"]:
                expected.append((t["agency"], t["year"], check["name"], json.dumps(named, sort_keys=True)))
    assert expected, "the seeds include a report whose own numbers do not add up"
    assert {r["校验"] for r in rows} == {e[2] for e in expected}
    assert len(rows) == len(expected)
    t = next(t for t in truths(h) if "row_total" in t["failing_checks"])
    for r in rows:
        assert r["状态"] == "flagged"
        # both sides, with the printed numbers: 「… 总计 0 ≠ 各类申请人之和 1」
        named = json.loads(r["不一致的单元格"])
        row = next(c for c in named if f"「{_label(c['row'])}」" in r["说明"])
        left = _cell(t, row["row"], TOTAL)
        right = sum(_cell(t, row["row"], a) for a in h_applicants())
        assert (r["左边"], r["右边"]) == (left, right) and left != right
        assert r["说明"].endswith(f"总计 {left} ≠ 各类申请人之和 {right}")
    # each row links to the report page
    _status, _, body = served.get("/archive/failing_checks")
    page = body.decode("utf-8")
    rid = rows[0]["报告编号"]
    assert f'href="/-/nianbao/report/{rid}"' in page


def _label(row):
    from nianbao.archive import layout

    return layout.row_label(row)


def test_canned_missing_reports(served, h):
    """Reports loaded without any crawl: an agency's absent year is "not crawled", never missing."""
    seen = defaultdict(set)
    for t in truths(h):
        seen[t["agency"].replace(" ", "")].add(t["year"])
    seen[h.EXTRA["agency"]].add(h.EXTRA["year"])
    for year in sorted({y for ys in seen.values() for y in ys}):
        assert served.rows("/archive/missing_reports.json", year=year) == []
        assert served.rows("/archive/missing_for_year.json", year=year) == []
        rows = served.rows("/archive/coverage_by_year.json", year=year, status="not_crawled")
        assert {r["机关"] for r in rows} == {a for a, ys in seen.items() if year not in ys}, year
    # a blank year means the latest year, not every year
    assert served.rows("/archive/missing_reports.json", year="") == []
    assert served.rows("/archive/coverage_by_year.json", year="", status="not_crawled")


def test_canned_agency_trend_by_partial_name(served, h):
    counts = defaultdict(int)
    for t in truths(h):
        counts[t["agency"]] += 1
    agency = max(counts, key=counts.get)
    assert counts[agency] >= 2, "the seeds hold an agency with two years"
    mine = sorted((t for t in truths(h) if t["agency"] == agency), key=lambda t: t["year"])
    for term in (agency, "协作办"):
        rows = served.rows("/archive/agency_trend.json", agency=term)
        assert {r["机关"] for r in rows} == {agency}, term
        assert [r["年度"] for r in rows] == [t["year"] for t in mine]
        assert [r["新收申请"] for r in rows] == [_cell(t, "1", TOTAL) for t in mine]
        assert rows[0]["新收申请增减"] is None
        for prev, cur, r in zip(mine, mine[1:], rows[1:], strict=False):
            assert r["新收申请增减"] == _cell(cur, "1", TOTAL) - _cell(prev, "1", TOTAL)
    # an alias finds its agency too (seed 003's title names it 「…人民政府 广州开发区管委会」)
    assert {r["机关"] for r in served.rows("/archive/agency_trend.json", agency="开发区管委会")} == {
        h.truth("003_a4b06523178ecf58")["agency"]}
    # nothing found: no rows, and the page says what to try
    assert served.rows("/archive/agency_trend.json", agency="没有这个机关") == []
    assert served.rows("/archive/agency_trend.json", agency="") == []
    _status, _, body = served.get("/archive/agency_trend", agency="没有这个机关")
    assert "empty-hint" in body.decode("utf-8") and "协作办" in body.decode("utf-8")


def _like(served, sql, term):
    con = sqlite3.connect(f"file:{served.db_path}?mode=ro", uri=True)
    try:
        return sorted(r for (r,) in con.execute(sql, [term]))
    finally:
        con.close()


def test_section_search_equals_like(served, search_term):
    like = _like(served, "select id from sections where text like '%' || ? || '%'", search_term)
    rows = served.rows("/archive/sections.json", _search=search_term, _size="max", _col="id")
    assert sorted(r["id"] for r in rows) == like
    status, _, body = served.get("/archive/sections.csv", _search=search_term, _size="max")
    assert status == 200
    assert sorted(int(r["id"]) for r in csv_rows(body)) == like


def test_report_search_equals_like_over_title_agency_and_text(served, search_term):
    like = _like(served, "select rowid from reports where title like '%' || ?1 || '%' "
                 "or agency like '%' || ?1 || '%' or text like '%' || ?1 || '%'", search_term)
    con = sqlite3.connect(served.db_path)
    ids = {rowid: rid for rowid, rid in con.execute("select rowid, id from reports")}
    rows = served.rows("/archive/reports.json", _search=search_term, _size="max")
    assert sorted(r["id"] for r in rows) == sorted(ids[i] for i in like)
    _status, _, body = served.get("/archive/reports.csv", _search=search_term, _size="max")
    assert sorted(r["id"] for r in csv_rows(body)) == sorted(ids[i] for i in like)


def test_search_terms_do_find_something(served):
    # guard against a vacuous equality: most of the terms occur in the seeds
    for term in ["复议", "年报", "档案馆", "12345热线", "复", "政府信息公开", "WWW.hp.GOV", "abc hotline"]:
        assert served.rows("/archive/sections.json", _search=term, _size="max"), term


def test_ranked_search_query_returns_the_same_sections(served):
    rows = served.rows("/archive/search_sections.json", q="复议", _size="max")
    like = _like(served, "select count(*) from sections where text like '%' || ? || '%'", "复议")
    assert len(rows) == like[0] > 0
    assert all("复议" in r["摘录"] for r in rows)


def test_csv_of_all_rows_and_the_excel_csv_with_bom(served, h):
    expected = sum(len(t["applications"]) for t in truths(h))
    assert expected > 100  # more than a page: the download must not stop at the page size
    status, headers, body = served.get("/archive/applications.csv", _stream="on")
    plain = csv_rows(body)
    assert len(plain) == expected
    status, headers, bom = served.get("/archive/applications.csvbom")
    assert status == 200
    assert bom.startswith(b"\xef\xbb\xbf")
    assert "attachment" in headers["content-disposition"]
    assert headers["content-type"].startswith("text/csv")
    assert csv_rows(bom) == plain
    assert bom[3:] == body
    # with a search: the same rows as the JSON
    status, _, found = served.get("/archive/sections.csvbom", _search="复议")
    ids = [r["id"] for r in served.rows("/archive/sections.json", _search="复议", _size="max")]
    assert [int(r["id"]) for r in csv_rows(found)] == ids


def test_scraped_script_is_escaped(served, h):
    rid = load.report_id_for(h.EXTRA["agency"], h.EXTRA["year"], h.EXTRA["url"])
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    section = served.rows("/archive/sections.json", report_id=rid)[0]["id"]
    for path, params in [(f"/archive/reports/{rid}", {}), ("/archive/reports", {}),
                         (f"/archive/sections/{section}", {}),
                         ("/archive/sections", {"_search": "<script>"}),
                         ("/archive/search_sections", {"q": "alert"})]:
        status, _, body = h.http_get(served.url(path, **params))
        page = body.decode("utf-8")
        assert status == 200, path
        assert h.XSS not in page, path
        assert escaped in page, path


def test_report_links_to_its_original_and_its_capture(served, h):
    rid = load.report_id_for(h.EXTRA["agency"], h.EXTRA["year"], h.EXTRA["url"])
    report = served.rows(f"/archive/reports/{rid}.json")[0]
    _status, _, body = h.http_get(served.url(f"/archive/reports/{rid}"))
    page = body.decode("utf-8")
    assert f'href="{h.EXTRA["url"]}"' in page
    assert f'href="/-/nianbao/capture/{report["sha256"]}"' in page


def test_capture_is_a_safe_download_of_the_original_bytes(served, h):
    import hashlib

    sha = hashlib.sha256(h.EXTRA["html"]).hexdigest()
    status, headers, body = h.http_get(served.url(f"/-/nianbao/capture/{sha}"))
    assert status == 200
    assert body == h.EXTRA["html"]
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"] == "application/octet-stream"
    assert "sandbox" in headers["content-security-policy"]
    seed = h.SEED_IDS[0]
    text = h.seed_text(seed).encode("utf-8")
    status, headers, body = h.http_get(served.url(f"/-/nianbao/capture/{hashlib.sha256(text).hexdigest()}"))
    assert body == text and headers["content-type"] == "application/octet-stream"
    assert re.search(r'filename="post_000-[0-9a-f]{12}\.txt"', headers["content-disposition"])
    pdf_sha = hashlib.sha256(h.EXTRA["pdf"]).hexdigest()
    status, headers, body = h.http_get(served.url(f"/-/nianbao/capture/{pdf_sha}"))
    assert body == h.EXTRA["pdf"] and headers["content-type"] == "application/pdf"
    assert re.search(r'attachment; filename="P020220101-[0-9a-f]{12}\.pdf"', headers["content-disposition"])
    assert h.http_get(served.url("/-/nianbao/capture/" + "0" * 64))[0] == 404
    assert h.http_get(served.url("/-/nianbao/capture/not-a-hash"))[0] == 404


def test_read_only_and_time_limited(served):
    # read-only, yet not immutable: `nianbao build` rewrites it while it is served
    # (nianbao_live.py opens it mode=ro and refuses writes; tests/e2e/test_live_rebuild.py)
    dbs = served.json("/-/databases.json")
    assert [d["is_mutable"] for d in dbs if d["name"] == "archive"] == [True]
    assert served.json("/-/settings.json")["sql_time_limit_ms"] == serve.SQL_TIME_LIMIT_MS
    status, _, body = served.get("/archive.json", sql="delete from reports")
    assert status >= 400
    slow = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    status, _, body = served.get("/archive.json", sql=slow)
    assert status >= 400 and b"too long" in body
    assert len(served.rows("/archive/reports.json")) == 6
    # no plugin that writes: only ours (installed entry points, named after the nianbao
    # distribution by Datasette), with the hooks we know
    plugins = served.json("/-/plugins.json")
    assert {p["name"] for p in plugins} == {"nianbao"}
    assert sorted(sorted(p["hooks"]) for p in plugins) == [
        ["asgi_wrapper", "handle_exception", "prepare_connection"], ["asgi_wrapper", "startup"],
        ["canned_queries"],  # nianbao_queries: datasette/queries.yaml
        ["extra_template_vars", "prepare_connection", "startup"],  # nianbao_search: counts and pages
        # from the index, 「超过 10,000 行」 on the page
        ["prepare_jinja2_environment"], ["register_output_renderer"],
        ["register_output_renderer"], ["register_routes"], ["register_routes", "render_cell"],
        ["register_routes", "render_cell"],
    ]


def test_metadata_describes_the_archive_in_chinese(served):
    meta = served.json("/-/metadata.json")
    assert meta["title"] and meta["license"] and meta["source"]
    columns = meta["databases"]["archive"]["tables"]["applications"]["columns"]
    assert "申请人" in columns["applicant"]
    # the canned queries live in datasette/queries.yaml (nianbao_queries.py), listed on /archive
    queries = {q["name"]: q for q in served.json("/archive.json")["queries"]}
    assert {"applications_received", "refusal_share", "failing_checks", "missing_reports",
            "agency_trend", "key_figures"} <= set(queries)
    assert all(re.search(r"[\u4e00-\u9fff]", q["title"]) for q in queries.values())


def test_canned_queries_are_served_as_written_in_queries_yaml(served):
    """Each query of datasette/queries.yaml is listed on /archive with its title, description,
    parameter help and SQL, and runs; none is left in the metadata Datasette copies per check."""
    written = yaml.safe_load((site_dir() / "queries.yaml").read_text(encoding="utf-8"))
    assert len(written) >= 15 and "count_sections" in written
    listed = {q["name"]: q for q in served.json("/archive.json")["queries"]}
    assert set(listed) == set(written)
    for name, query in written.items():
        shown = listed[name]
        assert {k: shown[k] for k in query} == query, name
        assert shown["private"] is False, name
        params = {p: "复议" if p in ("q", "agency") else "" for p in query.get("params_help", {})}
        data = served.json(f"/archive/{name}.json", **params)
        assert data["ok"] is not False and data["columns"], name
    metadata = yaml.safe_load((site_dir() / "metadata.yaml").read_text(encoding="utf-8"))
    assert "queries" not in metadata["databases"]["archive"]
    page = served.get("/archive/count_sections", q="复议")[2].decode("utf-8")
    assert written["count_sections"]["title"] in page and "按子串查找，任意长度均可" in page
    exact = served.rows("/archive/count_sections.json", q="复议")[0]["行数"]
    assert exact == served.json("/archive/sections.json", _search="复议")["filtered_table_rows_count"]


def test_datasette_args_are_read_only_and_use_our_configuration(tmp_path):
    args = serve.datasette_args(tmp_path / "archive.db", host="127.0.0.1", port=8123)
    # not immutable (-i): rebuilt in place while served; read-only through nianbao_live.py
    assert "-i" not in args and args[args.index("serve") + 1] == str((tmp_path / "archive.db").resolve())
    metadata = Path(args[args.index("--metadata") + 1])
    assert metadata.name == "metadata.yaml" and metadata.is_file()
    assert "--plugins-dir" not in args, "the plugins are installed entry points"
    assert args[args.index("--port"):args.index("--port") + 2] == ["--port", "8123"]
    other = tmp_path / "mine.db"
    other.touch()
    argv = serve.datasette_args(other, port=1)
    # served from its own path (published as `archive` by nianbao_live.py), no scratch link
    assert argv[argv.index("serve") + 1] == str(other.resolve())


def test_search_in_one_column_equals_like(served):
    for term in ("年报", "协作", "年"):
        like = _like(served, "select rowid from reports where agency like '%' || ? || '%'", term)
        con = sqlite3.connect(served.db_path)
        ids = dict(con.execute("select rowid, id from reports").fetchall())
        rows = served.rows("/archive/reports.json", _search_agency=term, _size="max")
        assert sorted(r["id"] for r in rows) == sorted(ids[i] for i in like), term


def test_an_empty_search_box_lists_every_row(served):
    rows = served.rows("/archive/sections.json", _search="", _size="max")
    con = sqlite3.connect(served.db_path)
    assert len(rows) == con.execute("select count(*) from sections where text <> ''").fetchone()[0]


def test_serve_runs_in_process_and_stops_on_sigterm(served, h, tmp_path):
    import subprocess
    import sys
    import time

    port = h.free_port()
    code = (f"from nianbao.archive.serve import serve; "
            f"serve({str(served.db_path)!r}, host='127.0.0.1', port={port})")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    proc = subprocess.Popen([sys.executable, "-c", code], **quiet)
    try:
        deadline = time.monotonic() + 60
        while h.http_get_or_none(f"http://127.0.0.1:{port}/-/versions.json") is None:
            assert proc.poll() is None and time.monotonic() < deadline, "serve() did not start"
            time.sleep(0.2)
        status, _, body = h.http_get(f"http://127.0.0.1:{port}/archive/sections.json?_search=%E5%A4%8D")
        assert status == 200 and json.loads(body)["rows"]
        proc.terminate()
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert h.http_get_or_none(f"http://127.0.0.1:{port}/-/versions.json") is None


def test_excel_csv_of_a_canned_query(served):
    status, _headers, body = served.get("/archive/applications_received.csvbom")
    assert status == 200 and body.startswith(b"\xef\xbb\xbf")
    rows = served.rows("/archive/applications_received.json")
    got = csv_rows(body)
    assert [r["报告编号"] for r in got] == [r["报告编号"] for r in rows]
    assert [r["新收申请总计"] for r in got] == [
        "" if r["新收申请总计"] is None else str(r["新收申请总计"]) for r in rows]


def test_coverage_page_escapes_what_it_is_given(served, h):
    status, _, body = served.get("/-/nianbao/coverage", q=h.XSS)
    assert status == 200
    assert h.XSS.encode() not in body and b"&lt;script&gt;" in body
    status, _, body = served.get("/-/nianbao/coverage")
    page = body.decode("utf-8")
    assert status == 200 and h.EXTRA["agency"] in page and 'data-status="on_time"' in page
