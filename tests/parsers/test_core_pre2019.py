"""A pre-2019 report (一、概述 … 七、其他需要报告的事项 with a 附表): text kept, no tables."""

from __future__ import annotations

from pathlib import Path

PRE2019 = Path(__file__).resolve().parents[1] / "fixtures" / "parsers" / "pre2019.txt"


def test_pre2019_keeps_sections_and_forces_no_tables(analyse_text):
    out = analyse_text(PRE2019.read_text("utf-8"), source=str(PRE2019))
    assert out["template"] is None
    assert out["year"] == 2017
    assert out["agency"] == "广州市某某区城市管理局"
    assert [s["number"] for s in out["sections"]] == [1, 2, 3, 4, 5, 6, 7]
    assert out["sections"][0]["heading"] == "一、概述"
    assert "356条" in out["sections"][1]["text"]
    assert out["active_disclosure"] == [] and out["applications"] == [] and out["reviews"] == []
    assert "pre-2019 format" in out["flags"]
    assert out["status"] == "ok" and out["checks"] == []  # no template tables: nothing to check


def test_report_on_2019_is_not_pre2019(analyse_text, build_report):
    out = analyse_text(build_report(2019))
    assert out["template"] == "2019"
    assert "pre-2019 format" not in out["flags"]
