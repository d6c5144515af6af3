"""PDF->Markdown converter output: pipe tables become tables, converter marks and page
footers go, and the damaged tables (wrapped labels with figures in the next row, label
rows apart from value rows, merged headers, dropped blank cells) read right or null."""

from __future__ import annotations

from nianbao import parsers
from nianbao.parsers import Paragraph, Table, extract_text


def test_pipe_tables_are_tables_and_marks_are_dropped():
    md = "\n".join([
        "# 广州市测试局2020年政府信息公开工作年度报告", "", "## 一、总体情况", "",
        "本年度**主动公开**信息 — 2 — 共356条。", "",
        "| 信息内容 | 本年新制作数量 | 本年新公开数量 |", "|---|:---:|---:|",
        "| 规章 | 0 | <br>1 |", "| 规范性\\|文件 |  | 3 |",
    ])
    doc = extract_text.extract(md.encode("utf-8"), "r.md")
    paragraphs = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert paragraphs[0] == "广州市测试局2020年政府信息公开工作年度报告"
    assert "一、总体情况" in paragraphs
    assert "本年度主动公开信息 共356条。" in paragraphs
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    assert [[c.text for c in r] for r in tables[0].rows] == [
        ["信息内容", "本年新制作数量", "本年新公开数量"], ["规章", "0", "1"], ["规范性|文件", "", "3"]]


def test_plain_text_keeps_its_lines_but_loses_inline_footers():
    doc = extract_text.extract("甲 — 3 — 乙\n2020-2021年\n# 不是标题".encode(), "t.txt")
    assert [b.text for b in doc.blocks] == ["甲 乙", "2020-2021年", "# 不是标题"]


def test_converter_damage_reads_right_or_null(build_report, consistent_rows):
    """Section 三 as a converter writes it: the header's five 法人 cells merged, a label
    wrapped with its figures in the next row, a label row apart from its values, a
    blank cell dropped (six figures for seven cells: placed by the arithmetic)."""
    lines = build_report().split("\n")
    start = lines.index("三、收到和处理政府信息公开申请情况")
    end = lines.index("四、政府信息公开行政复议、行政诉讼情况")
    note = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    md = ["## 表三：收到和处理政府信息公开申请情况", "", f"| {note} | | 申请人情况 | | | | | | |",
          "|---|---|---|---|---|---|---|---|---|",
          "| | | 自然人 | 商业企科研机社会公法律服其他 | | | | | 总计 |"]
    for line in lines[start + 4:end]:
        cells = line.split("\t")
        labels = [c for c in cells if not c.strip().lstrip("-").isdigit()]
        figures = cells[len(labels):]
        if "部分公开" in line:  # wrapped: the figures come with the label's second line
            md += ["| （二）部分公开（区分处理 | | |",
                   "| 的，只计这一情形，不计其他情形） | | " + " | ".join(figures) + " |"]
        elif "不掌握" in line:  # a blank cell dropped
            md += ["| （四）无法提供 | 1.本机关不掌握相关政府信息 | 2 | 1 | 0 | 0 | 0 | 3 |"]
        elif "予以公开" in line:  # label row, then value row
            md += ["| 三、本年度办理结果 | （一）予以公开 | | | | | | | |",
                   "| | | " + " | ".join(figures) + " |"]
        else:
            md.append("| " + " | ".join(labels + figures) + " |")
    text = "\n".join([*lines[:start + 1], "", *md, "", "— 3 —", "", *lines[end:]])
    out = parsers.parse_bytes(text.encode("utf-8"), "converted.md")
    got = {(c["row"], c["applicant"]): c["value"] for c in out["applications"]}
    want = consistent_rows(False)
    for rid in ("1", "2", "3.1", "3.2", "3.7", "4"):
        assert [got[(rid, a)] for a in ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构",
                                        "其他", "总计")] == want[rid], rid
    # the dropped cell: placed by the arithmetic (or left null), never shifted
    assert got[("3.4.1", "科研机构")] is None
    assert got[("3.4.1", "自然人")] in (2, None) and got[("3.4.1", "总计")] in (3, None)
