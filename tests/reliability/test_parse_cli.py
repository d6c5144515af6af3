"""`nianbao parse` through the pool: input order kept, a crash or a limit costs one file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NIANBAO = str(Path(sys.executable).with_name("nianbao"))
FORMS = REPO / "tests" / "fixtures" / "forms"


def _parse(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([NIANBAO, "parse", *args], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_order_is_kept_and_a_crash_costs_one_file(tmp_path, hostile):
    crash = tmp_path / "crash-me.html"
    crash.write_bytes((FORMS / "001_092bb9cf510e616c.html").read_bytes())
    files = [str(hostile("table_3mb.html")), str(FORMS / "000_eac659b3405373d8.pdf"), str(crash),
             str(FORMS / "002_c44ede4c9c57f811.docx"), str(hostile("docx_bomb_200mb.docx")),
             str(FORMS / "003_a4b06523178ecf58.html")]
    proc = _parse("--jobs", "2", "--memory-limit", "512", *files, env={"NIANBAO_TEST_CRASH_ON": "crash-me"})
    assert proc.returncode == 1
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["source"] for o in out] == files  # the slow first file does not reorder the output
    assert "crash-me.html: parser process died (SIGSEGV)" in out[2]["error"]
    assert "document too large: word/document.xml inflates to 200 MB" in out[4]["error"]
    assert all("error" not in o for i, o in enumerate(out) if i not in (2, 4))
    assert "parsed 6 file(s): 4 read" in proc.stderr and "2 failed" in proc.stderr


def test_limits_come_from_the_environment(hostile):
    path = str(hostile("table_3mb.html"))
    proc = _parse(path, env={"NIANBAO_TIME_LIMIT": "0.3", "NIANBAO_JOBS": "1"})
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"].startswith(f"{path}: time limit of 0.3 s exceeded")
    bad = _parse(path, env={"NIANBAO_MEMORY_LIMIT": "lots"})
    assert bad.returncode == 2 and "NIANBAO_MEMORY_LIMIT='lots' is not a number" in bad.stderr


def test_jobs_zero_parses_in_process(hostile):
    proc = _parse("--jobs", "0", str(FORMS / "000_eac659b3405373d8.pdf"))
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "ok"
