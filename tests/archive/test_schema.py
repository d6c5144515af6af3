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


def columns(db, table: str) -> set[str]:
    """Every column, generated ones included (sqlite-utils' columns_dict omits those;
    Datasette, like this, reads PRAGMA table_xinfo)."""
    return {r[1] for r in db.execute(f"PRAGMA table_xinfo([{table}])")}


def test_new_archive_has_the_contract_tables_indexes_and_version(tmp_path):
    db = load.open_archive(tmp_path / "archive.db")
    assert schema.version(db) == schema.SCHEMA_VERSION
    for table, names in CONTRACT.items():
        assert names <= columns(db, table), table
    assert {"sha256", "content", "length"} <= set(db["blobs"].columns_dict)
    indexed = {tuple(i.columns) for i in db["reports"].indexes}
    for facet in ("year", "agency", "region", "template", "status"):
        assert (facet,) in indexed
    fks = {(fk.table, fk.column, fk.other_table) for fk in db["applications"].foreign_keys}
    assert ("applications", "report_id", "reports") in fks
    assert {"sections_fts", "reports_fts"} <= set(db.table_names())


def test_every_contract_column_is_listed_by_table_info(tmp_path):
    """Programs list a table's columns with PRAGMA table_info (sqlite-utils does): a
    generated column is hidden there, so no contract column may be one."""
    db = load.open_archive(tmp_path / "archive.db")
    for table, names in CONTRACT.items():
        assert names <= set(db[table].columns_dict), table


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
    label = db.execute(
        "select row_label from applications where report_id = 'r1' and row = '3.3.1'").fetchone()[0]
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


V2_ARCHIVE = "tests/fixtures/archive/v2.db.gz"


def _v2_archive(h, tmp_path):
    """A version 2 archive as nianbao wrote it (tests/fixtures/archive/README.md)."""
    import gzip
    import shutil

    path = tmp_path / "v2.db"
    with gzip.open(h.REPO / V2_ARCHIVE) as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def _content(con: sqlite3.Connection, columns: dict[str, list[str]] | None = None) -> dict[str, list]:
    """What a reader sees of an archive, independent of its layout: the cells by their
    columns (not their ids), every other table by `columns` (default: all of its own)."""
    cells = {
        "active_disclosure": "report_id, article, item, metric, value, unit, raw, inferred",
        "applications": "report_id, row, row_label, applicant, value, raw, inferred",
        "reviews": "report_id, stage, outcome, value, raw, inferred",
    }
    out = {t: sorted(con.execute(f"select {c} from [{t}]").fetchall(), key=repr) for t, c in cells.items()}
    for table in ("reports", "sections", "checks", "documents", "blobs"):
        names = (columns or {}).get(table) or [r[1] for r in con.execute(f"pragma table_info([{table}])")]
        out[table] = sorted(con.execute(
            f"select {', '.join(f'[{n}]' for n in names)} from [{table}]").fetchall(), key=repr)
    return out


def test_a_version_6_archive_gets_its_row_labels_stored(tmp_path, h):
    """v6 computed applications.row_label (a generated column, hidden from table_info)."""
    from nianbao.template import ROW_LABELS

    path = tmp_path / "v6.db"
    db = load.open_archive(path)
    load.load_report(db, **_v2_loads(h)[0])
    before = db.execute("select report_id, id, row, row_label, applicant, value from applications "
                        "order by report_id, id").fetchall()
    assert before and all(r[3] for r in before)
    cases = " ".join(f"WHEN '{r}' THEN '{label}'" for r, label in ROW_LABELS.items())
    views = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall()
    for name, _ in views:
        db.execute(f"DROP VIEW [{name}]")
    db.execute(f"CREATE TABLE applications_v6 ([report_id] TEXT REFERENCES reports(id), [id] INTEGER, "
               f"[row] TEXT, [row_label] TEXT GENERATED ALWAYS AS (CASE row {cases} END) VIRTUAL, "
               f"[applicant] TEXT, [value] INTEGER, [raw] TEXT, [inferred] INTEGER, "
               f"PRIMARY KEY (report_id, id)) WITHOUT ROWID")
    db.execute("INSERT INTO applications_v6 (report_id, id, row, applicant, value, raw, inferred) "
               "SELECT report_id, id, row, applicant, value, raw, inferred FROM applications")
    db.execute("DROP TABLE applications")
    db.execute("ALTER TABLE applications_v6 RENAME TO applications")
    for _, sql in views:
        db.execute(sql)
    db.execute("PRAGMA user_version = 6")
    db.conn.commit()
    db.close()
    assert "row_label" not in {r[1] for r in sqlite3.connect(path).execute("pragma table_info(applications)")}

    db = load.open_archive(path)
    assert schema.version(db) == schema.SCHEMA_VERSION
    assert "row_label" in db["applications"].columns_dict
    assert db.execute("select report_id, id, row, row_label, applicant, value from applications "
                      "order by report_id, id").fetchall() == before


def _reports_hits(db, term: str) -> tuple[list[int], list[int]]:
    """(rowids reports_fts finds for `term`, rowids LIKE finds in title, agency or text)."""
    q = search.match_query(term)
    return (
        [r for (r,) in db.execute("select rowid from reports_fts where reports_fts match ? order by 1", [q])],
        [r for (r,) in db.execute("select rowid from reports where title like ?1 or agency like ?1 "
                                  "or text like ?1 order by 1", [f"%{term}%"])],
    )


@pytest.mark.parametrize("start", [7, 9])
def test_a_version_7_archive_gets_its_reports_index_with_the_text_first(tmp_path, h, start):
    """v7's reports_fts was (title, agency, text); v8 rebuilds it as (text, title, agency), and
    v10 does for an archive that passed 8 while it was reserved (a step that did nothing)."""
    path = tmp_path / "v7.db"
    db = load.open_archive(path)
    for args in _v2_loads(h):
        load.load_report(db, **args)
    db.execute("DROP TABLE reports_fts")
    db.execute(f"CREATE VIRTUAL TABLE reports_fts USING fts5(title, agency, text, {schema.FTS_OPTIONS})")
    db.conn.executemany(
        "INSERT INTO reports_fts(rowid, title, agency, text) VALUES (?, ?, ?, ?)",
        [(rowid, *map(search.index_tokens, values)) for rowid, *values in db.execute(
            "SELECT rowid, title, agency, text FROM reports").fetchall()],
    )
    db.execute(f"PRAGMA user_version = {start}")
    db.conn.commit()
    terms = ("复议", "档案馆", "复", "修订版新增", "12345热线", "总体情况", "人民政府", "年度报告")
    before = {t: _reports_hits(db, t)[0] for t in terms}
    by_column = db.execute("select rowid from reports_fts where agency match ? order by 1",
                           [search.match_query("测试局")]).fetchall()
    db.close()

    db = load.open_archive(path)
    assert schema.version(db) == schema.SCHEMA_VERSION
    assert [r[1] for r in db.execute("pragma table_info(reports_fts)")] == ["text", "title", "agency"]
    for term in terms:
        found, like = _reports_hits(db, term)
        assert found == like == before[term], term
    assert sum(map(bool, before.values())) >= 5 and by_column
    # a column filter (Datasette's _search_agency) still searches that column only
    assert db.execute("select rowid from reports_fts where agency match ? order by 1",
                      [search.match_query("测试局")]).fetchall() == by_column
    # the index stays in step with loads after the migration: a re-load is unchanged, and a
    # changed reading replaces its entries (a contentless index deletes with the same values)
    loads = _v2_loads(h)
    assert load.load_report(db, **loads[-1]).change == "unchanged"
    load.load_report(db, **loads[0])
    for term in terms:
        found, like = _reports_hits(db, term)
        assert found == like, term


def test_a_version_7_archive_gets_its_single_character_index(tmp_path, h):
    """v9 adds sections_chars (each section's characters): built from the sections, it finds
    what LIKE finds for every character, and loading keeps it in step afterwards."""
    path = tmp_path / "v7.db"
    db = load.open_archive(path)
    loads = _v2_loads(h)
    for args in loads[:2]:
        load.load_report(db, **args)
    db.execute("DROP TABLE sections_chars")
    db.execute("PRAGMA user_version = 7")
    db.conn.commit()
    db.close()
    assert "sections_chars" not in {r for (r,) in sqlite3.connect(path).execute(
        "select name from sqlite_master")}

    db = load.open_archive(path)
    assert schema.version(db) == schema.SCHEMA_VERSION
    ddl = db.execute("select sql from sqlite_master where name = 'sections_chars'").fetchone()[0]
    assert "detail=none" in ddl.replace(" ", "")

    def in_step() -> None:
        texts = [t for (t,) in db.execute("select text from sections")]
        chars = sorted(set("".join(t or "" for t in texts)) | {"镇", "T", "t", "😀"})
        assert len(chars) > 100
        for char in chars:
            assert [r for (r,) in db.execute(
                "select rowid from sections_chars where sections_chars match ? order by 1",
                [search.char_query(char)])] == [r for (r,) in db.execute(
                    "select id from sections where text like ? escape '!' order by 1",
                    ["%" + (f"!{char}" if char in "%_!" else char) + "%"])], char  # LIKE's wildcards

    in_step()
    for args in loads[2:]:  # new reports and an edited one (its old sections leave the index)
        load.load_report(db, **args)
    in_step()


def test_a_version_2_archive_is_migrated_keeping_every_row(tmp_path, h):
    path = _v2_archive(h, tmp_path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2
    before = _content(con)
    v2_columns = {t: [r[1] for r in con.execute(f"pragma table_info([{t}])")]
                  for t in ("reports", "sections", "checks", "documents", "blobs")}
    # v2 numbered every cell of the archive in insertion order (id), the printed order;
    # v5 numbers them within each report and must keep that order
    keys = {"applications": "row, applicant", "reviews": "stage, outcome",
            "active_disclosure": "article, item, metric"}
    order = {t: con.execute(f"select report_id, {k} from [{t}] order by report_id, id").fetchall()
             for t, k in keys.items()}
    con.close()

    db = load.open_archive(path)
    assert schema.version(db) == schema.SCHEMA_VERSION
    assert _content(db.conn, v2_columns) == before  # later versions add columns, lose nothing
    for table, k in keys.items():
        assert db.execute(f"select report_id, {k} from [{table}] order by report_id, id").fetchall() == \
            order[table], table
    # the search indexes were rebuilt without the prefix index and find what LIKE finds
    fts_sql = db.execute("select sql from sqlite_master where name = 'sections_fts'").fetchone()[0]
    assert "prefix" not in fts_sql
    # version 8: the reports' index has the text first (no column marker on its entries)
    assert [r[1] for r in db.execute("pragma table_info(reports_fts)")] == ["text", "title", "agency"]
    for term in ("复议", "档案馆", "复", "修订版新增", "12345热线", "总体情况"):
        q = search.match_query(term)
        assert [r for (r,) in db.execute(
            "select rowid from sections_fts where sections_fts match ? order by 1", [q])] == \
            [r for (r,) in db.execute("select id from sections where text like ? order by 1", [f"%{term}%"])]
        assert [r for (r,) in db.execute(
            "select rowid from reports_fts where reports_fts match ? order by 1", [q])] == \
            [r for (r,) in db.execute("select rowid from reports where title like ?1 or agency like ?1 "
                                      "or text like ?1 order by 1", [f"%{term}%"])]
    # both versions of the edited report are still there, with their bytes
    assert db.execute("select count(*) from documents").fetchone()[0] == 5
    assert db.execute("select count(*) from blobs").fetchone()[0] == 5
    # what v2 loaded last, offered again, is unchanged: not one row is written
    changes = db.conn.total_changes
    loads = _v2_loads(h)
    for args in loads[1:]:  # the first reading of seed 000 was replaced by the last one
        assert load.load_report(db, **args).change == "unchanged", args["url"]
    assert db.conn.total_changes == changes


def _v2_loads(h) -> list[dict]:
    """The load_report arguments that wrote v2.db, in order (tests/fixtures/archive)."""
    import base64
    import gzip
    import json

    with gzip.open(h.REPO / "tests/fixtures/archive/v2_loads.json.gz", "rt", encoding="utf-8") as f:
        loads = json.load(f)["loads"]
    for args in loads:
        for doc in args["documents"]:
            if doc.get("content") is not None:
                doc["content"] = base64.b64decode(doc["content"])
    return loads


def test_every_search_index_holds_a_batch_in_memory(tmp_path):
    """Version 11: the indexes' pending-entries budget (FTS5 hashsize) is 16 MiB, in a new
    archive and, after the migration, in an archive made before it."""
    def hashsizes(db):
        return {name: db.execute(f"SELECT v FROM {name}_config WHERE k = 'hashsize'").fetchone()
                for name in ("sections_fts", "reports_fts", "sections_chars")}

    db = load.open_archive(tmp_path / "new.db")
    assert hashsizes(db) == dict.fromkeys(hashsizes(db), (schema.FTS_HASHSIZE,))
    for name in ("sections_fts", "reports_fts", "sections_chars"):
        db.execute(f"DELETE FROM {name}_config WHERE k = 'hashsize'")  # as version 10 left them
    db.execute("PRAGMA user_version = 10")
    db.conn.commit()
    db.conn.close()
    again = load.open_archive(tmp_path / "new.db")
    assert schema.version(again) == schema.SCHEMA_VERSION
    assert hashsizes(again) == dict.fromkeys(hashsizes(again), (schema.FTS_HASHSIZE,))
