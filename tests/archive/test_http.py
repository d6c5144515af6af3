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

from nianbao.archive import load, serve
from nianbao.contract import report_status

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
    assert counts["documents"] == len(ts) + 2  # the extra report has a page and a PDF
    hidden = {t["name"] for t in data["tables"] if t["hidden"]}
    assert {"sections_fts", "reports_fts", "blobs"} <= hidden


def test_status_facet_and_the_configured_facets(served, h):
    data = served.json("/archive/reports.json")
    facets = data["facet_results"]
    assert {"year", "agency", "region", "template", "status"} <= set(facets)
    status = {r["value"]: r["count"] for r in facets["status"]["results"]}
    expected = Counter(_truth_status(t) for t in truths(h))
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
        (t["agency"], t["year"]) for t in truths(h) if _truth_status(t) == "flagged")


def _truth_status(t):
    return report_status({"name": n, "ok": False} for n in t["failing_checks"])


def _cell(t, row, applicant):
    cells = t["applications"]
    return next((c["value"] for c in cells if c["row"] == row and c["applicant"] == applicant), None)


def test_canned_applications_received(served, h):
    rows = served.rows("/archive/applications_received.json")
    got = {(r["agency"], r["year"]): (r["received"], r["applicant_sum"]) for r in rows}
    expected = {}
    for t in truths(h):
        parts = [c["value"] for c in t["applications"] if c["row"] == "1" and c["applicant"] != TOTAL
                 and c["value"] is not None]
        expected[(t["agency"], t["year"])] = (_cell(t, "1", TOTAL), sum(parts) if parts else None)
    assert got == expected


def _row_value(t, row):
    total = _cell(t, row, TOTAL)
    if total is not None:
        return total
    parts = [c["value"] for c in t["applications"] if c["row"] == row and c["applicant"] != TOTAL
             and c["value"] is not None]
    return sum(parts) if parts else None


def test_canned_refusal_share(served, h):
    rows = {r["agency"]: r for r in served.rows("/archive/refusal_share.json")}
    per_agency = defaultdict(lambda: {"refused": 0, "unable": 0, "handled": 0})
    for t in truths(h):
        rows_in = {c["row"] for c in t["applications"]}
        acc = per_agency[t["agency"]]
        acc["refused"] += sum(_row_value(t, r) or 0 for r in rows_in if r.startswith("3.3."))
        acc["unable"] += sum(_row_value(t, r) or 0 for r in rows_in if r.startswith("3.4."))
        acc["handled"] += _row_value(t, "3.7") or 0
    assert set(rows) == set(per_agency)
    for agency, acc in per_agency.items():
        got = rows[agency]
        keys = ("refused", "unable", "handled")
        assert [got[k] for k in keys] == [acc[k] for k in keys]
        if acc["handled"]:
            share = round(100.0 * (acc["refused"] + acc["unable"]) / acc["handled"], 1)
            assert got["refused_or_unable_pct"] == share
        else:
            assert got["refused_or_unable_pct"] is None
    # restricted to one year
    year = h.truth(h.SEED_IDS[1])["year"]
    only = served.rows("/archive/refusal_share.json", year=year)
    assert {r["agency"] for r in only} == {t["agency"] for t in truths(h) if t["year"] == year}


def test_canned_failing_checks(served, h):
    rows = served.rows("/archive/failing_checks.json")
    expected = {(t["agency"], t["year"], name) for t in truths(h) for name in t["failing_checks"]}
    assert expected, "the seeds include a report whose own numbers do not add up"
    assert {(r["agency"], r["year"], r["check_name"]) for r in rows} == expected
    for r in rows:
        cells = json.loads(r["failing_cells"])
        assert cells and all(c["table"] == "applications" for c in cells)
    # seed 001 prints a 总计 of 0 beside a 自然人 of 1 in row 1: that cell is named, with its value
    t = next(t for t in truths(h) if "row_total" in t["failing_checks"])
    row = next(r for r in rows if r["check_name"] == "row_total")
    assert {"table": "applications", "row": "1", "applicant": TOTAL} in json.loads(row["failing_cells"])
    assert f"1 {TOTAL} = {_cell(t, '1', TOTAL)}" in row["printed_values"].split("; ")
    assert len(row["printed_values"].split("; ")) == len(json.loads(row["failing_cells"]))


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
        assert {r["agency"] for r in rows} == {a for a, ys in seen.items() if year not in ys}, year


def test_canned_agency_trend(served, h):
    counts = defaultdict(int)
    for t in truths(h):
        counts[t["agency"]] += 1
    agency = max(counts, key=counts.get)
    assert counts[agency] >= 2, "the seeds hold an agency with two years"
    rows = served.rows("/archive/agency_trend.json", agency=agency)
    mine = sorted((t for t in truths(h) if t["agency"] == agency), key=lambda t: t["year"])
    assert [r["year"] for r in rows] == [t["year"] for t in mine]
    assert [r["received"] for r in rows] == [_cell(t, "1", TOTAL) for t in mine]
    assert rows[0]["received_change"] is None
    for prev, cur, r in zip(mine, mine[1:], rows[1:], strict=False):
        assert r["received_change"] == _cell(cur, "1", TOTAL) - _cell(prev, "1", TOTAL)
    assert served.rows("/archive/agency_trend.json", agency="没有这个机关") == []


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
    assert all("复议" in r["excerpt"] for r in rows)


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
    dbs = served.json("/-/databases.json")
    assert [d["is_mutable"] for d in dbs if d["name"] == "archive"] == [False]
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
        ["prepare_connection"], ["register_output_renderer"], ["register_routes"],
        ["register_routes", "render_cell"],
    ]


def test_metadata_describes_the_archive_in_chinese(served):
    meta = served.json("/-/metadata.json")
    assert meta["title"] and meta["license"] and meta["source"]
    columns = meta["databases"]["archive"]["tables"]["applications"]["columns"]
    assert "申请人" in columns["applicant"]
    queries = meta["databases"]["archive"]["queries"]
    assert {"applications_received", "refusal_share", "failing_checks", "missing_reports",
            "agency_trend"} <= set(queries)


def test_datasette_args_are_read_only_and_use_our_configuration(tmp_path):
    args = serve.datasette_args(tmp_path / "archive.db", host="127.0.0.1", port=8123)
    assert args[args.index("-i") + 1] == str((tmp_path / "archive.db").resolve())
    metadata = Path(args[args.index("--metadata") + 1])
    assert metadata.name == "metadata.yaml" and metadata.is_file()
    assert "--plugins-dir" not in args, "the plugins are installed entry points"
    assert args[args.index("--port"):args.index("--port") + 2] == ["--port", "8123"]
    other = tmp_path / "mine.db"
    other.touch()
    argv = serve.datasette_args(other, port=1)
    linked = Path(argv[argv.index("-i") + 1])
    assert linked.name == "archive.db" and linked.resolve() == other.resolve()


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
    assert [r["report_id"] for r in got] == [r["report_id"] for r in rows]
    assert [r["received"] for r in got] == ["" if r["received"] is None else str(r["received"]) for r in rows]


def test_coverage_page_escapes_what_it_is_given(served, h):
    status, _, body = served.get("/-/nianbao/coverage", q=h.XSS)
    assert status == 200
    assert h.XSS.encode() not in body and b"&lt;script&gt;" in body
    status, _, body = served.get("/-/nianbao/coverage")
    page = body.decode("utf-8")
    assert status == 200 and h.EXTRA["agency"] in page and 'data-status="on_time"' in page
