"""The report's arithmetic as checks: exact cells named, unknowns neither pass nor fail."""

from __future__ import annotations


def _check(out, name):
    return next(c for c in out["checks"] if c["name"] == name)


def test_consistent_report_passes_every_check(analyse_text, build_report):
    out = analyse_text(build_report())
    assert [c["name"] for c in out["checks"]] == [
        "row_total", "balance", "outcome_total", "review_total", "complete"]
    assert all(c["ok"] for c in out["checks"])
    assert out["status"] == "ok" and out["flags"] == []


def test_row_total_names_the_row(analyse_text, build_report, consistent_rows):
    rows = consistent_rows(False)
    rows["3.1"] = [3, 1, 0, 0, 0, 1, 6]  # 总计 printed wrong
    out = analyse_text(build_report(rows=rows))
    bad = _check(out, "row_total")
    assert bad["ok"] is False
    assert bad["cells"] == [{"table": "applications", "row": "3.1", "applicant": "总计"}]
    # the same wrong figure also breaks 3.7 = sum of outcomes in the 总计 column
    assert _check(out, "outcome_total")["cells"] == [
        {"table": "applications", "row": "3.7", "applicant": "总计"}]
    assert "row_total failed on 1 cells" in out["flags"]
    assert out["status"] == "flagged"


def test_balance_fails_per_column(analyse_text, build_report, consistent_rows):
    rows = consistent_rows(False)
    rows["4"] = [2, 0, 0, 0, 0, 0, 2]
    out = analyse_text(build_report(rows=rows))
    cells = _check(out, "balance")["cells"]
    assert {c["applicant"] for c in cells} == {"自然人", "总计"}


def test_review_total_per_stage(analyse_text, build_report):
    out = analyse_text(build_report(reviews=[1, 0, 0, 0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]))
    assert _check(out, "review_total")["cells"] == [
        {"table": "reviews", "stage": "行政复议", "outcome": "总计"}]


def test_unknown_cells_are_not_failures_but_incomplete(analyse_text, build_report,
                                                       consistent_rows):
    rows = consistent_rows(False)
    rows["3.1"] = [3, 1, 0, 0, 0, 1, "U"]
    out = analyse_text(build_report(rows=rows))
    assert _check(out, "row_total")["ok"] is True
    complete = _check(out, "complete")
    assert complete["ok"] is False
    assert complete["cells"] == [{"table": "applications", "row": "3.1", "applicant": "总计"}]
    assert "complete: 1 cells without a value" in out["flags"]
