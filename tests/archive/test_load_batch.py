"""The bulk path: load_reports writes many reports per transaction with load_report's guarantees.

Each guarantee is checked on the batch: every report whole or not at all (a report that
fails in the middle of its writes is refused alone, the rest of its batch loads), nothing
written on a re-load, every capture kept, stable ids, and the search indexes in step with
the tables they index.
"""

from __future__ import annotations

import copy
import sqlite3

import pytest

from nianbao.archive import load, search

TERMS = ["复议", "年报", "档案馆", "12345热线", "复", "政府信息公开", "总体情况", "修订版新增"]


def items(h) -> list[load.LoadItem]:
    return [load.LoadItem(**h.seed_load_args(s)) for s in h.SEED_IDS] + [load.LoadItem(**h.extra_load_args())]


def in_between_year(h) -> load.LoadItem:
    """Seed 000 (2020) as if its agency had published it again for 2021: with seed 001 (2022)
    the agency has three consecutive years, which the year checks compare."""
    args = h.seed_load_args(h.SEED_IDS[0])
    args["report"]["year"] = 2021
    args["url"] = args["url"].replace(".html", "_2021.html")
    args["documents"] = [h.document(args["url"], b"2021\n" + h.seed_text(h.SEED_IDS[0]).encode("utf-8"))]
    return load.LoadItem(**args)


def dump(db) -> dict[str, list[tuple]]:
    """Every row of every table the loader writes, in a stable order (rowids included)."""
    out = {}
    for table in ("reports", "sections", "active_disclosure", "applications", "reviews", "checks",
                  "documents", "blobs", "report_versions", "year_checks", "copies", "agencies",
                  "agency_names"):
        rowid = table not in ("active_disclosure", "applications", "reviews", "agencies", "agency_names")
        out[table] = sorted(db.execute(f"select {'rowid, ' if rowid else ''}* from [{table}]").fetchall(),
                            key=repr)
    return out


def assert_index_in_step(db) -> None:
    """Each search index holds one entry per row of its table, and finds what LIKE finds."""
    sections = {r for (r,) in db.execute("select id from sections")}
    assert {r for (r,) in db.execute("select id from sections_fts_docsize")} == sections
    reports = {r for (r,) in db.execute("select rowid from reports")}
    assert {r for (r,) in db.execute("select id from reports_fts_docsize")} == reports
    assert {r for (r,) in db.execute("select rowid from sections_chars where sections_chars match ?",
                                     [search.MATCH_ALL])} == {r for (r,) in db.execute(
        "select id from sections where text <> ''")}
    for char in sorted(set("".join(TERMS))):  # the single-character index (schema 9)
        assert sorted(r for (r,) in db.execute(
            "select rowid from sections_chars where sections_chars match ?", [search.char_query(char)])) == \
            sorted(r for (r,) in db.execute("select id from sections where text like ?", [f"%{char}%"])), char
    for term in TERMS:
        q = search.match_query(term)
        assert sorted(r for (r,) in db.execute(
            "select rowid from sections_fts where sections_fts match ?", [q])) == sorted(
            r for (r,) in db.execute("select id from sections where text like ?", [f"%{term}%"])), term
        assert sorted(r for (r,) in db.execute(
            "select rowid from reports_fts where reports_fts match ?", [q])) == sorted(
            r for (r,) in db.execute(
                "select rowid from reports where title like ?1 or agency like ?1 or text like ?1",
                [f"%{term}%"])), term


def test_a_batch_writes_what_one_by_one_writes(tmp_path, h):
    one = load.open_archive(tmp_path / "one.db")
    singles = [load.load_report(one, **h.seed_load_args(s)) for s in h.SEED_IDS]
    singles.append(load.load_report(one, **h.extra_load_args()))
    singles.append(load.load_report(one, **vars(in_between_year(h))))
    bulk = load.open_archive(tmp_path / "bulk.db")
    results = load.load_reports(bulk, [*items(h), in_between_year(h)])
    assert results == singles
    assert [r.change for r in results] == ["new"] * len(results)
    assert dump(bulk) == dump(one)
    assert bulk.execute("select count(*) from year_checks").fetchone()[0] > 0  # the years were compared
    assert_index_in_step(bulk)


def test_a_report_failing_half_way_is_refused_alone(tmp_path, h):
    db = load.open_archive(tmp_path / "archive.db")
    batch = items(h)
    # refused before any write: a value that is not a number
    batch[1].report["applications"][0]["value"] = "12"
    # refused half-way through its writes: its report row, documents and sections are
    # written before SQLite refuses a value of its reviews table (too large an integer)
    batch[3].report["reviews"][-1]["value"] = 2**70
    results = load.load_reports(db, batch)
    refused = {i: r for i, r in enumerate(results) if isinstance(r, load.LoadError)}
    assert set(refused) == {1, 3}
    assert str(refused[1]).startswith(batch[1].url) and "is not a number" in str(refused[1])
    assert str(refused[3]).startswith(batch[3].url) and "OverflowError" in str(refused[3])
    loaded = [r.report_id for r in results if isinstance(r, load.LoadResult)]
    assert sorted(r for (r,) in db.execute("select id from reports")) == sorted(loaded)
    for i in refused:
        rid = load.report_id_for(batch[i].report["agency"], batch[i].report["year"], batch[i].url)
        for table in ("sections", "active_disclosure", "applications", "reviews", "checks", "documents"):
            assert db.execute(f"select count(*) from [{table}] where report_id = ?", [rid]).fetchone() == (0,)
        assert db.execute("select count(*) from blobs where sha256 = ?",
                          [batch[i].documents[0]["sha256"]]).fetchone() == (0,)
    assert_index_in_step(db)
    # the archive is the same as if the refused reports had never been offered
    clean = load.open_archive(tmp_path / "clean.db")
    load.load_reports(clean, [it for i, it in enumerate(items(h)) if i not in refused])
    assert dump(db) == dump(clean)


def test_a_crash_rolls_the_whole_batch_back(tmp_path, h, monkeypatch):
    db = load.open_archive(tmp_path / "archive.db")
    load.load_report(db, **h.seed_load_args(h.SEED_IDS[0]))
    before = dump(db)
    real_insert = load._insert
    calls = {"reviews": 0}

    def crash_on_the_third_reviews(db, table, rows, **kwargs):
        if table == "reviews":
            calls["reviews"] += 1
            if calls["reviews"] == 3:
                raise RuntimeError("disk on fire")
        return real_insert(db, table, rows, **kwargs)

    monkeypatch.setattr(load, "_insert", crash_on_the_third_reviews)
    with pytest.raises(RuntimeError, match="disk on fire"):
        load.load_reports(db, items(h)[1:])
    assert dump(db) == before
    assert_index_in_step(db)


def test_reloading_a_batch_writes_nothing(tmp_path, h):
    db = load.open_archive(tmp_path / "archive.db")
    load.load_reports(db, items(h))
    before = dump(db)
    changes = db.conn.total_changes
    results = load.load_reports(db, items(h))
    assert [r.change for r in results] == ["unchanged"] * len(results)
    assert db.conn.total_changes == changes  # not one row written, not even rewritten
    assert dump(db) == before


def test_versions_are_kept_and_the_latest_reading_wins_within_a_batch(tmp_path, h):
    db = load.open_archive(tmp_path / "archive.db")
    load.load_reports(db, items(h))
    seed = h.SEED_IDS[0]
    old = h.seed_load_args(seed)
    # two new captures of the same report in one batch: an edit, then a second edit
    versions = []
    for n in (1, 2):
        args = copy.deepcopy(old)
        edited = h.seed_text(seed).replace("总体情况", f"总体情况（修订版{n}）", 1).encode("utf-8")
        args["documents"] = [h.document(old["url"], edited, content_type="text/plain; charset=utf-8",
                                        fetched_at=f"2026-11-2{n}T00:00:00+00:00")]
        args["report"]["sections"][0]["text"] += f"\n修订版新增第{n}句。"
        versions.append(load.LoadItem(**args))
    results = load.load_reports(db, versions)
    assert [r.change for r in results] == ["changed", "changed"]
    assert results[0].report_id == results[1].report_id == load.report_id_for(
        old["report"]["agency"], old["report"]["year"], old["url"])
    rid = results[0].report_id
    shas = [r for (r,) in db.execute("select sha256 from documents where report_id = ? order by id", [rid])]
    assert shas == [old["documents"][0]["sha256"]] + [v.documents[0]["sha256"] for v in versions]
    for v in [old, *versions]:
        doc = v["documents"][0] if isinstance(v, dict) else v.documents[0]
        assert db.execute("select content from blobs where sha256 = ?", [doc["sha256"]]).fetchone()[0] == \
            doc["content"]
    assert db["reports"].get(rid)["sha256"] == versions[1].documents[0]["sha256"]
    texts = [t for (t,) in db.execute("select text from sections where report_id = ? and number = 1", [rid])]
    assert len(texts) == 1 and texts[0].endswith("修订版新增第2句。")
    assert_index_in_step(db)
    hits = db.execute("select count(*) from sections_fts where sections_fts match ?",
                      [search.match_query("修订版新增第1句")]).fetchone()[0]
    assert hits == 0


def test_a_batch_inside_a_callers_transaction_is_a_savepoint_of_it(tmp_path, h):
    db = load.open_archive(tmp_path / "archive.db")
    with pytest.raises(KeyError), db.atomic():
        assert [r.change for r in load.load_reports(db, items(h))] == ["new"] * len(items(h))
        assert db.execute("select count(*) from reports").fetchone()[0] == len(items(h))
        raise KeyError("the caller changes its mind")
    assert db.execute("select count(*) from reports").fetchone()[0] == 0
    assert db.execute("select count(*) from sections_fts_docsize").fetchone()[0] == 0


def test_cells_keep_the_printed_order_and_the_row_label_is_the_templates(tmp_path, h):
    from nianbao.archive import schema

    db = load.open_archive(tmp_path / "archive.db")
    args = h.seed_load_args(h.SEED_IDS[0])
    rid = load.load_report(db, **args).report_id
    for table, keys in (("applications", ("row", "applicant")), ("reviews", ("stage", "outcome")),
                        ("active_disclosure", ("article", "item", "metric"))):
        got = db.execute(f"select {', '.join(keys)}, value from [{table}] where report_id = ? order by id",
                         [rid]).fetchall()
        assert got == [(*(str(c[k]) for k in keys), c["value"]) for c in args["report"][table]]
    labels = dict(db.execute("select distinct row, row_label from applications").fetchall())
    assert labels == {r: schema.APPLICATION_ROW_LABELS.get(r) for r in labels}
    # a stored column since schema 7: listed by PRAGMA table_info, as sqlite-utils reads it
    con = sqlite3.connect(tmp_path / "archive.db")
    assert "row_label" in {r[1] for r in con.execute("pragma table_info(applications)")}
