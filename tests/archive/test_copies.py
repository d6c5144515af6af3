"""Copies against originals (archive/copies.py, nianbao/official.py).

Seed 002 in two forms: its official simplified page (tests/fixtures/forms/*.html, as the
government portal serves it) and the Traditional mirror with Taiwan wording (*.tw.html),
here under a non-government host. Whichever arrives first, the archive ends with one
report read from the official page and one recorded copy.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import pytest

from nianbao import official, parsers
from nianbao.archive import copies, load

FORMS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "forms"
SEED = "002_c44ede4c9c57f811"
PATH = "/zfjgzy/gzsrmzfbgt/zfxxgknb/bm/2020n/content/post_7045678.html"
OFFICIAL = "https://www.gz.gov.cn" + PATH
MIRROR = "http://www.zhengce-zixun.com.tw" + PATH


@cache
def _parsed(name: str, url: str) -> tuple[dict, bytes]:
    data = (FORMS / name).read_bytes()
    return parsers.parse_bytes(data, url, content_type="text/html"), data


def args(name: str, url: str, *, agency: str | None = None, fetched_at: str = "2026-11-01T00:00:00+00:00"):
    report, data = _parsed(name, url)
    report = dict(report)
    if agency:
        report["agency"] = agency
    doc = {"url": url, "sha256": hashlib.sha256(data).hexdigest(), "content_type": "text/html",
           "fetched_at": fetched_at, "kind": "page", "content": data, "warc_file": None, "warc_offset": None}
    return {"report": report, "url": url, "documents": [doc]}


def official_args(**kw):
    return args(f"{SEED}.html", OFFICIAL, **kw)


def mirror_args(**kw):
    return args(f"{SEED}.tw.html", MIRROR, **kw)


def _state(db) -> tuple[list, list]:
    reports = db.execute("SELECT id, url, official, status FROM reports").fetchall()
    rows = db.execute("SELECT report_id, url, host, script, similarity, is_source FROM copies").fetchall()
    return reports, rows


def _cells(db, report_id: str) -> dict:
    return dict(((r, a), v) for r, a, v in db.execute(
        "SELECT row, applicant, value FROM applications WHERE report_id = ?", [report_id]))


def test_the_two_forms_read_alike():
    """The premise: the parser reads the mirror as the same report (simplified, same cells)."""
    off, mir = _parsed(f"{SEED}.html", OFFICIAL)[0], _parsed(f"{SEED}.tw.html", MIRROR)[0]
    assert (off["script"], mir["script"]) == ("simplified", "traditional")
    assert (off["agency"], off["year"]) == (mir["agency"], mir["year"])
    a = copies.content_of(off["text"], off)
    b = copies.content_of(mir["text"], mir)
    assert copies.similarity(a, b) >= copies.THRESHOLD
    other = parsers.parse_file(FORMS / "003_a4b06523178ecf58.html")
    assert copies.similarity(a, copies.content_of(other["text"], other)) < 0.5


def test_official_first_then_mirror(tmp_path):
    db = load.open_archive(tmp_path / "archive.db")
    first = load.load_report(db, **official_args())
    second = load.load_report(db, **mirror_args())
    assert first.change == "new"
    assert (second.change, second.copy_of) == ("unchanged", first.report_id)
    assert second.report_id == first.report_id
    reports, rows = _state(db)
    assert reports == [(first.report_id, OFFICIAL, 1, "ok")]
    assert len(rows) == 1
    rid, url, host, script, sim, is_source = rows[0]
    assert (rid, url, host, script, is_source) == (first.report_id, MIRROR, "www.zhengce-zixun.com.tw",
                                                   "traditional", 0)
    assert sim >= copies.THRESHOLD
    assert db.execute("SELECT count(*) FROM report_versions").fetchone()[0] == 1
    # the mirror's bytes are kept with the report's captures
    assert {u for (u,) in db.execute("SELECT url FROM documents")} == {OFFICIAL, MIRROR}
    # loading the mirror again changes nothing
    assert load.load_report(db, **mirror_args()).change == "unchanged"
    assert _state(db) == (reports, rows)


def test_mirror_first_then_official(tmp_path):
    db = load.open_archive(tmp_path / "archive.db")
    first = load.load_report(db, **mirror_args())
    reports, rows = _state(db)
    assert first.change == "new" and first.copy_of is None
    assert reports == [(first.report_id, MIRROR, 0, "ok")]  # kept, marked unofficial
    assert [(r[0], r[1], r[4], r[5]) for r in rows] == [(first.report_id, MIRROR, None, 1)]
    second = load.load_report(db, **official_args(fetched_at="2026-12-01T00:00:00+00:00"))
    assert (second.change, second.report_id) == ("changed", first.report_id)
    reports, rows = _state(db)
    assert reports == [(first.report_id, OFFICIAL, 1, "ok")]  # the original is now the source
    assert len(rows) == 1 and rows[0][1] == MIRROR and rows[0][5] == 0 and rows[0][4] >= copies.THRESHOLD
    official_db = load.open_archive(tmp_path / "official-only.db")
    only = load.load_report(official_db, **official_args())
    assert _cells(db, second.report_id) == _cells(official_db, only.report_id)


@pytest.mark.parametrize("mirror_first", [True, False])
def test_a_mirror_read_under_another_agency_name_is_still_a_copy(tmp_path, mirror_first):
    """Recognised by content, not by id: a mirror whose agency came out differently."""
    db = load.open_archive(tmp_path / "archive.db")
    steps = [lambda: load.load_report(db, **mirror_args(agency="广州市政府办公厅")),
             lambda: load.load_report(db, **official_args())]
    for step in (steps if mirror_first else steps[::-1]):
        step()
    reports, rows = _state(db)
    assert [(r[1], r[2]) for r in reports] == [(OFFICIAL, 1)]
    assert [(r[0], r[1], r[5]) for r in rows] == [(reports[0][0], MIRROR, 0)]


def test_a_mirror_of_another_report_is_not_merged(tmp_path):
    db = load.open_archive(tmp_path / "archive.db")
    load.load_report(db, **official_args())
    other = args("000_eac659b3405373d8.tw.html", "http://www.zhengce-zixun.com.tw/post_000.html")
    result = load.load_report(db, **other)
    assert result.copy_of is None and result.change == "new"
    assert sorted(o for (o,) in db.execute("SELECT official FROM reports")) == [0, 1]


def test_provenance_is_defined_in_one_place():
    assert official.provenance("https://www.gz.gov.cn/a.html") == "official"
    assert official.provenance("http://WWW.HP.GOV.CN./x") == "official"
    assert official.provenance("https://gov.cn.evil.example/x") == "mirror"
    assert official.provenance("https://notgov.cn/x") == "mirror"
    assert official.provenance(MIRROR) == "mirror"
    assert official.provenance("https://reports.example.org/x", ["example.org"]) == "official"
    assert official.provenance("http://127.0.0.1:8764/zfxxgknb/post.html") == "local"
    assert official.provenance("file:///home/me/report.pdf") == "local"
    assert official.provenance("/home/me/report.pdf") == "local"
    assert "www.gz.gov.cn" in official.registry_domains()


def test_the_registry_recorded_in_the_archive_counts_as_official(tmp_path):
    db = load.open_archive(tmp_path / "archive.db")
    db["sources"].insert({"id": "x", "url": "https://www.zhengce-zixun.com.tw/col/",
                          "allowed_domains": '["www.zhengce-zixun.com.tw"]'})
    assert copies.provenance_of(db, MIRROR) == "official"
    result = load.load_report(db, **mirror_args())
    assert db.execute("SELECT official FROM reports WHERE id = ?", [result.report_id]).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM copies").fetchone()[0] == 0
