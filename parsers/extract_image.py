"""Image files (.png, .jpg, .tif with one or many pages, .gif, .bmp, .webp) -> `Document` by OCR.

Each frame is one page: turned upright by its EXIF orientation, brought to a size the
OCR reads well (the long side of an A4 page at about 200 dpi), and read like a scanned
PDF page (`extract_ocr`), one frame at a time. The kind of the result is "ocr". A
picture in which OCR finds no text (a photo, a drawing) is refused as not a document.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from . import extract_ocr, ocr_engine
from .extract_pdf import join_pages, layout
from .model import Document, ParseError
from .pdf_scan import SCAN_SHIFT
from .pdf_tables import PageTable

MAX_PIXELS = 120_000_000  # a 600 dpi A3 scan is 70 MP; more is a decompression bomb
LONG_SIDE = (1200, 2400)  # pages are scaled into this range of their long side (pixels)
STRIP_WIDTH = (1000, 1800)  # a long strip (a whole report in one image): range of its width
STRIP = 1.6  # an image this many times longer than wide is a strip of several pages
A4 = 1.414


def extract(data: bytes, source: str) -> Document:
    """OCR every frame of an image file."""
    from PIL import Image, ImageOps, ImageSequence

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ParseError(source, f"image too large to read: {exc}") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ParseError(source, f"corrupt or unreadable image: {exc}") from exc
    kind = (img.format or "image").upper()
    frames = getattr(img, "n_frames", 1)
    if img.width * img.height > MAX_PIXELS:
        raise ParseError(source, f"image too large to read: {img.width}x{img.height} pixels")
    budget = extract_ocr.Budget(source, frames)
    doc = Document(source=source, kind="ocr")
    pages: list[list[tuple[str, object]]] = []
    any_text = False
    number = 0
    for index, frame in enumerate(ImageSequence.Iterator(img)):
        budget.check(index)
        ocr_engine.require(source)  # after the page is counted: loading the engine is its time
        try:
            array = page_array(ImageOps.exif_transpose(frame))
        except (OSError, ValueError) as exc:
            raise ParseError(source, f"corrupt {kind} image (frame {index + 1}): {exc}") from exc
        for piece in strips(array):
            number += 1
            label = f"page {number}: "
            scan = extract_ocr.read_picture(piece, label=label)
            items = layout(scan.chars, scan.rules, scan.top, number)
            for k, obj in items:
                if k == "table":
                    table: PageTable = obj  # type: ignore[assignment]
                    extract_ocr.recheck_empty_cells(table, scan, doc.notes, label)
            doc.notes.extend(scan.notes)
            any_text = any_text or bool(scan.chars)
            pages.append(items)
        del array
    if not any_text:
        raise ParseError(source, f"{kind} image in which OCR finds no text: a picture, not a document")
    doc.notes.insert(0, f"read by OCR: {frames} frame(s) of a {kind} image, as {number} page(s)")
    doc.blocks = join_pages(pages, doc.notes, shift=SCAN_SHIFT)
    return doc


def page_array(frame) -> np.ndarray:
    """A frame as a grey numpy array: a page with its long side within LONG_SIDE, a long
    strip (portals post whole reports as one tall image) with its width in STRIP_WIDTH."""
    gray = frame.convert("L")
    short, long_side = min(gray.size), max(gray.size)
    side, (lo, hi) = (short, STRIP_WIDTH) if long_side > STRIP * short else (long_side, LONG_SIDE)
    target = min(max(side, lo), hi)
    if target != side:
        from PIL import Image

        factor = target / side
        gray = gray.resize((max(1, round(gray.width * factor)), max(1, round(gray.height * factor))),
                           Image.Resampling.LANCZOS)
    return np.asarray(gray)


def strips(array: np.ndarray) -> list[np.ndarray]:
    """A tall image cut into page-sized pieces, each cut along a row without ink (between
    lines of text, never through a character); a page-sized image is one piece."""
    h, w = array.shape[:2]
    page = int(w * A4)
    if h <= page * 1.25:
        return [array]
    ink = (array < 128).sum(axis=1) if array.ndim == 2 else (array.mean(axis=2) < 128).sum(axis=1)
    pieces: list[np.ndarray] = []
    top = 0
    while h - top > page * 1.25:
        lo = top + page * 3 // 4
        window = ink[lo: top + page * 11 // 10]
        blank = np.flatnonzero(window <= window.min())
        cut = lo + int(blank[np.argmin(np.abs(blank + lo - (top + page)))])  # nearest a page's length
        pieces.append(array[top:cut])
        top = cut
    pieces.append(array[top:])
    return pieces
