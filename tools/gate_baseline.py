#!/usr/bin/env python3
"""The accuracy gate's baseline: per form of the seed reports, how many truth cells are
read right, left null (and flagged), or read wrong.

Like trafilatura's evaluation gate: the committed baseline (tests/parsers/form_gate_baseline.json)
holds a floor per form and a digest of that form's fixtures; tests/parsers/test_form_gate.py
fails when a form reads fewer cells right than its floor, reads any cell wrong, has
fixtures that changed since the baseline, or has no baseline entry. This tool scores the
forms and writes the baseline; it refuses to lower a floor unless told `--allow-lower`.

Forms are found from the fixture names: tests/fixtures/forms/<seed>.<form> for every seed
with a truth file (so html, pdf, docx, tw.html, flat.txt, md … and any form another
module of tools/make_form_fixtures.py adds), plus "txt": the seed texts themselves.

    .venv/bin/python tools/gate_baseline.py             # add new forms, raise floors
    .venv/bin/python tools/gate_baseline.py --check     # compare only, exit 1 on a drop
    .venv/bin/python tools/gate_baseline.py --allow-lower --form scan.png
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
FORMS = ROOT / "tests" / "fixtures" / "forms"
BASELINE = ROOT / "tests" / "parsers" / "form_gate_baseline.json"
SEED_FORM = "txt"  # the seed texts, in tests/fixtures/seeds
NOT_FORMS = (".json",)  # side files of a seed's forms (narrative.json), not documents
KEYS = {"active_disclosure": ("article", "item", "metric"), "applications": ("row", "applicant"),
        "reviews": ("stage", "outcome")}


@dataclass
class Score:
    """One form over every seed: cells right, null (and flagged), wrong; what went wrong."""

    right: int = 0
    null: int = 0
    wrong: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def cells(self) -> int:
        return self.right + self.null + self.wrong


def seeds() -> list[str]:
    """The seeds that have a truth file."""
    return sorted(p.stem for p in (SEEDS / "truth").glob("*.json"))


def forms() -> list[str]:
    """Every form some seed has a fixture in, found from the file names."""
    found = {SEED_FORM}
    for ident in seeds():
        for path in FORMS.glob(f"{ident}.*"):
            form = path.name[len(ident) + 1:]
            if not form.endswith(NOT_FORMS):
                found.add(form)
    return sorted(found)


def paths(form: str) -> list[Path]:
    """The fixtures of one form (one per seed that has it)."""
    if form == SEED_FORM:
        return [SEEDS / f"{ident}.txt" for ident in seeds()]
    return [p for ident in seeds() if (p := FORMS / f"{ident}.{form}").exists()]


def digest(form: str) -> str:
    """sha256 over the form's fixtures and their truth files (names and bytes)."""
    h = hashlib.sha256()
    for path in paths(form):
        truth = SEEDS / "truth" / f"{path.name.split('.')[0]}.json"
        for p in (path, truth):
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _cells(doc: dict[str, Any]) -> dict[tuple[Any, ...], Any]:
    return {(table, *(c[f] for f in fields)): c.get("value")
            for table, fields in KEYS.items() for c in doc.get(table) or []}


def _flagged_nulls(doc: dict[str, Any]) -> set[tuple[Any, ...]]:
    """The cells the report's `complete` check lists (a null a human is told about)."""
    out = set()
    for check in doc.get("checks") or []:
        if check.get("name") == "complete":
            for c in check.get("cells") or []:
                table = c.get("table")
                if table in KEYS:
                    out.add((table, *(c.get(f) for f in KEYS[table])))
    return out


def score(form: str) -> Score:
    """Parse every fixture of a form and compare with the truth.

    A truth cell with a value: right when read equal, null when left null and flagged by
    `complete`, wrong otherwise (a different number, or a null nobody is told about). A
    truth-null cell (the generator printed a blank; in the seed texts a figure the source
    lost, not scored there) must come out null. A number in a cell the truth does not have
    is wrong.
    """
    from nianbao import parsers

    out = Score()
    for path in paths(form):
        ident = path.name.split(".")[0]
        truth = _cells(json.loads((SEEDS / "truth" / f"{ident}.json").read_text(encoding="utf-8")))
        try:
            report: dict[str, Any] = dict(parsers.parse_file(path))
        except parsers.ParseError as exc:
            out.null += sum(1 for v in truth.values() if v is not None)
            out.problems.append(str(exc))
            continue
        got, flagged = _cells(report), _flagged_nulls(report)
        for key, want in truth.items():
            value = got.get(key)
            if want is None:
                if form == SEED_FORM:
                    continue
                if value is None:
                    out.right += 1
                else:
                    out.wrong += 1
                    out.problems.append(f"{path.name} {key}: got {value}, truth blank")
            elif value is None:
                if key in flagged:
                    out.null += 1
                else:
                    out.wrong += 1
                    out.problems.append(f"{path.name} {key}: null without a flag")
            elif math.isclose(float(value), float(want), abs_tol=1e-6):
                out.right += 1
            else:
                out.wrong += 1
                out.problems.append(f"{path.name} {key}: got {value}, truth {want}")
        for key, value in got.items():
            if key not in truth and value is not None:
                out.wrong += 1
                out.problems.append(f"{path.name} {key}: got {value}, not a cell of the truth")
    return out


def load() -> dict[str, Any]:
    if not BASELINE.exists():
        return {"forms": {}}
    data: dict[str, Any] = json.loads(BASELINE.read_text(encoding="utf-8"))
    return data


def compare(form: str, got: Score, entry: dict[str, Any] | None) -> list[str]:
    """Why a form fails the gate against its baseline entry (empty when it passes)."""
    if entry is None:
        return [f"form {form!r} has no baseline entry: run `.venv/bin/python tools/gate_baseline.py` "
                "to add it (then commit tests/parsers/form_gate_baseline.json)"]
    out = []
    if entry.get("digest") != digest(form):
        out.append(f"form {form!r}: its fixtures changed since the baseline; check the new scores and "
                   "run `.venv/bin/python tools/gate_baseline.py`")
    if got.wrong:
        out.append(f"form {form!r}: {got.wrong} cells wrong (must be 0): " + "; ".join(got.problems[:5]))
    if got.right < entry["right"]:
        out.append(f"form {form!r}: {got.right} cells right, below the floor {entry['right']}")
    if got.cells != entry["cells"]:
        out.append(f"form {form!r}: {got.cells} truth cells scored, the baseline has {entry['cells']}")
    share = entry.get("min_right_share")
    if share is not None and got.cells and got.right / got.cells < share:
        out.append(f"form {form!r}: {got.right / got.cells:.2%} right, the target is {share:.0%}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the baseline, write nothing")
    ap.add_argument("--allow-lower", action="store_true", help="accept floors lower than the baseline's")
    ap.add_argument("--form", action="append", help="only this form (repeatable)")
    args = ap.parse_args(argv)
    base = load()
    entries: dict[str, Any] = base.setdefault("forms", {})
    failed = False
    for form in args.form or forms():
        got = score(form)
        old = entries.get(form)
        print(f"{form:12s} right {got.right:5d}  null {got.null:4d}  wrong {got.wrong:3d}  of {got.cells}"
              + (f"   (floor {old['right']})" if old else "   (new)"))
        for p in got.problems[:5]:
            print(f"    {p}")
        if args.check:
            problems = compare(form, got, old)
            failed |= bool(problems)
            for p in problems:
                print(f"  FAIL {p}")
            continue
        if got.wrong:
            print(f"  refused: {form} reads {got.wrong} cells wrong; the gate allows none")
            failed = True
            continue
        if old and got.right < old["right"] and not args.allow_lower:
            print(f"  refused: {form} would lower its floor {old['right']} -> {got.right} "
                  "(pass --allow-lower to accept)")
            failed = True
            continue
        entry = {**(old or {}), **{k: v for k, v in asdict(got).items() if k != "problems"},
                 "cells": got.cells, "digest": digest(form)}
        entries[form] = entry
    if not args.check:
        base["about"] = ("Floors of the per-form accuracy gate (tests/parsers/test_form_gate.py), written "
                         "by tools/gate_baseline.py: never lowered without --allow-lower.")
        BASELINE.write_text(json.dumps(base, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                            encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
