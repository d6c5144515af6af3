"""Accuracy gate: every form of the seed reports (the seed texts, and the HTML, PDF, Word,
mirror, flattened-text, Markdown … forms tools/make_form_fixtures.py generates from the
truth) against its floor in tests/parsers/form_gate_baseline.json.

Per form: cells right, null (and flagged by `complete`) and wrong are counted apart;
wrong must be 0, right must not drop below the floor, the fixtures must be the ones the
baseline was taken on (digest), and a form without a baseline entry fails, saying how to
add it (tools/gate_baseline.py, which refuses to lower a floor without --allow-lower).
Forms are discovered from the fixture names, so a new form enters the gate by itself.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "gate_baseline.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gate_baseline", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gate = _tool()


@cache
def scored(form: str):
    return gate.score(form)


@pytest.mark.parametrize("form", gate.forms())
def test_form_holds_its_floor(form: str) -> None:
    got = scored(form)
    entry = gate.load()["forms"].get(form)
    print(f"form {form:10s} right {got.right}/{got.cells} null {got.null} wrong {got.wrong}")
    problems = gate.compare(form, got, entry)
    assert not problems, "\n".join(problems)


def test_every_form_is_scored_on_every_seed() -> None:
    """The forms the generator writes for every seed have a fixture per seed (a form added
    for some seeds only would score too few cells to mean anything)."""
    n_seeds = len(gate.seeds())
    for form in gate.forms():
        if form in ("gbk.html",):  # written for seed 000 only: an encoding variant
            continue
        assert len(gate.paths(form)) == n_seeds, form


def test_the_baseline_has_no_stale_forms() -> None:
    """A form whose fixtures are gone must leave the baseline (no silent floor)."""
    assert set(gate.load()["forms"]) <= set(gate.forms())


def test_gate_fails_without_an_entry_and_on_a_drop() -> None:
    """The gate can fail: a missing entry, a lower count and a wrong cell each fail."""
    got = gate.Score(right=10, null=2, wrong=0)
    assert "no baseline entry" in gate.compare("txt", got, None)[0]
    entry = {"right": 11, "null": 1, "wrong": 0, "cells": 12, "digest": gate.digest("txt")}
    assert any("below the floor" in p for p in gate.compare("txt", got, entry))
    bad = gate.Score(right=11, null=0, wrong=1, problems=["x"])
    assert any("wrong" in p for p in gate.compare("txt", bad, entry))
    assert any("changed" in p for p in gate.compare("txt", gate.Score(11, 1, 0), {**entry, "digest": "0"}))
    assert gate.compare("txt", gate.Score(11, 1, 0), entry) == []


def test_tool_refuses_to_lower_a_floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tools/gate_baseline.py keeps a floor it would lower, unless --allow-lower."""
    baseline = tmp_path / "baseline.json"
    high = {"right": 10**6, "null": 0, "wrong": 0, "cells": 10**6, "digest": "x"}
    baseline.write_text(json.dumps({"forms": {"txt": high}}), encoding="utf-8")
    monkeypatch.setattr(gate, "BASELINE", baseline)
    assert gate.main(["--form", "txt"]) == 1
    assert json.loads(baseline.read_text(encoding="utf-8"))["forms"]["txt"]["right"] == 10**6
    assert gate.main(["--form", "txt", "--allow-lower"]) == 0
    lowered = json.loads(baseline.read_text(encoding="utf-8"))["forms"]["txt"]
    assert lowered["right"] == scored("txt").right and lowered["digest"] == gate.digest("txt")
