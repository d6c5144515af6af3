"""A search page reads its count and its rows from the search index: LIKE's count and rows.

Datasette 0.65 counts a `_search` page with one lookup in the table per matching row and
evaluates the whole match before taking a page of it; the plugin
(datasette/plugins/nianbao_search.py) has both read from the index instead, stops counting
above a limit (the count is then unknown, never wrong) and reads one-character terms from
the single-character index. Checked on a real Datasette in this process (its own SQL trace
shows what ran), against LIKE in sqlite3.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sqlite3
import urllib.parse

import pytest
import yaml

from nianbao.resources import site_dir


def plugin():
    return importlib.import_module("nianbao.site.plugins.nianbao_search")


def _serve(path, count_limit: int | None = None):
    """GET path -> (JSON, the SQL Datasette ran); GET path with html=True -> the page."""
    from datasette.app import Datasette

    metadata = yaml.safe_load((site_dir() / "metadata.yaml").read_text(encoding="utf-8"))
    if count_limit is not None:
        metadata["plugins"] = {"nianbao_search": {"count_limit": count_limit}}
    # the plugins are installed with nianbao: Datasette loads them through its entry point
    ds = Datasette([], immutables=[str(path)], metadata=metadata, settings={"trace_debug": True},
                   template_dir=str(site_dir() / "templates"))

    async def get(url: str, html: bool = False):
        await ds.invoke_startup()
        if html:
            r = await ds.client.get(url)
            assert r.status_code == 200, r.text[:500]
            return r.text
        r = await ds.client.get(url + ("&" if "?" in url else "?") + "_trace=1")
        assert r.status_code == 200, r.text[:500]
        data = r.json()
        return data, [t["sql"] for t in data["_trace"]["traces"] if t.get("type") == "sql"]

    return lambda url, html=False: asyncio.run(get(url, html))


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory, h):
    path = tmp_path_factory.mktemp("count") / "archive.db"
    h.build_archive(path).close()
    return path


@pytest.fixture(scope="module")
def traced(archive_path):
    return archive_path, _serve(archive_path)


def capped_count(fts: str, column: str | None = None, param: str = "search", limit: int = 10_000) -> str:
    return (f"select case when count(*) > {limit} then null else count(*) end from (select rowid from "
            f"[{fts}] where [{column or fts}] match escape_fts(:{param}) limit {limit + 1})")


def like_count(path, sql: str, term: str) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(sql, [term]).fetchone()[0]
    finally:
        con.close()


def test_section_search_count_is_read_from_the_index_and_equals_like(traced, search_term):
    path, get = traced
    data, sqls = get("/archive/sections.json?_search=" + urllib.parse.quote(search_term))
    assert data["filtered_table_rows_count"] == like_count(
        path, "select count(*) from sections where text like '%' || ? || '%'", search_term)
    counts = [s for s in sqls if s.startswith("select case when count(*)")]
    if len(search_term) == 1:  # one character: the single-character index
        assert counts == [capped_count("sections_fts").replace(
            "[sections_fts] where [sections_fts] match escape_fts", "[sections_chars] where [sections_chars] "
            "match escape_char")]
    else:
        assert counts == [capped_count("sections_fts")]


def test_report_search_count_is_read_from_the_index_and_equals_like(traced, search_term):
    path, get = traced
    data, sqls = get("/archive/reports.json?_search=" + urllib.parse.quote(search_term))
    assert data["filtered_table_rows_count"] == like_count(
        path, "select count(*) from reports where title like '%' || ?1 || '%' "
        "or agency like '%' || ?1 || '%' or text like '%' || ?1 || '%'", search_term)
    assert capped_count("reports_fts") in sqls  # reports have no single-character index


def test_a_column_search_is_counted_from_its_column(traced):
    path, get = traced
    data, sqls = get("/archive/reports.json?_search_agency=" + urllib.parse.quote("协作"))
    assert data["filtered_table_rows_count"] == like_count(
        path, "select count(*) from reports where agency like '%' || ? || '%'", "协作") > 0
    assert capped_count("reports_fts", "agency", "search_0") in sqls


def test_other_counts_are_datasettes_own(traced):
    path, get = traced
    data, sqls = get("/archive/sections.json?_search=" + urllib.parse.quote("复议") + "&number=1")
    assert data["filtered_table_rows_count"] == like_count(
        path, "select count(*) from sections where number = 1 and text like '%' || ? || '%'", "复议")
    assert not any("[sections_fts] match" in s and s.startswith("select case when") for s in sqls)
    data, sqls = get("/archive/sections.json?text__contains=" + urllib.parse.quote("复议"))
    assert any(s.startswith("select count(*) from sections where") for s in sqls)


def test_only_the_configured_index_of_a_table_is_trusted():
    count_from_index = plugin().count_from_index
    sql = ("select count(*) from sections where id in (select rowid from [sections_fts] "
           "where [sections_fts] match escape_fts(:search)) ")
    fts = {"sections": ("sections_fts", "id")}
    assert count_from_index(sql, fts) == (
        "select count(*) from [sections_fts] where [sections_fts] match escape_fts(:search)")
    assert count_from_index(sql, {"sections": ("other_fts", "id")}) is None
    assert count_from_index(sql, {"sections": ("sections_fts", "rowid")}) is None
    assert count_from_index(sql, {}) is None
    assert count_from_index(sql.replace(":search)", ":search) and 1)"), fts) is None
    assert count_from_index(sql + "and number = 1", fts) is None
    json.dumps(fts)  # plain data: the plugin reads it from metadata


def test_search_pages_are_read_from_the_index_and_page_through_every_like_row(traced):
    """Page after page (_next), the rows are exactly LIKE's, in id order; each page's rows
    come from the index (its order by rowid limit), not from the whole match."""
    path, get = traced
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    expected = [r for (r,) in con.execute("select id from sections where text like '%复%' order by id")]
    con.close()
    assert len(expected) > 6
    got, url, pages = [], "/archive/sections.json?_search=" + urllib.parse.quote("复") + "&_size=3", 0
    while url:
        data, sqls = get(url)
        got += [row[0] for row in data["rows"]]
        pages += 1
        rows_sql = [s for s in sqls if s.startswith("select id, report_id")]
        assert len(rows_sql) == 1 and "order by rowid limit 4)" in rows_sql[0], rows_sql
        assert "select rowid from [sections_chars] where [sections_chars] match escape_char(:search)" \
            in rows_sql[0]
        assert ("rowid > :p1" in rows_sql[0]) == (pages > 1)
        nxt = data.get("next")
        url = f"/archive/sections.json?_search={urllib.parse.quote('复')}&_size=3&_next={nxt}" \
            if nxt else None
    assert got == expected and pages == -(-len(expected) // 3)


def test_pages_in_another_order_are_datasettes_own(traced):
    path, get = traced
    data, sqls = get("/archive/sections.json?_search=" + urllib.parse.quote("复") + "&_sort_desc=number")
    rows_sql = [s for s in sqls if s.startswith("select id, report_id")]
    assert rows_sql and "order by rowid" not in rows_sql[0]
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    expected = con.execute("select count(*) from sections where text like '%复%'").fetchone()[0]
    con.close()
    assert data["filtered_table_rows_count"] == expected


def test_a_page_is_only_read_from_an_index_keyed_like_its_table():
    page_from_index = plugin().page_from_index
    sql = ("select id, text from sections where id in (select rowid from sections_fts where sections_fts "
           "match escape_fts(:search)) and ((id > :p1)) order by id limit 51")
    assert page_from_index(sql, {"sections": ("sections_fts", "id")}) == (
        "select id, text from [sections] where [id] in (select rowid from [sections_fts] where "
        "[sections_fts] match escape_fts(:search) and rowid > :p1 order by rowid limit 51) "
        "and [id] > :p1 order by [id] limit 51")
    fts = {"sections": ("sections_fts", "id")}
    assert page_from_index(sql, {}) is None
    assert page_from_index(sql, {"sections": ("sections_fts", "rowid")}) is None
    assert page_from_index(sql.replace("order by id", "order by number"), fts) is None
    assert page_from_index(sql.replace("limit 51", "limit 51 offset 5"), fts) is None


def test_the_count_stops_at_the_limit_and_is_then_unknown_never_wrong(archive_path, search_term):
    """Below or at the limit the count is exact; above it the JSON count is null and the page
    says 「超过 … 行」, linking the canned query whose count is exact."""
    limit = like_count(archive_path, "select count(*) from sections where text like '%' || ? || '%'", "复议")
    get = _serve(archive_path, count_limit=limit)
    expected = like_count(archive_path, "select count(*) from sections where text like '%' || ? || '%'",
                          search_term)
    url = "/archive/sections?_search=" + urllib.parse.quote(search_term)
    data, sqls = get(url.replace("sections?", "sections.json?"))
    assert any(s.startswith(f"select case when count(*) > {limit} then null") for s in sqls), sqls
    page = get(url, html=True)
    exact = get("/archive/count_sections.json?q=" + urllib.parse.quote(search_term))[0]["rows"]
    assert exact == [[expected]]  # the canned query: exact, whatever the limit
    if expected <= limit:
        assert data["filtered_table_rows_count"] == expected
        assert f"{expected:,} 行" in page and "超过" not in page
    else:
        assert data["filtered_table_rows_count"] is None
        assert f"超过 {limit:,} 行" in page
        link = f"/archive/count_sections?q={urllib.parse.quote(search_term)}"
        assert f'href="{link}"' in page.replace("&amp;", "&")


def test_the_limit_is_crossed_by_some_terms_and_not_others(archive_path, h):
    """The limit test above sees both sides of the limit (and the limit itself)."""
    counts = {t: like_count(archive_path, "select count(*) from sections where text like '%' || ? || '%'", t)
              for t in h.SEARCH_TERMS}
    limit = counts["复议"]
    assert limit > 1 and any(c > limit for c in counts.values()) and any(c < limit for c in counts.values())


def test_a_page_below_the_limit_after_one_above_it_shows_its_own_count(archive_path):
    get = _serve(archive_path, count_limit=1)
    assert "超过 1 行" in get("/archive/sections?_search=" + urllib.parse.quote("复"), html=True)
    none = get("/archive/sections?_search=" + urllib.parse.quote("不存在的词语"), html=True)
    assert "超过" not in none and "0 行" in none
    # a search of the reports' agency column: above the limit, no canned query counts a column
    page = get("/archive/reports?_search_agency=" + urllib.parse.quote("政府"), html=True)
    assert "超过 1 行" in page and "/archive/count_reports" not in page


def test_one_character_terms_use_the_character_index_only_where_it_holds():
    single_char_index = plugin().single_char_index
    sql = "select rowid from [sections_fts] where [sections_fts] match escape_fts(:search) limit 11"
    chars = {"sections_fts": "sections_chars"}
    assert single_char_index(sql, {"search": "镇"}, chars) == (
        "select rowid from [sections_chars] where [sections_chars] match escape_char(:search) limit 11")
    for term in ("复议", "", "12345热线", None):
        assert single_char_index(sql, {"search": term}, chars) == sql
    assert single_char_index(sql, {"search": "镇"}, {}) == sql
    assert single_char_index(sql, ["镇"], chars) == sql
    column = sql.replace("where [sections_fts] match", "where [text] match")
    assert single_char_index(column, {"search": "镇"}, chars) == column
