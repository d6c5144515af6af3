"""Accuracy gate: per form of the reports (the seed texts and the generated HTML, PDF,
Word and Traditional mirror forms), the share of truth cells the whole pipeline gets
right. Printed for the record (pytest -s) and required to be 100% for every form.

A truth-null cell counts only in the generated forms, where the generator left the cell
blank: there the output must be null too (a number would be invented). In the seed
texts a null marks a figure lost in the source, which is not scored (as in
score_reference.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from nianbao import parsers

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "tests" / "fixtures" / "seeds"
FORMS = REPO / "tests" / "fixtures" / "forms"
FORM_NAMES = ("txt", "html", "pdf", "docx", "tw.html")
KEYS = {"active_disclosure": ("article", "item", "metric"), "applications": ("row", "applicant"),
        "reviews": ("stage", "outcome")}


def cells(doc: dict) -> dict[tuple, object]:
    return {(table, *(c[f] for f in fields)): c.get("value")
            for table, fields in KEYS.items() for c in doc.get(table) or []}


def score(form: str) -> tuple[int, int, list[str]]:
    """(right, scored, problems) over the five seeds in one form."""
    right = total = 0
    problems: list[str] = []
    for truth_path in sorted((SEEDS / "truth").glob("*.json")):
        ident = truth_path.stem
        path = SEEDS / f"{ident}.txt" if form == "txt" else FORMS / f"{ident}.{form}"
        truth = cells(json.loads(truth_path.read_text(encoding="utf-8")))
        try:
            out = cells(parsers.parse_file(path))
        except parsers.ParseError as exc:
            problems.append(str(exc))
            total += len(truth)
            continue
        for key, want in truth.items():
            got = out.get(key)
            if want is None:
                if form == "txt":
                    continue
                ok = got is None
            else:
                ok = got is not None and math.isclose(float(got), float(want), abs_tol=1e-6)
            total += 1
            right += ok
            if not ok:
                problems.append(f"{path.name} {key}: got {got}, truth {want}")
    return right, total, problems


def test_every_form_reads_every_truth_cell() -> None:
    report = {}
    failures = []
    for form in FORM_NAMES:
        right, total, problems = score(form)
        share = right / total if total else 0.0
        report[form] = (right, total, share)
        print(f"form {form:8s} {right}/{total} cells right ({share:.2%})")
        if right < total:
            failures.append(f"{form}: {share:.2%} — " + "; ".join(problems[:5]))
    assert all(total > 900 for _, total, _ in report.values()), report
    assert not failures, "\n".join(failures)
