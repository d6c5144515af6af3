"""Loading reports: one transaction, idempotent, versions kept, stable ids, clear errors."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from nianbao.archive import load, search


def test_archive_holds_every_seed_cell_as_printed(archive_db, h):
    for seed in h.SEED_IDS:
        t = h.truth(seed)
        rid = load.report_id_for(t["agency"], t["year"], h.seed_url(seed))
        rows = {(r["row"], r["applicant"]): r["value"] for r in archive_db.query(
            "select row, applicant, value from applications where report_id = ?", [rid])}
        assert rows == {(c["row"], c["applicant"]): c["value"] for c in t["applications"]}
        ad = {(r["article"], r["item"], r["metric"]): r["value"] for r in archive_db.query(
            "select article, item, metric, value from active_disclosure where report_id = ?", [rid])}
        assert ad == {(c["article"], c["item"], c["metric"]): c["value"] for c in t["active_disclosure"]}
        rv = {(r["stage"], r["outcome"]): r["value"] for r in archive_db.query(
            "select stage, outcome, value from reviews where report_id = ?", [rid])}
        assert rv == {(c["stage"], c["outcome"]): c["value"] for c in t["reviews"]}


def test_money_keeps_its_decimals_and_counts_stay_integers(archive_db):
    kinds = {type(v) for (v,) in archive_db.execute("select value from applications where value is not null")}
    assert kinds == {int}
    money = [v for (v,) in archive_db.execute(
        "select value from active_disclosure where unit = '万元' and value is not null")]
    assert money and all(isinstance(v, int | float) for v in money)


def test_status_follows_the_checks(archive_db, h):
    for seed in h.SEED_IDS:
        t = h.truth(seed)
        rid = load.report_id_for(t["agency"], t["year"], h.seed_url(seed))
        status = archive_db["reports"].get(rid)["status"]
        assert status == h.truth_status(t), seed
        failing = [r["name"] for r in archive_db.query(
            "select name from checks where report_id = ? and ok = 0", [rid])]
        assert failing == h.truth_failing(t)


def test_row_labels_come_from_the_template(archive_db):
    labels = dict(archive_db.execute("select distinct row, row_label from applications").fetchall())
    assert labels["1"] == "一、本年新收政府信息公开申请数量"
    assert labels["3.3.1"].endswith("属于国家秘密")
    assert labels["3.6.2"].startswith("（六）其他处理 2.")
    assert None not in labels.values()


def test_reloading_the_same_captures_changes_nothing(archive_db, h):
    before = h.table_counts(archive_db)
    dump = list(archive_db.query("select * from reports order by id"))
    for seed in h.SEED_IDS:
        result = load.load_report(archive_db, **h.seed_load_args(seed))
        assert result.change == "unchanged"
    assert load.load_report(archive_db, **h.extra_load_args()).change == "unchanged"
    assert h.table_counts(archive_db) == before
    assert list(archive_db.query("select * from reports order by id")) == dump


def test_changed_capture_keeps_old_version_and_rows_follow_the_latest(archive_db, h):
    seed = h.SEED_IDS[0]
    args = h.seed_load_args(seed)
    old_sha = args["documents"][0]["sha256"]
    before = h.table_counts(archive_db)
    new = copy.deepcopy(args)
    edited = h.seed_text(seed).replace("总体情况", "总体情况（修订版）", 1).encode("utf-8")
    new["documents"] = [h.document(args["url"], edited, content_type="text/plain; charset=utf-8",
                                   fetched_at="2026-11-20T00:00:00+00:00")]
    row1 = next(c for c in new["report"]["applications"] if c["row"] == "1" and c["applicant"] == "自然人")
    row1["value"], row1["raw"] = 7, "7"
    new["report"]["sections"][0]["text"] += "\n修订版新增一句：档案馆开放日。"
    result = load.load_report(archive_db, **new)
    assert result.change == "changed"
    rid = result.report_id
    after = h.table_counts(archive_db)
    assert after["documents"] == before["documents"] + 1
    assert after["blobs"] == before["blobs"] + 1
    assert after["reports"] == before["reports"] and after["applications"] == before["applications"]
    shas = {r["sha256"] for r in archive_db.query("select sha256 from documents where report_id = ?", [rid])}
    assert shas == {old_sha, hashlib.sha256(edited).hexdigest()}
    old_bytes = archive_db.execute("select content from blobs where sha256 = ?", [old_sha]).fetchone()[0]
    assert old_bytes == h.seed_text(seed).encode("utf-8")
    report = archive_db["reports"].get(rid)
    assert report["sha256"] == hashlib.sha256(edited).hexdigest()
    assert report["fetched_at"] == "2026-11-20T00:00:00+00:00"
    value = archive_db.execute("select value from applications where report_id = ? and row = '1' "
                               "and applicant = '自然人'", [rid]).fetchone()[0]
    assert value == 7
    # the search index follows the latest text, and forgets nothing else
    hits = archive_db.execute("select rowid from sections_fts where sections_fts match ?",
                              [search.match_query("修订版新增")]).fetchall()
    assert len(hits) == 1
    like = archive_db.execute("select count(*) from sections where text like '%复议%'").fetchone()[0]
    fts = archive_db.execute("select count(*) from sections_fts where sections_fts match ?",
                             [search.match_query("复议")]).fetchone()[0]
    assert fts == like > 0


def test_a_crash_half_way_leaves_no_partial_rows(tmp_path, h, monkeypatch):
    db = load.open_archive(tmp_path / "archive.db")
    load.load_report(db, **h.seed_load_args(h.SEED_IDS[0]))
    before = h.table_counts(db)
    fts_before = db.execute("select count(*) from sections_fts").fetchone()[0]
    real_insert = load._insert

    def crashing_insert(db, table, rows, **kwargs):
        if table == "reviews":
            raise RuntimeError("simulated crash while writing reviews")
        return real_insert(db, table, rows, **kwargs)

    monkeypatch.setattr(load, "_insert", crashing_insert)
    with pytest.raises(RuntimeError, match="simulated crash"):
        load.load_report(db, **h.seed_load_args(h.SEED_IDS[1]))
    assert h.table_counts(db) == before
    assert db.execute("select count(*) from sections_fts").fetchone()[0] == fts_before
    # a crash while replacing a known report leaves the old version whole
    changed = h.seed_load_args(h.SEED_IDS[0])
    changed["documents"] = [h.document(changed["url"], b"new bytes")]
    with pytest.raises(RuntimeError, match="simulated crash"):
        load.load_report(db, **changed)
    assert h.table_counts(db) == before
    monkeypatch.undo()
    assert load.load_report(db, **h.seed_load_args(h.SEED_IDS[1])).change == "new"
    assert h.table_counts(db)["reports"] == 2


def test_report_id_is_stable_and_falls_back_to_the_url(h):
    a = load.report_id_for("广州市协作办公室", 2020, "https://a.example/1.html")
    assert a == load.report_id_for("广州市协作办公室 ", 2020, "https://b.example/other.html")
    assert a != load.report_id_for("广州市协作办公室", 2022, "https://a.example/1.html")
    u = load.report_id_for(None, 2020, "https://a.example/1.html")
    assert u == load.report_id_for("", None, "https://a.example/1.html")
    assert u != load.report_id_for(None, 2020, "https://a.example/2.html")
    assert len(a) == 16 and int(a, 16) >= 0


def test_known_sha256_lists_every_capture(archive_db, h):
    expected = {hashlib.sha256(h.seed_text(s).encode("utf-8")).hexdigest() for s in h.SEED_IDS}
    expected |= {hashlib.sha256(h.EXTRA["html"]).hexdigest(), hashlib.sha256(h.EXTRA["pdf"]).hexdigest()}
    assert load.known_sha256(archive_db) == expected


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda a: a["report"]["applications"][0].update(value="12"), "is not a number"),
    (lambda a: a["report"]["applications"][0].update(value=True), "is not a number"),
    (lambda a: a["report"].update(year="2020"), "year"),
    (lambda a: a["documents"][0].update(sha256="0" * 64), "not the declared"),
    (lambda a: a["documents"][0].update(sha256="xyz"), "64 lowercase hex"),
    (lambda a: a.update(documents=[]), "no captured document"),
    (lambda a: a.update(report={"schema": "nianbao.report/1", "source": "x.pdf", "error": "encrypted PDF"}),
     "encrypted PDF"),
    (lambda a: a["report"]["sections"][-1].update(text="broken \udc80 text"), "UnicodeEncodeError"),
    (lambda a: a["report"]["applications"][-1].update(value=2**70), "OverflowError"),
    (lambda a: a["report"]["reviews"][0].pop("stage"), "has no stage"),
    # the LoadDocument contract (nianbao.contract): fields and their types, nothing coerced
    (lambda a: a["documents"][0].update(kind="pdf"), "not a LoadDocument (kind:"),
    (lambda a: a["documents"][0].update(content="text, not bytes"), "content: Input should be a valid bytes"),
    (lambda a: a["documents"][0].update(warc_offset="12"), "warc_offset"),
    (lambda a: a["documents"][0].pop("fetched_at"), "fetched_at: Field required"),
])
def test_bad_input_is_refused_with_its_name_and_nothing_is_written(tmp_path, h, mutate, problem):
    db = load.open_archive(tmp_path / "archive.db")
    args = h.seed_load_args(h.SEED_IDS[0])
    mutate(args)
    with pytest.raises(load.LoadError) as err:
        load.load_report(db, **args)
    assert problem in str(err.value)
    assert str(err.value).startswith(args["url"])
    assert sum(h.table_counts(db).values()) == 0


def test_capture_without_bytes_is_recorded_without_a_blob(tmp_path, h):
    db = load.open_archive(tmp_path / "archive.db")
    args = h.seed_load_args(h.SEED_IDS[0])
    args["documents"][0]["content"] = None
    load.load_report(db, **args)
    counts = h.table_counts(db)
    assert counts["documents"] == 1 and counts["blobs"] == 0


def test_flags_and_provenance_are_kept(archive_db, h):
    args = h.extra_load_args()
    rid = load.report_id_for(h.EXTRA["agency"], h.EXTRA["year"], h.EXTRA["url"])
    row = archive_db["reports"].get(rid)
    assert json.loads(row["flags"]) == args["report"]["flags"]
    assert row["region"] == "广州市" and row["source_id"] == "gz-test"
    assert row["status"] == "ok" and row["template"] is None
    assert row["text"] == h.EXTRA["text"]


def test_a_page_first_read_without_agency_is_superseded_when_the_agency_is_known(tmp_path, h):
    db = load.open_archive(tmp_path / "archive.db")
    args = h.seed_load_args(h.SEED_IDS[0])
    anonymous = copy.deepcopy(args)
    anonymous["report"]["agency"] = None
    anonymous["source"]["agency"] = None
    first = load.load_report(db, **anonymous)
    assert first.report_id == load.report_id_for(None, None, args["url"])
    second = load.load_report(db, **args)
    assert second.change == "changed" and second.report_id != first.report_id
    assert [r["id"] for r in db.query("select id from reports")] == [second.report_id]
    assert {r["report_id"] for r in db.query("select report_id from documents")} == {second.report_id}
    assert db.execute("select count(*) from documents").fetchone()[0] == 1
    assert db.execute("select count(*) from applications where report_id = ?",
                      [first.report_id]).fetchone()[0] == 0
    # the reports search index holds the surviving report only
    hits = db.execute("select rowid from reports_fts where reports_fts match ?",
                      [search.match_query(args["report"]["agency"])]).fetchall()
    assert hits == db.execute("select rowid from reports").fetchall()
