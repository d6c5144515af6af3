"""Image work around OCR with OpenCV: clean a scanned page, straighten it, find its rules.

Real scans come on grey paper, a degree or two askew, with JPEG noise. Before OCR the
page is made grey-scale, its background stretched to white, and its skew measured from
the dark pixels' row profile (the angle at which text lines and table rules are most
sharply horizontal) and undone. After OCR the recognised characters are blanked out and
what long straight strokes remain are the table's rules: the same `Rule`s a PDF draws,
so the PDF table code rebuilds scanned tables too.
"""

from __future__ import annotations

import cv2
import numpy as np

from .pdf_page import Rule

MAX_SKEW = 5.0  # degrees searched either way; a worse scan needs a human anyway


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grey-scale uint8 of an RGB(A) or grey image."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def normalise(gray: np.ndarray) -> np.ndarray:
    """Stretch contrast so the paper is white and the ink dark (grey paper, faint print)."""
    small = gray[:: max(1, gray.shape[0] // 400), :: max(1, gray.shape[1] // 400)]
    ink, paper = np.percentile(small, 1), np.percentile(small, 60)
    if paper - ink < 30:  # a blank or uniform page: nothing to stretch
        return gray
    lut = np.clip((np.arange(256, dtype=np.float32) - ink) * 255.0 / (paper - ink), 0, 255)
    return lut.astype(np.uint8)[gray]


def dark_mask(gray: np.ndarray) -> np.ndarray:
    """Ink pixels (255) against paper (0), by Otsu's threshold."""
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return mask


def skew_angle(gray: np.ndarray) -> float:
    """The page's skew in degrees (positive: lines rise to the right, the content is turned
    counter-clockwise), found by maximising the sharpness of the row profile of dark
    pixels over candidate angles."""
    scale = min(1.0, 1000.0 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    ys, xs = np.nonzero(dark_mask(small))
    if len(xs) < 200:
        return 0.0
    if len(xs) > 60000:  # a fixed subsample keeps the search fast on dense pages
        pick = np.random.default_rng(0).choice(len(xs), 60000, replace=False)
        ys, xs = ys[pick], xs[pick]
    xs = xs.astype(np.float32) - small.shape[1] / 2
    ys = ys.astype(np.float32)
    height = small.shape[0] + small.shape[1]

    def sharpness(angle: float) -> float:
        t = np.deg2rad(angle)
        rows = ys * np.cos(t) + xs * np.sin(t)
        hist = np.bincount(np.clip(rows + small.shape[1], 0, height * 2).astype(np.int32))
        return float(np.dot(hist, hist))

    coarse = np.arange(-MAX_SKEW, MAX_SKEW + 1e-6, 0.25)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - 0.25, best + 0.25 + 1e-6, 0.025)
    return float(max(fine, key=sharpness))


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """The page rotated by `angle` degrees about its centre (white where nothing was)."""
    if abs(angle) < 0.02:
        return gray
    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def deskew(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """The page straightened, and the angle that was undone."""
    angle = skew_angle(gray)
    # turning the page back (clockwise for lines that rise) makes the text rows horizontal
    return rotate(gray, -angle), angle


def find_rules(gray: np.ndarray, text_boxes: list[tuple[int, int, int, int]], px_to_pt: float,
               page_height_pt: float) -> list[Rule]:
    """Straight horizontal and vertical strokes long enough to be table rules, as `Rule`s in
    page points (y up). A stroke lying (almost) wholly inside recognised characters' boxes
    is part of the text (丨 一, or the strokes of a row of characters run together), not
    a rule; a rule running close to the text keeps its length."""
    mask = dark_mask(gray)
    h, w = mask.shape
    text = np.zeros((h, w), np.uint8)
    for x0, y0, x1, y1 in text_boxes:
        text[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = 1
    rules: list[Rule] = []
    for horizontal in (True, False):
        # bridge the small gaps noise and JPEG leave in a printed line, then keep runs long
        # enough that no glyph stroke or speck survives
        bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1) if horizontal else (1, 5))
        length = max(20, w // 40) if horizontal else max(15, h // 80)
        keep = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if horizontal else (1, length))
        lines = cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, bridge), cv2.MORPH_OPEN, keep)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
        for i in range(1, count):
            x, y, cw, ch, area = (int(v) for v in stats[i])
            thick = ch if horizontal else cw
            if thick > max(8, length // 3):
                continue  # a filled area (a logo, a stamp), not a rule
            own = labels[y:y + ch, x:x + cw] == i
            if np.count_nonzero(own & (text[y:y + ch, x:x + cw] == 0)) < 0.3 * area:
                continue  # inside the text
            if horizontal:
                pos = page_height_pt - (y + ch / 2) * px_to_pt
                rules.append(Rule(True, pos, x * px_to_pt, (x + cw) * px_to_pt))
            else:
                top, bottom = page_height_pt - y * px_to_pt, page_height_pt - (y + ch) * px_to_pt
                rules.append(Rule(False, (x + cw / 2) * px_to_pt, bottom, top))
    return rules


def has_ink(gray: np.ndarray, box: tuple[int, int, int, int], min_height: int) -> bool:
    """Does a region (a table cell without recognised text) hold something printed: a
    blob at least `min_height` pixels tall (a digit), not specks of noise?"""
    x0, y0, x1, y1 = box
    crop = gray[max(0, y0):max(0, y1), max(0, x0):max(0, x1)]
    if crop.size == 0:
        return False
    _, mask = cv2.threshold(crop, 128, 255, cv2.THRESH_BINARY_INV)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = mask.shape
    for i in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if x == 0 or y == 0 or x + bw >= w or y + bh >= h:
            continue  # what touches the edge is the cell's rule, not its content
        if bh >= min_height and area >= min_height:
            return True
    return False
