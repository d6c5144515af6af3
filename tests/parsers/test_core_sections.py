"""Section splitting with drifted headings, table rows that look like headings, and
（一） sub-headings."""

from __future__ import annotations

from nianbao.parsers import Paragraph
from nianbao.parsers.sections import split


def _split(text: str):
    return [(s.number, s.kind) for s in split([Paragraph(x) for x in text.split("\n")])]


def test_table_rows_and_subheadings_are_not_sections(build_report):
    got = _split(build_report())
    assert got == [(1, "overview"), (2, "active"), (3, "applications"), (4, "reviews"),
                   (5, "problems"), (6, "other")]


def test_drifted_headings():
    text = "\n".join([
        "  一、总体情况", "（一）主动公开情况", "正文。",
        "- 二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
        "一、本年新收政府信息公开申请数量\t1", "三、本年度办理结果", "四、结转下年度继续办理\t0",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及整改措施", "六、其他需要报告的事项", "无。",
    ])
    assert _split(text) == [(1, "overview"), (2, "active"), (3, "applications"),
                            (4, "reviews"), (5, "problems"), (6, "other")]


def test_missing_heading_five():
    text = "一、总体情况\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n" \
           "四、政府信息公开行政复议、行政诉讼情况\n六、其他需要报告的事项"
    assert [n for n, _ in _split(text)] == [1, 2, 3, 4, 6]


def test_renumbered_sections_with_an_agency_section():
    text = "\n".join(["一、总体情况", "二、重点领域信息公开情况", "三、主动公开政府信息情况",
                      "四、收到和处理政府信息公开申请情况", "五、政府信息公开行政复议、行政诉讼情况",
                      "六、存在问题及改进情况", "七、其他需要报告的事项"])
    assert _split(text) == [(1, "overview"), (2, None), (3, "active"), (4, "applications"),
                            (5, "reviews"), (6, "problems"), (7, "other")]


def test_section_text_keeps_narrative_not_table_cells(analyse_text, build_report):
    text = build_report().replace("四、政府信息公开行政复议、行政诉讼情况",
                                  "本年度共受理申请9件。\n四、政府信息公开行政复议、行政诉讼情况")
    out = analyse_text(text)
    sec3 = out["sections"][2]
    assert sec3["text"] == "本年度共受理申请9件。"
    assert out["sections"][4]["text"] == "公开渠道不够丰富，下一步将加强培训。"
    assert "本年新收" not in out["text"]


def test_mirror_furniture_is_not_section_text(seed_results):
    s002 = next(v for k, v in seed_results.items() if k.startswith("002"))
    last = s002["sections"][-1]
    assert last["text"] == "无。"
    assert "联系我们" not in s002["text"]


def test_heading_run_into_its_first_sentence_and_part_numbering():
    blocks = [Paragraph(x) for x in [
        "一、总体情况。2020年，我局认真做好政府信息公开工作。", "第二部分 主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况：公开渠道单一。", "六、其他需要报告的事项"]]
    secs = split(blocks)
    assert [(s.number, s.kind) for s in secs] == [
        (1, "overview"), (2, "active"), (3, "applications"), (4, "reviews"), (5, "problems"),
        (6, "other")]
    assert secs[0].heading == "一、总体情况"
    assert secs[0].tail == "2020年，我局认真做好政府信息公开工作。"
    assert secs[4].tail == "公开渠道单一。"


def test_narrative_sentence_starting_with_a_numeral_is_not_a_heading():
    blocks = [Paragraph(x) for x in [
        "一、总体情况", "二是加强培训，提高主动公开质量。",
        "二、主动公开政府信息情况"]]
    assert [s.number for s in split(blocks)] == [1, 2]


def test_reviews_read_when_heading_four_is_missing(analyse_text, build_report, seed_text):
    out = analyse_text(build_report().replace("四、政府信息公开行政复议、行政诉讼情况\n", ""))
    assert [s["number"] for s in out["sections"]] == [1, 2, 3, 5, 6]
    assert [c["value"] for c in out["reviews"]][:5] == [1, 0, 0, 0, 1]
    assert next(c for c in out["applications"] if c["row"] == "4")["value"] == 1
    assert all(c["ok"] for c in out["checks"])
    # one figure per line (seed 003): row 4 must not swallow the reviews' figures
    text = seed_text("003").replace("四、政府信息公开行政复议、行政诉讼情况\n", "")
    out = analyse_text(text)
    assert [c["value"] for c in out["applications"] if c["row"] == "4"] == [54, 1, 0, 0, 0, 0, 55]
    assert [c["value"] for c in out["reviews"]][:6] == [11, 0, 3, 1, 15, 7]
