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
    ocr_engine.require(source)
    budget = extract_ocr.Budget(source, frames)
    doc = Document(source=source, kind="ocr")
    pages: list[list[tuple[str, object]]] = []
    any_text = False
    for number, frame in enumerate(ImageSequence.Iterator(img), start=1):
        budget.check(number - 1)
        try:
            array = page_array(ImageOps.exif_transpose(frame))
        except (OSError, ValueError) as exc:
            raise ParseError(source, f"corrupt {kind} image (frame {number}): {exc}") from exc
        label = f"page {number}: " if frames > 1 else ""
        scan = extract_ocr.read_picture(array, label=label)
        del array
        items = layout(scan.chars, scan.rules, scan.top, number)
        for k, obj in items:
            if k == "table":
                table: PageTable = obj  # type: ignore[assignment]
                extract_ocr.recheck_empty_cells(table, scan, doc.notes, label)
        doc.notes.extend(scan.notes)
        any_text = any_text or bool(scan.chars)
        pages.append(items)
    if not any_text:
        raise ParseError(source, f"{kind} image in which OCR finds no text: a picture, not a document")
    doc.notes.insert(0, f"read by OCR: {frames} page(s) of a {kind} image")
    doc.blocks = join_pages(pages, doc.notes, shift=SCAN_SHIFT)
    return doc


def page_array(frame) -> np.ndarray:
    """A frame as a grey numpy array with its long side within LONG_SIDE."""
    gray = frame.convert("L")
    long_side = max(gray.size)
    target = min(max(long_side, LONG_SIDE[0]), LONG_SIDE[1])
    if target != long_side:
        from PIL import Image

        factor = target / long_side
        gray = gray.resize((max(1, round(gray.width * factor)), max(1, round(gray.height * factor))),
                           Image.Resampling.LANCZOS)
    return np.asarray(gray)
