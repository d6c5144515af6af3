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


def _by_address(func, restype, *argtypes):
    """`func` of pypdfium2's bindings taking and returning handles as plain addresses
    (ints): the per-character loop below then needs no `ctypes.cast` to tell one text
    object or font from another, which was a quarter of its time."""
    address = ctypes.cast(func, ctypes.c_void_p).value or 0
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_VOID = ctypes.c_void_p
_DOUBLE_P = ctypes.POINTER(ctypes.c_double)
_text_object = _by_address(raw.FPDFText_GetTextObject, _VOID, _VOID, ctypes.c_int)
_char_origin = _by_address(raw.FPDFText_GetCharOrigin, ctypes.c_int, _VOID, ctypes.c_int, _DOUBLE_P,
                           _DOUBLE_P)
_font_size = _by_address(raw.FPDFText_GetFontSize, ctypes.c_double, _VOID, ctypes.c_int)
_char_matrix = _by_address(raw.FPDFText_GetMatrix, ctypes.c_int, _VOID, ctypes.c_int,
                           ctypes.POINTER(raw.FS_MATRIX))
_object_font = _by_address(raw.FPDFTextObj_GetFont, _VOID, _VOID)
_glyph_width = _by_address(raw.FPDFFont_GetGlyphWidth, ctypes.c_int, _VOID, ctypes.c_uint32, ctypes.c_float,
                           ctypes.POINTER(ctypes.c_float))
_is_generated = _by_address(raw.FPDFText_IsGenerated, ctypes.c_int, _VOID, ctypes.c_int)
_loose_box = _by_address(raw.FPDFText_GetLooseCharBox, ctypes.c_int, _VOID, ctypes.c_int,
                         ctypes.POINTER(raw.FS_RECTF))


# a text object's font size, x scale, em box below and above the baseline, and advance
# widths by character
_Style = tuple[float, float, float, float, dict[str, float]]


def page_chars(page: pdfium.PdfPage) -> list[Char]:
    """All non-generated characters of a page in content order ("\\n" marks pdfium's
    own line ends so callers can still see them), boxed independently of system fonts.

    Font, size and matrix are the same for every character of a text object, so they
    are asked once per object; advance widths (the PDF's own /W or /Widths) once per
    (font, size, character) on the page (a font may be freed and its address reused once
    the pages using it are closed, so the cache does not outlive the page)."""
    tp = page.get_textpage()
    try:
        handle = ctypes.cast(tp.raw, ctypes.c_void_p).value or 0
        n = raw.FPDFText_CountChars(tp.raw)
        text = tp.get_text_range(0, n) if n > 0 else ""
        # One bulk call for the text when it lines up with the character indices (it
        # does unless the page has characters outside the BMP); else one call per char.
        if len(text) != n:
            codes = (raw.FPDFText_GetUnicode(tp.raw, i) for i in range(n))
            text = "".join(chr(c) if 0 < c < 0x110000 else "\ufffd" for c in codes)
        x, y, w = ctypes.c_double(), ctypes.c_double(), ctypes.c_float()
        px, py, pw = ctypes.byref(x), ctypes.byref(y), ctypes.byref(w)
        # text object address -> its style, or None for rotated text; a style's widths
        # dict is shared by the objects of one font and size
        styles: dict[int | None, _Style | None] = {}
        widths: dict[tuple[int, float], dict[str, float]] = {}
        last_obj: int | None = -1
        style: _Style | None = None
        out: list[Char] = []
        append = out.append
        text_object, char_origin, new_char = _text_object, _char_origin, Char  # locals: a hot loop
        for i, ch in enumerate(text):
            if ch in "\r\n":
                if out and out[-1].text != "\n":
                    append(new_char("\n", 0, 0, 0, 0))
                continue
            # pdfium generates only spaces and line ends: ask about spaces alone
            if ch in "\x00\ufffe" or (ch == " " and _is_generated(handle, i) == 1):
                continue
            obj = text_object(handle, i)
            if obj != last_obj:
                last_obj = obj
                if obj in styles:
                    style = styles[obj]
                else:
                    style = styles[obj] = _style(handle, obj, i, widths)
            if style is None or not char_origin(handle, i, px, py):
                box = _loose(handle, i)
                if box is not None:
                    append(new_char(ch, *box))
                continue
            size, sx, below, above, advances = style
            advance = advances.get(ch)
            if advance is None:
                font = _object_font(obj)
                ok = bool(font) and _glyph_width(font, ord(ch), size, pw)
                advance = w.value if ok and w.value > 0 else size * (0.5 if ch.isascii() else 1.0)
                advances[ch] = advance
            ox, oy = x.value, y.value
            append(new_char(ch, ox, oy - below, ox + advance * sx, oy + above))
        return out
    finally:
        tp.close()


def _style(tp: int, obj: int | None, i: int,
           widths: dict[tuple[int, float], dict[str, float]]) -> _Style | None:
    """Size, scales and the advance-width cache of character `i`'s text object; None for
    rotated or mirrored text (rare: its boxes come from pdfium)."""
    size = _font_size(tp, i)
    m = raw.FS_MATRIX()
    if not obj or size <= 0 or not _char_matrix(tp, i, m):
        return None
    if abs(m.b) > 1e-3 or abs(m.c) > 1e-3 or m.a <= 0 or m.d <= 0:
        return None
    font = _object_font(obj) or 0
    return size, m.a, DESCENT * size * m.d, ASCENT * size * m.d, widths.setdefault((font, size), {})


def _loose(tp: int, i: int) -> tuple[float, float, float, float] | None:
    r = raw.FS_RECTF()
    if not _loose_box(tp, i, ctypes.byref(r)):
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
