"""docs/reliability.md is rendered from the suite's own records, every row of them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("reliability_doc", REPO / "tools" / "reliability_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_record_becomes_a_row(tmp_path):
    entries = [
        {"what": "zip bomb (.docx, x)", "size": "200 KB", "limit": "20 s, 256 MB", "seconds": 0.5,
         "peak_mb": 56.0, "outcome": "document too large | x", "lost": "nothing"},
        {"what": "something new", "size": None, "limit": "-", "seconds": None, "peak_mb": None,
         "outcome": "ok", "lost": "nothing"},
    ]
    src = tmp_path / "r.jsonl"
    src.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    out = tmp_path / "reliability.md"
    out.write_text("# Reliability\n\n<!-- faults:begin -->\n| other | section |\n<!-- faults:end -->\n",
                   encoding="utf-8")
    tool = _tool()
    assert tool.main(["x", str(src), str(out)]) == 0
    assert tool.main(["x", str(src), str(out)]) == 0  # a second run replaces its section
    text = out.read_text(encoding="utf-8")
    assert "| other | section |" in text and text.count(tool.BEGIN) == 1
    rows = [line for line in text.split(tool.BEGIN)[1].splitlines() if line.startswith("| ")][2:]
    assert len(rows) == 2
    assert "document too large \\| x" in rows[0] and "390 s, 17 GB" in rows[0]  # escaped; before-figure
    assert rows[1].count("| – |") >= 2


def test_no_records_is_an_error(tmp_path):
    src = tmp_path / "empty.jsonl"
    src.write_text("", encoding="utf-8")
    assert _tool().main(["x", str(src), str(tmp_path / "out.md")]) == 1
