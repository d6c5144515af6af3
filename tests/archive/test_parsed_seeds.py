"""The real parser's output of the seed texts loads, and the archive keeps it as parsed."""

from __future__ import annotations

import hashlib

import pytest

from nianbao import parsers
from nianbao.archive import load, search
from nianbao.contract import report_status


@pytest.fixture(scope="module")
def parsed(h):
    return {seed: parsers.parse_file(h.SEEDS / f"{seed}.txt") for seed in h.SEED_IDS}


def test_parsed_seeds_load_as_parsed(parsed, h, tmp_path):
    db = load.open_archive(tmp_path / "archive.db")
    for seed, report in parsed.items():
        data = (h.SEEDS / f"{seed}.txt").read_bytes()
        url = h.seed_url(seed)
        doc = {"url": url, "sha256": hashlib.sha256(data).hexdigest(), "content_type": "text/plain",
               "fetched_at": "2026-11-01T00:00:00+00:00", "kind": "page", "content": data,
               "warc_file": None, "warc_offset": None}
        result = load.load_report(db, report, url=url, documents=[doc])
        assert result.change == "new"
        row = db["reports"].get(result.report_id)
        checks = report.get("checks") or []
        assert row["status"] == report_status(checks) == report["status"]
        stored = {(r["row"], r["applicant"]): r["value"] for r in db.query(
            "select row, applicant, value from applications where report_id = ?", [result.report_id])}
        assert stored == {(str(c["row"]), c["applicant"]): c["value"] for c in report["applications"]}
        assert db.execute("select count(*) from sections where report_id = ?",
                          [result.report_id]).fetchone()[0] == len(report.get("sections") or [])
        assert load.load_report(db, report, url=url, documents=[doc]).change == "unchanged"
    for term in ("复议", "档案馆", "复", "政府信息公开"):
        fts = sorted(r for (r,) in db.execute("select rowid from sections_fts where sections_fts match ?",
                                              [search.match_query(term)]))
        like = sorted(r for (r,) in db.execute("select id from sections where text like ?", [f"%{term}%"]))
        assert fts == like, term


def test_the_parser_gives_the_seeds_one_meaning_of_status(parsed, h):
    """flagged = a check on the printed numbers fails; incomplete = only blank/unreadable cells."""
    status = {seed: r["status"] for seed, r in parsed.items()}
    assert status["001_092bb9cf510e616c"] == "flagged"  # its 总计 column disagrees with 自然人
    assert status["003_a4b06523178ecf58"] == status["004_87e2bd2fd6f6bd54"] == "incomplete"
    assert status["000_eac659b3405373d8"] == status["002_c44ede4c9c57f811"] == "ok"
    for seed, report in parsed.items():
        failing = {c["name"] for c in report["checks"] if not c["ok"]}
        assert (status[seed] == "incomplete") == (failing == {"complete"}), seed
        assert status[seed] == h.truth_status(h.truth(seed)), seed
