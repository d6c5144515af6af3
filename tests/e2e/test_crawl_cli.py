"""`nianbao crawl` as a scheduler runs it: crawl and load, re-crawl, notice an empty column."""

from __future__ import annotations

import sqlite3

import pytest
from e2e_support import run

from nianbao.demo import COLUMN_PATH, start_portal

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def portal():
    server = start_portal(port=0)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_crawl_loads_then_recrawl_changes_nothing(nianbao, portal, tmp_path):
    db, data = tmp_path / "archive.db", tmp_path / "data"
    cmd = [*nianbao, "crawl", "--db", str(db), "--data", str(data), portal + COLUMN_PATH]
    first = run(cmd)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "5 reports found" in first.stderr and "archive: 5 new" in first.stderr
    con = sqlite3.connect(db)
    counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("reports", "documents", "applications")}
    con.close()
    assert counts["reports"] == 5

    second = run(cmd)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "0 new, 0 changed" in second.stderr
    con = sqlite3.connect(db)
    assert counts == {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in counts}


def test_a_column_without_reports_fails_the_run(nianbao, portal, tmp_path):
    notice = portal + "/zfxxgknb/202303/t20230301_3001.html"
    p = run([*nianbao, "crawl", "--db", str(tmp_path / "a.db"), "--data", str(tmp_path / "d"), notice])
    assert p.returncode == 1
    assert "no report" in p.stderr
