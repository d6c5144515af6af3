"""Helpers of the reliability suite: hostile inputs made on the fly, peak memory, the record.

Every test of this folder that meets a hostile input or a fault records one line (what,
limit, seconds, peak memory, outcome, what was lost) in a JSON Lines artefact,
build/reliability.jsonl (git-ignored; $NIANBAO_RELIABILITY_OUT to put it elsewhere).
`make reliability` runs this folder and renders docs/reliability.md from it
(tools/reliability_doc.py), so a plain `make test` never touches a tracked file.

Peak memory is sampled from /proc every few milliseconds over this process's
descendants (the parse workers are children of the forkserver, grandchildren of the
test), and is the largest resident set any one of them reached.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench/ (the hostile input generators) is not an installed package
    sys.path.insert(0, str(REPO))

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # hostile_portal.py beside this file
    sys.path.insert(0, str(HERE))

RECORD = Path(os.environ.get("NIANBAO_RELIABILITY_OUT") or REPO / "build" / "reliability.jsonl")


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakSampler:
    """The largest resident set reached by any descendant process while running."""

    def __init__(self, root: int | None = None, interval: float = 0.005) -> None:
        self.root = root or os.getpid()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _descendants(self) -> list[int]:
        kids = _children_map()
        out, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            for k in kids.get(pid, []):
                out.append(k)
                todo.append(k)
        return out

    def _run(self) -> None:
        pids: list[int] = []
        last_scan = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now - last_scan > 0.05:
                pids = self._descendants()
                last_scan = now
            for pid in pids:
                self.peak = max(self.peak, _rss(pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return round(self.peak / (1024 * 1024), 1)


@pytest.fixture(scope="session")
def reliability_record() -> Iterator[Path]:
    """The artefact of this session, started empty."""
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text("", encoding="utf-8")
    yield RECORD


@pytest.fixture
def record(reliability_record: Path, request: pytest.FixtureRequest):
    """`record(what=..., limit=..., seconds=..., peak_mb=..., outcome=..., lost=...)`."""

    def write(**entry: Any) -> None:
        entry.setdefault("test", request.node.nodeid)
        with reliability_record.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

    return write


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    """Hostile input files, each made once per session on first use: hostile("zip_bomb_200mb")."""
    from bench import synth_hostile as h

    folder = tmp_path_factory.mktemp("hostile")
    makers = {
        "docx_bomb_200mb.docx": lambda p: h.docx_bomb(p, 200 << 20),
        "table_50mb.html": lambda p: h.html_table_page(p, 50 << 20),
        "plain_50mb.html": lambda p: h.html_plain_page(p, 50 << 20),
        "rects_40000.pdf": lambda p: h.pdf_rectangles(p, 40_000),
        "stream_bomb_200mb.pdf": lambda p: h.pdf_stream_bomb(p, 200 << 20),
        "stream_bomb_1.5gb.pdf": lambda p: h.pdf_stream_bomb(p, 1536 << 20),
        "deep_100000.html": lambda p: p.write_text(h.deep_page(100_000), encoding="utf-8"),
        "span_bomb.html": lambda p: p.write_text(h.span_bomb_page(), encoding="utf-8"),
        "table_3mb.html": lambda p: h.html_table_page(p, 3 << 20),
        "table_10mb.html": lambda p: h.html_table_page(p, 10 << 20),
    }

    def get(name: str) -> Path:
        path = folder / name
        if not path.exists():
            makers[name](path)
        return path

    return get


@pytest.fixture(scope="session")
def sampler():
    return PeakSampler


@pytest.fixture(scope="module")
def hostile_portal():
    """The hostile portal (hostile_portal.py), served on 127.0.0.1 for one test module."""
    from hostile_portal import HostilePortal

    server = HostilePortal().start()
    yield server
    server.close()
