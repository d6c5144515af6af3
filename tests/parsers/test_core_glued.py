"""Figures glued together (text without cell separators): split only where the report's
arithmetic leaves exactly one reading; otherwise null, flagged, candidates in the notes.

The property test at the end is the proof that matters: random reports whose tables obey
the template, flattened with their cells glued and some cells printed blank (0 left
blank, 总计 left blank on detail rows), never give a wrong number.
"""

from __future__ import annotations

import random
from decimal import Decimal

from nianbao import parsers
from nianbao.parsers import glued
from nianbao.parsers.checks import equations
from nianbao.template import APPLICANTS, LAYOUTS_BY_NAME

ROWS_2019 = LAYOUTS_BY_NAME["single_other"]
TOTALS = frozenset({APPLICANTS.index("总计")})
EQUATIONS = [e for e in equations(ROWS_2019) if e.name != "review_total"]


def shown(readings):
    return [glued.show(r) for r in readings or []]


def test_no_leading_zeros_but_zero_is_a_figure():
    assert shown(glued.splits(["0000000"], 7)) == ["0|0|0|0|0|0|0"]
    assert shown(glued.splits(["105"], 2)) == ["10|5"]  # 1|05 is no reading
    assert glued.splits(["00"], 1) == []


def test_white_space_separates_and_signs_start_figures():
    assert shown(glued.splits(["230", "000023"], 7)) == [
        "2|30|0|0|0|0|23", "23|0|0|0|0|0|23", "230|0|0|0|0|2|3"]
    assert shown(glued.splits(["10", "-2300"], 3)) == ["1|0|-2300", "10|-2|300", "10|-230|0"]


def test_decimals_keep_digits_on_both_sides_and_units_stay_with_the_last_figure():
    got = shown(glued.splits(["2620.50万元"], 2))
    assert "2|620.50万元" in got and "26|20.50万元" in got
    assert all(not x.endswith(".|") and "|." not in x for x in got)


def test_forced_only_when_no_reading_with_blank_cells_exists_either():
    assert shown([glued.forced(["000"], 3)]) == ["0|0|0"]
    assert shown([glued.forced(["0013"], 3)]) == ["0|0|13"]
    assert glued.forced(["123"], 3) is None  # 1|2|3, or 12|3 with a cell left blank
    assert glued.forced(["0000001"], 7) is not None


def test_row_total_decides_a_glued_row():
    """（七）总计14710000148: only 147|1|0|0|0|0|148 adds up."""
    got = glued.grouped(["14710000148"], 7, {6: (0, 1, 2, 3, 4, 5)})
    assert shown(got) == ["147|1|0|0|0|0|148"]


def test_group_totals_of_section_four_can_leave_two_readings():
    """Seed 003's reviews glued: 11|0 and 1|10 both add up to 15, so neither is taken."""
    groups = {4: (0, 1, 2, 3), 9: (5, 6, 7, 8), 14: (10, 11, 12, 13)}
    assert shown(glued.grouped(["110311573001010001"], 15, groups)) == [
        "1|10|3|1|15|7|3|0|0|10|1|0|0|0|1", "11|0|3|1|15|7|3|0|0|10|1|0|0|0|1"]


def _known(rows):
    return {("applications", r, c): Decimal(v) for r, vals in rows.items() for c, v in enumerate(vals)}


def _zero_rows(except_rows):
    return {r: [0] * 7 for r in ROWS_2019.rows if r not in except_rows}


def test_rows_tied_by_the_columns_are_ambiguous_together():
    """Rows 1, 3.1 and 3.7 all print 110000011: 1|10|…|11 or 11|0|…|11 each adds up, and
    the columns only say that the three read alike. Two readings of the table fit: every
    one of the three rows stays null."""
    known = _known(_zero_rows({"1", "3.1", "3.7"}))
    rows = {r: ["110000011"] for r in ("1", "3.1", "3.7")}
    got = glued.decide("applications", rows, 7, known, EQUATIONS, TOTALS)
    for r in rows:
        assert got[r].pieces is None and got[r].reason == "ambiguous", r
        assert "1|10|0|0|0|0|11" in shown(got[r].candidates)


def test_a_row_printed_with_separators_breaks_the_tie():
    known = _known({**_zero_rows({"1", "3.1", "3.7"}), "1": [1, 10, 0, 0, 0, 0, 11]})
    rows = {r: ["110000011"] for r in ("3.1", "3.7")}
    got = glued.decide("applications", rows, 7, known, EQUATIONS, TOTALS)
    assert [glued.show(got[r].pieces) for r in rows] == ["1|10|0|0|0|0|11"] * 2


def test_a_blank_total_that_would_fit_makes_the_row_ambiguous():
    """Printed 0 0 0 0 0 11 and a blank 总计: glued 0000011. 0|0|0|0|0|1|1 adds up, but
    so does 11 with the total blank: with nothing else to decide, the row stays null."""
    known = {("applications", r, c): None for r in ROWS_2019.rows for c in range(7)}
    got = glued.decide("applications", {"3.5.4": ["0000011"]}, 7, known, EQUATIONS, TOTALS)
    assert got["3.5.4"].pieces is None
    assert "0|0|0|0|0|11|_" in shown(got["3.5.4"].candidates)


def test_the_search_is_bounded():
    """A long run that no equation narrows: abstains quickly, never guesses."""
    known = {("applications", r, c): None for r in ROWS_2019.rows for c in range(7)}
    run = "1234567891234567891234567"
    got = glued.decide("applications", {"3.1": [run]}, 7, known, EQUATIONS, TOTALS)
    assert got["3.1"].pieces is None


# --- whole reports -------------------------------------------------------------------

ROW_LABELS = {
    "1": "一、本年新收政府信息公开申请数量", "2": "二、上年结转政府信息公开申请数量",
    "3.1": "三、本年度办理结果（一）予以公开",
    "3.2": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "3.3.1": "（三）不予公开1.属于国家秘密", "3.3.2": "2.其他法律行政法规禁止公开",
    "3.3.3": "3.危及“三安全一稳定”", "3.3.4": "4.保护第三方合法权益", "3.3.5": "5.属于三类内部事务信息",
    "3.3.6": "6.属于四类过程性信息", "3.3.7": "7.属于行政执法案卷", "3.3.8": "8.属于行政查询事项",
    "3.4.1": "（四）无法提供1.本机关不掌握相关政府信息", "3.4.2": "2.没有现成信息需要另行制作",
    "3.4.3": "3.补正后申请内容仍不明确", "3.5.1": "（五）不予处理1.信访举报投诉类申请", "3.5.2": "2.重复申请",
    "3.5.3": "3.要求提供公开出版物", "3.5.4": "4.无正当理由大量反复申请",
    "3.5.5": "5.要求行政机关确认或重新出具已获取信息",
    "3.6": "（六）其他处理", "3.7": "（七）总计", "4": "四、结转下年度继续办理",
}
HEADER = ("三、收到和处理政府信息公开申请情况"
          "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
          "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他")
REVIEWS = ("四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
           "未经复议直接起诉复议后起诉" + "结果维持结果纠正其他结果尚未审结总计" * 2)


def random_report(rng: random.Random, blanks: bool) -> tuple[dict[str, list[str]], list[str], str]:
    """A table obeying the template, printed glued on one line (blank cells vanish)."""
    rows = {r: [0] * 7 for r in ROWS_2019.rows}
    outcomes = list(ROWS_2019.outcome_rows)
    for c in range(6):
        scale = rng.choice([0, 1, 3, 12, 40, 150])
        new, carried = rng.randint(0, scale), rng.randint(0, scale // 10)
        done = new + carried - rng.randint(0, min(new + carried, 3))
        rows["1"][c], rows["2"][c], rows["4"][c], rows["3.7"][c] = new, carried, new + carried - done, done
        for _ in range(done):
            rows[rng.choice(outcomes[:4] + outcomes)][c] += 1
    for r in rows:
        rows[r][6] = sum(rows[r][:6])
    printed = {r: [str(v) for v in vals] for r, vals in rows.items()}
    reviews = []
    for _ in range(3):
        parts = [rng.choice([0, 0, 1, 2, 5, 13]) for _ in range(4)]
        reviews += [str(v) for v in [*parts, sum(parts)]]
    if blanks:
        for r in printed:
            if rng.random() < 0.15:
                printed[r][6] = ""  # 总计 left blank on a detail row
            if rng.random() < 0.1:
                c = rng.randrange(6)
                if printed[r][c] == "0":
                    printed[r][c] = ""  # 0 left blank
        if rng.random() < 0.3:
            reviews[14] = ""
    text = ("广州市测试局2020年政府信息公开工作年度报告一、总体情况2020年，我局做好政府信息公开工作。"
            "二、主动公开政府信息情况第二十条第（一）项信息内容"
            "本年新制作数量本年新公开数量对外公开总数量规章000" + HEADER)
    for r in ROWS_2019.rows:
        text += ROW_LABELS[r] + "".join(v + (" " if rng.random() < 0.05 else "") for v in printed[r])
    text += REVIEWS + "".join(reviews)
    text += "五、存在的主要问题及改进情况渠道不够丰富。六、其他需要报告的事项无。"
    return printed, reviews, text


def _no_wrong_number(n: int, blanks: bool, seed: int) -> tuple[int, int]:
    right = null = 0
    for i in range(n):
        printed, reviews, text = random_report(random.Random(seed + i), blanks)
        out = parsers.parse_bytes(text.encode("utf-8"), f"random-{seed + i}.txt")
        assert out["template"] == "2019" and "text without structure" in out["notes"][0]
        for c in out["applications"]:
            want = printed[c["row"]][APPLICANTS.index(c["applicant"])]
            if c["value"] is None:
                null += 1
                continue
            assert want != "" and c["value"] == int(want), (seed + i, c, printed[c["row"]])
            right += 1
        for c, want in zip(out["reviews"], reviews, strict=True):
            if c["value"] is None:
                null += 1
                continue
            assert want != "" and c["value"] == int(want), (seed + i, c, reviews)
            right += 1
        nulls = sum(c["value"] is None for c in out["applications"] + out["reviews"])
        complete = next(c for c in out["checks"] if c["name"] == "complete")
        assert len(complete["cells"]) >= nulls  # every null is flagged
    return right, null


def test_random_glued_reports_never_give_a_wrong_number():
    right, null = _no_wrong_number(40, blanks=False, seed=100)
    assert right > 2 * null  # most cells are read, not all abstained


def test_random_glued_reports_with_blank_cells_never_give_a_wrong_number():
    right, _null = _no_wrong_number(40, blanks=True, seed=5000)
    assert right > 0
