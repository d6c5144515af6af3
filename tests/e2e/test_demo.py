"""`nianbao demo` end to end: sample portal -> real spider -> parser -> archive -> Datasette."""

from __future__ import annotations

import sqlite3
import subprocess
import urllib.parse

import pytest
from e2e_support import REPO, free_port, get_json, run, truth, wait_http

pytestmark = pytest.mark.slow

SEED_IDS = [
    "000_eac659b3405373d8",
    "001_092bb9cf510e616c",
    "002_c44ede4c9c57f811",
    "003_a4b06523178ecf58",
    "004_87e2bd2fd6f6bd54",
]


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory, nianbao):
    tmp = tmp_path_factory.mktemp("demo")
    db = tmp / "archive.db"
    # The README's own command, with the archive put in a temporary directory.
    p = run(["make", "--no-print-directory", "demo", f"ARGS=--no-serve --db {db} --data {tmp / 'data'}"])
    assert p.returncode == 0, p.stderr[-3000:]
    assert db.exists()
    return db, p


def test_demo_archive_holds_the_five_seed_reports_with_their_truth(demo_archive):
    db, _ = demo_archive
    con = sqlite3.connect(db)
    reports = con.execute("select id, agency, year from reports").fetchall()
    assert len(reports) == 5, reports
    right = total = 0
    for seed in SEED_IDS:
        t = truth(seed)
        rid = next((r[0] for r in reports if r[2] == t["year"] and
                    (t["agency"] in (r[1] or "") or (r[1] or "x") in t["agency"])), None)
        assert rid, f"no report for {t['agency']} {t['year']} in {reports}"
        got = {(row, app): v for row, app, v in con.execute(
            "select row, applicant, value from applications where report_id = ?", (rid,))}
        for c in t["applications"]:
            if c["value"] is None:
                continue
            total += 1
            right += got.get((c["row"], c["applicant"])) == c["value"]
    assert right == total, f"{right}/{total} application cells right in the demo archive"


def test_demo_keeps_raw_captures(demo_archive):
    db, _ = demo_archive
    con = sqlite3.connect(db)
    urls = [u for (u,) in con.execute("select url from documents")]
    assert any(u.endswith(".pdf") for u in urls), "the PDF attachment is archived"
    assert not any("/admin/" in u for u in urls), "robots.txt is obeyed"
    titles = [t for (t,) in con.execute("select title from reports")]
    assert not any("工作要点" in (t or "") for t in titles), "a notice is not a report"


def test_demo_serves_the_archive_over_http(demo_archive, nianbao, tmp_path):
    """`nianbao demo` without --no-serve: crawls again (nothing new) and serves Datasette."""
    db, _ = demo_archive
    port = free_port()
    log = (tmp_path / "demo.log").open("w")
    proc = subprocess.Popen(
        [*nianbao, "demo", "--db", str(db), "--data", str(db.parent / "data"), "--port", str(port)],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/archive.json", timeout=180)
        data = get_json(base + "/archive/reports.json?_shape=array&_size=max")
        assert len(data) == 5
        term = urllib.parse.quote("复议")
        hits = get_json(base + f"/archive/sections.json?_search={term}&_shape=array&_size=max")
        con = sqlite3.connect(db)
        like = con.execute("select count(*) from sections where text like '%复议%'").fetchone()[0]
        assert len(hits) == like > 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
