"""Template decision from the tables' own labels, and mixtures of the two formats."""

from __future__ import annotations

from nianbao.parsers.template import decide_template


def test_2021_report_keeping_2019_labels(analyse_text, build_report, active_2021):
    """规范性文件 instead of 行政规范性文件 and the single-row （六）其他处理."""
    out = analyse_text(build_report(2021, active=active_2021.format(regulatory="规范性文件")))
    assert out["template"] == "2021"
    rows = {c["row"] for c in out["applications"]}
    assert "3.6" in rows and "3.6.1" not in rows
    assert len(out["applications"]) == 23 * 7
    items = {(c["article"], c["item"], c["metric"]): c for c in out["active_disclosure"]}
    assert items[("20.1", "规范性文件", "现行有效件数")]["value"] == 15
    fee = items[("20.8", "行政事业性收费", "本年收费金额")]
    assert fee["value"] == 5949.088667 and fee["unit"] == "万元"
    assert len(out["active_disclosure"]) == 10
    assert out["status"] == "ok", out["flags"]


def test_2021_report_with_split_other_rows(analyse_text, build_report, active_2021):
    out = analyse_text(build_report(2022, active=active_2021.format(regulatory="行政规范性文件"),
                                    split_other=True))
    rows = [c["row"] for c in out["applications"]][::7]
    assert rows[-5:] == ["3.6.1", "3.6.2", "3.6.3", "3.7", "4"]
    assert out["status"] == "ok", out["flags"]


def test_2019_labels_decide_even_in_a_2021_year(analyse_text, build_report):
    out = analyse_text(build_report(2021))
    assert out["template"] == "2019"
    assert {c["metric"] for c in out["active_disclosure"] if c["article"] == "20.1"} == {
        "本年新制作数量", "本年新公开数量", "对外公开总数量"}


def test_decide_template_majority_and_tie():
    assert decide_template("本年制发件数本年废止件数现行有效件数本年处理决定数量", 2020) == "2021"
    assert decide_template("本年新制作数量本年新公开数量对外公开总数量其他对外管理", 2022) == "2019"
    assert decide_template("本年制发件数上一年项目数量", 2021) == "2021"
    assert decide_template("本年制发件数上一年项目数量", 2020) == "2019"
    assert decide_template("无关内容", 2021) is None


def test_damaged_header_falls_back_to_template_columns(analyse_text, build_report):
    """Seed 004: header names one column, rows print three figures."""
    text = build_report().replace("信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量",
                                  "信息内容\t对外公开总数量")
    out = analyse_text(text)
    cells = [c for c in out["active_disclosure"] if c["item"] == "规范性文件"]
    assert [(c["metric"], c["value"]) for c in cells] == [
        ("本年新制作数量", 3), ("本年新公开数量", 3), ("对外公开总数量", 20)]


def test_money_without_any_unit_is_flagged(analyse_text, build_report):
    out = analyse_text(build_report().replace("251000元", "2051"))
    cell = next(c for c in out["active_disclosure"] if c["metric"] == "采购总金额")
    assert cell["value"] == 2051 and cell["unit"] == "万元"
    assert any("no unit printed" in f for f in out["flags"]) and out["status"] == "ok"


def test_money_unit_from_the_column_header(analyse_text, build_report):
    text = build_report().replace("采购总金额", "采购总金额（元）").replace("251000元", "251000")
    cell = next(c for c in analyse_text(text)["active_disclosure"] if c["metric"] == "采购总金额")
    assert cell["value"] == 25.1 and cell["raw"] == "251000"
