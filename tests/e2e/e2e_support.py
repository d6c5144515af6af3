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
