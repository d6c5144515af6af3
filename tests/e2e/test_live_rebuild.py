"""Publishing while building: `nianbao build` into the archive `nianbao serve` publishes.

The README's weekly cron rebuilds the served file in place. Here `nianbao serve` publishes
an archive of two seed reports while three clients keep asking for table pages, searches,
JSON and streamed CSV (`.csvbom?_stream=on`, `.csv?_stream=on`), and `nianbao build` runs
into the same file twice: two new reports, then one more and a changed one. Every response
must be a complete 200 (the stream's CSV parses, every row whole, no error text appended),
every count one of the archive's states — before, between or after the builds, never a
half-built one — and afterwards the site shows the new counts without a restart.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from e2e_support import REPO, SEEDS, free_port, nianbao_command, run, stop, wait_http
from faults_record import record_fault

pytestmark = pytest.mark.slow

SEED_FILES = sorted(SEEDS.glob("*.txt"))
TERM = "复议"


def counts(db: Path) -> dict[str, int]:
    """What the site must show of the archive in one state (read from the file itself)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {
            "reports": conn.execute("select count(*) from reports").fetchone()[0],
            "sections": conn.execute("select count(*) from sections").fetchone()[0],
            "applications": conn.execute("select count(*) from applications").fetchone()[0],
            "search": conn.execute("select count(*) from sections where text like ?",
                                   [f"%{TERM}%"]).fetchone()[0],
        }
    finally:
        conn.close()


def _csv_rows(body: bytes, bom: bool) -> list[list[str]]:
    text = body.decode("utf-8")
    if bom:
        assert text.startswith("\ufeff"), "csvbom starts with the byte order mark"
        text = text[1:]
    assert text.endswith("\r\n"), f"a CSV ends with its last row: {text[-200:]!r}"
    rows = list(csv.reader(io.StringIO(text)))
    width = len(rows[0])
    assert all(len(r) == width for r in rows), "every row whole"
    return rows[1:]


# (path, what it measures, how to read that number from a body)
CHECKS = [
    ("/archive/reports", None, lambda b: b.rstrip().endswith(b"</html>") or None),
    ("/archive/reports.json?_shape=objects", "reports", lambda b: json.loads(b)["filtered_table_rows_count"]),
    (f"/archive/sections.json?_search={urllib.parse.quote(TERM)}&_shape=objects", "search",
     lambda b: json.loads(b)["filtered_table_rows_count"]),
    (f"/archive/sections?_search={urllib.parse.quote(TERM)}", None,
     lambda b: b.rstrip().endswith(b"</html>") or None),
    ("/archive/sections.csvbom?_stream=on", "sections", lambda b: len(_csv_rows(b, bom=True))),
    ("/archive/applications.csvbom?_stream=on", "applications", lambda b: len(_csv_rows(b, bom=True))),
    ("/archive/applications.csv?_stream=on", "applications", lambda b: len(_csv_rows(b, bom=False))),
]


class Client(threading.Thread):
    """Requests every CHECKS path in turn until told to stop; keeps (start, end, path, outcome)."""

    def __init__(self, base: str, stop_at: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.stop_at = base, stop_at
        self.results: list[tuple[float, float, str, str | None, object]] = []

    def run(self) -> None:
        while not self.stop_at.is_set():
            for path, metric, read in CHECKS:
                start = time.monotonic()
                try:
                    with urllib.request.urlopen(self.base + path, timeout=60) as r:
                        body = r.read()  # raises IncompleteRead on a response cut short
                        status = r.status
                    value = read(body) if status == 200 else None
                    problem = None if status == 200 else f"HTTP {status}"
                    if value is None and metric is None:
                        problem = "HTML page not complete"
                except urllib.error.HTTPError as e:
                    problem, value = f"HTTP {e.code}: {e.read()[:300]!r}", None
                except Exception as e:  # a broken stream, a malformed CSV, a cut connection
                    problem, value = f"{type(e).__name__}: {e}", None
                self.results.append((start, time.monotonic(), path, problem, (metric, value)))


def test_rebuilding_the_served_archive_twice_never_disturbs_the_site(tmp_path):
    db = tmp_path / "archive.db"
    changed = tmp_path / "changed.txt"
    text = SEED_FILES[0].read_text(encoding="utf-8")
    changed.write_text(text.replace("一、", "一、（更正版）", 1), encoding="utf-8")
    first = run([*nianbao_command(), "build", "--db", str(db), *map(str, SEED_FILES[:2])])
    assert first.returncode in (0, 1), first.stderr[-2000:]
    states = [counts(db)]
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([*nianbao_command(), "serve", "--db", str(db), "--port", str(port)],
                              cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    done = threading.Event()
    clients = [Client(base, done) for _ in range(3)]
    builds: list[tuple[float, float]] = []
    try:
        wait_http(base + "/archive.json", timeout=60)
        for c in clients:
            c.start()
        time.sleep(1.0)
        for files in ([SEED_FILES[2], SEED_FILES[3]], [SEED_FILES[4], changed]):
            start = time.monotonic()
            proc = run([*nianbao_command(), "build", "--db", str(db), *map(str, files)])
            builds.append((start, time.monotonic()))
            assert proc.returncode in (0, 1), proc.stderr[-2000:]
            assert "archive:" in proc.stderr
            states.append(counts(db))
            time.sleep(1.0)
        done.set()
        for c in clients:
            c.join(timeout=120)
        # afterwards, without a restart: the new counts
        with urllib.request.urlopen(base + "/archive/reports.json?_shape=objects", timeout=30) as r:
            assert json.loads(r.read())["filtered_table_rows_count"] == states[-1]["reports"]
    finally:
        done.set()
        stop(server)
        log.close()
    assert states[0]["reports"] < states[1]["reports"] < states[2]["reports"], states
    results = [r for c in clients for r in c.results]
    problems = [(path, problem) for _, _, path, problem, _ in results if problem]
    assert not problems, f"{len(problems)} of {len(results)} responses not a complete 200: {problems[:5]}"
    for _, _, path, _, (metric, value) in results:
        if metric is not None:
            allowed = {s[metric] for s in states}
            assert value in allowed, f"{path}: {metric} {value}, not a state of the archive {sorted(allowed)}"
    during = [r for r in results if any(r[0] < end and r[1] > start for start, end in builds)]
    assert len(during) >= 5, "the clients were asking while the builds ran"
    streams = sum(1 for r in results if "_stream=on" in r[2])
    record_fault(
        what="`nianbao build` twice into the archive `nianbao serve` publishes, 3 clients asking all along",
        limit="WAL snapshots: one read transaction per request; each build one write transaction",
        seconds=round(sum(end - start for start, end in builds), 1),
        outcome=f"{len(results)} responses ({streams} streamed CSV, {len(during)} during the builds), all "
                "complete 200s, each count that of the archive before or after a build; new counts "
                "shown after the builds without a restart",
        lost="nothing",
    )
