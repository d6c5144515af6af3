"""Threads of the OCR engine: the cores shared among the processes that run OCR at once
(one process on two cores: two threads; each of two pool workers: one), an explicit
NIANBAO_OCR_THREADS first; the lines of a page are read on those threads side by side,
with the same results as one by one. No timing here: what the threads buy is measured
by `make bench` (bench/b_ocr.py)."""

from __future__ import annotations

import os

import pytest

from nianbao import parse_pool
from nianbao.parsers import ocr_engine


@pytest.mark.parametrize(("explicit", "cores", "processes", "want"), [
    (None, 2, 1, 2),  # in-process parsing, or a pool of one worker, on two cores
    (None, 2, 2, 1),  # two pool workers on two cores: one each
    (None, 8, 2, 4),
    (None, 8, 3, 2),  # rounded down: never more threads than cores in all
    (None, 2, 4, 1),  # more workers than cores: still one
    (None, 1, 1, 1),
    ("", 4, 1, 4),  # set but empty: as unset
    ("1", 2, 1, 1),  # explicit wins over the share...
    ("2", 2, 2, 2),
    ("3", 8, 1, 3),
    ("16", 2, 1, 2),  # ...but never more than the cores
    ("0", 4, 1, 1),
    ("-3", 4, 1, 1),
    ("many", 4, 2, 2),  # not a number: the share
])
def test_threads_are_the_cores_shared_among_processes(explicit, cores, processes, want) -> None:
    assert ocr_engine.pick_threads(explicit, cores, processes) == want


def test_share_cores_sets_this_process_threads(monkeypatch) -> None:
    monkeypatch.delenv(ocr_engine.ENV_THREADS, raising=False)
    monkeypatch.setattr(ocr_engine, "cores", lambda: 4)
    monkeypatch.setattr(ocr_engine, "_processes", 1)
    assert ocr_engine.threads() == 4
    ocr_engine.share_cores(2)
    assert ocr_engine.threads() == 2
    ocr_engine.share_cores(0)  # nonsense counts as one process
    assert ocr_engine.threads() == 4
    monkeypatch.setenv(ocr_engine.ENV_THREADS, "1")
    ocr_engine.share_cores(1)
    assert ocr_engine.threads() == 1


@pytest.mark.parametrize("jobs", [1, 2])
def test_pool_workers_share_the_cores(jobs) -> None:
    """Each worker of a real pool of `jobs` runs cores // jobs threads (an explicit
    NIANBAO_OCR_THREADS in the environment the pool started with still wins)."""
    want = ocr_engine.pick_threads(os.environ.get(ocr_engine.ENV_THREADS), ocr_engine.cores(), jobs)
    with parse_pool.ParsePool(parse_pool.Settings(jobs=jobs)) as pool:
        got = pool._pool.schedule(ocr_engine.threads).result(timeout=120)
    assert got == want


def _lines_image(texts: list[str]):
    import numpy as np
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (520, 70 * len(texts) + 40), "white")
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(texts):
        draw.text((20, 20 + 70 * i), text, fill="black", font_size=44)
    return np.asarray(img)


def test_lines_dealt_to_lanes_come_back_in_order() -> None:
    """`in_lanes` with a stand-in for rapidocr's recognition: every line read once, by
    more than one thread, and the results in the lines' order whatever the width."""
    import dataclasses
    import threading
    from concurrent.futures import ThreadPoolExecutor

    @dataclasses.dataclass
    class Out:
        imgs: list
        txts: tuple
        scores: tuple
        word_results: tuple
        elapse: float

    seen: list[str] = []
    names: set[str] = set()
    barrier = threading.Barrier(2, timeout=10)  # both lanes must be inside at once

    def read(lines: list[str]) -> Out:
        names.add(threading.current_thread().name)
        barrier.wait()
        seen.extend(lines)
        return Out(list(lines), tuple(x.upper() for x in lines), tuple(float(len(x)) for x in lines),
                   tuple((x, 1.0, None) for x in lines), 0.5)

    lines = [f"line{i}" + "x" * i for i in range(7)]
    with ThreadPoolExecutor(max_workers=2) as lanes:
        out = ocr_engine.in_lanes(read, lines, lanes, 2)
    assert sorted(seen) == sorted(lines) and len(names) == 2
    assert out.imgs == lines
    assert out.txts == tuple(x.upper() for x in lines)
    assert out.scores == tuple(float(len(x)) for x in lines)
    assert [w[0] for w in out.word_results] == lines
    assert ocr_engine.in_lanes(lambda ls: ls, ["a", "b"], None, 2) == ["a", "b"]  # no lanes: as it is


def test_lanes_read_what_one_thread_reads() -> None:
    """With rapidocr's real recognition: lines read on two threads give the same texts,
    scores and character boxes as read one after another."""
    from concurrent.futures import ThreadPoolExecutor
    from functools import partial

    from rapidocr import RapidOCR

    image = _lines_image(["2024", "1,356", "0", "37.5", "其他", "12"])
    ocr_engine.recognise(image)  # the models load on first use
    eng = ocr_engine.engine()
    crops = [image[15 + 70 * i:75 + 70 * i, 10:300] for i in range(6)]
    read = partial(RapidOCR.recognize_txt, eng)
    one = read(crops)
    with ThreadPoolExecutor(max_workers=2) as lanes:
        two = ocr_engine.in_lanes(read, crops, lanes, 2)
    assert two.txts == one.txts and "2024" in one.txts
    assert two.scores == one.scores
    assert repr(two.word_results) == repr(one.word_results)


def test_engine_sessions_run_one_onnx_thread() -> None:
    """The threads read lines side by side; each ONNX Runtime run stays on one (rapidocr
    silently ignores a count it does not accept: the sessions must say 1)."""
    assert ocr_engine.recognise(_lines_image(["2024"]))  # the models load on first use
    eng = ocr_engine.engine()
    for part in (eng.text_det, eng.text_rec):
        options = part.session.session.get_session_options()
        assert options.intra_op_num_threads == 1
        assert options.inter_op_num_threads == 1
