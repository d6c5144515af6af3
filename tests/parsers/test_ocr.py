"""OCR of scans, piece by piece: deskew, rules from pixels, figures OCR is unsure of,
cells with ink but no text, limits on long scans, pictures that are not documents, and
that the engine runs from the models inside the rapidocr wheel with no network."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from nianbao import parsers
from nianbao.parsers import Cell, extract_ocr, ocr_engine, ocr_image
from nianbao.parsers.pdf_tables import PageTable

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "fixtures" / "bad"
FORMS = REPO / "tests" / "fixtures" / "forms"


def text_page(angle: float = 0.0) -> np.ndarray:
    """A synthetic grey page: rows of dark bars like text lines and a ruled 3x4 grid,
    turned by `angle` degrees (positive: counter-clockwise, lines rise to the right)."""
    page = np.full((1400, 1000), 235, np.uint8)
    for y in range(120, 560, 34):
        for x in range(100, 880, 26):
            cv2.rectangle(page, (x, y), (x + 18, y + 20), 30, -1)
    for y in (700, 760, 820, 880):
        cv2.line(page, (100, y), (900, y), 20, 2)
    for x in (100, 400, 650, 900):
        cv2.line(page, (x, 700), (x, 880), 20, 2)
    m = cv2.getRotationMatrix2D((500, 700), angle, 1.0)
    return cv2.warpAffine(page, m, (1000, 1400), borderValue=235)


@pytest.mark.parametrize("angle", [-2.0, -0.7, 0.0, 1.2, 2.5])
def test_skew_is_measured_and_undone(angle: float) -> None:
    measured = ocr_image.skew_angle(text_page(angle))
    assert abs(measured - angle) <= 0.15
    straight, undone = ocr_image.deskew(text_page(angle))
    assert abs(undone - angle) <= 0.15 and abs(ocr_image.skew_angle(straight)) <= 0.15


def test_grey_paper_is_made_white_and_ink_kept() -> None:
    page = text_page()
    out = ocr_image.normalise(page)
    assert out[50, 50] == 255 and out[125, 105] < 40


def test_rules_of_a_ruled_grid_not_of_text() -> None:
    page = text_page()
    rules = ocr_image.find_rules(page, [], 0.5, 700.0)
    hs = sorted(round(r.pos) for r in rules if r.horizontal)
    vs = sorted(round(r.pos) for r in rules if not r.horizontal)
    assert hs == [260, 290, 320, 350]  # y up, points: 700 - px/2
    assert vs == [50, 200, 325, 450]
    # with the "text" blanked out as OCR would report it, no text bar becomes a rule
    assert all(not (60 <= 700 - r.pos <= 280) for r in rules if r.horizontal)


def glyphs(text: str, score: float, x: float = 0.0) -> list[ocr_engine.Glyph]:
    return [ocr_engine.Glyph(ch, x + 20 * i, 0, x + 20 * i + 18, 30, score, score)
            for i, ch in enumerate(text)]


def test_unsure_figures_become_unreadable_and_labels_stay() -> None:
    notes: list[str] = []
    line = (glyphs("1.属于国家秘密", 0.5) + glyphs("12", 0.99, 400) + glyphs("37", 0.6, 500)
            + glyphs("1O", 0.99, 600))
    extract_ocr._mask_doubtful(line, notes, "page 1: ")
    text = "".join(g.text for g in line)
    assert text == "1.属于国家秘密" + "12" + "UU" + "UU"
    assert parsers.cells.parse_cell("UU").kind == "unreadable"
    assert any("'37'" in n and "0.60" in n for n in notes) and any("'1O'" in n for n in notes)


def test_cell_with_ink_but_no_text_is_never_blank() -> None:
    """A table cell where OCR found nothing but the paper has a mark is read again on its
    own; what is still not a confident figure comes out unreadable, not blank."""
    gray = np.full((200, 400), 255, np.uint8)
    cv2.putText(gray, "7", (60, 140), cv2.FONT_HERSHEY_SIMPLEX, 2.5, 0, 6)  # clear print: read
    cv2.circle(gray, (300, 100), 30, 0, 4)  # a blot no figure: unreadable
    page = extract_ocr.OcrPage([], [], gray, 0.0, 200.0, 1.0, 60.0)
    table = PageTable(xs=[0.0, 200.0, 400.0], ys=[200.0, 0.0], rows=[[Cell(""), Cell("")]], regions=[[0, 1]])
    notes: list[str] = []
    extract_ocr.recheck_empty_cells(table, page, notes)
    first, second = table.rows[0]
    assert first.text == "7" and first.confidence is not None and first.confidence >= extract_ocr.CONF_MIN
    assert parsers.cells.parse_cell(second.text).kind == "unreadable"
    assert any("cannot read" in n for n in notes)


def test_picture_of_a_cat_is_not_a_document() -> None:
    with pytest.raises(parsers.ParseError) as info:
        parsers.parse_file(BAD / "cat.png")
    assert "OCR finds no text" in info.value.problem and info.value.source == str(BAD / "cat.png")


def test_300_page_scan_is_refused_before_any_page_is_read() -> None:
    start = time.monotonic()
    with pytest.raises(parsers.ParseError, match=r"scanned document of 300 pages: more than the 100 pages"):
        parsers.parse_file(BAD / "scan_300_pages.pdf")
    assert time.monotonic() - start < 20


def test_long_scan_stops_at_the_time_limit_page_by_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a page limit high enough to read it, a 300-page scan is read one page at a
    time and stopped by the OCR time limit after a few pages, naming where it stopped."""
    monkeypatch.setenv("NIANBAO_OCR_MAX_PAGES", "1000")
    monkeypatch.setenv("NIANBAO_OCR_SECONDS", "1")
    with pytest.raises(parsers.ParseError) as info:
        parsers.parse_file(BAD / "scan_300_pages.pdf")
    msg = info.value.problem
    assert msg.startswith("OCR time limit of 1 s exceeded after page ") and msg.endswith(
        "of 300 (NIANBAO_OCR_SECONDS)")
    done = int(msg.split("after page ")[1].split()[0])
    assert 1 <= done < 10


def test_corrupt_image_is_a_clear_error() -> None:
    data = (BAD / "cat.png").read_bytes()
    with pytest.raises(parsers.ParseError, match="corrupt or unreadable image"):
        parsers.extract(data[:200], "cut.png")


def test_engine_runs_offline_from_the_wheel_models(tmp_path: Path) -> None:
    """In a process without network (a new network namespace) the engine still loads and
    reads: its models come from the rapidocr wheel, never from a download."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (400, 120), 255)
    ImageDraw.Draw(img).text((20, 30), "2024", fill=0, font_size=48)
    path = tmp_path / "digits.png"
    img.save(path)
    code = ("import sys, numpy as np; from PIL import Image; from nianbao.parsers import ocr_engine; "
            "lines = ocr_engine.recognise(np.asarray(Image.open(sys.argv[1]).convert('RGB'))); "
            "print(''.join(g.text for line in lines for g in line))")
    cmd = [sys.executable, "-c", code, str(path)]
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode == 0:
        cmd = ["unshare", "-n", *cmd]  # no network at all, not even loopback
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "2024"


def test_png_page_image_is_scaled_for_ocr() -> None:
    from PIL import Image

    from nianbao.parsers.extract_image import page_array, strips

    assert max(page_array(Image.new("L", (600, 800), 255)).shape) == 1200
    assert max(page_array(Image.new("L", (6000, 8000), 255)).shape) == 2400
    tall = page_array(Image.new("L", (2480, 14000), 255))  # four pages in one strip, 300 dpi
    assert tall.shape[1] == 1800
    pieces = strips(tall)
    assert len(pieces) == 4 and sum(p.shape[0] for p in pieces) == tall.shape[0]
    assert pieces[0].shape[0] == int(1800 * 1.414)
    buf = io.BytesIO()
    Image.new("L", (10, 10), 255).save(buf, format="PNG")
    assert parsers.detect.sniff(buf.getvalue(), "x") == "image"
