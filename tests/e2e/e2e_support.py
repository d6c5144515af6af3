"""Helpers shared by the end-to-end tests (on sys.path through pytest's `pythonpath`)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "tests" / "fixtures" / "seeds"
NIANBAO = Path(sys.executable).with_name("nianbao")


def nianbao_command() -> list[str]:
    """The console script as installed by `make`, so the tests run what users run."""
    if not NIANBAO.exists():
        pytest.fail(f"{NIANBAO} missing: install the project (make install)")
    return [str(NIANBAO)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def truth(seed: str) -> dict:
    return json.loads((SEEDS / "truth" / f"{seed}.json").read_text(encoding="utf-8"))


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("cwd", REPO)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server the test started: SIGTERM, then SIGKILL if it does not go."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def assert_search_equals_like(base: str, db: Path, term: str = "复议") -> None:
    """Datasette's `_search` on sections answers exactly the rows of SQL `LIKE '%term%'`."""
    import sqlite3
    import urllib.parse

    hits = get_json(f"{base}/archive/sections.json?_search={urllib.parse.quote(term)}"
                    "&_shape=array&_size=max")
    like = {i for (i,) in sqlite3.connect(db).execute(
        "select id from sections where text like ?", [f"%{term}%"])}
    assert like, f"the archive has sections mentioning {term}"
    assert {r["id"] for r in hits} == like
