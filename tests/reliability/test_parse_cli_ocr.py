"""A scanned report through `nianbao parse` as a user runs it: the pool of worker
processes with its default limits (1024 MB of address space and 60 s per document, one
more time limit per page read by OCR), no environment overrides, no mocks. OCR used to
fail there (ONNX Runtime's std::bad_alloc under RLIMIT_AS) while it worked in-process."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NIANBAO = str(Path(sys.executable).with_name("nianbao"))
SCAN = REPO / "tests" / "fixtures" / "forms" / "004_87e2bd2fd6f6bd54.scan.pdf"
TRUTH = REPO / "tests" / "fixtures" / "seeds" / "truth" / "004_87e2bd2fd6f6bd54.json"
KEYS = {"active_disclosure": ("article", "item", "metric"), "applications": ("row", "applicant"),
        "reviews": ("stage", "outcome")}


def _cells(doc: dict) -> dict[tuple, object]:
    return {(t, *(c[f] for f in fs)): c.get("value") for t, fs in KEYS.items() for c in doc.get(t) or []}


def test_scan_is_read_by_ocr_in_the_pool_at_default_limits() -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NIANBAO_TIME", "NIANBAO_MEMORY", "NIANBAO_JOBS", "NIANBAO_OCR"))}
    proc = subprocess.run([NIANBAO, "parse", str(SCAN)], cwd=REPO, capture_output=True, text=True,
                          timeout=900, env=env)
    out = json.loads(proc.stdout)
    assert "error" not in out, out.get("error")
    assert proc.returncode == 0 and out["kind"] == "ocr"
    truth, got = _cells(json.loads(TRUTH.read_text(encoding="utf-8"))), _cells(out)
    wrong = [k for k, want in truth.items() if want is not None and got.get(k) is not None
             and not math.isclose(float(got[k]), float(want), abs_tol=1e-6)]
    right = [k for k, want in truth.items() if want is not None and got.get(k) is not None
             and math.isclose(float(got[k]), float(want), abs_tol=1e-6)]
    scored = sum(1 for want in truth.values() if want is not None)
    assert not wrong, [(k, got[k], truth[k]) for k in wrong]
    assert len(right) >= 0.98 * scored, f"{len(right)} of {scored} cells right"
