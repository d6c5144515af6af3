"""Render the faults section of docs/reliability.md from the fault tests' own record.

The tests of issue 16 (a rebuild under load, refused queries, a damaged WARC record, a
full disk, a hostile column) append what they saw to build/reliability-faults.jsonl
(tests/e2e/faults_record.py). This script writes the latest line of each fault as a
table between the `faults:begin` and `faults:end` markers of docs/reliability.md and
leaves the rest of the file alone:

    .venv/bin/python -m pytest tests/e2e/test_live_rebuild.py tests/e2e/test_damaged_warc.py \\
        tests/archive/test_guard.py tests/crawler/test_accounting.py tests/crawler/test_store_faults.py
    .venv/bin/python tools/faults_doc.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORD = Path(os.environ.get("NIANBAO_FAULTS_OUT") or REPO / "build" / "reliability-faults.jsonl")
DOC = REPO / "docs" / "reliability.md"
BEGIN = "<!-- faults:begin: rendered by tools/faults_doc.py from build/reliability-faults.jsonl -->"
END = "<!-- faults:end -->"


def _cell(value: object) -> str:
    return "–" if value in (None, "") else str(value).replace("|", "\\|").replace("\n", " ")


def table(entries: list[dict]) -> str:
    latest: dict[str, dict] = {}
    for entry in entries:
        latest[entry["what"]] = entry  # later lines are later runs
    lines = ["| fault | limit | seconds | peak memory (MB) | outcome | lost | test |",
             "|---|---|---|---|---|---|---|"]
    for e in latest.values():
        test = (e.get("test") or "").split("::")
        lines.append("| " + " | ".join(_cell(v) for v in (
            e["what"], e.get("limit"), e.get("seconds"), e.get("peak_mb"), e.get("outcome"), e.get("lost"),
            f"`{test[0]}`" + (f" {test[-1]}" if len(test) > 1 else ""))) + " |")
    return "\n".join(lines)


def main() -> int:
    if not RECORD.exists():
        print(f"{RECORD}: no record yet; run the fault tests first", file=sys.stderr)
        return 1
    entries = [json.loads(line) for line in RECORD.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{table(entries)}\n{END}{tail}", encoding="utf-8")
    print(f"{DOC}: {len({e['what'] for e in entries})} faults")
    return 0


if __name__ == "__main__":
    sys.exit(main())
