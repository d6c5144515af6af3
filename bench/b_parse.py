"""Parse benchmarks: our whole HTML/PDF parse against the bare library step it builds on.

HTML: `parsers.parse_bytes` end to end (sniffing, DOM tables, script normalisation,
sections, cells, checks) vs `trafilatura.extract` alone on the same pages; target: ours
takes at most 1.5× trafilatura's time. PDF: `parsers.parse_bytes` vs pdfplumber's
`page.extract_tables()` on every page; target: ours at least 5× faster, with the same
numbers in each template table. Pages come from tests/fixtures/forms/ when that folder
has them, else they are synthesised (`synth_html`, `synth_pdf`); either way, when the
truth of a page is known, the share of cells we read right is reported too.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import synth_html, synth_pdf, synth_reports
from .harness import FORMS, REPO, SEEDS, Context, Figure, Result, Unavailable, best_of, mib, traced_peak

HTML_EXPECTED = ["our parse reports/s", "trafilatura reports/s", "cells right", "peak Python memory"]
PDF_EXPECTED = [
    "our parse reports/s",
    "pdfplumber reports/s",
    "same numbers as pdfplumber",
    "cells right",
    "peak Python memory",
]

_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def _parsers() -> Any:
    try:
        from nianbao import parsers
        from nianbao.parsers import detect, report  # noqa: F401 - the stage is there only with these
    except ImportError as exc:
        raise Unavailable(f"parsers stage incomplete ({exc})") from exc
    return parsers


def _truth_for(path: Path) -> dict[str, Any] | None:
    t = SEEDS / "truth" / f"{path.name.split('.')[0]}.json"  # 000_….gbk.html and 000_….tw.html too
    return json.loads(t.read_text(encoding="utf-8")) if t.exists() else None


def _samples(ctx: Context, ext: str, n_synth: int) -> tuple[list[tuple[str, bytes, dict | None]], str]:
    """(source, bytes, truth) of the pages to parse, and where they came from."""
    found = sorted(p for p in FORMS.glob(f"*.{ext}") if ".scan." not in p.name and ".mixed." not in p.name) \
        if FORMS.exists() else []
    if ctx.quick:
        found = found[:5]
    if found:
        return [
            (str(p.relative_to(REPO)), p.read_bytes(), _truth_for(p)) for p in found
        ], f"{len(found)} form fixtures (tests/fixtures/forms/*.{ext})"
    out = []
    for i in range(n_synth):
        report = synth_reports.make_report(i * 13 + 5)
        data = synth_html.page_html(report).encode() if ext == "html" else synth_pdf.pdf_bytes(report)
        out.append((f"synthetic/{i:03d}.{ext}", data, report))
    return out, f"{n_synth} synthetic {ext.upper()} reports (bench/synth_{ext}.py)"


def _cells(doc: dict[str, Any]) -> dict[tuple, Any]:
    out: dict[tuple, Any] = {}
    for c in doc.get("active_disclosure") or []:
        out[("ad", c.get("article"), c.get("item"), c.get("metric"))] = c.get("value")
    for c in doc.get("applications") or []:
        out[("app", str(c.get("row")), c.get("applicant"))] = c.get("value")
    for c in doc.get("reviews") or []:
        out[("rev", c.get("stage"), c.get("outcome"))] = c.get("value")
    return out


def _score(parsed: dict[str, Any], truth: dict[str, Any]) -> tuple[int, int]:
    """(right, scored): cells of the truth with a number that we read as that number."""
    got = _cells(parsed)
    right = scored = 0
    for key, want in _cells(truth).items():
        if want is None:
            continue
        scored += 1
        have = got.get(key)
        if have is not None and abs(float(have) - float(want)) <= 1e-6 * max(1.0, abs(float(want))):
            right += 1
    return right, scored


def _parse_all(parsers: Any, samples: list[tuple[str, bytes, Any]]) -> tuple[list[Any], list[str]]:
    results, errors = [], []
    for source, data, _ in samples:
        try:
            results.append(parsers.parse_bytes(data, source))
        except parsers.ParseError as exc:
            results.append(None)
            errors.append(str(exc))
    return results, errors


def _accuracy(res: Result, samples: list, parsed: list) -> None:
    right = scored = 0
    for (_, _, truth), doc in zip(samples, parsed, strict=True):
        if truth is not None and doc is not None:
            r, s = _score(doc, truth)
            right, scored = right + r, scored + s
        elif truth is not None:
            scored += len([v for v in _cells(truth).values() if v is not None])
    if scored:
        res.add(
            Figure(
                "cells right",
                round(100 * right / scored, 2),
                "%",
                note=f"{right} of {scored} known cells read as printed",
            )
        )
    else:
        res.add(Figure("cells right", None, note="not available: no page with known truth"))


def run_html(ctx: Context) -> Result:
    res = Result("parse_html", "Parsing HTML report pages", HTML_EXPECTED)
    parsers = _parsers()
    import trafilatura

    samples, origin = _samples(ctx, "html", 5 if ctx.quick else 40)
    res.details["pages"] = origin
    repeat = 1 if ctx.quick else 3
    rounds = 1 if ctx.quick or "synthetic" in origin else 2  # few fixtures: parse each twice per pass

    def ours() -> tuple[list, list]:
        out: tuple[list, list] = ([], [])
        for _ in range(rounds):
            out = _parse_all(parsers, samples)
        return out

    def theirs() -> None:
        for _ in range(rounds):
            for _, data, _ in samples:
                trafilatura.extract(data.decode("utf-8", "replace"), include_tables=True)

    ours()  # warm-up: imports, OpenCC dictionaries, lxml
    theirs()
    t_ref, _ = best_of(theirs, repeat)
    t_ours, (parsed, errors) = best_of(ours, repeat)
    n = len(samples) * rounds
    if errors:
        res.details["errors"] = errors[:10]
    ratio = t_ours / t_ref
    res.add(
        Figure(
            "trafilatura reports/s",
            round(n / t_ref, 1),
            "reports/s",
            note="trafilatura.extract(include_tables=True) alone",
        )
    )
    res.add(
        Figure(
            "our parse reports/s",
            round(n / t_ours, 1),
            "reports/s",
            reference=round(n / t_ref, 1),
            reference_name="trafilatura.extract",
            ratio=round(ratio, 3),
            target="our time ≤ 1.5× trafilatura's",
            met=ratio <= 1.5,
            note=f"{n} parses, best of {repeat}; {len(errors)} failed; ratio = our time / trafilatura's",
        )
    )
    _accuracy(res, samples, parsed)
    peak, _ = traced_peak(lambda: _parse_all(parsers, samples))
    ref_peak, _ = traced_peak(theirs)
    res.add(
        Figure(
            "peak Python memory",
            mib(peak),
            "MiB",
            reference=mib(ref_peak),
            reference_name="trafilatura",
            note="tracemalloc peak over one pass of all pages",
        )
    )
    return res


def _plumber_numbers(data: bytes) -> dict[str, Counter]:
    """Numbers of each template table as pdfplumber's extract_tables() reads them."""
    import pdfplumber

    out: dict[str, Counter] = {
        "applications": Counter(),
        "reviews": Counter(),
        "active_disclosure": Counter(),
    }
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        current: str | None = None
        for page in pdf.pages:
            for table in page.extract_tables():
                text = "".join(c or "" for row in table for c in row)
                kind = _classify(text) or current  # a continuation on the next page has no header
                current = kind
                if kind is None:
                    continue
                for row in table:
                    for cell in row:
                        v = _number_text(cell)
                        if v is not None:
                            out[kind][v] += 1
    return out


def _classify(text: str) -> str | None:
    t = re.sub(r"\s+", "", text)
    if "行政复议" in t and ("维持" in t or "诉讼" in t):
        return "reviews"
    if any(k in t for k in ("本年新收", "予以公开", "不予公开", "无法提供", "不予处理", "结转下年度")):
        return "applications"
    if any(k in t for k in ("第二十条", "规章", "行政许可", "行政处罚", "行政事业性收费")):
        return "active_disclosure"
    return None


def _number_text(cell: Any) -> str | None:
    """The number of a cell as the contract reads it: notes dropped, 元 converted to 万元."""
    if cell is None:
        return None
    t = re.sub(r"\s+", "", str(cell)).replace(",", "")
    t = re.sub(r"[（(][^）)]*[）)]$", "", t)  # 22（其中修订16件） -> 22
    scale = Decimal(1)
    if t.endswith("万元"):
        t = t[:-2]
    elif t.endswith("元"):
        t, scale = t[:-1], Decimal(10000)
    if not _NUMBER.match(t):
        return None
    return _canon(str(Decimal(t) / scale))


def _canon(t: str) -> str:
    """One spelling per number: 620.50 and 620.5 and +3 and 3 compare equal."""
    v = Decimal(t)
    return str(int(v)) if v == v.to_integral_value() else str(float(v))


def _our_numbers(doc: dict[str, Any]) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for table in ("applications", "reviews", "active_disclosure"):
        out[table] = Counter(
            _canon(str(c["value"])) for c in doc.get(table) or [] if c.get("value") is not None
        )
    return out


def run_pdf(ctx: Context) -> Result:
    res = Result("parse_pdf", "Parsing PDF reports", PDF_EXPECTED)
    parsers = _parsers()
    try:
        import nianbao.parsers.extract_pdf  # noqa: F401 - the PDF extractor must be there
    except ImportError as exc:
        raise Unavailable(f"parsers.extract_pdf is not there yet ({exc})") from exc
    import pdfplumber

    samples, origin = _samples(ctx, "pdf", 3 if ctx.quick else 20)
    res.details["pdfs"] = origin
    repeat = 1 if ctx.quick else 2

    def theirs() -> list[dict[str, Counter]]:
        return [_plumber_numbers(data) for _, data, _ in samples]

    def plumber_only() -> None:
        for _, data, _ in samples:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                for page in pdf.pages:
                    page.extract_tables()

    _parse_all(parsers, samples[:1])  # warm-up
    t_ours, (parsed, errors) = best_of(lambda: _parse_all(parsers, samples), repeat)
    t_ref, _ = best_of(plumber_only, repeat)
    n = len(samples)
    if errors:
        res.details["errors"] = errors[:10]
    speedup = t_ref / t_ours
    res.add(
        Figure(
            "pdfplumber reports/s",
            round(n / t_ref, 2),
            "reports/s",
            note="pdfplumber.open + page.extract_tables() on every page",
        )
    )
    res.add(
        Figure(
            "our parse reports/s",
            round(n / t_ours, 2),
            "reports/s",
            reference=round(n / t_ref, 2),
            reference_name="pdfplumber extract_tables",
            ratio=round(speedup, 2),
            target="≥ 5× faster than pdfplumber",
            met=speedup >= 5,
            note=f"{n} PDFs, best of {repeat}; {len(errors)} failed; ratio = pdfplumber time / ours",
        )
    )

    plumber = theirs()
    same = compared = 0
    mismatches = []
    for (source, _, _), doc, ref in zip(samples, parsed, plumber, strict=True):
        mine = _our_numbers(doc) if doc else {k: Counter() for k in ref}
        for table, counts in ref.items():
            if not counts:
                continue
            compared += 1
            if mine.get(table) == counts:
                same += 1
            else:
                diff = (counts - mine.get(table, Counter())) + (mine.get(table, Counter()) - counts)
                mismatches.append(f"{source} {table}: {sum(diff.values())} numbers differ")
    res.details["mismatches"] = mismatches[:20]
    res.add(
        Figure(
            "same numbers as pdfplumber",
            round(100 * same / compared, 1) if compared else None,
            "%",
            target="same cells as pdfplumber",
            met=(same == compared) if compared else None,
            note=f"{same} of {compared} tables with the same multiset of numbers"
            if compared
            else "not available: pdfplumber found no template table",
        )
    )
    _accuracy(res, samples, parsed)
    peak, _ = traced_peak(lambda: _parse_all(parsers, samples))
    res.add(
        Figure(
            "peak Python memory",
            mib(peak),
            "MiB",
            note="tracemalloc peak over one pass; pdfium's own C allocations are not seen",
        )
    )
    return res
