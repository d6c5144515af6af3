"""The prose against the tables (parsers/prose.py): statements of figures in the narrative,
tied to the cell or group total they describe, checked against the printed value.

The statements expected in the seeds were read by hand from the seeds' prose (the numbers
stated below are the prose's); the printed values come from the seeds' truth files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nianbao.parsers import prose

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "tests" / "fixtures" / "seeds"
FORMS = REPO / "tests" / "fixtures" / "forms"

APP = "applications"
GROUP = {"3.3": [f"3.3.{i}" for i in range(1, 9)], "3.4": ["3.4.1", "3.4.2", "3.4.3"],
         "3.5": [f"3.5.{i}" for i in range(1, 6)]}

# (seed prefix, rows, applicant, stated in the prose, a few words of the sentence)
SEED_STATEMENTS = {
    "001": [(["1"], "总计", 1, "我办共收到依申请公开 1 件")],
    "002": [(["2"], "总计", 21, "含上年結轉21件"), ("行政复议", "总计", 2, "行政複議2宗"),
            ("行政诉讼", "总计", 2, "行政訴訟2宗")],
    "003": [(["1"], "总计", 1586, "共收到政府信息公开申请1586宗"), (["1"], "自然人", 1482, "公民申请1482宗"),
            (["1"], "商业企业", 71, "商业企业申请71宗"), (["1"], "社会公益组织", 3, "社会公益组织3宗"),
            (["1"], "法律服务机构", 5, "法律服务机构5宗"), (["1"], "其他", 25, "其他组织申请25宗"),
            (["2"], "总计", 73, "2019年结转政府信息公开申请73宗"), (["2"], "自然人", 62, "公民申请62宗"),
            (["2"], "商业企业", 9, "商业企业申请9宗"), (["2"], "其他", 2, "其他组织申请2宗"),
            (["3.1"], "总计", 452, "予以公开452宗"), (["3.2"], "总计", 356, "部分公开356宗"),
            (GROUP["3.3"], "总计", 139, "不予公开139宗"), (GROUP["3.4"], "总计", 513, "无法提供513宗"),
            (GROUP["3.5"], "总计", 87, "不予处理87宗"), (["3.6"], "总计", 57, "其他处理57宗"),
            (["4"], "总计", 55, "转下年度继续办理55宗")],
}


def _truth(prefix: str) -> dict:
    return json.loads(next((SEEDS / "truth").glob(f"{prefix}_*.json")).read_text("utf-8"))


def _printed(truth: dict, rows, applicant: str) -> int:
    if isinstance(rows, str):  # a review stage, or 行政诉讼 = both lawsuit stages
        stages = ["未经复议直接起诉", "复议后起诉"] if rows == "行政诉讼" else [rows]
        return sum(c["value"] for c in truth["reviews"] if c["stage"] in stages and c["outcome"] == applicant)
    return sum(c["value"] for c in truth["applications"] if c["row"] in rows and c["applicant"] == applicant)


def _about(rows, applicant: str) -> list[dict]:
    if isinstance(rows, str):
        stages = ["未经复议直接起诉", "复议后起诉"] if rows == "行政诉讼" else [rows]
        return [{"table": "reviews", "stage": s, "outcome": applicant} for s in stages]
    return [{"table": APP, "row": r, "applicant": applicant} for r in rows]


def _prose(out: dict) -> list[dict]:
    return [c for c in out["checks"] if c["name"] == "prose"]


def test_seed_prose_checks_match_the_hand_read_statements(seed_name, seed_results):
    """Every statement read by hand is found, tied to its cells, and agrees where the seed's
    prose and table agree; seed 001's prose (1 application) disagrees with its printed 总计
    column (0): a finding, the same one its row_total check makes."""
    prefix = seed_name[:3]
    expected = SEED_STATEMENTS.get(prefix, [])
    truth = _truth(prefix)
    got = _prose(seed_results[seed_name])
    assert len(got) == len(expected), [(c["stated"], c["sentence"]) for c in got]
    for check, (rows, applicant, stated, words) in zip(got, expected, strict=True):
        printed = _printed(truth, rows, applicant)
        assert check["about"] == _about(rows, applicant)
        assert (check["stated"], check["printed"]) == (stated, printed)
        assert check["ok"] is (stated == printed)
        assert check["cells"] == ([] if check["ok"] else check["about"])
        if prefix != "002":  # 002's sentence is converted to simplified; its words are traditional
            assert words in check["sentence"]
    failing = [c for c in got if not c["ok"]]
    assert len(failing) == (1 if prefix == "001" else 0)


@pytest.mark.parametrize("form", ["html", "pdf", "docx", "tw.html"])
def test_seed_forms_give_the_same_prose_checks(form, seed_results, seed_names):
    """The narrative survives each form's extraction: the same statements, the same verdicts."""
    from nianbao import parsers

    for name in seed_names:
        want = [(c["about"], c["stated"], c["ok"]) for c in _prose(seed_results[name])]
        out = parsers.parse_file(FORMS / f"{name}.{form}")
        assert [(c["about"], c["stated"], c["ok"]) for c in _prose(out)] == want, (name, form)


def test_a_changed_figure_in_the_prose_fails_that_check_only(seed_text, analyse_text):
    text = seed_text("003")
    assert text.count("予以公开452宗") == 1
    out = analyse_text(text.replace("予以公开452宗", "予以公开451宗"))
    failing = [c for c in _prose(out) if not c["ok"]]
    assert len(failing) == 1
    bad = failing[0]
    assert "予以公开451宗" in bad["sentence"]
    assert (bad["stated"], bad["printed"]) == (451, 452)
    assert bad["cells"] == [{"table": APP, "row": "3.1", "applicant": "总计"}]
    assert len(_prose(out)) == len(SEED_STATEMENTS["003"])
    assert out["status"] == "flagged"
    assert any(f.startswith("prose") for f in out["flags"])


def test_a_changed_table_cell_fails_the_statement_about_it(seed_text, analyse_text):
    """无法提供513宗 is the sum of the three 三（四） rows: a changed row breaks that statement."""
    text = seed_text("003")
    lines = text.split("\n")
    i = next(n for n, line in enumerate(lines) if line.strip() == "2.没有现成信息需另行制作")
    assert [line.strip() for line in lines[i + 1:i + 8]] == ["41", "9", "0", "0", "0", "1", "51"]
    lines[i + 7] = lines[i + 7].replace("51", "50")
    out = analyse_text("\n".join(lines))
    failing = [c for c in _prose(out) if not c["ok"]]
    assert [(c["stated"], c["printed"]) for c in failing] == [(513, 512)]
    assert "无法提供513宗" in failing[0]["sentence"]
    assert failing[0]["cells"] == [{"table": APP, "row": r, "applicant": "总计"} for r in GROUP["3.4"]]


def _with_prose(build_report, sentence: str, **kwargs) -> str:
    text = build_report(**kwargs)
    anchor = "一、总体情况\n"
    assert text.count(anchor) == 1
    return text.replace(anchor, anchor + sentence + "\n")


# consistent_rows(): row 1 = 8 (自然人 5, 商业企业 2, 其他 1), row 2 = 1, 3.1 = 5, 三（四） = 3,
# 3.7 = 8, row 4 = 1; reviews: 行政复议 1, 未经复议直接起诉 1, 复议后起诉 0; 规范性文件 made: 3.
PHRASINGS = [
    # (sentence, [(row(s) or stage, column, stated, ok)])
    ("本年度共收到政府信息公开申请8件，其中公民申请5件，商业企业申请2件，其他组织申请1件。",
     [(["1"], "总计", 8, True), (["1"], "自然人", 5, True), (["1"], "商业企业", 2, True),
      (["1"], "其他", 1, True)]),
    ("合计新收政府信息公开申请8宗。", [(["1"], "总计", 8, True)]),
    ("全年受理政府信息公开申请8条。", [(["1"], "总计", 8, True)]),
    ("共收到政府信息公开申请9件。", [(["1"], "总计", 9, False)]),
    ("共收到政府信息公开申请八件，其中公民申请五件。",
     [(["1"], "总计", 8, True), (["1"], "自然人", 5, True)]),
    ("共收到政府信息公开申请一百二十三件。", [(["1"], "总计", 123, False)]),
    ("共收到公民、法人或其他组织提出的政府信息公开申请8件。", [(["1"], "总计", 8, True)]),
    ("共收到政府信息公开申请8件。其中公民申请5件。",
     [(["1"], "总计", 8, True), (["1"], "自然人", 5, True)]),
    ("共收到政府信息公开申请8件，其中法人或其他组织申请3件。",
     [(["1"], "总计", 8, True),
      (["1"], ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"], 3, True)]),
    ("上年结转政府信息公开申请1件。", [(["2"], "总计", 1, True)]),
    ("予以公开5件，无法提供3件，结转下年度继续办理1件。",
     [(["3.1"], "总计", 5, True), (["3.4.1", "3.4.2", "3.4.3"], "总计", 3, True), (["4"], "总计", 1, True)]),
    ("本机关不掌握相关政府信息3件。", [(["3.4.1"], "总计", 3, True)]),
    ("全年共办结政府信息公开申请8件。", [(["3.7"], "总计", 8, True)]),
    ("发生行政复议1件，行政诉讼1件。", [("行政复议", "总计", 1, True), ("行政诉讼", "总计", 1, True)]),
    ("行政复议1件，其中维持1件。", [("行政复议", "总计", 1, True), ("行政复议", "结果维持", 1, True)]),
    ("本年度制发规范性文件3件。", [("20.1/规范性文件", "本年新制作数量", 3, True)]),
    ("收到政府信息公开申请8件，同比增长12%。", [(["1"], "总计", 8, True)]),
    ("共收到政府信息公开申请8件（含上年结转1件）。", [(["2"], "总计", 1, True)]),
    ("共收到政府信息公开申请9件，其中上年结转1件。", [(["2"], "总计", 1, True)]),
    ("共受理政府信息公开申请9件（其中上年结转1件，公民申请6件）。", [(["2"], "总计", 1, True)]),
    ("结转至2021年继续办理1件。", [(["4"], "总计", 1, True)]),
]
NOT_ABOUT_A_CELL = [
    "开展在线访谈1期。",
    "同比增长12%。",
    "收到政府信息公开申请同比增加3件。",
    "较上年减少2件。",
    "主动公开信息8466条，官方微信微博等其他途径主动发布信息18390条。",
    "累计发布政务信息近200条，编发简报800余条。",
    "受理驻穗机构业务263件、12345热线服务咨询45人次，均100%办结。",
    "2019年共收到政府信息公开申请6件。",
    "上年收到政府信息公开申请6件。",
    "予以公开和部分公开共5件。",
    "其中涉及企业商业秘密不予公开2件。",
    "行政诉讼败诉1件。",
    "2020年12月31日前共办理政府信息公开申请494件。",
    "涵盖26个领域总计2.4万项。",
    "共收到政府信息公开申请1000件以上。",
    "收到政府信息公开申请和行政复议申请共9件。",
    "第一件申请已办结。",
]


def _cells(rows, column) -> list[dict]:
    if isinstance(rows, str) and rows.startswith("20.1/"):
        return [{"table": "active_disclosure", "article": "20.1", "item": rows[5:], "metric": column}]
    if isinstance(rows, str):
        return _about(rows, column)
    columns = column if isinstance(column, list) else [column]
    return [{"table": APP, "row": r, "applicant": c} for r in rows for c in columns]


@pytest.mark.parametrize(("sentence", "expected"), PHRASINGS, ids=[p[0][:16] for p in PHRASINGS])
def test_understood_phrasings(sentence, expected, build_report, analyse_text):
    out = analyse_text(_with_prose(build_report, sentence))
    got = [(c["about"], c["stated"], c["ok"]) for c in _prose(out)]
    assert got == [(_cells(r, col), n, ok) for r, col, n, ok in expected]
    for c in _prose(out):
        assert c["sentence"] in sentence
        if not c["ok"]:
            assert c["cells"] == c["about"] and c["stated"] != c["printed"]


@pytest.mark.parametrize("sentence", NOT_ABOUT_A_CELL)
def test_no_check_on_sentences_not_about_a_cell(sentence, build_report, analyse_text):
    out = analyse_text(_with_prose(build_report, sentence))
    assert _prose(out) == [], [(c["stated"], c["about"]) for c in _prose(out)]
    assert out["status"] == "ok"


def test_2021_format_normative_documents(build_report, analyse_text, active_2021):
    text = _with_prose(build_report, "全年印发行政规范性文件2件。", year=2022,
                       active=active_2021.format(regulatory="行政规范性文件"), split_other=True)
    out = analyse_text(text)
    assert [(c["about"], c["stated"], c["ok"]) for c in _prose(out)] == [
        (_cells("20.1/规范性文件", "本年制发件数"), 2, True)]


def test_a_blank_cell_gives_no_check(build_report, consistent_rows, analyse_text):
    rows = consistent_rows(False)
    rows["1"] = [5, 2, 0, 0, 0, 1, ""]
    out = analyse_text(_with_prose(build_report, "共收到政府信息公开申请8件，其中公民申请5件。", rows=rows))
    assert [(c["about"], c["ok"]) for c in _prose(out)] == [(_cells(["1"], "自然人"), True)]


def test_sentences_rejoin_wrapped_pdf_lines():
    text = "2022 年度，我办共收到依申请公开 1 件，已按\n时办结。\n（二）以服务为导向\n收到申请2件。"
    assert prose.sentences(text) == ["2022 年度，我办共收到依申请公开 1 件，已按时办结。",
                                     "（二）以服务为导向", "收到申请2件。"]
