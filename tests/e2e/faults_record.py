"""The record of the fault tests of issue 16, for docs/reliability.md.

A test that meets a fault (a rebuild under load, a refused query, a damaged WARC record,
a full disk, a hostile column) calls `record_fault(what=..., limit=..., seconds=...,
peak_mb=..., outcome=..., lost=...)`; the line goes to build/reliability-faults.jsonl
(git-ignored; $NIANBAO_FAULTS_OUT puts it elsewhere), so `make test` never touches a
tracked file. `python tools/faults_doc.py` renders the faults section of
docs/reliability.md from it (the latest line of each `what`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RECORD = Path(os.environ.get("NIANBAO_FAULTS_OUT") or REPO / "build" / "reliability-faults.jsonl")


def record_fault(**entry: Any) -> None:
    """Append one observed fault and its outcome to the record."""
    entry.setdefault("test", os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0])
    entry.setdefault("when", time.strftime("%Y-%m-%dT%H:%M:%S"))
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    with RECORD.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
