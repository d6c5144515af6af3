"""Gap placement: figures positioned by the report's arithmetic, or not at all."""

from __future__ import annotations

from decimal import Decimal

from nianbao.parsers.checks import Equation, equations
from nianbao.parsers.placement import place
from nianbao.parsers.tables import Token
from nianbao.template import ApplicationLayout


def _toks(values):
    return [Token("number", str(v), 0, Decimal(v)) for v in values]


def _known(rows: dict[str, list[int | None]]):
    return {("applications", r, c): (None if v is None else Decimal(v))
            for r, vals in rows.items() for c, v in enumerate(vals)}


def application_equations(rows: list[str]) -> list[Equation]:
    """The template's equations for a section 三 made of `rows` only."""
    parts = tuple(r for r in rows if r.startswith("3.") and r != "3.7")
    return [e for e in equations(ApplicationLayout("test", tuple(rows), parts, None))
            if e.name != "review_total"]


def _review_eqs():
    return [Equation("review_total", (("r", "all", s * 5 + 4),),
                     tuple(("r", "all", s * 5 + c) for c in range(4)), {})
            for s in range(3)]


def test_unique_placement_of_a_lost_review_total():
    """Seed 003: 14 figures; only a gap at 复议后起诉 总计 adds up."""
    figures = [11, 0, 3, 1, 15, 7, 3, 0, 0, 10, 1, 0, 0, 0]
    got = place("r", {}, {"all": _toks(figures)}, 15, _review_eqs())["all"]
    assert got is not None
    assert [t.value if t else None for t in got.slots] == [*figures, None]
    assert got.inferred == {14: Decimal(1)}


def test_ambiguous_placement_leaves_the_row_null():
    """Six zeros for seven cells: every position adds up, so nothing is placed."""
    rows = {"1": [0, 0, 0, 0, 0, 0, 0], "2": [0] * 7, "3.7": [0] * 7, "4": [0] * 7}
    eqs = application_equations(["1", "2", "3.2", "3.7", "4"])
    got = place("applications", _known(rows), {"3.2": _toks([0] * 6)}, 7, eqs)
    assert got["3.2"] is None


def test_balance_decides_where_the_gap_is():
    """Seed 004 row 3.7 prints 1 0 0 0 0 1; balance puts the gap at 自然人."""
    rows = {"1": [0, 2, 0, 0, 0, 0, 2], "2": [0] * 7, "4": [0, 1, 0, 0, 0, 0, 1]}
    eqs = application_equations(["1", "2", "3.7", "4"])
    got = place("applications", _known(rows), {"3.7": _toks([1, 0, 0, 0, 0, 1])}, 7, eqs)["3.7"]
    assert got is not None
    assert [t.value if t else None for t in got.slots] == [None, 1, 0, 0, 0, 0, 1]
    assert got.inferred == {0: Decimal(0)}


def test_no_consistent_placement_leaves_the_row_null():
    rows = {"1": [9, 9, 0, 0, 0, 0, 18], "2": [0] * 7, "4": [0] * 7}
    eqs = application_equations(["1", "2", "3.7", "4"])
    got = place("applications", _known(rows), {"3.7": _toks([1, 0, 0, 0, 0, 1])}, 7, eqs)
    assert got["3.7"] is None


def test_two_partial_rows_are_decided_jointly():
    rows = {"1": [0, 2, 0, 0, 0, 0, 2], "2": [0] * 7, "4": [0, 1, 0, 0, 0, 0, 1],
            "3.1": [0] * 7, "3.4.1": [0, 1, 0, 0, 0, 0, 1]}
    eqs = application_equations(["1", "2", "3.1", "3.2", "3.4.1", "3.7", "4"])
    partial = {"3.2": _toks([0] * 6), "3.7": _toks([1, 0, 0, 0, 0, 1])}
    got = place("applications", _known(rows), partial, 7, eqs)
    assert got["3.2"] is None
    assert got["3.7"] is not None and got["3.7"].slots[0] is None


def test_placed_rows_in_a_report_keep_gaps_null(analyse_text, build_report, consistent_rows):
    rows = consistent_rows(False)
    rows["3.4.1"] = [2, 1, 0, 0, 0, 3]  # the 0 of 科研机构 … lost: six figures
    out = analyse_text(build_report(rows=rows))
    cells = {(c["row"], c["applicant"]): c for c in out["applications"]}
    # the gap could be any of the four zero columns: ambiguous, so the row is null
    assert all(cells[("3.4.1", a)]["value"] is None for a in ("自然人", "商业企业", "总计"))
    assert any("3.4.1" in f and "ambiguous" in f for f in out["flags"])
    assert out["status"] == "incomplete"  # blank cells, no disagreeing numbers


def test_many_partial_rows_are_decided_one_by_one():
    """Blank 总计 cells lost from text on many rows: each row alone fixes its gap."""
    rows = {"1": [0, 0, 0, 0, 0, 0, 0]}
    partial = {f"r{i}": _toks([i + 1, 0, 0, 0, 0, 0]) for i in range(6)}
    eqs = [Equation("row_total", (("applications", r, 6),),
                    tuple(("applications", r, c) for c in range(6)), {}) for r in partial]
    got = place("applications", _known(rows), partial, 7, eqs)
    assert 7 ** 6 > 20000
    for i in range(6):
        placed = got[f"r{i}"]
        assert placed is not None
        assert placed.slots[6] is None and placed.inferred == {6: Decimal(i + 1)}
