"""Hostile documents end within their time limit with the memory limit held, and the next
document is parsed: bombs, a 50 MB table page, 40,000 drawn boxes, deep and span-bomb HTML.

Each document goes through a real `ParsePool` (one worker, small limits to keep the suite
quick: 256 MB and 20 s), then a normal report through the same pool, which must come out
whole: one hostile document costs itself, never the next. Time and the worker's peak
resident memory are recorded for docs/reliability.md. No timing is asserted beyond the
limit itself, which the pool enforces (these machines are shared and noisy).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nianbao import parse_pool, parsers

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "tests" / "fixtures" / "forms" / "000_eac659b3405373d8.pdf"
LIMITS = parse_pool.Settings(seconds=20, memory_mb=256, jobs=1)
NO_CHECKS = parse_pool.Settings(seconds=20, memory_mb=256, jobs=1, prechecks=False)

# name, generated input, expected problem (None: parsed), settings
CASES = [
    ("zip bomb (.docx, word/document.xml inflates to 200 MB)", "docx_bomb_200mb.docx",
     "document too large: word/document.xml inflates to 200 MB", LIMITS),
    ("zip bomb, size checks off (the address-space limit alone)", "docx_bomb_200mb.docx",
     "memory limit of 256 MB exceeded", NO_CHECKS),
    ("PDF stream inflating to 200 MB", "stream_bomb_200mb.pdf",
     "document too large: a PDF stream at byte", LIMITS),
    ("PDF stream inflating to 1.5 GB", "stream_bomb_1.5gb.pdf",
     "document too large: a PDF stream at byte", LIMITS),
    ("PDF stream inflating to 1.5 GB, size checks off (pdfium under the address-space limit)",
     "stream_bomb_1.5gb.pdf", "parser process died", NO_CHECKS),
    ("50 MB HTML page holding one table", "table_50mb.html", "document too large: 50 MB of HTML", LIMITS),
    ("50 MB HTML page holding one table, default limits (1 GB)", "table_50mb.html",
     "document too large: 50 MB of HTML", parse_pool.Settings(seconds=60, memory_mb=1024, jobs=1)),
    ("50 MB plain HTML page", "plain_50mb.html", "document too large: 50 MB of HTML", LIMITS),
    ("PDF page with 40,000 drawn rectangles", "rects_40000.pdf", "not an annual report", LIMITS),
    ("HTML nested 100,000 divs deep", "deep_100000.html", None, LIMITS),
    ("36 KB page of rowspan=200 colspan=200 cells", "span_bomb.html", None, LIMITS),
]


@pytest.mark.parametrize(("what", "name", "problem", "settings"), CASES, ids=[c[1] + "-" + str(i)
                                                                             for i, c in enumerate(CASES)])
def test_hostile_document_ends_within_limits(what, name, problem, settings, hostile, sampler, record):
    path = hostile(name)
    with parse_pool.ParsePool(settings) as pool, sampler() as peak:
        t0 = time.monotonic()
        try:
            result = pool.parse_file(path)
            outcome = f"parsed: status {result['status']}"
            error = None
        except parsers.ParseError as exc:
            error = exc
            outcome = exc.problem
        seconds = time.monotonic() - t0
        good = pool.parse_file(GOOD)  # the next document, through the same pool
    assert good["status"] == "ok" and good["applications"], "the next document was not parsed whole"
    if problem is None:
        assert error is None, f"{what}: {outcome}"
    else:
        assert error is not None, f"{what}: parsed, expected {problem!r}"
        assert error.source == str(path)
        assert problem in error.problem, error.problem
    assert seconds < settings.seconds + 5  # the pool's kill, plus its 3 s grace for SIGTERM
    assert peak.peak < (settings.memory_mb + 64) * 1024 * 1024, f"peak {peak.peak_mb} MB"
    record(what=what, size=_size(path), limit=f"{settings.seconds:g} s, {settings.memory_mb} MB",
           seconds=round(seconds, 2), peak_mb=peak.peak_mb, outcome=outcome,
           lost="nothing: error names the document, next document parsed")


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n / 1024:.0f} KB"


def test_time_limit_kills_the_worker_and_names_the_stage(hostile, sampler, record):
    """A document still parsing at the limit is killed (the limit holds inside C code too)
    and reported with where it was; the pool goes on."""
    path = hostile("table_10mb.html")  # about ten times the limit to parse, on any machine
    settings = parse_pool.Settings(seconds=2, memory_mb=1024, jobs=1)
    with parse_pool.ParsePool(settings) as pool, sampler() as peak:
        t0 = time.monotonic()
        with pytest.raises(parsers.ParseError) as info:
            pool.parse_file(path)
        seconds = time.monotonic() - t0
        good = pool.parse_file(GOOD)
    assert info.value.problem.startswith("time limit of 2 s exceeded while "), info.value.problem
    assert good["status"] == "ok"
    record(what="10 MB table page against a 2 s time limit", size=_size(path), limit="2 s, 1024 MB",
           seconds=round(seconds, 2), peak_mb=peak.peak_mb, outcome=info.value.problem,
           lost="nothing: worker killed and replaced, next document parsed")


def test_segfaulting_worker_costs_one_document(tmp_path, monkeypatch, sampler, record):
    """A worker that dies of SIGSEGV (the test hook makes a real NULL read in C) is reported
    and replaced; the documents before and after it are parsed, in order."""
    monkeypatch.setenv(parse_pool.ENV_CRASH, "crash-me")
    crash = tmp_path / "crash-me.pdf"
    crash.write_bytes(GOOD.read_bytes())
    with parse_pool.ParsePool(parse_pool.Settings(seconds=20, memory_mb=512, jobs=2)) as pool, \
            sampler() as peak:
        t0 = time.monotonic()
        jobs = [pool.submit_file(p) for p in (GOOD, crash, GOOD)]
        outcomes = []
        for job in jobs:
            try:
                outcomes.append(job.result()["status"])
            except parsers.ParseError as exc:
                outcomes.append(exc.problem)
        seconds = time.monotonic() - t0
    assert outcomes[0] == outcomes[2] == "ok"
    assert outcomes[1].startswith("parser process died (SIGSEGV)"), outcomes[1]
    record(what="worker killed by SIGSEGV in C (test hook)", size=_size(crash), limit="20 s, 512 MB",
           seconds=round(seconds, 2), peak_mb=peak.peak_mb, outcome=outcomes[1],
           lost="nothing: one document reported, worker replaced, documents around it parsed")


def test_deep_report_keeps_its_tables():
    """A real report wrapped in 246 layout divs (libxml2 used to cut it at depth 255: no
    tables) and at 3,000 (past huge_tree's 2048: flattened) reads the same as unwrapped."""
    from bench import synth_hostile as h

    page = (REPO / "tests" / "fixtures" / "forms" / "000_eac659b3405373d8.html").read_text(encoding="utf-8")
    plain = parsers.parse_bytes(page.encode(), "plain.html")
    for depth in (246, 3000):
        wrapped = parsers.parse_bytes(h.wrapped_in_divs(page, depth).encode(), f"wrapped-{depth}.html")
        for key in ("active_disclosure", "applications", "reviews"):
            assert [c["value"] for c in wrapped[key]] == [c["value"] for c in plain[key]], (depth, key)
        assert wrapped["applications"] and wrapped["status"] == plain["status"]
    deep = parsers.extract(h.wrapped_in_divs(page, 3000).encode(), "deep.html")
    assert any("flattened" in n for n in deep.notes)


def test_deep_page_is_not_empty():
    """100,000 nested divs: the text and tables at the bottom are found (no recursion limit)."""
    from bench import synth_hostile as h

    out = parsers.parse_bytes(h.deep_page(100_000).encode(), "deep.html")
    assert out["applications"] and "总体情况" in out["text"]


def test_span_bomb_is_capped_and_noted():
    from bench import synth_hostile as h

    doc = parsers.extract(h.span_bomb_page().encode(), "spans.html")
    tables = [b for b in doc.blocks if isinstance(b, parsers.Table)]
    assert tables and max(len(r) for r in tables[0].rows) <= 200
    assert sum(len(r) for t in tables for r in t.rows) < 100 * 200
    assert any("spans capped" in n for n in doc.notes)


def test_real_spans_still_expand():
    """The cap leaves what real tables do alone: a header spanning 15 columns, a label
    spanning rows."""
    html = ("<html><body><p>一、总体情况</p><table><tr><td colspan='15'>head</td></tr>"
            "<tr><td rowspan='3'>a</td>" + "<td>1</td>" * 14 + "</tr>"
            + ("<tr>" + "<td>2</td>" * 14 + "</tr>") * 2 + "</table></body></html>")
    doc = parsers.extract(html.encode(), "t.html")
    table = next(b for b in doc.blocks if isinstance(b, parsers.Table))
    assert [len(r) for r in table.rows] == [15, 15, 15, 15]
    assert [r[0].text for r in table.rows] == ["head", "a", "a", "a"]
    assert [r[0].spanned for r in table.rows] == [False, False, True, True]
    assert not any("capped" in n for n in doc.notes)
