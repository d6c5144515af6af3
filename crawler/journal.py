"""The record of each crawl run, kept in the capture store beside the captures it made.

At the end of a crawl the spider appends one JSON line to ``captures/runs.jsonl``: when
it ran, which nianbao and which settings that change what is fetched, and per source what
it read, found and failed (and the registry entries it skipped, with the reason). The
archive's source-health tables are loaded from these lines (archive/health.py), so a run
made with ``--no-build``, or an archive rebuilt from the store, keeps its history; the
crawler itself never writes SQL. ``last_crawl.json`` keeps the last run alone, for
scripts that read only that.

A distributed crawl's run is written by its last worker into that worker's store
(``captures/workers/<worker>/runs.jsonl``, crawler/distributed.py); `read_runs` reads the
journals of every store of the data directory.
"""

from __future__ import annotations

import contextlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

from .captures import CaptureError, append_durably, captures_dir, store_dirs, worker_dir

RUNS_NAME = "runs.jsonl"
LAST_NAME = "last_crawl.json"

# Settings that change what a crawl fetches or how hard it tries, recorded with each run
# (name -> how to read it: `-s NAME=VALUE` gives strings).
RECORDED_SETTINGS = {
    "USER_AGENT": "get", "ROBOTSTXT_OBEY": "getbool", "DOWNLOAD_DELAY": "getfloat",
    "AUTOTHROTTLE_ENABLED": "getbool", "CONCURRENT_REQUESTS": "getint",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "getint", "DOWNLOAD_TIMEOUT": "getfloat", "DOWNLOAD_MAXSIZE": "getint",
    "RETRY_TIMES": "getint", "NIANBAO_MAX_LIST_PAGES": "getint", "NIANBAO_RECHECK_ALL": "getbool",
    "JOBDIR": "get", "CLOSESPIDER_PAGECOUNT": "getint", "CLOSESPIDER_TIMEOUT": "getfloat",
    "CLOSESPIDER_ITEMCOUNT": "getint", "CLOSESPIDER_ERRORCOUNT": "getint",
}


def nianbao_version() -> str:
    try:
        return metadata.version("nianbao")
    except metadata.PackageNotFoundError:
        return "unknown"


def recorded_settings(settings: Any) -> dict[str, Any]:
    """The RECORDED_SETTINGS of a Scrapy Settings object that are set (booleans always)."""
    out: dict[str, Any] = {}
    if not settings:
        return out
    for name, getter in RECORDED_SETTINGS.items():
        if settings.get(name) in (None, ""):
            continue
        value = getattr(settings, getter)(name)
        if name.startswith("CLOSESPIDER_") and not value:
            continue  # 0 = not set
        out[name] = value
    return out


def write_run(data_dir: str | os.PathLike[str], run: dict[str, Any], *, worker: str | None = None) -> None:
    """Append `run` to the store's run journal (a worker's own, with `worker`) and replace
    last_crawl.json beside it."""
    folder = worker_dir(data_dir, worker) if worker else captures_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    line = json.dumps(run, ensure_ascii=False, sort_keys=True)
    # whole or not at all: a full disk never leaves half a line for the next run to append to
    append_durably(folder / RUNS_NAME, (line + "\n").encode("utf-8"))
    last = {"finish_reason": run.get("finish_reason"), "run_id": run.get("run_id"),
            "per_source": run.get("sources", []), "skipped": run.get("skipped", [])}
    tmp = folder / (LAST_NAME + ".tmp")
    try:
        tmp.write_text(json.dumps(last, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, folder / LAST_NAME)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def read_runs(data_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every run recorded in the store, oldest first; a line cut short by a kill is skipped.

    The journals of distributed-crawl workers are read too; runs are then ordered by start.
    """
    journals = [runs for runs in (_read_journal(d / RUNS_NAME) for d in store_dirs(data_dir)) if runs]
    if len(journals) <= 1:
        return journals[0] if journals else []
    seen: set[str] = set()
    out = []
    for run in sorted((r for runs in journals for r in runs), key=lambda r: str(r.get("started") or "")):
        if run["run_id"] not in seen:
            seen.add(run["run_id"])
            out.append(run)
    return out


def _read_journal(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    runs = []
    lines = path.read_text(encoding="utf-8").split("\n")
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            run = json.loads(text)
        except json.JSONDecodeError as exc:
            if number == len(lines):  # the last line, without its newline: a killed write
                break
            raise CaptureError(f"{path}:{number}: not a JSON object ({exc.msg})") from None
        if not isinstance(run, dict) or not run.get("run_id"):
            raise CaptureError(f"{path}:{number}: run record without run_id")
        runs.append(run)
    return runs
