"""`python -m bench --quick` completes and reports every figure, or says why it cannot.

No timing is asserted: these machines are noisy and the figures are the benchmark's job.
What is asserted is that the harness works end to end and never silently drops a figure.
"""

from __future__ import annotations

import json

import pytest

from bench import __main__ as bench_main

pytestmark = pytest.mark.slow


def test_quick_run_completes_without_errors(quick_run):
    proc, results, _ = quick_run
    errors = {r["name"]: r.get("error") for r in results["results"] if r["status"] == "error"}
    assert not errors, f"benchmarks failed: {errors}\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert results["quick"] is True


def test_every_benchmark_is_reported(quick_run):
    _, results, _ = quick_run
    assert [r["name"] for r in results["results"]] == list(bench_main.BENCHMARKS)


def test_every_figure_has_a_value_or_a_reason(quick_run):
    _, results, _ = quick_run
    for r in results["results"]:
        if r["status"] == "not available":
            assert r["unavailable"], f"{r['name']}: not available without a reason"
            continue
        names = [f["name"] for f in r["figures"]]
        assert sorted(names) == sorted(r["expected"]), f"{r['name']}: {names} != {r['expected']}"
        for f in r["figures"]:
            if f["value"] is None:
                assert f["note"].startswith("not available: "), f"{r['name']}/{f['name']}: no reason"
            if f["met"] is not None:
                assert f["target"], f"{r['name']} / {f['name']}: a verdict without a target"


def test_ratios_come_with_their_reference(quick_run):
    _, results, _ = quick_run
    with_target = 0
    for r in results["results"]:
        for f in r["figures"]:
            if f["ratio"] is not None and f["reference"] is not None:
                assert f["reference_name"], f"{r['name']} / {f['name']}: reference without a name"
            with_target += f["met"] is not None
    assert with_target > 0, "no figure was checked against a target"


def test_outputs_written_to_out_dir_only(quick_run, committed_outputs):
    _, results, out = quick_run
    assert committed_outputs() == committed_outputs.before, "--out must leave the committed figures alone"
    md = (out / "benchmarks.md").read_text(encoding="utf-8")
    assert "bench:begin" in md and "bench:end" in md
    assert "| benchmark | figure |" in md
    assert results["machine"]["nproc"] >= 1 and results["machine"]["python"]
    assert results["seconds"] > 0
    json.dumps(results)  # serialisable as written
