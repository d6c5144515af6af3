"""A scanned report read as a user reads it, against the seed's truth (004).

- Through `nianbao parse`: the pool of worker processes at its default limits (1024 MB of
  address space and 60 s per document, one more time limit per page read by OCR), no
  environment overrides, no mocks. OCR used to fail there with ONNX Runtime's
  std::bad_alloc under RLIMIT_AS while it worked in-process.
- Pages scanned turned a quarter, a half and three quarters
  (tests/fixtures/ocr/004_87e2bd2fd6f6bd54.rotated.pdf, made by tools/forms_rotated.py from
  the seed's scan): each page is turned upright before it is read and says so; never a
  figure read upside down (a 6 for a 9).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

from nianbao import parsers

REPO = Path(__file__).resolve().parents[2]
NIANBAO = str(Path(sys.executable).with_name("nianbao"))
SCAN = REPO / "tests" / "fixtures" / "forms" / "004_87e2bd2fd6f6bd54.scan.pdf"
ROTATED = REPO / "tests" / "fixtures" / "ocr" / "004_87e2bd2fd6f6bd54.rotated.pdf"
TRUTH = REPO / "tests" / "fixtures" / "seeds" / "truth" / "004_87e2bd2fd6f6bd54.json"
KEYS = {"active_disclosure": ("article", "item", "metric"), "applications": ("row", "applicant"),
        "reviews": ("stage", "outcome")}


def _cells(doc: dict) -> dict[tuple, object]:
    return {(t, *(c[f] for f in fs)): c.get("value") for t, fs in KEYS.items() for c in doc.get(t) or []}


def assert_truth(out: dict) -> None:
    """No figure differs from the truth, and at least 98% of the truth's figures are read."""
    assert out["kind"] == "ocr"
    truth, got = _cells(json.loads(TRUTH.read_text(encoding="utf-8"))), _cells(out)
    scored = [k for k, want in truth.items() if want is not None]
    wrong = [(k, got[k], truth[k]) for k in scored if got.get(k) is not None
             and not math.isclose(float(got[k]), float(truth[k]), abs_tol=1e-6)]  # type: ignore[arg-type]
    right = [k for k in scored if got.get(k) is not None and k not in {w[0] for w in wrong}]
    assert not wrong, wrong
    assert len(right) >= 0.98 * len(scored), f"{len(right)} of {len(scored)} cells right"


def test_scan_is_read_by_ocr_in_the_pool_at_default_limits() -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NIANBAO_TIME", "NIANBAO_MEMORY", "NIANBAO_JOBS", "NIANBAO_OCR"))}
    proc = subprocess.run([NIANBAO, "parse", str(SCAN)], cwd=REPO, capture_output=True, text=True,
                          timeout=900, env=env)
    out = json.loads(proc.stdout)
    assert "error" not in out, out.get("error")
    assert proc.returncode == 0
    assert_truth(out)


def test_each_page_read_by_ocr_has_a_time_limit_of_its_own() -> None:
    """With a 1 s limit no page can be read (detection and recognition take seconds): the
    worker is stopped one limit per OCR page after the document began, and says where."""
    proc = subprocess.run([NIANBAO, "parse", str(SCAN)], cwd=REPO, capture_output=True, text=True,
                          timeout=900, env={**os.environ, "NIANBAO_TIME_LIMIT": "1", "NIANBAO_JOBS": "1"})
    error = json.loads(proc.stdout)["error"]
    assert proc.returncode == 1
    assert re.search(r"time limit of 1 s \(\+1 s for each of [1-3] page\(s\) read by OCR\) exceeded on page "
                     r"[1-3] of 3 \(OCR page [1-3]\)$", error), error


def test_turned_pages_are_read_upright() -> None:
    out = parsers.parse_file(ROTATED)
    turns = [n for n in out["notes"] if "turned" in n]
    assert any(n.startswith("page 1: ") and "90° clockwise" in n for n in turns), turns
    assert any(n.startswith("page 2: ") and "180° clockwise" in n for n in turns), turns
    assert any(n.startswith("page 3: ") and "270° clockwise" in n for n in turns), turns
    assert_truth(out)
