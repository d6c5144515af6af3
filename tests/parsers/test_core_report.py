"""The analyser as a whole: metadata precedence, real Table blocks, refusing non-reports."""

from __future__ import annotations

import pytest

from nianbao.parsers import Cell, ParseError, Table, extract_text


def test_not_a_report_is_refused(analyse_text):
    with pytest.raises(ParseError) as err:
        analyse_text("首页 > 新闻动态\n市长主持召开常务会议。\n联系我们", source="page.html")
    assert str(err.value).startswith("page.html: not an annual report")


def test_a_list_page_titled_like_a_report_is_refused(analyse_text):
    with pytest.raises(ParseError):
        analyse_text("政府信息公开年报\n广州市某局2020年政府信息公开工作年度报告 2021-01-20\n"
                     "广州市某局2019年政府信息公开工作年度报告 2020-01-15")


def test_text_extraction_errors_name_the_document():
    with pytest.raises(ParseError, match=r"^e\.txt: empty"):
        extract_text.extract(b"  \n \n", "e.txt")
    with pytest.raises(ParseError, match=r"^b\.txt: not text"):
        extract_text.extract(b"\x00\x01\x02binary", "b.txt")


def test_text_extraction_decodes_bom_and_gb18030():
    doc = extract_text.extract("\ufeff一、总体情况\t甲\n二".encode(), "u.txt")
    assert [b.text for b in doc.blocks] == ["一、总体情况\t甲", "二"]
    doc = extract_text.extract("广州市政府信息公开".encode("gb18030"), "g.txt")
    assert doc.blocks[0].text == "广州市政府信息公开"


def test_meta_wins_over_hints_and_both_over_text(analyse_text, build_report):
    text = build_report(2020, agency="文本机关")
    out = analyse_text(text, hints={"title": "提示机关2020年政府信息公开工作年度报告",
                                    "published": "2021-01-30", "agency": "提示机关"},
                       meta={"title": "元数据机关2020年政府信息公开工作年度报告",
                             "published": "2021-01-20"})
    assert out["title"] == "元数据机关2020年政府信息公开工作年度报告"
    # the hint names another agency than the title: the title's wins, noted
    assert out["agency"] == "元数据机关"
    assert "agency from the title, the publisher is 提示机关" in out["notes"]
    assert out["published"] == "2021-01-20"
    out = analyse_text(text, hints={"agency": "广州市 文本机关"}, meta={"agency": "文本机关（本级）"})
    assert out["agency"] == "文本机关（本级）" and out["status"] == "ok"
    out = analyse_text(text)
    assert out["agency"] == "文本机关" and out["published"] is None and out["year"] == 2020


def test_year_is_the_covered_year_not_publication(analyse_text, build_report):
    out = analyse_text(build_report(2020), hints={"published": "2021-03-31"})
    assert out["year"] == 2020 and out["published"] == "2021-03-31"


def test_wrapped_title_and_agency_with_two_names(analyse_text, build_report):
    text = build_report(2020).replace(
        "广州市测试局2020年政府信息公开工作年度报告",
        "广州市黄埔区人民政府 广州开发区管委会 2020 年政府\n信息公开工作年度报告")
    out = analyse_text(text)
    assert out["year"] == 2020
    assert "广州市黄埔区人民政府" in out["agency"]
    assert " " not in out["agency"]


def _grid(rows: list[list[str]]) -> Table:
    return Table([[Cell(x) for x in r] for r in rows])


def test_table_blocks_keep_positioned_blanks(analyse_blocks, build_report, consistent_rows):
    """A DOM table: blank cells are real, positioned cells (null), spanned copies never numbers."""
    base = build_report().split("\n")
    start = base.index("三、收到和处理政府信息公开申请情况")
    end = base.index("四、政府信息公开行政复议、行政诉讼情况")
    grid_rows = [line.split("\t") for line in base[start + 4:end]]
    width = max(len(r) for r in grid_rows)
    grid_rows = [r + [""] * (width - len(r)) for r in grid_rows]
    target = next(r for r in grid_rows if "不掌握" in "".join(r))
    values_at = len(target) - 7
    target[values_at + 2] = ""  # 科研机构 left blank
    table = _grid(grid_rows)
    # a spanned copy of a number cell must never count
    table.rows[0].append(Cell("5", spanned=True))
    blocks = [*base[:start + 1], table, *base[end:]]
    out = analyse_blocks(blocks)
    cells = {(c["row"], c["applicant"]): c for c in out["applications"]}
    assert cells[("3.4.1", "科研机构")]["value"] is None
    assert cells[("3.4.1", "商业企业")]["value"] == 1
    assert cells[("3.4.1", "总计")]["value"] == 3
    assert cells[("1", "总计")]["value"] == 8
    assert any(c["name"] == "complete" and not c["ok"] for c in out["checks"])


def test_tables_found_without_section_headings(analyse_text, build_report):
    heads = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
             "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
             "六、其他需要报告的事项")
    text = "\n".join(x for x in build_report().split("\n") if x not in heads)
    out = analyse_text(text)
    assert out["sections"] == []
    assert "no section headings found" in out["flags"]
    assert [c["value"] for c in out["reviews"]][:5] == [1, 0, 0, 0, 1]
    assert next(c for c in out["applications"] if c["row"] == "1")["value"] == 5
    assert all(c["ok"] for c in out["checks"])


def test_site_name_in_a_page_title_is_dropped(analyse_text, build_report):
    out = analyse_text(build_report(), hints={
        "title": "广州市测试局2020年政府信息公开工作年度报告_广州市人民政府门户网站"})
    assert out["title"] == "广州市测试局2020年政府信息公开工作年度报告"
    assert out["agency"] == "广州市测试局"
