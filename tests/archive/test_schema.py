"""Schema: a new archive has the contract's tables; an older archive is migrated in place."""

from __future__ import annotations

import sqlite3

import pytest

from nianbao.archive import load, schema, search

CONTRACT = {
    "reports": {"id", "agency", "year", "title", "template", "url", "published", "fetched_at", "sha256",
                "status"},
    "sections": {"report_id", "number", "heading", "text"},
    "active_disclosure": {"report_id", "article", "item", "metric", "value", "unit", "raw"},
    "applications": {"report_id", "row", "row_label", "applicant", "value", "raw"},
    "reviews": {"report_id", "stage", "outcome", "value", "raw"},
    "checks": {"report_id", "name", "ok", "cells"},
    "documents": {"url", "sha256", "content_type", "fetched_at", "report_id"},
}


def test_new_archive_has_the_contract_tables_indexes_and_version(tmp_path):
    db = load.open_archive(tmp_path / "archive.db")
    assert schema.version(db) == schema.SCHEMA_VERSION
    for table, columns in CONTRACT.items():
        assert columns <= set(db[table].columns_dict), table
    assert {"sha256", "content", "length"} <= set(db["blobs"].columns_dict)
    indexed = {tuple(i.columns) for i in db["reports"].indexes}
    for facet in ("year", "agency", "region", "template", "status"):
        assert (facet,) in indexed
    fks = {(fk.table, fk.column, fk.other_table) for fk in db["applications"].foreign_keys}
    assert ("applications", "report_id", "reports") in fks
    assert {"sections_fts", "reports_fts"} <= set(db.table_names())


def test_opening_twice_is_harmless(tmp_path):
    load.open_archive(tmp_path / "a.db").close()
    db = load.open_archive(tmp_path / "a.db")
    assert schema.version(db) == schema.SCHEMA_VERSION


def _version_1_by_hand(path) -> None:
    """An archive as version 1 wrote it: the contract's columns only, no blobs, no search index."""
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE reports (id TEXT PRIMARY KEY, agency TEXT, year INTEGER, title TEXT, template TEXT,
            url TEXT, published TEXT, fetched_at TEXT, sha256 TEXT, status TEXT);
        CREATE TABLE sections (id INTEGER PRIMARY KEY, report_id TEXT REFERENCES reports(id),
            number INTEGER, heading TEXT, text TEXT);
        CREATE TABLE active_disclosure (id INTEGER PRIMARY KEY, report_id TEXT REFERENCES reports(id),
            article TEXT, item TEXT, metric TEXT, value ANY, unit TEXT, raw TEXT);
        CREATE TABLE applications (id INTEGER PRIMARY KEY, report_id TEXT REFERENCES reports(id),
            row TEXT, row_label TEXT, applicant TEXT, value INTEGER, raw TEXT);
        CREATE TABLE reviews (id INTEGER PRIMARY KEY, report_id TEXT REFERENCES reports(id),
            stage TEXT, outcome TEXT, value INTEGER, raw TEXT);
        CREATE TABLE checks (id INTEGER PRIMARY KEY, report_id TEXT REFERENCES reports(id),
            name TEXT, ok INTEGER, cells TEXT);
        CREATE TABLE documents (id INTEGER PRIMARY KEY, url TEXT, sha256 TEXT, content_type TEXT,
            fetched_at TEXT, report_id TEXT REFERENCES reports(id));
        INSERT INTO reports VALUES ('r1', '广州市协作办公室', 2020, '广州市协作办公室2020年年报', '2019',
            'https://www.gz.gov.cn/a.html', '2021-01-31', '2021-02-01T00:00:00', 'aa', 'ok');
        INSERT INTO sections VALUES (1, 'r1', 1, '一、总体情况', '行政复议案件0件，档案馆开放。');
        INSERT INTO sections VALUES (2, 'r1', 2, '二、主动公开政府信息情况', '无');
        INSERT INTO applications VALUES (1, 'r1', '3.3.1', NULL, '自然人', 0, '0');
        INSERT INTO documents VALUES (1, 'https://www.gz.gov.cn/a.html', 'aa', 'text/html', '2021-02-01',
            'r1');
        PRAGMA user_version = 1;
    """)
    con.commit()
    con.close()


def test_version_1_archive_is_migrated_keeping_its_rows(tmp_path, h):
    path = tmp_path / "old.db"
    _version_1_by_hand(path)
    db = load.open_archive(path)
    assert schema.version(db) == schema.SCHEMA_VERSION == max(schema.MIGRATIONS)
    assert db["reports"].get("r1")["agency"] == "广州市协作办公室"
    # the pages' tables: the agency, version 1 of the report, the key figures view
    agency_id = db["reports"].get("r1")["agency_id"]
    assert db["agencies"].get(agency_id)["name"] == "广州市协作办公室"
    assert [(r["report_id"], r["version"]) for r in db.query("select * from report_versions")] == [("r1", 1)]
    assert [r["report_id"] for r in db.query("select report_id from report_figures")] == ["r1"]
    assert {"region", "flags", "text", "digest"} <= set(db["reports"].columns_dict)
    assert "blobs" in db.table_names()
    label = db.execute("select row_label from applications where id = 1").fetchone()[0]
    assert label == schema.APPLICATION_ROW_LABELS["3.3.1"]
    for term in ("复议", "档案馆", "复", "总体情况"):
        hits = [r for (r,) in db.execute("select rowid from sections_fts where sections_fts match ?",
                                         [search.match_query(term)])]
        like = [r for (r,) in db.execute("select id from sections where text like ?", [f"%{term}%"])]
        assert hits == like, term
    assert [r for (r,) in db.execute("select rowid from reports_fts where reports_fts match ?",
                                     [search.match_query("年报")])] == [1]
    # the migrated archive takes new reports and keeps the old ones
    load.load_report(db, **h.seed_load_args(h.SEED_IDS[0]))
    assert db.execute("select count(*) from reports").fetchone()[0] == 2
    assert db.execute("select count(*) from documents").fetchone()[0] == 2


def test_an_archive_from_a_newer_program_is_refused(tmp_path):
    path = tmp_path / "new.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        load.open_archive(path)


def test_a_failing_migration_leaves_the_file_at_its_old_version(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    _version_1_by_hand(path)

    def broken(db):
        db["reports"].add_column("region", str)
        raise RuntimeError("disk full")

    monkeypatch.setitem(schema.MIGRATIONS, 2, broken)
    with pytest.raises(RuntimeError, match="disk full"):
        load.open_archive(path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "region" not in {r[1] for r in con.execute("PRAGMA table_info(reports)")}
