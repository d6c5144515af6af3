"""`nianbao crawl` as a scheduler runs it: crawl and load, re-crawl, notice an empty column."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from e2e_support import SEEDS, run

from nianbao.demo import COLUMN_PATH, start_portal

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def portal():
    server = start_portal(port=0)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


# The sample portal is a snapshot of early 2023: crawled "then", its newest report is recent.
THEN = {**os.environ, "NIANBAO_NOW": "2023-04-01T03:30:00Z"}


def test_crawl_loads_then_recrawl_changes_nothing(nianbao, portal, tmp_path):
    db, data = tmp_path / "archive.db", tmp_path / "data"
    cmd = [*nianbao, "crawl", "--db", str(db), "--data", str(data), portal + COLUMN_PATH]
    first = run(cmd, env=THEN)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "5 reports found" in first.stderr and "archive: 5 new" in first.stderr
    con = sqlite3.connect(db)
    counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("reports", "documents", "applications")}
    con.close()
    assert counts["reports"] == 5

    second = run(cmd, env=THEN)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "0 new, 0 changed" in second.stderr
    con = sqlite3.connect(db)
    assert counts == {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in counts}


def test_a_column_without_reports_fails_the_run(nianbao, portal, tmp_path):
    notice = portal + "/zfxxgknb/202303/t20230301_3001.html"
    p = run([*nianbao, "crawl", "--db", str(tmp_path / "a.db"), "--data", str(tmp_path / "d"), notice])
    assert p.returncode == 1
    assert "FAILED: 栏目中未找到报告链接 / no report links found" in p.stderr


def index_lines(store: Path) -> list[str]:
    return (store / "captures" / "index.jsonl").read_text(encoding="utf-8").splitlines()


def test_the_archive_holds_its_own_captures_and_never_touches_dot_data(nianbao, portal, tmp_path):
    """`--db DIR/archive.db` keeps captures in DIR/captures: an unrelated store in ./data (the
    scheduler's working directory) is neither written nor loaded."""
    work = tmp_path / "work"
    work.mkdir()
    old = work / "data"
    # an earlier, unrelated capture store in ./data
    from nianbao.crawler.captures import CaptureStore, Fetched

    title = "无关市2022年政府信息公开工作年度报告"
    with CaptureStore(old) as store:
        store.add(Fetched(url="http://unrelated.example/nb/2022.html", status=200,
                          body=f"<html><title>{title}</title><body><h1>{title}</h1></body></html>".encode(),
                          headers=[("Content-Type", "text/html; charset=utf-8")]),
                  {"kind": "page", "title": title})
    before = index_lines(old)
    assert len(before) == 1
    stamp = {f: f.stat().st_mtime_ns for f in old.rglob("*")}

    db = tmp_path / "fresh" / "archive.db"
    db.parent.mkdir()
    crawl = run([*nianbao, "crawl", "--db", str(db), portal + COLUMN_PATH], cwd=work, env=THEN)
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert {f: f.stat().st_mtime_ns for f in old.rglob("*")} == stamp, "./data was not touched"
    assert index_lines(old) == before
    assert (db.parent / "captures" / "index.jsonl").exists()
    con = sqlite3.connect(db)
    urls = {u for (u,) in con.execute("select url from documents")}
    con.close()
    own = {json.loads(line)["url"] for line in index_lines(db.parent)}
    assert urls == own and len(urls) == 6, "the archive holds exactly what this crawl captured"
    assert not any("unrelated.example" in u for u in urls)


def test_build_loads_the_files_given_or_the_store_and_says_which(nianbao, portal, tmp_path):
    db = tmp_path / "a" / "archive.db"
    crawled = run([*nianbao, "crawl", "--no-build", "--db", str(db), portal + COLUMN_PATH], env=THEN)
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    assert not db.exists(), "--no-build leaves the archive alone"
    seed = str(SEEDS / "000_eac659b3405373d8.txt")
    files_only = run([*nianbao, "build", "--db", str(db), seed])
    assert files_only.returncode == 0, files_only.stderr
    assert "loading the 1 file(s) given; the capture store is not loaded" in files_only.stderr
    con = sqlite3.connect(db)
    assert con.execute("select count(*) from reports").fetchone()[0] == 1
    assert con.execute("select count(*) from crawl_runs").fetchone()[0] == 0
    con.close()
    store = run([*nianbao, "build", "--db", str(db)], env=THEN)
    assert store.returncode == 0, store.stderr
    assert f"loading the whole capture store {db.parent}/captures" in store.stderr
    con = sqlite3.connect(db)
    assert con.execute("select count(*) from crawl_runs").fetchone()[0] == 1, "the --no-build run is recorded"
    assert con.execute("select count(*) from reports where source_id is not null").fetchone()[0] == 5
    con.close()
