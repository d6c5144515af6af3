"""Helpers for the benchmark tests: the repository root and a runner for `python -m bench`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# bench/ is run as `python -m bench` from the checkout and is not an installed package.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def run_bench(out: Path, *args: str, timeout: float = 600) -> tuple[subprocess.CompletedProcess, dict]:
    """Run `python -m bench --out OUT ARGS...` as users do; return the process and results.json."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    path = out / "results.json"
    if not path.exists():
        pytest.fail(f"python -m bench wrote no results.json (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc, json.loads(path.read_text(encoding="utf-8"))


def _stamps() -> dict[str, float | None]:
    paths = [REPO / "bench" / "results.json", REPO / "docs" / "benchmarks.md"]
    return {str(p): (p.stat().st_mtime_ns if p.exists() else None) for p in paths}


class _Stamps:
    """Modification times of the committed outputs, taken before the quick run."""

    def __init__(self) -> None:
        self.before = _stamps()

    def __call__(self) -> dict[str, float | None]:
        return _stamps()


@pytest.fixture(scope="session")
def committed_outputs() -> _Stamps:
    return _Stamps()


@pytest.fixture(scope="session")
def quick_run(
    tmp_path_factory: pytest.TempPathFactory, committed_outputs: _Stamps
) -> tuple[subprocess.CompletedProcess, dict, Path]:
    """One quick benchmark run for the whole session (it takes under a minute)."""
    out = tmp_path_factory.mktemp("bench-quick")
    proc, results = run_bench(out, "--quick")
    return proc, results, out
