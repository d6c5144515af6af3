"""Variant gate: the seed reports re-printed in layouts and damage seen in the wild.

Every variant is generated from the hand-checked truth, with labels typed here
independently of the parser's own template tables, so the parser cannot agree with
itself by construction. Each must give every truth cell right, and no wrong number:
a wrong cell is the worst error, a missing one at least makes `complete` fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import opencc
import pytest

from nianbao import parsers

TRUTH = Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "truth"
SEEDS = sorted(p.stem for p in TRUTH.glob("*.json"))


APP_COLS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
ROWS_2019 = [
    ("1", "一、本年新收政府信息公开申请数量"),
    ("2", "二、上年结转政府信息公开申请数量"),
    ("3.1", "三、本年度办理结果\t（一）予以公开"),
    ("3.2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("3.3.1", "（三）不予公开\t1.属于国家秘密"),
    ("3.3.2", "2.其他法律行政法规禁止公开"),
    ("3.3.3", "3.危及“三安全一稳定”"),
    ("3.3.4", "4.保护第三方合法权益"),
    ("3.3.5", "5.属于三类内部事务信息"),
    ("3.3.6", "6.属于四类过程性信息"),
    ("3.3.7", "7.属于行政执法案卷"),
    ("3.3.8", "8.属于行政查询事项"),
    ("3.4.1", "（四）无法提供\t1.本机关不掌握相关政府信息"),
    ("3.4.2", "2.没有现成信息需要另行制作"),
    ("3.4.3", "3.补正后申请内容仍不明确"),
    ("3.5.1", "（五）不予处理\t1.信访举报投诉类申请"),
    ("3.5.2", "2.重复申请"),
    ("3.5.3", "3.要求提供公开出版物"),
    ("3.5.4", "4.无正当理由大量反复申请"),
    ("3.5.5", "5.要求行政机关确认或重新出具已获取信息"),
    ("3.6", "（六）其他处理"),
    ("3.7", "（七）总计"),
    ("4", "四、结转下年度继续办理"),
]
ROWS_2021 = [
    *ROWS_2019[:20],
    ("3.6.1", "（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("3.6.2", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("3.6.3", "3.其他"),
    ("3.7", "（七）总计"),
    ("4", "四、结转下年度继续办理"),
]
STAGES = ["行政复议", "未经复议直接起诉", "复议后起诉"]
OUTCOMES = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
ARTICLES = {"20.1": "第二十条第（一）项", "20.5": "第二十条第（五）项", "20.6": "第二十条第（六）项",
            "20.8": "第二十条第（八）项", "20.9": "第二十条第（九）项"}


def fmt(cell: dict) -> str:
    """A cell as a report prints it: blank for no value, money with its unit."""
    if cell["value"] is None:
        return ""
    return f"{cell['value']}万元" if cell.get("unit") else str(cell["value"])


def build(t: dict, layout: str) -> str:
    """A whole report text from truth: `tabs` = one row per line, `lines` = one cell per line."""
    sep = "\t" if layout == "tabs" else "\n"
    out = [f"{t['agency']}{t['year']}年政府信息公开工作年度报告", "一、总体情况",
           f"{t['year']}年，本机关认真贯彻《中华人民共和国政府信息公开条例》，主动公开政府信息。",
           "二、主动公开政府信息情况"]
    by_article: dict[str, dict[str, list[dict]]] = {}
    for c in t["active_disclosure"]:
        by_article.setdefault(c["article"], {}).setdefault(c["item"], []).append(c)
    for art, items in by_article.items():
        out.append(ARTICLES[art])
        out.append(sep.join(["信息内容", *(c["metric"] for c in next(iter(items.values())))]))
        out.extend(sep.join([item, *map(fmt, row)]) for item, row in items.items())
    out += ["三、收到和处理政府信息公开申请情况",
            sep.join(["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"]),
            sep.join(["自然人", "法人或其他组织", "总计"]), sep.join(APP_COLS[1:6])]
    values = {(c["row"], c["applicant"]): c for c in t["applications"]}
    for row, label in ROWS_2021 if t["template"] == "2021" else ROWS_2019:
        row_cells = [fmt(values[(row, a)]) for a in APP_COLS]
        if layout == "lines":
            out += [*label.split("\t"), *row_cells]
        else:
            out.append("\t".join([*label.split("\t"), *row_cells]))
    reviews = {(c["stage"], c["outcome"]): c for c in t["reviews"]}
    out += ["四、政府信息公开行政复议、行政诉讼情况", sep.join(["行政复议", "行政诉讼"]),
            sep.join([*OUTCOMES, "未经复议直接起诉", "复议后起诉"]), sep.join(OUTCOMES * 2),
            sep.join(fmt(reviews[(s, o)]) for s in STAGES for o in OUTCOMES),
            "五、存在的主要问题及改进情况", "公开工作仍有不足，下一步将继续改进。",
            "六、其他需要报告的事项", "无。"]
    return "\n".join(out)


def truth(seed: str) -> dict:
    return json.loads((TRUTH / f"{seed}.json").read_text(encoding="utf-8"))


def cells(doc: dict) -> dict[tuple, object]:
    out = {}
    for table, keys in (("active_disclosure", ("article", "item", "metric")),
                        ("applications", ("row", "applicant")), ("reviews", ("stage", "outcome"))):
        for c in doc.get(table) or []:
            out[(table, *(c[k] for k in keys))] = c["value"]
    return out


def perturb(text: str, how: str) -> str:
    if how == "plain":
        return text
    if how == "kangxi":  # PDF generators emitting Kangxi radicals
        return text.replace("一", "⼀").replace("二", "⼆").replace("行", "⾏").replace("文", "⽂")
    if how == "typos":
        return (text.replace("其他法律行政法规禁止公开", "其他法律行政止公开")
                .replace("只计这一情形", "只计这一情 形")
                .replace("本年新收政府信息公开申请数量", "本年新收政府信息 公开申请数量"))
    if how == "footers":  # page footers inside table 三
        return (text.replace("（四）无法提供", "- 3 -\n（四）无法提供")
                .replace("（五）不予处理", "— 4 —\n（五）不予处理"))
    if how == "footnote":
        note = "注：行政复议、行政诉讼数量含上年度结转数量。"
        return text.replace("五、存在的主要问题", note + "\n五、存在的主要问题")
    if how == "heading":
        return text.replace("五、存在的主要问题及改进情况", "五、存在的主要问题及整改措施")
    if how == "taiwan":  # a mirror in Traditional characters with Taiwan wording
        return opencc.OpenCC("s2twp").convert(text)
    raise ValueError(how)


PERTURBATIONS = ["plain", "kangxi", "typos", "footers", "footnote", "heading", "taiwan"]


@pytest.mark.parametrize("how", PERTURBATIONS)
@pytest.mark.parametrize("layout", ["tabs", "lines"])
@pytest.mark.parametrize("seed", SEEDS)
def test_variant_gives_every_truth_cell(seed, layout, how):
    t = truth(seed)
    text = perturb(build(t, layout), how)
    out = parsers.parse_bytes(text.encode("utf-8"), f"{seed}-{layout}-{how}.txt")
    got = cells(out)
    expected = {k: v for k, v in cells(t).items() if v is not None}
    wrong = {k: (got.get(k), v) for k, v in expected.items()
             if got.get(k) is not None and abs(float(got[k]) - float(v)) > 1e-6}
    missing = [k for k, v in expected.items() if got.get(k) is None]
    assert not wrong, f"wrong numbers: {wrong}"
    assert not missing, f"cells without a value: {missing[:5]}"
    assert (out["year"], out["template"]) == (t["year"], t["template"])
    failing = {c["name"] for c in out["checks"] if not c["ok"]}
    assert set(t["failing_checks"]) <= failing


def test_a_column_the_row_does_not_fill_is_null_not_dropped():
    """A header naming one of 20.8's two columns, one figure: the other cell stays, null."""
    t = truth("000_eac659b3405373d8")
    text = build(t, "tabs").replace("上一年项目数量\t本年增/减\n行政事业性收费\t0\t0",
                                    "本年增/减\n行政事业性收费\t5")
    assert "行政事业性收费\t5" in text
    out = parsers.parse_bytes(text.encode("utf-8"), "one-column.txt")
    fee = {c["metric"]: c["value"] for c in out["active_disclosure"] if c["article"] == "20.8"}
    assert fee == {"本年增/减": 5, "上一年项目数量": None}
    complete = next(c for c in out["checks"] if c["name"] == "complete")
    assert not complete["ok"]
