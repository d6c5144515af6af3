"""The `nianbao` command line as users call it: exit codes, JSON Lines, help, build."""

from __future__ import annotations

import json
import sqlite3

import pytest
from e2e_support import SEEDS, run

SUBCOMMANDS = ["parse", "crawl", "build", "serve", "demo", "sources", "discover"]


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_help(nianbao, sub):
    p = run([*nianbao, sub, "--help"])
    assert p.returncode == 0, p.stderr
    assert f"nianbao {sub}" in p.stdout


def test_crawl_help_documents_the_exit_codes(nianbao):
    p = run([*nianbao, "crawl", "--help"])
    for code in ("0  every source crawled fine", "1  some source failed", "2  nothing crawled",
                 "3  every source fine, but some report could not be parsed"):
        assert code in p.stdout


def test_parse_prints_one_json_object_per_file_and_fails_only_for_bad_files(nianbao, tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    seed = SEEDS / "000_eac659b3405373d8.txt"
    p = run([*nianbao, "parse", str(seed), str(bad)])
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(lines) == 2
    assert lines[0]["schema"] == "nianbao.report/1" and "error" not in lines[0]
    assert lines[0]["year"] == 2020
    assert "error" in lines[1] and str(bad) in lines[1]["error"]
    assert p.returncode == 1, "a failed file makes the exit status non-zero"
    assert "1 failed" in p.stderr

    ok = run([*nianbao, "parse", str(seed)])
    assert ok.returncode == 0, ok.stderr


def test_build_from_files_is_idempotent_and_keeps_bytes(nianbao, tmp_path):
    db = tmp_path / "a.db"
    files = sorted(str(f) for f in SEEDS.glob("*.txt"))
    first = run([*nianbao, "build", "--db", str(db), "--data", str(tmp_path / "none"), *files])
    assert first.returncode == 0, first.stderr
    assert "5 new" in first.stderr

    def counts() -> dict[str, int]:
        con = sqlite3.connect(db)
        try:
            return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                    for t in ("reports", "sections", "applications", "reviews", "checks", "documents")}
        finally:
            con.close()

    before = counts()
    assert before["reports"] == 5
    again = run([*nianbao, "build", "--db", str(db), "--data", str(tmp_path / "none"), *files])
    assert again.returncode == 0, again.stderr
    assert counts() == before, "re-loading the same files changes nothing"
    assert "5 unchanged" in again.stderr


def test_one_broken_file_does_not_stop_a_build(nianbao, tmp_path):
    db = tmp_path / "a.db"
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")  # truncated
    files = [str(broken), *sorted(str(f) for f in SEEDS.glob("*.txt"))]
    p = run([*nianbao, "build", "--db", str(db), "--data", str(tmp_path / "none"), *files])
    assert p.returncode == 1
    assert "5 new" in p.stderr and "1 failed" in p.stderr
    assert str(broken) in p.stderr
    con = sqlite3.connect(db)
    assert con.execute("select count(*) from reports").fetchone()[0] == 5
