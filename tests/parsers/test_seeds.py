"""The five seed reports against their hand-checked truth."""

from __future__ import annotations

import math


def _same(a, b) -> bool:
    return a is not None and b is not None and math.isclose(float(a), float(b), abs_tol=1e-6)


def test_seed_cells_right(seed_name, seed_results, truths, table_cells):
    name = seed_name
    out, truth = table_cells(seed_results[name]), table_cells(truths[name])
    wrong = []
    for key, cell in truth.items():
        got = out.get(key)
        assert got is not None, f"{name}: cell {key} missing from output"
        if cell["value"] is None:
            assert got["value"] is None, f"{name}: {key} should be null, got {got['value']}"
        elif not _same(got["value"], cell["value"]):
            wrong.append((key, got["value"], cell["value"]))
    assert not wrong, f"{name}: wrong cells {wrong[:5]}"
    assert set(out) == set(truth), f"{name}: cells not in the template: {set(out) - set(truth)}"


def test_seed_metadata(seed_name, seed_results, truths):
    name = seed_name
    out, truth = seed_results[name], truths[name]
    assert out["year"] == truth["year"]
    assert out["template"] == truth["template"]
    a, b = "".join(out["agency"].split()), "".join(truth["agency"].split())
    assert a in b or b in a, (out["agency"], truth["agency"])
    assert [s["number"] for s in out["sections"]] == [1, 2, 3, 4, 5, 6]


def test_seed_checks(seed_name, seed_results, truths, table_cells):
    name = seed_name
    out, truth = seed_results[name], truths[name]
    checks = {c["name"]: c for c in out["checks"]}
    for failing in truth["failing_checks"]:
        assert checks[failing]["ok"] is False, f"{name}: {failing} should fail"
    arithmetic = ("row_total", "balance", "outcome_total", "review_total")
    for cname in arithmetic:
        if cname not in truth["failing_checks"]:
            assert checks[cname]["ok"], f"{name}: {cname} failed: {checks[cname]['cells']}"
    nulls = [k for k, c in table_cells(out).items() if c["value"] is None]
    assert checks["complete"]["ok"] is (not nulls)
    if set(truth["failing_checks"]) - {"complete"}:
        assert out["status"] == "flagged"
    else:
        assert out["status"] == ("incomplete" if nulls else "ok")


def test_seed_001_row_total_names_the_printed_cells(seed_results, seed_names):
    out = seed_results[next(n for n in seed_names if n.startswith("001"))]
    bad = next(c for c in out["checks"] if c["name"] == "row_total")["cells"]
    assert {c["row"] for c in bad} == {"1", "3.4.1", "3.7"}


def test_seed_gaps_placed_by_arithmetic(seed_results, seed_names, table_cells):
    s003 = seed_results[next(n for n in seed_names if n.startswith("003"))]
    last = s003["reviews"][-1]
    assert (last["stage"], last["outcome"], last["value"]) == ("复议后起诉", "总计", None)
    assert last.get("inferred") == 1
    s004 = seed_results[next(n for n in seed_names if n.startswith("004"))]
    cells = table_cells(s004)
    assert cells[(None, None, None, "3.7", "自然人", None, None)]["value"] is None
    assert cells[(None, None, None, "3.7", "商业企业", None, None)]["value"] == 1
    assert all(cells[(None, None, None, "3.2", a, None, None)]["value"] is None
               for a in ("自然人", "商业企业", "其他", "总计"))


def test_accuracy_gate(seed_results, truths, seed_names, table_cells):
    """Share of truth cells right per seed; every seed must be at 100%."""
    shares = {}
    for name in seed_names:
        out, truth = table_cells(seed_results[name]), table_cells(truths[name])
        scored = [(k, c["value"]) for k, c in truth.items() if c["value"] is not None]
        right = sum(1 for k, v in scored if _same((out.get(k) or {}).get("value"), v))
        shares[name] = right / len(scored)
    for name, share in shares.items():
        print(f"accuracy {name}: {share:.4f}")
    assert all(share == 1.0 for share in shares.values()), shares
