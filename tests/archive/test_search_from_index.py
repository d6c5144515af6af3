"""A search page reads its count and its rows from the search index: LIKE's count and rows.

Datasette 0.65 counts a `_search` page with one lookup in the table per matching row and
evaluates the whole match before taking a page of it; the plugin
(datasette/plugins/nianbao_search.py) has both read from the index instead. Checked on a
real Datasette in this process (its own SQL trace shows what ran), against LIKE in sqlite3.
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


@pytest.fixture(scope="module")
def traced(tmp_path_factory, h):
    """GET path -> (JSON, the SQL Datasette ran), from a Datasette serving the test archive."""
    from datasette.app import Datasette

    path = tmp_path_factory.mktemp("count") / "archive.db"
    h.build_archive(path).close()
    metadata = yaml.safe_load((site_dir() / "metadata.yaml").read_text(encoding="utf-8"))
    # the plugins are installed with nianbao: Datasette loads them through its entry point
    ds = Datasette([], immutables=[str(path)], metadata=metadata, settings={"trace_debug": True})

    async def get(url: str):
        await ds.invoke_startup()
        r = await ds.client.get(url + ("&" if "?" in url else "?") + "_trace=1")
        assert r.status_code == 200, r.text[:500]
        data = r.json()
        return data, [t["sql"] for t in data["_trace"]["traces"] if t.get("type") == "sql"]

    yield path, lambda url: asyncio.run(get(url))


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
    counts = [s for s in sqls if s.startswith("select count(*)")]
    assert counts == ["select count(*) from [sections_fts] where [sections_fts] match escape_fts(:search)"]


def test_report_search_count_is_read_from_the_index_and_equals_like(traced, search_term):
    path, get = traced
    data, sqls = get("/archive/reports.json?_search=" + urllib.parse.quote(search_term))
    assert data["filtered_table_rows_count"] == like_count(
        path, "select count(*) from reports where title like '%' || ?1 || '%' "
        "or agency like '%' || ?1 || '%' or text like '%' || ?1 || '%'", search_term)
    assert "select count(*) from [reports_fts] where [reports_fts] match escape_fts(:search)" in sqls


def test_a_column_search_is_counted_from_its_column(traced):
    path, get = traced
    data, sqls = get("/archive/reports.json?_search_agency=" + urllib.parse.quote("协作"))
    assert data["filtered_table_rows_count"] == like_count(
        path, "select count(*) from reports where agency like '%' || ? || '%'", "协作") > 0
    assert "select count(*) from [reports_fts] where [agency] match escape_fts(:search_0)" in sqls


def test_other_counts_are_datasettes_own(traced):
    path, get = traced
    data, sqls = get("/archive/sections.json?_search=" + urllib.parse.quote("复议") + "&number=1")
    assert data["filtered_table_rows_count"] == like_count(
        path, "select count(*) from sections where number = 1 and text like '%' || ? || '%'", "复议")
    assert not any("[sections_fts] match" in s and s.startswith("select count(*) from [") for s in sqls)
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
