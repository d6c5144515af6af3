"""The search page counts its rows from the search index, and the count is the LIKE count.

Datasette 0.65 counts a `_search` page with one lookup in the table per matching row; the
plugin (datasette/plugins/nianbao_search.py) has it read the same number from the index.
Checked on a real Datasette in this process (its own SQL trace shows what ran), against
LIKE in sqlite3.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sqlite3
import urllib.parse

import pytest
import yaml

from nianbao.archive import serve


def plugin():
    spec = importlib.util.spec_from_file_location(
        "nianbao_search", serve.CONFIG_DIR / "plugins" / "nianbao_search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def traced(tmp_path_factory, h):
    """GET path -> (JSON, the SQL Datasette ran), from a Datasette serving the test archive."""
    from datasette.app import Datasette

    path = tmp_path_factory.mktemp("count") / "archive.db"
    h.build_archive(path).close()
    metadata = yaml.safe_load((serve.CONFIG_DIR / "metadata.yaml").read_text(encoding="utf-8"))
    ds = Datasette([], immutables=[str(path)], metadata=metadata,
                   plugins_dir=str(serve.CONFIG_DIR / "plugins"), settings={"trace_debug": True})

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
