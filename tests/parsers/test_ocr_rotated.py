"""Pages scanned turned a quarter, a half and three quarters (tests/fixtures/ocr/
004_87e2bd2fd6f6bd54.rotated.pdf, made by tools/forms_rotated.py from the seed's scan):
each page is turned upright before it is read, says so in the notes, and its tables give
the seed's truth — never a figure read upside down (a 6 for a 9)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from nianbao import parsers

REPO = Path(__file__).resolve().parents[2]
ROTATED = REPO / "tests" / "fixtures" / "ocr" / "004_87e2bd2fd6f6bd54.rotated.pdf"
TRUTH = REPO / "tests" / "fixtures" / "seeds" / "truth" / "004_87e2bd2fd6f6bd54.json"
KEYS = {"active_disclosure": ("article", "item", "metric"), "applications": ("row", "applicant"),
        "reviews": ("stage", "outcome")}


def _cells(doc: dict) -> dict[tuple, object]:
    return {(t, *(c[f] for f in fs)): c.get("value") for t, fs in KEYS.items() for c in doc.get(t) or []}


def test_turned_pages_are_read_upright() -> None:
    out = parsers.parse_file(ROTATED)
    assert out["kind"] == "ocr"
    turns = [n for n in out["notes"] if "turned" in n]
    assert any(n.startswith("page 1: ") and "90° clockwise" in n for n in turns), turns
    assert any(n.startswith("page 2: ") and "180° clockwise" in n for n in turns), turns
    assert any(n.startswith("page 3: ") and "270° clockwise" in n for n in turns), turns
    truth, got = _cells(json.loads(TRUTH.read_text(encoding="utf-8"))), _cells(out)
    scored = [k for k, want in truth.items() if want is not None]
    wrong = [(k, got[k], truth[k]) for k in scored if got.get(k) is not None
             and not math.isclose(float(got[k]), float(truth[k]), abs_tol=1e-6)]  # type: ignore[arg-type]
    right = [k for k in scored if got.get(k) is not None and k not in {w[0] for w in wrong}]
    assert not wrong, wrong
    assert len(right) >= 0.98 * len(scored), f"{len(right)} of {len(scored)} cells right"
