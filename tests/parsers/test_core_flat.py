"""Text without structure: a report on one line (or a few), headings inline and table
cells glued, is put back into sections and tables; pre-2019 reports so saved keep their
text with `template: null`."""

from __future__ import annotations

import re

from nianbao import parsers
from nianbao.parsers import Paragraph, flat_text


def _flatten(text: str, sep: str = "") -> str:
    """The report as a web archiver keeps it: every line (and table cell) run together."""
    return sep.join(cell for line in text.split("\n") for cell in line.split("\t") if cell)


def _values(out: dict, rid: str) -> list:
    return [c["value"] for c in out["applications"] if c["row"] == rid]


def test_one_line_report_gets_its_sections_and_tables_back(build_report, consistent_rows):
    out = parsers.parse_bytes(_flatten(build_report()).encode("utf-8"), "one-line.txt")
    assert [s["number"] for s in out["sections"]] == [1, 2, 3, 4, 5, 6]
    assert out["sections"][4]["text"] == "公开渠道不够丰富，下一步将加强培训。"
    assert out["template"] == "2019" and out["year"] == 2020 and out["agency"] == "广州市测试局"
    rows = consistent_rows(False)
    for rid in ("1", "3.1", "3.4.1", "3.7", "4"):
        assert _values(out, rid) == rows[rid], rid
    # 100010001100000: 1|0|0|0|1|… adds up, but so does _|10|0|0|10|… with blank cells
    assert all(c["value"] is None for c in out["reviews"])
    assert any(n.startswith("reviews: glued figures 100010001100000 fit") for n in out["notes"])
    assert out["notes"][0].startswith("text without structure")
    # every value is as printed or null; 规章000 is forced, 行政许可10-2300 is not
    active = {(c["item"], c["metric"]): c["value"] for c in out["active_disclosure"]}
    assert active[("规章", "本年新制作数量")] == 0
    assert active[("行政许可", "处理决定数量")] is None
    assert any("行政许可" in n and "splits" in n for n in out["notes"])


def test_the_issue_examples(build_report, consistent_rows):
    """规章000规范性文件898989, 一、本年新收政府信息公开申请数量230 000023, （七）总计14710000148."""
    rows = {"1": [23, 0, 0, 0, 0, 0, 23], "2": [124, 1, 0, 0, 0, 0, 125], "3.1": [147, 1, 0, 0, 0, 0, 148],
            "3.7": [147, 1, 0, 0, 0, 0, 148], "4": [0, 0, 0, 0, 0, 0, 0]}
    table = {r: [0] * 7 for r in consistent_rows(False)}
    text = _flatten(build_report(rows={**table, **rows}))
    text = text.replace("规范性文件33" + "20", "规范性文件898989")
    text = text.replace("申请数量230000023", "申请数量230 000023")
    assert "规章000规范性文件898989" in text and "（七）总计14710000148" in text
    out = parsers.parse_bytes(text.encode("utf-8"), "issue.txt")
    for rid, want in rows.items():
        assert _values(out, rid) == want, rid
    regulatory = [c["value"] for c in out["active_disclosure"] if c["item"] == "规范性文件"]
    assert regulatory == [None, None, None]  # 898989 in three cells: no equation decides


def test_few_lines_report(build_report, consistent_rows):
    """Title, then one line per section, tables glued inside them."""
    lines = build_report().split("\n")
    heading = re.compile(r"^[一二三四五六]、(总体|主动|收到|政府|存在|其他)")
    heads = [i for i, x in enumerate(lines) if heading.match(x)]
    ends = [*heads[1:], len(lines)]
    parts = [lines[0]] + [_flatten("\n".join(lines[a:b])) for a, b in zip(heads, ends, strict=True)]
    out = parsers.parse_bytes("\n".join(parts).encode("utf-8"), "few-lines.txt")
    assert [s["number"] for s in out["sections"]] == [1, 2, 3, 4, 5, 6]
    assert _values(out, "1") == consistent_rows(False)["1"]


def test_flattened_pre2019_report_keeps_its_text(analyse_text):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "fixtures" / "forms" / "pre2019.flat.txt"
    out = parsers.parse_file(path)
    assert out["template"] is None and out["year"] == 2017
    assert [s["number"] for s in out["sections"]] == [1, 2, 3, 4, 5, 6, 7]
    assert "356条" in out["sections"][1]["text"]
    assert out["applications"] == [] and "pre-2019 format" in out["flags"]


def test_ordinary_text_is_not_taken_for_flattened(seed_text):
    """Prose naming the rows (seed 003's 予以公开452宗，部分公开356宗…) is no table."""
    for prefix in ("000", "001", "002", "003", "004"):
        blocks = [Paragraph(x) for x in seed_text(prefix).split("\n")]
        assert not flat_text.is_flattened(blocks), prefix


def test_break_rows_cuts_after_figures_and_before_item_numbers():
    got = flat_text.break_rows("（三）不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开0 00000 0"
                               "（七）总计14710000148本年度共受理申请9件。")
    assert got == ["（三）不予公开1.属于国家秘密0000000", "2.其他法律行政法规禁止公开0 00000 0",
                   "（七）总计14710000148", "本年度共受理申请9件。"]
