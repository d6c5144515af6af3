"""Every reading of a report is kept as a version, with the cells that changed."""

from __future__ import annotations

import copy

from nianbao.archive import load, versions


def _edited(h, seed, fetched_at="2026-12-01T00:00:00+00:00"):
    """The agency quietly edits one figure: a new capture and a new reading."""
    args = copy.deepcopy(h.seed_load_args(seed))
    cell = next(c for c in args["report"]["applications"] if c["row"] == "1" and c["applicant"] == "自然人")
    old = cell["value"]
    cell["value"], cell["raw"] = old + 5, str(old + 5)
    args["documents"] = [h.document(args["url"], b"edited " + h.seed_text(seed).encode(),
                                    fetched_at=fetched_at)]
    return args, old


def test_an_edited_report_keeps_its_old_cells_as_a_version(tmp_path, h):
    seed = h.SEED_IDS[0]
    db = load.open_archive(tmp_path / "archive.db")
    first = load.load_report(db, **h.seed_load_args(seed))
    assert [v["version"] for v in versions.history(db, first.report_id)] == [1]
    args, old = _edited(h, seed)
    assert load.load_report(db, **args).change == "changed"
    history = versions.history(db, first.report_id)
    assert [v["version"] for v in history] == [1, 2]
    assert history[0]["changes"] == []
    changes = history[1]["changes"]
    assert [(c["cell"], c["old"], c["new"]) for c in changes] == [
        (["applications", "1", "自然人"], old, old + 5)]
    assert "自然人" in changes[0]["label"] and "本年新收" in changes[0]["label"]
    assert history[1]["sha256"] != history[0]["sha256"]
    # the live tables hold the latest reading, the first version's cells are a snapshot
    live = db.execute("select value from applications where report_id = ? and row = '1' "
                      "and applicant = '自然人'", [first.report_id]).fetchone()[0]
    assert live == old + 5
    # loading the same reading again adds no version
    assert load.load_report(db, **args).change == "unchanged"
    assert len(versions.history(db, first.report_id)) == 2
    # and going back to the first reading is a third version, changed back
    back = h.seed_load_args(seed)
    back["documents"] = [h.document(back["url"], b"third capture")]
    load.load_report(db, **back)
    history = versions.history(db, first.report_id)
    assert [(c["old"], c["new"]) for c in history[2]["changes"]] == [(old + 5, old)]


def test_a_superseded_reading_joins_the_history(tmp_path, h):
    seed = h.SEED_IDS[0]
    db = load.open_archive(tmp_path / "archive.db")
    args = h.seed_load_args(seed)
    anonymous = copy.deepcopy(args)
    anonymous["report"]["agency"] = None
    anonymous["source"]["agency"] = None
    anonymous["report"]["title"] = "年度报告"
    first = load.load_report(db, **anonymous)
    second = load.load_report(db, **args)
    assert second.report_id != first.report_id
    history = versions.history(db, second.report_id)
    assert [v["version"] for v in history] == [1, 2]
    assert history[0]["title"] == "年度报告"
    assert db.execute("select count(*) from report_versions where report_id = ?",
                      [first.report_id]).fetchone()[0] == 0
