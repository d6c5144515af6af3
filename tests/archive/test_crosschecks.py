"""Each year against the last (archive/crosschecks.py), in the archive and on the pages.

One agency, three consecutive years: 广州市协作办公室 2020 (seed 000) and 2022 (seed 001),
and a 2021 report built here from seed 001's truth. 2020 carries 0 applications forward and
2021 carries 0 over: the pair agrees. 2021 carries 1 (自然人) forward but 2022 prints 0
carried over: the pair breaks in the 自然人 and 总计 columns. 2021's 50 new applications
against 2020's 0 and 2022's 1 are spikes.
"""

from __future__ import annotations

import copy
import json

import pytest

from nianbao.archive import crosschecks, load
from nianbao.contract import report_status

Y2020, Y2022 = "000_eac659b3405373d8", "001_092bb9cf510e616c"
AGENCY = "广州市协作办公室"
# The 2021 report's application figures: {row: (自然人, 总计)}, every other cell 0.
FIGURES_2021 = {"1": (50, 50), "3.1": (49, 49), "3.7": (49, 49), "4": (1, 1)}


def _report(h, t: dict, *, url: str, title: str, text: str) -> dict:
    checks = h.compute_checks(t)

    def cells(key):
        return [{**c, "raw": "" if c["value"] is None else str(c["value"])} for c in t[key]]

    return {
        "schema": "nianbao.report/1", "source": url, "title": title, "agency": t["agency"], "year": t["year"],
        "template": t["template"], "script": "simplified", "sections": h.split_sections(text),
        "active_disclosure": cells("active_disclosure"), "applications": cells("applications"),
        "reviews": cells("reviews"), "checks": checks, "published": None, "kind": "text",
        "status": report_status(checks), "flags": [], "text": text,
    }


def _args(h, report: dict, url: str, content: bytes) -> dict:
    return {"report": report, "url": url, "documents": [h.document(url, content)],
            "source": {"source_id": "gz-test", "agency": AGENCY, "region": "广州市", "level": "city"}}


def args_2021(h, figures: dict[str, tuple[int, int]] = FIGURES_2021) -> dict:
    t = copy.deepcopy(h.truth(Y2022))
    t["year"] = 2021
    for c in t["applications"]:
        c["value"] = 0
        if c["row"] in figures and c["applicant"] in ("自然人", "总计"):
            c["value"] = figures[c["row"]][0 if c["applicant"] == "自然人" else 1]
    title = f"{AGENCY}2021年政府信息公开工作年度报告"
    text = h.seed_text(Y2022).replace("2022", "2021")
    url = "https://www.gz.gov.cn/zfxxgknb/xzb/2021/content/post_2021.html"
    return _args(h, _report(h, t, url=url, title=title, text=text), url, text.encode("utf-8"))


def args_2022_fixed(h) -> dict:
    """2022 as if its agency corrected row 二 (上年结转) to the 1 that 2021 carried forward."""
    t = copy.deepcopy(h.truth(Y2022))
    for c in t["applications"]:
        if c["row"] == "2" and c["applicant"] in ("自然人", "总计"):
            c["value"] = 1
    a = h.seed_load_args(Y2022)
    text = a["report"]["text"]
    fixed = _report(h, t, url=a["url"], title=a["report"]["title"], text=text)
    return _args(h, fixed, a["url"], b"corrected\n" + text.encode("utf-8"))


def build(h, path, order=(Y2020, "2021", Y2022)):
    db = load.open_archive(path)
    for which in order:
        load.load_report(db, **(args_2021(h) if which == "2021" else h.seed_load_args(which)))
    return db


def _ids(db) -> dict[int, str]:
    return {y: rid for rid, y in db.execute("SELECT id, year FROM reports WHERE agency = ?", [AGENCY])}


def _carry(db) -> list[tuple]:
    return [(y, p, ok, json.loads(cells or "[]")) for y, p, ok, cells in db.execute(
        "SELECT year, previous_year, ok, cells FROM year_checks WHERE name = 'carry_over' ORDER BY year")]


BROKEN = [{"applicant": "自然人", "carried_over": 0, "carried_forward": 1},
          {"applicant": "总计", "carried_over": 0, "carried_forward": 1}]


@pytest.mark.parametrize("order", [(Y2020, "2021", Y2022), (Y2022, Y2020, "2021"), ("2021", Y2022, Y2020)])
def test_carry_over_checks_whatever_the_order_of_arrival(h, tmp_path, order):
    db = build(h, tmp_path / "archive.db", order)
    ids = _ids(db)
    assert sorted(ids) == [2020, 2021, 2022]
    assert _carry(db) == [(2021, 2020, 1, []), (2022, 2021, 0, BROKEN)]
    pairs = db.execute("SELECT report_id, previous_report_id FROM year_checks WHERE name = 'carry_over' "
                       "ORDER BY year").fetchall()
    assert pairs == [(ids[2021], ids[2020]), (ids[2022], ids[2021])]
    # a break between two reports changes neither report's status (nianbao/contract.py)
    status = dict(db.execute("SELECT year, status FROM reports WHERE agency = ?", [AGENCY]).fetchall())
    assert status[2021] == "ok" and status[2020] == "ok"
    assert status[2022] == h.truth_status(h.truth(Y2022))


def test_carry_over_is_re_evaluated_when_a_report_changes(h, tmp_path):
    db = build(h, tmp_path / "archive.db")
    result = load.load_report(db, **args_2022_fixed(h))
    assert result.change == "changed"
    assert _carry(db) == [(2021, 2020, 1, []), (2022, 2021, 1, [])]
    assert db.execute("SELECT count(*) FROM report_versions WHERE report_id = ?",
                      [result.report_id]).fetchone()[0] == 2
    # and again when the 2021 report changes: it now carries 2 forward
    load.load_report(db, **args_2021(h, {**FIGURES_2021, "1": (51, 51), "4": (2, 2)}))
    assert [(y, ok) for y, _p, ok, _c in _carry(db)] == [(2021, 1), (2022, 0)]


def test_migration_computes_the_checks_of_an_existing_archive(h, tmp_path):
    """An archive from before the cross-checks (version 4) gets them when it is opened."""
    path = tmp_path / "archive.db"
    db = build(h, path)
    expected = _carry(db)
    db.execute("DROP TABLE year_checks")
    db.execute("DROP TABLE copies")
    db.execute("DROP INDEX reports_from_mirrors")
    db.execute("ALTER TABLE reports DROP COLUMN official")
    db.execute("PRAGMA user_version = 4")
    db.conn.commit()
    db.close()
    db = load.open_archive(path)
    assert _carry(db) == expected == [(2021, 2020, 1, []), (2022, 2021, 0, BROKEN)]
    assert {o for (o,) in db.execute("SELECT official FROM reports")} == {1}


def test_a_missing_year_gives_no_pair(h, tmp_path):
    db = build(h, tmp_path / "archive.db", (Y2020, Y2022))
    assert _carry(db) == []
    assert db.execute("SELECT count(*) FROM year_checks").fetchone()[0] == 0


def test_spikes_are_notes_not_failures(h, tmp_path):
    db = build(h, tmp_path / "archive.db")
    rows = db.execute("SELECT year, figure, previous_value, value, ratio, ok FROM year_checks "
                      "WHERE name = 'spike' AND figure = 'received' ORDER BY year").fetchall()
    # 2020 received 0 and 2021 received 50 (from 0: no ratio); 2022 prints a 总计 of 0
    assert rows == [(2021, "received", 0, 50, None, None), (2022, "received", 50, 0, 0.0, None)]
    assert not db.execute("SELECT count(*) FROM year_checks WHERE name = 'spike' AND figure = 'admin_reviews'"
                          ).fetchone()[0]


def test_spike_rule():
    s = crosschecks.spikes({"received": 10, "handled": 1, "disclosed": 100, "refused": 0},
                           {"received": 51, "handled": 8, "disclosed": 19, "refused": 9}, (2020, 2021))
    # ×5.1 is a spike; 1 → 8 is below the floor; ×0.19 is a spike; 0 → 9 is below the floor
    assert [(x["figure"], x["ratio"]) for x in s] == [("received", 5.1), ("disclosed", 0.19)]
    assert crosschecks.spikes({"received": 10}, {"received": 50}, (2020, 2021)) == []  # ×5 exactly


@pytest.fixture(scope="module")
def served_years(h, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("years")
    build(h, tmp / "archive.db").close()
    with h.datasette_serving(tmp / "archive.db", tmp / "datasette.log") as s:
        yield s


def test_pages_show_the_carry_over_checks(h, served_years):
    db = load.open_archive(served_years.db_path)
    ids = _ids(db)
    agency_id = db.execute("SELECT agency_id FROM reports WHERE agency = ?", [AGENCY]).fetchone()[0]
    db.close()
    status, _, body = served_years.get(f"/-/nianbao/report/{ids[2021]}")
    html = body.decode("utf-8")
    assert status == 200
    part = html[html.index('id="years"'):html.index('id="text"')]
    assert part.count('class="carry_over ok"') == 1 and part.count('class="carry_over failing"') == 1
    assert "2022 年上年结转 0 ≠ 2021 年结转下年度继续办理 1" in part
    assert f"/-/nianbao/report/{ids[2022]}" in part and f"/-/nianbao/report/{ids[2020]}" in part
    status, _, body = served_years.get(f"/-/nianbao/agency/{agency_id}")
    html = body.decode("utf-8")
    carry = html[html.index('id="carry-over"'):html.index('id="spikes"')]
    assert carry.count("<strong>不一致</strong>") == 1 and carry.count("<td>一致</td>") == 1
    spikes = html[html.index('id="spikes"'):html.index('id="charts"')]
    assert 'data-figure="received"' in spikes and "新收申请：2020 年 0 → 2021 年 50" in spikes
    rows = served_years.rows("/archive/carry_over_breaks.json")
    assert [(r["机关"], r["上一年度"], r["年度"], r["报告编号"]) for r in rows] == [
        (AGENCY, 2021, 2022, ids[2022])]
    assert json.loads(rows[0]["不一致的列"]) == BROKEN
    assert served_years.rows("/archive/carry_over_breaks.json", year="2021") == []
    spikes_q = served_years.rows("/archive/year_spikes.json", year="2021")
    assert {r["数字"] for r in spikes_q} >= {"received", "handled", "disclosed"}


def _checks(db) -> list[tuple]:
    return sorted(db.execute("SELECT name, agency_id, agency, year, report_id, previous_year, "
                             "previous_report_id, ok, figure, value, previous_value, ratio, cells, text "
                             "FROM year_checks").fetchall(), key=repr)


def _fully_evaluated(db) -> list[tuple]:
    """The year checks as evaluating every pair of every agency again gives them (undone)."""
    db.execute("SAVEPOINT full")
    for (agency_id,) in db.execute("SELECT DISTINCT agency_id FROM reports WHERE agency_id IS NOT NULL"
                                   ).fetchall():
        crosschecks.refresh(db, agency_id)
    out = _checks(db)
    db.execute("ROLLBACK TO full")
    db.execute("RELEASE full")
    return out


def test_a_batch_re_evaluates_only_its_pairs_and_gets_the_full_evaluations_checks(h, tmp_path):
    """load_reports re-evaluates the pairs of the reports it wrote (and pairs without a row);
    after every batch the checks are those of evaluating every pair again."""
    db = load.open_archive(tmp_path / "archive.db")
    batches = [
        [h.seed_load_args(Y2022)],                      # alone: no pair
        [h.seed_load_args(Y2020)],                      # 2020 and 2022: no pair yet
        [args_2021(h)],                                 # 2021 makes two pairs
        [args_2022_fixed(h), h.seed_load_args(Y2020)],  # 2022 changes, 2020 unchanged
        [args_2021(h, {**FIGURES_2021, "1": (51, 51), "4": (2, 2)})],  # the middle year changes
        [h.seed_load_args(Y2022)],                      # 2022 back to the first reading
    ]
    seen = []
    for batch in batches:
        results = load.load_reports(db, [load.LoadItem(**a) for a in batch])
        assert not any(isinstance(r, load.LoadError) for r in results)
        seen.append(_checks(db))
        assert seen[-1] == _fully_evaluated(db)
    assert not seen[1] and seen[2] and seen[3] != seen[2] and seen[4] != seen[3] and seen[5] != seen[4]
