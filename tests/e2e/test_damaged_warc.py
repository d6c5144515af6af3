"""A damaged record in the middle of a WARC file costs its own report, named, and no other.

The capture store holds the five seed reports in one WARC file, written by the crawler's
own CaptureStore; the record of the third is damaged on disk (its gzip member's first
bytes overwritten, as a bad sector or a torn copy would). `nianbao build` must load the
other four, name the damaged one (URL, file, offset) and exit non-zero — every time, so a
second build loads nothing new and says the same. Before, warcio's exception stopped the
build at that record and every report after it was never loaded.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time

from e2e_support import SEEDS, nianbao_command, run
from faults_record import record_fault

from nianbao.crawler.captures import CaptureStore, Fetched, read_index

SEED_FILES = sorted(SEEDS.glob("*.txt"))


def test_a_damaged_middle_record_loads_every_other_report_and_names_it(tmp_path):
    data = tmp_path
    with CaptureStore(data) as store:
        for i, seed in enumerate(SEED_FILES):
            store.add(Fetched(url=f"https://www.example.gov.cn/nb/{i}.txt", status=200,
                              body=seed.read_bytes(),
                              headers=[("Content-Type", "text/plain; charset=utf-8")]),
                      {"kind": "page", "source_id": "example"})
    records = read_index(data)
    assert len(records) == len(SEED_FILES) == 5
    assert len({r["warc_file"] for r in records}) == 1, "one WARC file, the damaged record in its middle"
    damaged = records[2]
    warc = data / "captures" / damaged["warc_file"]
    raw = bytearray(warc.read_bytes())
    raw[damaged["warc_offset"]:damaged["warc_offset"] + 40] = b"\0" * 40
    warc.write_bytes(bytes(raw))

    db = tmp_path / "archive.db"
    started = time.monotonic()
    first = run([*nianbao_command(), "build", "--db", str(db)])
    seconds = time.monotonic() - started
    assert first.returncode == 1, first.stderr[-3000:]
    assert "Traceback" not in first.stderr
    assert "archive: 4 new, 0 changed, 0 unchanged" in first.stderr and "1 failed" in first.stderr
    failed = [ln for ln in first.stderr.splitlines() if ln.startswith("  failed:")]
    assert len(failed) == 1, failed
    line = failed[0]
    assert damaged["url"] in line and damaged["warc_file"] in line
    assert f"offset {damaged['warc_offset']}" in line and "damaged WARC record" in line
    conn = sqlite3.connect(db)
    loaded = {sha for (sha,) in conn.execute("select sha256 from documents")}
    others = {r["sha256"] for r in records if r is not damaged}
    assert loaded == others, "every other report is in the archive"
    assert conn.execute("select count(*) from reports").fetchone()[0] == 4
    assert hashlib.sha256(SEED_FILES[2].read_bytes()).hexdigest() not in loaded
    conn.close()

    second = run([*nianbao_command(), "build", "--db", str(db)])
    assert second.returncode == 1
    assert "archive: 0 new, 0 changed, 4 unchanged" in second.stderr
    assert damaged["url"] in second.stderr, "the damaged capture is named on every build"
    record_fault(
        what="a damaged record in the middle of a WARC file (the 3rd of 5 captures, gzip header overwritten)",
        limit="one record read at a time from its offset, sha256 checked",
        seconds=round(seconds, 1),
        outcome="4 of 5 reports loaded; the damaged one named with its URL, WARC file and offset; "
                "exit status 1",
        lost="nothing (beyond the bytes the disk damaged)",
    )
