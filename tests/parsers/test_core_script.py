"""Script conversion: Traditional with Taiwan wording to mainland Simplified, and only that."""

from __future__ import annotations

from nianbao.parsers import normalize, script


def test_taiwan_phrases_become_mainland_words():
    text = "規範性檔案 入口網站 服務視窗 政府資訊 數位政府 最佳化 智慧財產權 報導 聯絡我們"
    assert script.to_simplified(text) == (
        "规范性文件 门户网站 服务窗口 政府信息 数字政府 优化 知识产权 报道 联系我们")


def test_true_archive_words_are_protected():
    out = script.to_simplified("檔案館、國家檔案局和檔案室收到檔案12份")
    assert out == "档案馆、国家档案局和档案室收到文件12份"
    assert "文件馆" not in out and "国家文件局" not in out


def test_data_is_not_turned_into_shuju():
    assert script.to_simplified("相關資料") == "相关资料"


def test_detect_decides_per_document():
    assert script.detect("廣州市人民政府辦公廳2020年政府信息公開工作年度報告") == "traditional"
    assert script.detect("广州市人民政府办公厅2020年政府信息公开工作年度报告") == "simplified"
    assert script.detect("2020 12 34") == "simplified"


def _normalised(lines: list[str]) -> tuple[list[str], str]:
    """As the analyser does it: NFKC every line, then the document's script decides."""
    folded = [normalize.nfkc(line) for line in lines]
    which = script.detect("\n".join(folded))
    return ([script.to_simplified(x) for x in folded] if which == "traditional" else folded), which


def test_seed_002_comes_out_mainland(seed_text):
    lines, which = _normalised(seed_text("002").split("\n"))
    text = "\n".join(lines)
    assert which == "traditional"
    assert "档案馆" in text and "门户网站" in text and "规范性文件" in text
    assert "檔" not in text and "规范性档案" not in text and "入口网站" not in text


def test_simplified_seed_is_unchanged_except_nfkc(seed_text):
    for prefix in ("000", "001", "003", "004"):
        raw = seed_text(prefix).split("\n")
        lines, which = _normalised(raw)
        assert which == "simplified"
        assert lines == [normalize.nfkc(x) for x in raw]


def test_nfkc_folds_kangxi_radicals_and_fullwidth_digits_keeps_chinese_punctuation():
    assert normalize.nfkc("⼀、⼆⾏⽂ １２３") == "一、二行文 123"
    assert normalize.nfkc("（一）予以公开，共１件。") == "（一）予以公开，共1件。"
    assert normalize.nfkc("\u3000总计") == " 总计"


def test_kangxi_labels_still_match(analyse_text, build_report):
    text = build_report().replace("一、总体情况", "⼀、总体情况").replace("行政许可", "⾏政许可")
    out = analyse_text(text)
    assert out["sections"][0]["heading"] == "一、总体情况"
    permits = [c for c in out["active_disclosure"] if c["item"] == "行政许可"]
    assert [c["value"] for c in permits] == [10, -2, 300]
