"""The OCR engine: rapidocr on ONNX Runtime, with the models its wheel ships.

rapidocr 3.x carries its PP-OCR detection, direction and recognition models inside the
wheel (`rapidocr/models/*.onnx`); the paths are given explicitly so that a missing file
is an error here, never a download at run time (nianbao runs offline). One engine per
process, made on first use (loading the models takes about a second).

The engine returns text lines with their box and, per character, a box and a score: the
layout code needs characters to put into table cells, and the scores to refuse a figure
OCR was not sure of.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .model import ParseError

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
# Boxes scored below this are still returned (to be flagged), not silently dropped.
MIN_TEXT_SCORE = 0.2
# Detection runs on the picture scaled so that its long side is at most this many pixels:
# a page rendered at 150 dpi (A4: 1241 x 1754) as it is, a larger picture (an image file
# at 300 dpi, a long strip) scaled down. rapidocr's default (`limit_type: min`) never
# scales down, and the detector's memory and time grow with the pixels; recognition reads
# each line from the full-size picture anyway. At 1280 px the detector missed lone "0"s
# in table cells of the scan fixtures.
DET_LONG_SIDE = 1760
# Pixels (at the recogniser's 48 px height) a line is padded to at least. rapidocr's 320
# made a table cell holding "0" cost as much as a line of seven characters; at 96 the
# scores of short figures dropped (a "64" went below CONF_MIN), at 160 they did not.
REC_MIN_WIDTH = 160
_lock = threading.Lock()


@dataclass(slots=True)
class Glyph:
    """One recognised character: text, box in image pixels (x0, y0 top, x1, y1 bottom),
    the recognition score of the character and of its whole line."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    line_score: float


class OcrUnavailable(Exception):
    """The engine cannot run here (package or model missing)."""


ENV_THREADS = "NIANBAO_OCR_THREADS"
_processes = 1  # processes running OCR at once on this machine (the parse pool's workers)


def share_cores(processes: int) -> None:
    """Say how many processes parse at once on this machine: the parse pool calls it in
    each worker before the engine is made, so that the workers share the cores instead
    of each taking them all."""
    global _processes
    _processes = max(1, processes)


def cores() -> int:
    """CPUs this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def pick_threads(explicit: str | None, cores: int, processes: int) -> int:
    """Threads OCR runs on in one process: `explicit` (NIANBAO_OCR_THREADS) when it is a
    number, else the cores divided among the processes running OCR at once, at least one;
    never more than the cores. One process on two cores runs two, each of two pool
    workers one: a thread more than a core each only waits, and adds its stack to the
    worker's address space."""
    cores = max(1, cores)
    if explicit not in (None, ""):
        try:
            return min(max(1, int(explicit)), cores)
        except ValueError:
            pass
    return max(1, cores // max(1, processes))


def threads() -> int:
    """Threads OCR runs on in this process (`pick_threads`): the lines of a page are
    recognised on this many threads at once."""
    return pick_threads(os.environ.get(ENV_THREADS), cores(), _processes)


T = TypeVar("T")


def in_lanes(recognise_lines: Callable[[list[T]], Any], lines: list[T],
             lanes: ThreadPoolExecutor | None, width: int) -> Any:
    """rapidocr's recognition of `lines` (its `recognize_txt`), the lines dealt out to
    `width` threads (line i to thread i % width), the results put back in line order.

    Why not ONNX Runtime's own threads: they split each operator of the network, and a
    text line is a small input (48 px high), so the threads mostly meet at barriers,
    spinning: two of them took 10-25% off a page's OCR for 25-55% more CPU, and on a
    busy machine made it slower. Lines are independent and each is read by one ONNX
    Runtime run (one line per run, one thread per run): two lanes took 25-30% off with
    no more CPU, and the results are the same as reading the lines one by one. The
    price, in a process without glibc's one-arena setting (the parse pool's workers
    have it): the second thread's malloc arena, ~150 MB more resident memory."""
    if lanes is None or width < 2 or len(lines) < 2:
        return recognise_lines(lines)
    parts = [lines[k::width] for k in range(width)]
    outs = list(lanes.map(recognise_lines, parts))

    def merged(field: str) -> tuple:
        per_part = [getattr(o, field) for o in outs]
        return tuple(per_part[i % width][i // width] for i in range(len(lines)))

    return dataclasses.replace(outs[0], imgs=list(lines), txts=merged("txts"), scores=merged("scores"),
                               word_results=merged("word_results"),
                               elapse=max(o.elapse or 0.0 for o in outs))


@cache
def engine():
    """The process's RapidOCR instance (lazy; raises OcrUnavailable with the reason)."""
    try:
        import rapidocr
        from rapidocr import RapidOCR
    except ImportError as exc:  # a dependency of nianbao, missing only in a broken install
        raise OcrUnavailable(f"the OCR packages are not installed ({exc}): pip install rapidocr "
                             "onnxruntime") from exc
    models = Path(rapidocr.__file__).parent / "models"
    paths = {name: models / name for name in (DET_MODEL, REC_MODEL, CLS_MODEL)}
    missing = [n for n, p in paths.items() if not p.is_file()]
    if missing:
        raise OcrUnavailable(f"rapidocr's bundled models are missing ({', '.join(missing)}); "
                             "reinstall the rapidocr version pinned in constraints.txt")
    params = {
        "Global.log_level": "error",
        "Global.text_score": MIN_TEXT_SCORE,
        "Global.max_side_len": 4000,
        "Det.model_path": str(paths[DET_MODEL]),
        "Rec.model_path": str(paths[REC_MODEL]),
        "Cls.model_path": str(paths[CLS_MODEL]),
        # One line per recognition run: a batch is padded to its widest line and the
        # recogniser's activations grow with batch x width (a batch of 8 table rows took
        # ~900 MB against ~450 MB for one at a time), and it is no faster on a CPU.
        "Rec.rec_batch_num": 1,
        # short lines padded to REC_MIN_WIDTH, not 320; longer ones keep their own width
        "Rec.rec_img_shape": [3, 48, REC_MIN_WIDTH],
        "Det.limit_type": "max",
        "Det.limit_side_len": DET_LONG_SIDE,
        # One ONNX Runtime thread per run, no inter-op pool: the process's threads read
        # lines side by side instead (`in_lanes`). ONNX Runtime's default (a thread per
        # physical core in every pool worker, spinning while it waits) oversubscribes the
        # machine, and each thread's stack counts against the worker's address-space
        # limit (RLIMIT_AS).
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    width = threads()
    lanes = ThreadPoolExecutor(max_workers=width, thread_name_prefix="ocr-lines") if width > 1 else None

    class Engine(RapidOCR):
        """rapidocr, reading the lines a page's detection found on `width` threads."""

        def recognize_txt(self, img):
            return in_lanes(super().recognize_txt, img, lanes, width)

    return Engine(params=params)


def require(source: str) -> None:
    """Raise ParseError naming `source` when OCR cannot run on this machine."""
    try:
        engine()
    except OcrUnavailable as exc:
        raise ParseError(source, f"OCR is needed but unavailable: {exc}") from exc


def recognise(image: np.ndarray) -> list[list[Glyph]]:
    """Text lines of an image (RGB or grey uint8), each a list of Glyphs left to right.

    rapidocr's per-line direction classifier is off: it turned single-figure crops by
    180° (a 9 read as 6, a misread that passes the arithmetic) and costs a model run per
    line; a page's orientation is decided once, from its long lines (`orientation`)."""
    with _lock:
        # every switch given each time: rapidocr keeps the last call's settings
        out = engine()(image, use_det=True, use_cls=False, use_rec=True, return_word_box=True)
    lines: list[list[Glyph]] = []
    if not out.txts:
        return lines
    for box, text, score, words in zip(out.boxes, out.txts, out.scores, out.word_results, strict=False):
        glyphs = [g for w in words if w and w[0] and w[0].strip() for g in _glyphs(w, score)]
        if not glyphs or "".join(g.text for g in glyphs) != "".join(text.split()):
            glyphs = _spread(text, box, score)  # word boxes missing: spread the line's box
        lines.append(glyphs)
    return lines


def orientation(image: np.ndarray) -> tuple[str, float]:
    """rapidocr's direction classifier on one text line: ("0" or "180", its score). Used
    only to vote on a whole page's orientation from its longest lines, never per line
    before reading it: on a short crop the classifier turns a 6 into a 9."""
    with _lock:
        out = engine()(image, use_det=False, use_cls=True, use_rec=False)
    res = getattr(out, "cls_res", None)
    if not res:
        return "", 0.0
    return str(res[0][0]), float(res[0][1])


def read_crop(image: np.ndarray) -> tuple[str, float]:
    """Recognition alone on a small crop (a table cell): its text and score."""
    with _lock:
        out = engine()(image, use_det=False, use_cls=False, use_rec=True, return_word_box=False)
    if not out.txts:
        return "", 0.0
    return out.txts[0], float(out.scores[0])


def _glyphs(word, line_score: float) -> list[Glyph]:
    """A word box as Glyphs, one per character (a Latin word or a run of digits is one box)."""
    text, score, box = word[0].strip(), float(word[1]), np.asarray(word[2], dtype=float)
    x0, y0, x1, y1 = box[:, 0].min(), box[:, 1].min(), box[:, 0].max(), box[:, 1].max()
    if len(text) == 1:
        return [Glyph(text, float(x0), float(y0), float(x1), float(y1), score, float(line_score))]
    return [Glyph(g.text, g.x0, g.y0, g.x1, g.y1, score, float(line_score))
            for g in _spread(text, [[x0, y0], [x1, y1]], score)]


def _spread(text: str, box, score: float) -> list[Glyph]:
    """Characters of a line spread evenly over its box (full-width ones count double)."""
    pts = np.asarray(box, dtype=float)
    x0, x1 = pts[:, 0].min(), pts[:, 0].max()
    y0, y1 = pts[:, 1].min(), pts[:, 1].max()
    chars = [c for c in text if not c.isspace()]
    weights = [1.0 if c.isascii() else 2.0 for c in chars]
    total = sum(weights) or 1.0
    out, x = [], x0
    for c, w in zip(chars, weights, strict=True):
        step = (x1 - x0) * w / total
        out.append(Glyph(c, x, y0, x + step, y1, float(score), float(score)))
        x += step
    return out
