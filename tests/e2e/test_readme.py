"""The README's commands are the ones tested: every line of the blocks it marks is run here.

A block is marked by the line `<!-- tests/e2e/test_readme.py runs the commands of the next
block -->` before it. The lines run in order, in a temporary directory laid out like a
checkout (scrapy.cfg, datasette/ -> the checkout's, crawler/sources.yaml naming a local
portal, the report files the lines name) and without network. The substitutions are the
only differences from what a reader types, and they are all here:

- `.venv/bin/` is this environment's bin directory;
- the portal origin `https://www.gz.gov.cn` and the placeholder `COLUMN_URL` point to a
  portal on 127.0.0.1 that has the same column path, built from the bundled sample portal;
- a `serve` command gets `--port <free port>` (it runs until stopped: the test stops it
  after checking that `_search` answers what SQL `LIKE` does);
- the clock is 2023-04-01 (`NIANBAO_NOW`, as in the other crawl tests), when the sample
  portal's reports were current: otherwise the crawl's health check rightly calls the
  column stale and exits 1.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from e2e_support import REPO, assert_search_equals_like, free_port, stop, wait_http

from nianbao.resources import sample_portal_dir

pytestmark = pytest.mark.slow
ENV = {**os.environ, "NIANBAO_NOW": "2023-04-01T03:30:00Z"}

MARK = "<!-- tests/e2e/test_readme.py runs the commands of the next block -->"
ORIGIN = "https://www.gz.gov.cn"
COLUMN_PATH = "/zfjgzy/gzsrmzfbgt/zfxxgknb/bm/2024n/"
FORMS = REPO / "tests" / "fixtures" / "forms"
FILES = {  # the files the README's lines name -> fixtures of the same kind
    "report.pdf": FORMS / "000_eac659b3405373d8.pdf",
    "page.html": FORMS / "001_092bb9cf510e616c.html",
    "report.docx": FORMS / "000_eac659b3405373d8.docx",
    "downloaded.pdf": FORMS / "000_eac659b3405373d8.pdf",
}


def readme_commands() -> list[str]:
    """The command lines of the marked blocks, comments stripped, in README order."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    commands: list[str] = []
    for i, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        assert lines[i + 1].startswith("```"), f"README.md:{i + 2}: a code block must follow the mark"
        for body in lines[i + 2:]:
            if body.startswith("```"):
                break
            command = re.sub(r"\s+#.*$", "", body).strip()
            if command:
                commands.append(command)
    return commands


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def portal(tmp_path):
    """The sample portal's column served at the README's column path on 127.0.0.1."""
    root = tmp_path / "portal"
    shutil.copytree(sample_portal_dir() / "zfxxgknb", root / COLUMN_PATH.strip("/"))
    shutil.copy(sample_portal_dir() / "robots.txt", root / "robots.txt")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def checkout_like(tmp_path, portal) -> Path:
    work = tmp_path / "work"
    (work / "crawler").mkdir(parents=True)
    shutil.copy(REPO / "scrapy.cfg", work / "scrapy.cfg")
    (work / "datasette").symlink_to(REPO / "datasette")
    (work / "crawler" / "sources.yaml").write_text(
        "sources:\n"
        "  - id: local-column\n"
        f"    url: {portal}{COLUMN_PATH}\n"
        "    level: 部门\n    region: 广州市\n    agencies: 测试用的本地栏目\n",
        encoding="utf-8")
    for name, fixture in FILES.items():
        shutil.copy(fixture, work / name)
    return work


def _argv(command: str, portal: str) -> list[str]:
    command = command.replace(ORIGIN, portal).replace("COLUMN_URL", portal + COLUMN_PATH)
    argv = shlex.split(command)
    if argv[0].startswith(".venv/bin/"):
        argv[0] = str(Path(sys.executable).with_name(argv[0].removeprefix(".venv/bin/")))
    return argv


def test_readme_commands_run_as_written(checkout_like, portal, tmp_path):
    commands = readme_commands()
    assert len(commands) >= 8, commands
    db = checkout_like / "data" / "archive.db"
    reports = 0
    for command in commands:
        argv = _argv(command, portal)
        if "serve" in argv:
            port = free_port()
            log = (tmp_path / "serve.log").open("w")
            proc = subprocess.Popen([*argv, "--port", str(port)], cwd=checkout_like, env=ENV,
                                    stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_http(f"http://127.0.0.1:{port}/archive.json", timeout=120)
                assert_search_equals_like(f"http://127.0.0.1:{port}", db)
            finally:
                stop(proc)
                log.close()
            continue
        p = subprocess.run(argv, cwd=checkout_like, env=ENV, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, f"{command}\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}"
        program, subcommand = Path(argv[0]).name, argv[1]
        if (program, subcommand) == ("nianbao", "parse"):
            results = [line for line in p.stdout.splitlines() if line.strip()]
            assert len(results) == 3 and all('"schema"' in r for r in results), p.stdout[:2000]
        if program == "nianbao" and subcommand in ("build", "crawl"):
            now = sqlite3.connect(db).execute("select count(*) from reports").fetchone()[0]
            assert now >= max(reports, 1), f"{command}: {reports} -> {now} reports"
            reports = now
    assert reports >= 5, "the crawls archived the portal's reports"
    assert (checkout_like / "data" / "captures" / "index.jsonl").exists()
