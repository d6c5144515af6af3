"""Low-level reading of one PDF page with pypdfium2: characters with boxes, ruling lines.

Only two things are needed from a page to rebuild its tables and lines: every character
with its position, and the straight horizontal/vertical strokes (the table rules). Both
are read through pdfium's C API directly, one call per character or path segment,
which keeps the PDF extractor many times faster than pdfminer-based tools.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as raw

THIN = 3.0  # a filled/stroked shape at most this thick is a rule, not an area


class Char:
    """One character: text and its loose box in page coordinates (y grows upwards).

    Centre and height are computed once: table and line building look at them often.
    `conf` is the OCR score of a character recognised from pixels (None from a text layer).
    """

    __slots__ = ("conf", "cx", "cy", "height", "text", "x0", "x1", "y0", "y1")

    def __init__(self, text: str, x0: float, y0: float, x1: float, y1: float) -> None:
        self.text = text
        self.conf: float | None = None
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.cx = (x0 + x1) / 2
        self.cy = (y0 + y1) / 2
        self.height = y1 - y0

    def __repr__(self) -> str:
        return f"Char({self.text!r}, {self.x0:.1f}, {self.y0:.1f}, {self.x1:.1f}, {self.y1:.1f})"


@dataclass(slots=True)
class Rule:
    """A horizontal (y fixed, from a to b in x) or vertical (x fixed, a..b in y) rule."""

    horizontal: bool
    pos: float
    a: float
    b: float


# A character's box is built from what the PDF itself says: the glyph origin (text
# matrix), the font size and the advance width from the font's /W or /Widths. pdfium's
# loose and tight char boxes come from the glyph outlines of whatever font it loaded, and
# for a font the PDF does not embed that is a system font standing in for it: boxes then
# change with the fonts installed, and a character can drift out of its table cell. The
# vertical extent is the em box (descent 0.12, ascent 0.88 of the size: the CJK design
# frame), the same for every glyph, so a line's characters share one centre.
DESCENT = 0.12
ASCENT = 0.88


def page_chars(page: pdfium.PdfPage) -> list[Char]:
    """All non-generated characters of a page in content order ("\\n" marks pdfium's
    own line ends so callers can still see them), boxed independently of system fonts."""
    tp = page.get_textpage()
    try:
        n = raw.FPDFText_CountChars(tp.raw)
        text = tp.get_text_range(0, n) if n > 0 else ""
        # One bulk call for the text when it lines up with the character indices (it
        # does unless the page has characters outside the BMP); else one call per char.
        bulk = len(text) == n
        boxes = _CharBoxes(tp.raw)
        generated = raw.FPDFText_IsGenerated
        out: list[Char] = []
        for i in range(n):
            if bulk:
                ch = text[i]
            else:
                code = raw.FPDFText_GetUnicode(tp.raw, i)
                ch = chr(code) if 0 < code < 0x110000 else "\ufffd"
            if ch in "\r\n":
                if out and out[-1].text != "\n":
                    out.append(Char("\n", 0, 0, 0, 0))
                continue
            # pdfium generates only spaces and line ends: ask about spaces alone
            if ch in "\x00\ufffe" or (ch == " " and generated(tp.raw, i) == 1):
                continue
            box = boxes.box(i, ch)
            if box is not None:
                out.append(Char(ch, *box))
        return out
    finally:
        tp.close()


class _CharBoxes:
    """Font-independent boxes of one text page's characters (see DESCENT/ASCENT).

    Font, size and matrix are the same for every character of a text object, so they
    are asked once per object; advance widths once per (font, character, size).
    """

    def __init__(self, textpage) -> None:
        self.tp = textpage
        self.x, self.y = ctypes.c_double(), ctypes.c_double()
        self.width = ctypes.c_float()
        self.matrix = raw.FS_MATRIX()
        self.rect = raw.FS_RECTF()
        # text object address -> (font, size, x scale, y scale), or None for rotated text
        self.objects: dict[int, tuple[object, float, float, float] | None] = {}
        self.widths: dict[tuple[int, str, float], float] = {}

    def box(self, i: int, ch: str) -> tuple[float, float, float, float] | None:
        tp = self.tp
        obj = raw.FPDFText_GetTextObject(tp, i)
        key = (ctypes.cast(obj, ctypes.c_void_p).value or 0) if obj else 0
        if key in self.objects:
            style = self.objects[key]
        else:
            style = self.objects[key] = self._style(obj, i)
        if style is None or not raw.FPDFText_GetCharOrigin(tp, i, self.x, self.y):
            return self._loose(i)
        font, size, sx, sy = style
        advance = self._advance(font, ch, size)
        ox, oy = self.x.value, self.y.value
        return ox, oy - DESCENT * size * sy, ox + advance * sx, oy + ASCENT * size * sy

    def _style(self, obj, i: int) -> tuple[object, float, float, float] | None:
        size = raw.FPDFText_GetFontSize(self.tp, i)
        m = self.matrix
        if not obj or size <= 0 or not raw.FPDFText_GetMatrix(self.tp, i, m):
            return None
        if abs(m.b) > 1e-3 or abs(m.c) > 1e-3 or m.a <= 0 or m.d <= 0:
            return None  # rotated or mirrored text: rare, boxes from pdfium
        return raw.FPDFTextObj_GetFont(obj), size, m.a, m.d

    def _advance(self, font, ch: str, size: float) -> float:
        key = (ctypes.cast(font, ctypes.c_void_p).value or 0, ch, size)
        advance = self.widths.get(key)
        if advance is None:
            ok = bool(font) and raw.FPDFFont_GetGlyphWidth(font, ord(ch), size, self.width)
            fallback = size * (0.5 if ch.isascii() else 1.0)
            advance = self.width.value if ok and self.width.value > 0 else fallback
            self.widths[key] = advance
        return advance

    def _loose(self, i: int) -> tuple[float, float, float, float] | None:
        r = self.rect
        if not raw.FPDFText_GetLooseCharBox(self.tp, i, r):
            return None
        return r.left, r.bottom, r.right, r.top


def page_rules(page: pdfium.PdfPage) -> list[Rule]:
    """Axis-aligned rules drawn on the page: thin path objects and the straight edges of
    thicker paths (rectangles drawn as cell borders). Form XObjects are searched too."""
    rules: list[Rule] = []
    _collect_rules(raw.FPDFPage_CountObjects(page.raw), lambda i: raw.FPDFPage_GetObject(page.raw, i),
                   rules, depth=0)
    return rules


def _collect_rules(count: int, get, rules: list[Rule], depth: int) -> None:
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    for i in range(count):
        obj = get(i)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_FORM and depth < 4:
            _collect_rules(raw.FPDFFormObj_CountObjects(obj),
                           lambda j, form=obj: raw.FPDFFormObj_GetObject(form, j), rules, depth + 1)
            continue
        if kind != raw.FPDF_PAGEOBJ_PATH or not raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            continue
        x0, y0, x1, y1 = left.value, bottom.value, right.value, top.value
        w, h = x1 - x0, y1 - y0
        if w <= THIN and h > THIN:
            rules.append(Rule(False, (x0 + x1) / 2, y0, y1))
        elif h <= THIN and w > THIN:
            rules.append(Rule(True, (y0 + y1) / 2, x0, x1))
        elif w > THIN and h > THIN:
            rules.extend(_path_edges(obj))


def _path_edges(obj) -> list[Rule]:
    """Straight axis-aligned edges of a path (e.g. cell rectangles), in page space."""
    m = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, m):
        return []
    n = raw.FPDFPath_CountSegments(obj)
    if n <= 0 or n > 2000:
        return []
    x, y = ctypes.c_float(), ctypes.c_float()
    pts: list[tuple[int, float, float, bool]] = []
    for i in range(n):
        seg = raw.FPDFPath_GetPathSegment(obj, i)
        if not seg or not raw.FPDFPathSegment_GetPoint(seg, x, y):
            continue
        px = m.a * x.value + m.c * y.value + m.e
        py = m.b * x.value + m.d * y.value + m.f
        pts.append((raw.FPDFPathSegment_GetType(seg), px, py, bool(raw.FPDFPathSegment_GetClose(seg))))
    edges: list[Rule] = []
    start: tuple[float, float] | None = None
    prev: tuple[float, float] | None = None
    for kind, px, py, close in pts:
        if kind == raw.FPDF_SEGMENT_MOVETO:
            start = prev = (px, py)
            continue
        if kind == raw.FPDF_SEGMENT_LINETO and prev is not None:
            _edge(edges, prev, (px, py))
        prev = (px, py)
        if close and start is not None:
            _edge(edges, prev, start)
            prev = start
    return edges


def _edge(edges: list[Rule], p: tuple[float, float], q: tuple[float, float]) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) <= 0.5 and abs(x0 - x1) > THIN:
        edges.append(Rule(True, (y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x0 - x1) <= 0.5 and abs(y0 - y1) > THIN:
        edges.append(Rule(False, (x0 + x1) / 2, min(y0, y1), max(y0, y1)))
