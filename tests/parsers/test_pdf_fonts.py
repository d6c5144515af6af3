"""The cells read from a PDF do not depend on the fonts installed on the machine.

pdfium stands system fonts in for fonts a PDF does not embed (the seed PDFs use the
non-embedded STSong-Light), and its text page drops characters whose stand-in glyph has
no box. Every PDF fixture is parsed in a fresh process three times: as the parser reads
text (pdf_fonts' box font standing in for CJK fonts), with the machine's real CJK fonts
(as pages drawn for OCR get them), and with system-font lookup turned off (a font handler
that finds no font, as on a machine without fonts-noto-cjk); blocks and cells must be
identical.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "tests" / "fixtures" / "forms"
# the text PDFs (scans and the pictures of mixed PDFs are read by OCR from pixels, which no
# installed font affects)
PDFS = sorted(p for p in FORMS.glob("*.pdf") if p.name.count(".") == 1)

DUMP = r"""
import json, sys
from nianbao.parsers import pdf_fonts, extract_pdf, parse_bytes, Table
pdf_fonts.install(system_fonts=sys.argv[1] != "none")
pdf_fonts.STAND_IN_FOR_TEXT = sys.argv[1] != "real"
out = {}
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    doc = extract_pdf.extract(data, path)
    blocks = [[[c.text for c in r] for r in b.rows] if isinstance(b, Table) else b.text for b in doc.blocks]
    report = parse_bytes(data, path)
    cells = {k: [c["value"] for c in report[k]] for k in ("active_disclosure", "applications", "reviews")}
    out[path] = {"blocks": blocks, "cells": cells, "agency": report["agency"], "year": report["year"]}
print(json.dumps(out, ensure_ascii=False))
"""


def dump(mode: str) -> dict:
    run = subprocess.run([sys.executable, "-c", DUMP, mode, *map(str, PDFS)], capture_output=True,
                         text=True, timeout=300, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


@pytest.mark.slow
def test_same_cells_with_and_without_system_fonts() -> None:
    assert len(PDFS) >= 5
    with_fonts, real, without = dump("system"), dump("real"), dump("none")
    for path in map(str, PDFS):
        a = with_fonts[path]
        for b, how in ((without[path], "without system fonts"), (real[path], "with real CJK glyphs")):
            assert a["blocks"] == b["blocks"], f"{path}: blocks differ {how}"
            assert a["cells"] == b["cells"], f"{path}: cells differ {how}"
            assert (a["agency"], a["year"]) == (b["agency"], b["year"])
        # and the text really was read: the applications table holds its wrapped labels
        flat = json.dumps(a["blocks"], ensure_ascii=False)
        assert "自然人" in flat and "本年度办理结果" in flat, path
