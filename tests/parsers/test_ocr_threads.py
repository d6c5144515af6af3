"""ONNX Runtime threads of the OCR engine: the cores shared among the processes that run
OCR at once (one process on two cores: two threads; each of two pool workers: one), an
explicit NIANBAO_OCR_THREADS first. No timing here: what the threads buy is measured by
`make bench` (bench/b_ocr.py)."""

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


def test_engine_sessions_run_the_chosen_threads() -> None:
    """rapidocr silently ignores a thread count it does not accept: the sessions it made
    must have the count `threads()` chose."""
    import numpy as np
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (400, 120), "white")
    ImageDraw.Draw(img).text((20, 30), "2024", fill="black", font_size=48)
    assert ocr_engine.recognise(np.asarray(img))  # the models load on first use
    eng = ocr_engine.engine()
    for part in (eng.text_det, eng.text_rec):
        options = part.session.session.get_session_options()
        assert options.intra_op_num_threads == ocr_engine.threads()
        assert options.inter_op_num_threads == 1
