"""Which characters pdfium reads from a PDF must not depend on the machine's fonts.

A PDF that does not embed a CJK font (reportlab's STSong-Light, some WPS exports) is
drawn with whatever font the machine offers in its place. pdfium's text page then drops
every text object whose glyph boxes, measured in that stand-in font, have no width
(`CPDF_TextPage::ProcessTextObject`): on a machine without a CJK font the stand-in is
pdfium's built-in Latin font, CIDs are used as its glyph numbers, and single characters
alone in their text object (the last character of a label wrapped in a narrow cell:
自然 / 人) silently vanish. Positions are not the problem (`pdf_page` builds boxes from
the PDF's own origins and widths); the lost characters are.

The cure is a stand-in that always has a glyph with a box: when pdfium asks the system
for a CJK font and the system has none, it gets a tiny font generated here whose every
code point maps to a box glyph. With a real CJK font installed nothing changes. Either
way each text object keeps its characters, so the cells read are the same on every
machine (tests/parsers/test_pdf_fonts.py parses every fixture both ways).

Reading text, the box font stands in for a CJK font even where the system has one: text
needs no glyph shapes (characters come from the PDF's encodings and CMaps, positions and
widths from its own metrics), and pdfium loading a 20-26 MB Noto CJK collection for every
document, then its glyph outlines for the text page, was half the time of parsing a
report (bench parse_pdf). Text is then read as on a machine without CJK fonts, on every
machine. Pixels (pages rendered for OCR) need the real glyphs: a document is opened and
drawn inside `for_pixels()`, where the system's fonts are used as before.
"""

from __future__ import annotations

import ctypes
import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pypdfium2 as pdfium

# FX_Charset values of the CJK scripts (ShiftJIS, Hangul, GB2312, Big5)
CJK_CHARSETS = frozenset({128, 129, 134, 136})
# Face names of CJK fonts that a PDF may request with the default charset
CJK_FACE = re.compile(
    rb"[\x80-\xff]|song|hei|kai|fang|ming|yahei|yuan|dengxian|fz|^st|adobe.*std|cjk|source ?han|"
    rb"gothic|mincho|batang|gulim|dotum", re.I)
_FALLBACK_NAME = b"NianbaoBoxFallback\0"
_lock = threading.Lock()
_installed: _FallbackFonts | None = None
_drawing = threading.local()  # .on: pages loaded and drawn now need real glyphs
# The box font stands in for CJK fonts when text is read (see the module docstring);
# tests turn this off to show the system's fonts read the same text.
STAND_IN_FOR_TEXT = True


@contextmanager
def for_pixels() -> Iterator[None]:
    """Documents opened, pages loaded and rendered inside get the system's CJK fonts.

    pdfium maps a font when a page (or an annotation, at render time) first uses it, and
    keeps it for the document: open the document to draw inside this block too."""
    before = getattr(_drawing, "on", False)
    _drawing.on = True
    try:
        yield
    finally:
        _drawing.on = before


@cache
def box_font() -> bytes:
    """A TrueType font with one box glyph for every code point but the space.

    Built with fontTools on first need (a few hundred bytes, ~0.1 s): cmap format 13
    maps all code points to one glyph in a single group.
    """
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "space", "box"])
    fb.setupCharacterMap({0x20: "space", 0x3000: "space"})
    pen = TTGlyphPen(None)
    pen.moveTo((50, -120))
    pen.lineTo((50, 880))
    pen.lineTo((950, 880))
    pen.lineTo((950, -120))
    pen.closePath()
    box = pen.glyph()
    fb.setupGlyf({".notdef": box, "space": TTGlyphPen(None).glyph(), "box": box})
    fb.setupHorizontalMetrics({".notdef": (1000, 50), "space": (500, 0), "box": (1000, 50)})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "NianbaoBoxFallback", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    many = CmapSubtable.newSubtable(13)
    many.platformID, many.platEncID, many.language = 3, 10, 0
    spaces = {0x20, 0x3000}
    many.cmap = {cp: "box" for r in ((0x21, 0xD800), (0xE000, 0x10000), (0x20000, 0x2FA20))
                 for cp in range(*r) if cp not in spaces}
    fb.font["cmap"].tables.append(many)
    buf = io.BytesIO()
    fb.save(buf)
    return buf.getvalue()


class _NoSystemFonts(pdfium.PdfSysfontBase):
    """A machine without fonts: enumerates and maps nothing (pdfium's built-ins remain)."""

    def EnumFonts(self, _, mapper) -> None:
        return None

    def MapFont(self, _, weight, italic, charset, pitch, face, exact):
        return None

    def GetFont(self, _, face):
        return None


class _FallbackFonts(pdfium.PdfSysfontBase):
    """The system's fonts, and the box font where the system has no CJK font."""

    def __init__(self, default=None) -> None:
        super().__init__(default)
        self._data: ctypes.Array | None = None
        self.handle = 0

    def _fallback(self) -> int:
        if self._data is None:
            font = box_font()
            self._data = ctypes.create_string_buffer(font, len(font))
            self.handle = ctypes.addressof(self._data)  # an address nobody else hands out
        return self.handle

    def MapFont(self, _, weight, italic, charset, pitch, face, exact):
        name = (ctypes.cast(face, ctypes.c_char_p).value or b"") if face else b""
        cjk = charset in CJK_CHARSETS or bool(CJK_FACE.search(name))
        if cjk and STAND_IN_FOR_TEXT and not getattr(_drawing, "on", False):
            return self._fallback()
        found = self.default.MapFont(self.default, weight, italic, charset, pitch, face, exact)
        if found:
            return found
        return self._fallback() if cjk else None

    def GetFontData(self, _, font, table, buffer, size):
        if font and font == self.handle:
            data = box_font()
            if table != 0:
                return 0
            if buffer and size >= len(data):
                ctypes.memmove(buffer, data, len(data))
            return len(data)
        return self.default.GetFontData(self.default, font, table, buffer, size)

    def GetFaceName(self, _, font, buffer, size):
        if font and font == self.handle:
            if buffer and size >= len(_FALLBACK_NAME):
                ctypes.memmove(buffer, _FALLBACK_NAME, len(_FALLBACK_NAME))
            return len(_FALLBACK_NAME)
        return self.default.GetFaceName(self.default, font, buffer, size)

    def GetFontCharset(self, _, font):
        if font and font == self.handle:
            return 1  # FX_Charset::kDefault
        return self.default.GetFontCharset(self.default, font)

    def DeleteFont(self, _, font) -> None:
        if font and font == self.handle:
            return
        self.default.DeleteFont(self.default, font)


def install(system_fonts: bool = True) -> None:
    """Make pdfium use the box font where the system has no CJK font (once per process).

    `system_fonts=False` reads PDFs as a machine without any font would; the tests use it
    to show the cells do not change. Documents opened before the call keep their fonts.
    """
    global _installed
    with _lock:
        if system_fonts and _installed is not None and pdfium.PdfSysfontBase.SINGLETON is _installed:
            return
        handler = _FallbackFonts(None if system_fonts else _NoSystemFonts())
        handler.setup()
        _installed = handler
