"""Finding template rows by label keys in wrapped, spaced and noisy text."""

from __future__ import annotations

from nianbao.parsers import Paragraph
from nianbao.parsers.tables import build_stream, find_sequence, runs_in_span, select, spans
from nianbao.parsers.template import clean
from nianbao.template import APPLICATION_ROWS, LAYOUTS_BY_NAME, ROWS_BY_ID


def application_rows(split_other: bool):
    """The rows of section 三 in the 2021 (split 其他处理) or 2019 layout."""
    layout = LAYOUTS_BY_NAME["split_other" if split_other else "single_other"]
    return [ROWS_BY_ID[r] for r in layout.rows]


def _rows(lines: list[str]):
    stream = build_stream([Paragraph(x) for x in lines])
    rows = application_rows(False)
    found = find_sequence(stream.labels, [(r.id, r.key) for r in rows])
    return stream, found, spans(found, [r.id for r in rows], len(stream.labels))


def test_clean_removes_space_punctuation_and_ocr_specks():
    assert clean("只计这一情 形") == "只计这一情形"
    assert clean("上年结:转") == "上年结转"
    assert clean("-, 本年新") == "本年新"
    assert clean("（三）不予公开") == "三不予公开"


def test_keys_find_wrapped_and_typo_labels():
    lines = [
        "-,\t本年新\t收政府信息公开申", "\t-\t请数量\t0\t2\t0\t0\t0\t0\t2",
        ",\t上年结:\t转政府信息公开申\t0", "\t请数量\t0\t0\t0\t0\t0\t0",
        "2.其他法律行政止公开 1 0 0 0 0 0 1",
        "5.要求行政机关 确认或重新出具 己获取信息\t0\t0\t0\t0\t0\t0\t0",
    ]
    stream, found, row_spans = _rows(lines)
    assert {"1", "2", "3.3.2", "3.5.5"} <= set(found)
    vals = {rid: [t.value for t in select(runs_in_span(stream, *row_spans[rid]), 7).slots]
            for rid in ("1", "2", "3.3.2")}
    assert vals["1"] == [0, 2, 0, 0, 0, 0, 2]
    assert vals["2"] == [0] * 7
    assert vals["3.3.2"] == [1, 0, 0, 0, 0, 0, 1]


def test_numbers_inside_a_wrapped_label_belong_to_the_row_before():
    """Seed 001: （六） 1.申请人无正当理由逾期不 0 0 0 … then the rest of the label."""
    lines = ["（六） 1.申请人无正当理由逾期不 1 0 0 0 0 0 1", " 其他", "处理",
             "补正、行政机关不再处理其", "政府信息公开申请", "2.申请人逾期未按收费通知",
             "要求缴纳费用、行政机关不", "再处理其政府信息公开申请", "0 2 0 0 0 0 2",
             "3.其他 0 0 0 0 0 0 0", "（七）总计 1 2 0 0 0 0 3"]
    stream = build_stream([Paragraph(x) for x in lines])
    rows = application_rows(True)
    found = find_sequence(stream.labels, [(r.id, r.key) for r in rows])
    sp = spans(found, [r.id for r in rows], len(stream.labels))
    got = {rid: [t.value for t in select(runs_in_span(stream, *sp[rid]), 7).slots]
           for rid in ("3.6.1", "3.6.2", "3.6.3", "3.7")}
    assert got["3.6.1"] == [1, 0, 0, 0, 0, 0, 1]
    assert got["3.6.2"] == [0, 2, 0, 0, 0, 0, 2]
    assert got["3.6.3"] == [0] * 7
    assert got["3.7"] == [1, 2, 0, 0, 0, 0, 3]


def test_row_numbering_is_never_a_value():
    stream, _found, sp = _rows(["（三）不予公开\t1. 属于国家秘密\t0\t0\t0\t0\t0\t0\t0"])
    assert [t.raw for t in runs_in_span(stream, *sp["3.3.1"])[0]] == ["0"] * 7


def test_missing_key_does_not_swallow_following_rows():
    """A key destroyed by OCR leaves its row unmatched; the next rows still match."""
    _stream, found, _ = _rows(["1.属于国??密 0 0 0 0 0 0 0", "2.其他法律行政法规禁止公开 1 0 0 0 0 0 1",
                              "3.危及“三安全一稳定” 0 0 0 0 0 0 0"])
    assert "3.3.1" not in found
    assert found["3.3.2"][0] < found["3.3.3"][0]


def test_ocr_duplicate_runs_prefer_the_complete_one():
    stream, _found, sp = _rows(["2.其他法律行政\t0\t0\t0\t0\t0\t0\t0", "法规禁止公开\t0\t0\t0\t0\t0\t0",
                               "3.危及\"三安全一\t0\t0\t0\t0\t0\t0\t0", "稳定\"\tU\tU\tU\t0\tU\tU\t0",
                               "4.保护第三方合\t0", "法权益\t0\t0\t0\t0\t0\t0\t0"])
    for rid in ("3.3.2", "3.3.3", "3.3.4"):
        sel = select(runs_in_span(stream, *sp[rid]), 7)
        assert sel.slots is not None, rid
        assert [t.value for t in sel.slots] == [0] * 7


def test_repeated_runs_that_disagree_are_left_null():
    stream, _found, sp = _rows(["3.危及“三安全一稳定”\t0\t0\t0\t0\t0\t0\t0", "稳定\t1\t0\t0\t0\t0\t0\t1"])
    sel = select(runs_in_span(stream, *sp["3.3.3"]), 7)
    assert sel.slots is None and sel.problem


def test_every_template_row_has_a_key():
    assert len({r.id for r in APPLICATION_ROWS}) == len(APPLICATION_ROWS) == 26


def test_too_many_figures_without_a_complete_run_is_null():
    stream, _found, sp = _rows(["1.属于国家秘密 0 0 0 0", "国家 0 0 0 0 0"])
    sel = select(runs_in_span(stream, *sp["3.3.1"]), 7)
    assert sel.slots is None and sel.partial is None and "9 figures" in sel.problem


def test_page_footers_are_not_figures():
    stream, _found, sp = _rows(["1.属于国家秘密 0 0 0 0 0 0", "- 3 -", "0",
                                "2.其他法律行政法规禁止公开 0 0 0 0 0 0 0"])
    assert [t.raw for t in runs_in_span(stream, *sp["3.3.1"])[0]] == ["0"] * 6
    assert len(select(runs_in_span(stream, *sp["3.3.1"]), 7).slots) == 7


def test_figures_printed_before_their_labels(analyse_text, build_report, consistent_rows):
    """PDF text that prints each row's figures on the line above its label."""
    lines = build_report().split("\n")
    out_lines = []
    for line in lines:
        cells = line.split("\t")
        figures = [c for c in cells if c.strip().lstrip("+-").isdigit()]
        if len(figures) == 7 and len(cells) > 7:
            out_lines.append(" ".join(figures))
            out_lines.append(" ".join(c for c in cells if c not in figures))
        else:
            out_lines.append(line)
    out = analyse_text("\n".join(out_lines))
    rows = consistent_rows(False)
    got = {(c["row"], c["applicant"]): c["value"] for c in out["applications"]}
    for rid in ("1", "3.1", "3.4.1", "3.7", "4"):
        assert [got[(rid, a)] for a in ("自然人", "商业企业", "科研机构", "社会公益组织",
                                        "法律服务机构", "其他", "总计")] == rows[rid], rid
    assert "applications: figures printed before their labels" in out["flags"]
