"""Pages that are pictures (scans, photos, image-only PDF pages) -> characters and rules.

A scanned page is straightened (`ocr_image`), read by the OCR engine (`ocr_engine`) into
characters with boxes and scores, and the table rules are found in the pixels. Both are
expressed in page points, y up — exactly what the PDF reader gets from a text layer —
so the same code (`extract_pdf.layout`, `pdf_tables`) turns them into lines and `Table`
blocks, and the analyser reads a scanned table like any other: its arithmetic confirms
the figures, never invents them.

Never a guess: a figure whose characters OCR scored below `CONF_MIN`, or that holds a
letter OCR puts for a digit (O, o, l, I, |), is written as "U" characters, which the
cell reader takes for unreadable (null, and the report's `complete` check flags it);
the OCR's candidate is kept in the document's notes. A table cell with ink that OCR
found no text in is read again on its own; if that is not a confident figure either, it
is unreadable too — a printed figure is never lost as a blank.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import limits, ocr_engine, ocr_image
from .cells import parse_cell
from .model import Cell, ParseError
from .pdf_page import Char, Rule
from .pdf_tables import PageTable

CONF_MIN = 0.9  # a figure's characters must all score at least this
A4_WIDTH_PT = 595.0
_DIGITISH = set("0123456789.,+-")
_LOOKALIKE = set("OoDlI|")
DEFAULT_DPI = 150
DEFAULT_MAX_PAGES = 100
DEFAULT_SECONDS = 900.0


def dpi() -> int:
    """Resolution at which PDF pages are rendered for OCR (NIANBAO_OCR_DPI)."""
    return _env_number("NIANBAO_OCR_DPI", DEFAULT_DPI, int, 72, 400)


def max_pages() -> int:
    """Most pages one document may have OCR'd (NIANBAO_OCR_MAX_PAGES)."""
    return _env_number("NIANBAO_OCR_MAX_PAGES", DEFAULT_MAX_PAGES, int, 1, 100000)


def seconds() -> float:
    """Time limit of the OCR of one document (NIANBAO_OCR_SECONDS)."""
    return _env_number("NIANBAO_OCR_SECONDS", DEFAULT_SECONDS, float, 1, 1e6)


def _env_number(name: str, default, kind, lo, hi):
    try:
        return min(hi, max(lo, kind(os.environ.get(name, default))))
    except ValueError:
        return default


class Budget:
    """The OCR time limit of one document, checked between pages."""

    def __init__(self, source: str, pages: int, refuse_long: bool = True) -> None:
        self.source, self.pages = source, pages
        self.limit = seconds()
        self.start = time.monotonic()
        self.read = 0  # pages (or pictures' pages) read so far
        if refuse_long and pages > max_pages():
            raise ParseError(source, f"scanned document of {pages} pages: more than the {max_pages()} "
                                     "pages OCR reads in one document (NIANBAO_OCR_MAX_PAGES)")

    def check(self, done: int) -> None:
        """Raise when the limit is spent with pages still to read (`done` pages of the
        document behind us), or when one more page would pass the page limit."""
        if self.read >= max_pages():
            raise ParseError(self.source, f"more than {max_pages()} pages of this document need OCR "
                                          "(NIANBAO_OCR_MAX_PAGES)")
        self.read += 1
        # the parse pool gives each page read by OCR a time limit of its own (parse_pool.Job)
        limits.progress(f"page {done + 1} of {self.pages} (OCR page {self.read})")
        spent = time.monotonic() - self.start
        if spent > self.limit and done < self.pages:
            raise ParseError(self.source, f"OCR time limit of {self.limit:g} s exceeded after page {done} "
                                          f"of {self.pages} (NIANBAO_OCR_SECONDS)")


@dataclass
class OcrPage:
    """What OCR read on one picture, in page points: characters, rules, and what is needed
    to look at the pixels again (the straightened grey image and its placement)."""

    chars: list[Char]
    rules: list[Rule]
    gray: np.ndarray
    left: float  # page x of the image's left edge, points
    top: float  # page y of the image's top edge, points (y up)
    scale: float  # points per pixel
    glyph_height: float  # median character height, pixels
    notes: list[str] = field(default_factory=list)

    def to_px(self, x: float, y: float) -> tuple[int, int]:
        return round((x - self.left) / self.scale), round((self.top - y) / self.scale)


def read_picture(image: np.ndarray, *, left: float = 0.0, top: float | None = None,
                 width_pt: float | None = None, height_pt: float | None = None, label: str = "",
                 may_turn: bool = True) -> OcrPage:
    """OCR one picture placed at (left, top) with `width_pt` points of width on its page
    (an image file: an A4-wide page of its own). A picture scanned a quarter or half turn
    off is turned upright first when `may_turn` (a whole page: then it is fitted into
    `width_pt` x `height_pt`)."""
    gray = ocr_image.normalise(ocr_image.to_gray(image))
    gray, angle = ocr_image.deskew(gray)
    notes = [f"{label}straightened by {angle:.2f}°"] if abs(angle) >= 0.1 else []
    gray, lines, turned = _read_upright(gray, may_turn)
    if turned:
        notes.append(f"{label}page scanned sideways or upside down: turned {turned}° clockwise "
                     "before reading")
    h, w = gray.shape
    scale = (width_pt or A4_WIDTH_PT) / w
    if turned in (90, 270) and height_pt:
        scale = min(scale, height_pt / h)
    top = h * scale if top is None else top
    page = OcrPage([], [], gray, left, top, scale, 0.0, notes)
    if lines and _sideways(lines):
        page.notes.append(f"{label}most text runs top to bottom (vertical writing or a page turned a "
                          "quarter): its figures may be unreadable")
    boxes: list[tuple[int, int, int, int]] = []
    heights: list[float] = []
    for line in lines:
        _mask_doubtful(line, page.notes, label)
        for g in line:
            boxes.append((int(g.x0), int(g.y0), int(g.x1 + 0.5), int(g.y1 + 0.5)))
            heights.append(g.y1 - g.y0)
            ch = Char(g.text, left + g.x0 * scale, top - g.y1 * scale, left + g.x1 * scale,
                      top - g.y0 * scale)
            ch.conf = g.score
            page.chars.append(ch)
    page.glyph_height = float(np.median(heights)) if heights else 20.0
    page.rules = ocr_image.find_rules(gray, boxes, scale, top)
    if left:
        for r in page.rules:
            if r.horizontal:
                r.a, r.b = r.a + left, r.b + left
            else:
                r.pos += left
    return page


def _read_upright(gray: np.ndarray, may_turn: bool) -> tuple[np.ndarray, list[list[ocr_engine.Glyph]], int]:
    """Read a page, turning it upright first when its text lines say it lies sideways or
    upside down: the straightened page, its lines, and the degrees (clockwise) it was
    turned. An upright page costs one reading and a few classifier runs; a turned one is
    read again after each turn (at most two turns: a quarter, then a half)."""
    lines = ocr_engine.recognise(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    if not may_turn:
        return gray, lines, 0
    turned = 0
    if _sideways(lines):
        quarter = np.ascontiguousarray(np.rot90(gray, k=-1))  # a quarter turn clockwise
        quarter_lines = ocr_engine.recognise(cv2.cvtColor(quarter, cv2.COLOR_GRAY2BGR))
        if _sideways(quarter_lines):  # not a turned page (vertical writing): as scanned
            return gray, lines, 0
        gray, lines, turned = quarter, quarter_lines, 90
    if _upside_down(gray, lines):
        gray = np.ascontiguousarray(np.rot90(gray, k=2))
        turned = (turned + 180) % 360
        lines = ocr_engine.recognise(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    return gray, lines, turned


def _extent(line: list[ocr_engine.Glyph]) -> tuple[float, float, float, float]:
    return (min(g.x0 for g in line), min(g.y0 for g in line), max(g.x1 for g in line),
            max(g.y1 for g in line))


def _sideways(lines: list[list[ocr_engine.Glyph]]) -> bool:
    """Do most text lines (by length) run top to bottom? Then the page lies on its side."""
    tall = wide = 0.0
    for line in lines:
        x0, y0, x1, y1 = _extent(line)
        w, h = x1 - x0, y1 - y0
        if h >= 2 * w:
            tall += h
        elif w >= 2 * h:
            wide += w
    return tall > 2 * wide and tall > 0


SAMPLE_LINES = 9  # long lines whose direction votes on a page's orientation
UPSIDE_DOWN_SHARE = 0.7  # of the votes (weighted by score) to turn a page by a half


def _upside_down(gray: np.ndarray, lines: list[list[ocr_engine.Glyph]]) -> bool:
    """Does the direction classifier find the page's longest lines upside down? Only
    lines four times as long as high vote: a short crop (a lone figure) has no direction."""
    extents = [e for e in map(_extent, lines) if e[2] - e[0] >= 4 * (e[3] - e[1]) > 0]
    extents.sort(key=lambda e: e[2] - e[0], reverse=True)
    up = down = 0.0
    for x0, y0, x1, y1 in extents[:SAMPLE_LINES]:
        pad = max(2, int((y1 - y0) * 0.15))
        crop = gray[max(0, int(y0) - pad):int(y1) + pad, max(0, int(x0) - pad):int(x1) + pad]
        if crop.size == 0:
            continue
        direction, score = ocr_engine.orientation(cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR))
        if direction == "180":
            down += score
        elif direction == "0":
            up += score
    return down > 0 and down >= UPSIDE_DOWN_SHARE * (up + down)


def _mask_doubtful(line: list[ocr_engine.Glyph], notes: list[str], label: str) -> None:
    """Figures OCR is unsure of become "U" characters (unreadable), their reading noted.

    A line is cut into words at gaps; a word made only of digits, signs, separators and
    the letters OCR puts for digits is a figure. Figures inside words ("1.属于国家秘密")
    are labels and stay as read."""
    word: list[ocr_engine.Glyph] = []

    def close() -> None:
        figure = bool(word) and any(g.text.isdigit() for g in word) and all(
            g.text in _DIGITISH or g.text in _LOOKALIKE for g in word)
        if figure and any(g.score < CONF_MIN or g.text in _LOOKALIKE for g in word):
            seen = "".join(g.text for g in word)
            worst = min(g.score for g in word)
            for g in word:
                g.text = "U"
            notes.append(f"{label}OCR unsure of figure {seen!r} (score {worst:.2f}): left unreadable")
        word.clear()

    prev: ocr_engine.Glyph | None = None
    for g in line:
        if prev is not None and g.x0 - prev.x1 > 0.5 * max(1.0, g.y1 - g.y0):
            close()
        word.append(g)
        prev = g
    close()


def recheck_empty_cells(table: PageTable, page: OcrPage, notes: list[str], label: str = "") -> None:
    """Cells of a scanned table where OCR found no text but the paper has ink: read each
    again on its own; a figure that is still not certain is unreadable, never blank."""
    xs, ys = table.xs, table.ys
    done: set[int] = set()
    min_ink = max(4, int(page.glyph_height * 0.35))
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row):
            region = table.regions[r][c]
            if cell.text or cell.spanned or region in done:
                continue
            done.add(region)
            members = [(rr, cc) for rr, rrow in enumerate(table.regions) for cc, reg in enumerate(rrow)
                       if reg == region]
            x0 = min(xs[cc] for _, cc in members)
            x1 = max(xs[cc + 1] for _, cc in members)
            y_top = max(ys[rr] for rr, _ in members)
            y_bottom = min(ys[rr + 1] for rr, _ in members)
            px0, py0 = page.to_px(x0, y_top)
            px1, py1 = page.to_px(x1, y_bottom)
            margin = 4
            box = (px0 + margin, py0 + margin, px1 - margin, py1 - margin)
            if box[2] - box[0] < 4 or box[3] - box[1] < 4 or not ocr_image.has_ink(page.gray, box, min_ink):
                continue
            crop = page.gray[box[1]:box[3], box[0]:box[2]]
            crop = cv2.copyMakeBorder(crop, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=255)
            text, score = ocr_engine.read_crop(cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR))
            text = text.strip()
            reading = parse_cell(text) if text else None
            if reading is not None and reading.kind == "blank":
                row[c] = Cell(text, confidence=score)
            elif reading is not None and reading.kind == "number" and score >= CONF_MIN \
                    and not set(text) & _LOOKALIKE:
                row[c] = Cell(text, confidence=score)
                notes.append(f"{label}figure {text!r} read on a second look at its cell (score {score:.2f})")
            elif not text or re.fullmatch(r"[\dOoDlI|.,+\-\s]+", text):
                row[c] = Cell("U", confidence=score)
                notes.append(f"{label}a table cell has print OCR cannot read"
                             + (f" (saw {text!r}, score {score:.2f})" if text else "") + ": left unreadable")
            elif score >= 0.5:
                row[c] = Cell(text, confidence=score)
