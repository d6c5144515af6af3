"""PDF pages that are pictures: which to read by OCR, and reading them one page at a time.

A page is read from its text layer when it has a readable one. It goes to OCR whole when
it has none (a scan, text drawn as curves) or when its text layer is junk (fonts without
a Unicode map give private-use or control characters). On a page with a text layer, a
large picture with no text over it (a table pasted as an image) is read by OCR too, and
its characters join the page's own. Pages are rendered one at a time at `extract_ocr.dpi()`
and dropped before the next: a long scan never holds more than one page image; the OCR
time limit is checked between pages (`extract_ocr.Budget`).
"""

from __future__ import annotations

import ctypes
import re

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from . import extract_ocr, ocr_engine, pdf_fonts
from .extract_pdf import layout
from .pdf_page import Char, page_chars, page_rules
from .pdf_tables import PageTable

SCAN_SHIFT = 20.0  # points a scanned page may be offset from the previous one
PICTURE_SHARE = 0.08  # a picture covering less of the page is a logo or a seal,
PICTURE_WIDE = 0.4  # unless it is as wide as a table (this share of the page width) ...
PICTURE_LOW = 15.0  # ... and at least a table row high (points)
MAX_CHARS_OVER_PICTURE = 10  # more text over a picture: it is a background, not content


# The characters a real text layer of a Chinese report is made of
_READABLE = re.compile("[\x20-\x7e\xa0-\u024f\u2000-\u206f\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf"
                       "\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\u2460-\u24ff\u2150-\u218f\u25a0-\u25ff]")


def has_text_layer(chars: list[Char]) -> bool:
    """True when the page's characters are mostly real text (not junk of a font without
    a Unicode map)."""
    shown = "".join(c.text for c in chars if c.text.strip())
    if not shown:
        return False
    good = len(_READABLE.findall(shown))
    return good >= 0.7 * len(shown)


class Scanner:
    """Reads the pages of one PDF, sending those that need it to OCR."""

    def __init__(self, source: str, notes: list[str], data: bytes | None = None) -> None:
        self.source = source
        self.notes = notes
        self.ocr_pages: list[int] = []
        self.budget: extract_ocr.Budget | None = None
        # the document's bytes: pages to render are loaded again from a copy opened with
        # the system's fonts (`pdf_fonts.for_pixels`); text pages use stand-in glyphs
        self.data = data
        self._drawn: pdfium.PdfDocument | None = None

    def close(self) -> None:
        if self._drawn is not None:
            self._drawn.close()
            self._drawn = None

    def _render(self, page: pdfium.PdfPage, number: int, width: float, height: float,
                box: tuple[float, float, float, float] | None):
        """`render` of page `number`, drawn with real glyphs (see `pdf_fonts.for_pixels`)."""
        if self.data is None:
            return render(page, width, height, box)
        with pdf_fonts.for_pixels():
            if self._drawn is None:
                self._drawn = pdfium.PdfDocument(self.data)
            drawn = self._drawn[number - 1]
            try:
                return render(drawn, width, height, box)
            finally:
                drawn.close()

    def summary(self, count: int) -> str:
        pages = ", ".join(map(str, self.ocr_pages))
        return f"read by OCR: page(s) {pages} of {count}"

    def _begin_ocr(self, number: int, count: int, whole_page: bool) -> None:
        """Before OCR on a page: the engine is there, the limits are not reached. A long
        document whose first picture is a whole page is taken for a scan and refused at
        once when it has more pages than OCR may read; pictures on text pages count as
        they come."""
        if self.budget is None:
            self.budget = extract_ocr.Budget(self.source, count, refuse_long=whole_page)
        self.budget.check(number - 1)  # before loading the engine: the page's time counts from here
        ocr_engine.require(self.source)

    def read_page(self, pdf: pdfium.PdfDocument, page: pdfium.PdfPage, number: int,
                  count: int) -> tuple[list[tuple[str, object]], bool]:
        """One page as layout items (see `extract_pdf.layout`) and whether it had text."""
        chars = page_chars(page)
        width, height = page.get_size()
        rotated = page.get_rotation() != 0
        text_layer = has_text_layer(chars)
        rules = [] if rotated and not text_layer else page_rules(page)
        label = f"page {number}: "
        if text_layer:
            pictures = [] if rotated else picture_boxes(page, chars, width, height)
            if not pictures:
                return layout(chars, rules, height, number), True
            self._begin_ocr(number, count, whole_page=False)
            scans = []
            for box in pictures:
                image = self._render(page, number, width, height, box)
                scan = extract_ocr.read_picture(image, left=box[0], top=box[3], width_pt=box[2] - box[0],
                                                label=label, may_turn=False)
                scan.chars = [c for c in scan.chars if not _over_text(c, chars)]
                chars = chars + scan.chars
                rules = rules + scan.rules
                scans.append((box, scan))
            self.notes.append(f"{label}{len(pictures)} picture(s) read by OCR")
        else:
            if raw.FPDFPage_CountObjects(page.raw) == 0:
                return [], False  # a blank page
            if chars:
                self.notes.append(f"{label}text layer unreadable (no Unicode map?): read by OCR")
            self._begin_ocr(number, count, whole_page=True)
            image = self._render(page, number, width, height, None)
            scan = extract_ocr.read_picture(image, left=0.0, top=height, width_pt=width, height_pt=height,
                                            label=label)
            chars, rules = scan.chars, rules + scan.rules
            scans = [((0.0, 0.0, width, height), scan)]
        items = layout(chars, rules, height, number)
        for kind, obj in items:
            if kind == "table":
                table: PageTable = obj  # type: ignore[assignment]
                for box, scan in scans:
                    if _inside(table.bbox, box):
                        extract_ocr.recheck_empty_cells(table, scan, self.notes, label)
                        break
        for _, scan in scans:
            self.notes.extend(scan.notes)
        self.ocr_pages.append(number)
        return items, bool(chars)


def render(page: pdfium.PdfPage, width: float, height: float,
           box: tuple[float, float, float, float] | None):
    """A page (or the part of it in `box`, page points) as a grey numpy image at the OCR
    resolution; the bitmap is released before returning."""
    scale = extract_ocr.dpi() / 72.0
    crop = (0, 0, 0, 0) if box is None else (box[0], box[1], width - box[2], height - box[3])
    bitmap = page.render(scale=scale, crop=crop, grayscale=True, may_draw_forms=False)
    try:
        return bitmap.to_numpy().copy()
    finally:
        bitmap.close()


def picture_boxes(page: pdfium.PdfPage, chars: list[Char], width: float,
                  height: float) -> list[tuple[float, float, float, float]]:
    """Pictures (image objects, also inside form XObjects) big enough to hold a table and
    with (almost) no text over them, as (x0, y0, x1, y1) in page points."""
    found: list[tuple[float, float, float, float]] = []
    area = width * height
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()

    def walk(count: int, get, depth: int) -> None:
        for i in range(count):
            obj = get(i)
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_FORM and depth < 4:
                walk(raw.FPDFFormObj_CountObjects(obj),
                     lambda j, form=obj: raw.FPDFFormObj_GetObject(form, j), depth + 1)
            elif kind == raw.FPDF_PAGEOBJ_IMAGE and raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                box = (max(0.0, left.value), max(0.0, bottom.value), min(width, right.value),
                       min(height, top.value))
                w, h = box[2] - box[0], box[3] - box[1]
                if w * h >= PICTURE_SHARE * area or (w >= PICTURE_WIDE * width and h >= PICTURE_LOW):
                    over = sum(1 for c in chars if c.text.strip() and _inside((c.cx, c.cy, c.cx, c.cy), box))
                    if over <= MAX_CHARS_OVER_PICTURE:
                        found.append(box)

    walk(raw.FPDFPage_CountObjects(page.raw), lambda i: raw.FPDFPage_GetObject(page.raw, i), 0)
    # a picture inside another (a scan with a pasted patch) is read once, with the outer one
    return [b for b in found if not any(o != b and _inside(b, o) for o in found)]


def _inside(inner: tuple[float, float, float, float], outer: tuple[float, float, float, float],
            slack: float = 3.0) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _over_text(ch: Char, text: list[Char]) -> bool:
    """Is an OCR'd character a reading of text the page's text layer already has?"""
    return any(t.x0 <= ch.cx <= t.x1 and t.y0 <= ch.cy <= t.y1 for t in text if t.text.strip())
