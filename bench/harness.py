"""The pieces every benchmark shares: figures, results, timing and memory helpers.

A benchmark is a function `run(ctx) -> Result`. It measures one stage and, in the same
run, a reference (trafilatura, pdfplumber, a bare Scrapy spider, SQL LIKE), because these
machines are noisy: an absolute figure from a shared 2-core box means little, a ratio
against a reference measured a minute earlier means more. A stage that has not landed yet
gives a `Result` whose `unavailable` says why, so one missing stage never sinks the run.
"""

from __future__ import annotations

import gc
import math
import os
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "tests" / "fixtures" / "seeds"
FORMS = REPO / "tests" / "fixtures" / "forms"


class Unavailable(Exception):
    """Raised by a benchmark when the stage it measures is not there (yet)."""


@dataclass
class Figure:
    """One measured number, with its reference and target when it has them.

    `ratio` is always "how many times better than the reference" or the share the
    target speaks of; `target` is the sentence of the brief, `met` its verdict (None when
    the figure has no target).
    """

    name: str
    value: float | int | str | bool | None
    unit: str = ""
    reference: float | int | None = None
    reference_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Result:
    """The outcome of one benchmark: figures, or the reason there are none."""

    name: str
    title: str
    expected: list[str]
    figures: list[Figure] = field(default_factory=list)
    unavailable: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def figure(self, name: str) -> Figure | None:
        return next((f for f in self.figures if f.name == name), None)

    def missing(self) -> list[str]:
        """Expected figures that were neither measured nor explained."""
        if self.unavailable:
            return []
        have = {f.name for f in self.figures}
        return [n for n in self.expected if n not in have]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": "not available" if self.unavailable else "ok",
            "unavailable": self.unavailable,
            "expected": self.expected,
            "figures": [asdict(f) for f in self.figures],
            "details": self.details,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class Context:
    """What every benchmark gets: the size of the run and where to put scratch files."""

    quick: bool
    work: Path  # scratch directory, deleted at the end unless --keep
    log: Callable[[str], None] = print


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) without numpy; p95 of 20 samples is the 19th."""
    xs = sorted(values)
    if not xs:
        raise ValueError("percentile of no values")
    rank = max(1, math.ceil(q / 100.0 * len(xs)))
    return xs[rank - 1]


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Run `fn` `repeat` times and keep the fastest wall time: noise only ever adds time."""
    best = math.inf
    out: Any = None
    for _ in range(max(1, repeat)):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def traced_peak(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak bytes allocated by Python while `fn` runs (tracemalloc), on an untimed pass.

    tracemalloc slows allocation-heavy code several times over, so it is never on while
    timing; memory allocated by C libraries outside Python's allocator (pdfium) is not seen.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, out


def self_maxrss_bytes() -> int:
    """Peak resident set of this process since it was exec'd.

    VmHWM belongs to the process's own address space; ru_maxrss does not do for a
    subprocess, since Linux carries the parent's peak across fork+exec into it (a bench
    process holding a 245 MB portal would make every child look 245 MB big).
    """
    hwm = proc_hwm_bytes(os.getpid())
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def proc_hwm_bytes(pid: int) -> int | None:
    """Peak resident set (VmHWM) of a running process, read from /proc before it ends."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def mib(n: float | int | None) -> float | None:
    return None if n is None else round(n / (1024 * 1024), 1)


def child_env() -> dict[str, str]:
    """Environment for subprocesses: the repo on sys.path, no user site, quiet Python."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env
