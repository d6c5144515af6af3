"""Real tables (as the HTML/Word/PDF extractors deliver them): merged cells expanded,
spanned copies as labels only, blank cells positioned, columns mapped by the header."""

from __future__ import annotations

from nianbao.parsers import Cell, Table

ROWS = [  # (vertical group label, sub label, row label, row id)
    (None, None, "一、本年新收政府信息公开申请数量", "1"),
    (None, None, "二、上年结转政府信息公开申请数量", "2"),
    ("三、本年度办理结果", "（一）予以公开", None, "3.1"),
    ("三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", None, "3.2"),
    *[("三、本年度办理结果", "（三）不予公开", lab, rid) for lab, rid in [
        ("1.属于国家秘密", "3.3.1"), ("2.其他法律行政法规禁止公开", "3.3.2"),
        ("3.危及“三安全一稳定”", "3.3.3"), ("4.保护第三方合法权益", "3.3.4"),
        ("5.属于三类内部事务信息", "3.3.5"), ("6.属于四类过程性信息", "3.3.6"),
        ("7.属于行政执法案卷", "3.3.7"), ("8.属于行政查询事项", "3.3.8")]],
    *[("三、本年度办理结果", "（四）无法提供", lab, rid) for lab, rid in [
        ("1.本机关不掌握相关政府信息", "3.4.1"), ("2.没有现成信息需要另行制作", "3.4.2"),
        ("3.补正后申请内容仍不明确", "3.4.3")]],
    *[("三、本年度办理结果", "（五）不予处理", lab, rid) for lab, rid in [
        ("1.信访举报投诉类申请", "3.5.1"), ("2.重复申请", "3.5.2"), ("3.要求提供公开出版物", "3.5.3"),
        ("4.无正当理由大量反复申请", "3.5.4"), ("5.要求行政机关确认或重新出具已获取信息", "3.5.5")]],
    ("三、本年度办理结果", "（六）其他处理", None, "3.6"),
    ("三、本年度办理结果", "（七）总计", None, "3.7"),
    (None, None, "四、结转下年度继续办理", "4"),
]
HEADER_ORDER = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]


def _c(text: str, spanned: bool = False) -> Cell:
    return Cell(text, spanned)


def applications_grid(values: dict[str, list[str]], order: list[str] = HEADER_ORDER) -> Table:
    """Section 三 as an expanded DOM table; `values` in `order` of the header."""
    note = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    legal = [h for h in order if h not in ("自然人", "总计")]
    row1 = [_c(note, True)] * 3
    row2 = [_c(note, True)] * 3
    for i, h in enumerate(order):
        if h in ("自然人", "总计"):
            row1.append(_c(h))
            row2.append(_c(h, True))
        else:
            first = h == legal[0]
            row1.append(_c("法人或其他组织", not first))
            row2.append(_c(h))
        del i
    grid = [[_c(note), _c(note, True), _c(note, True)] + [_c("申请人情况")] + [_c("申请人情况", True)] * 6,
            row1, row2]
    seen: set[str] = set()
    for group, sub, label, rid in ROWS:
        cells = []
        if group is None:
            cells = [_c(label), _c(label, True), _c(label, True)]
        else:
            cells.append(_c(group, group in seen))
            seen.add(group)
            if label is None:
                cells += [_c(sub), _c(sub, True)]
            else:
                cells += [_c(sub, sub in seen), _c(label)]
                seen.add(sub)
        cells += [_c(v) for v in values[rid]]
        grid.append(cells)
    return Table(grid)


def _report_blocks(build_report, table: Table) -> list:
    base = build_report().split("\n")
    start = base.index("三、收到和处理政府信息公开申请情况")
    end = base.index("四、政府信息公开行政复议、行政诉讼情况")
    return [*base[:start + 1], table, *base[end:]]


def _values(consistent_rows) -> dict[str, list[str]]:
    return {k: [str(v) for v in vals] for k, vals in consistent_rows(False).items()}


def test_expanded_dom_table_reads_every_row(analyse_blocks, build_report, consistent_rows):
    vals = _values(consistent_rows)
    out = analyse_blocks(_report_blocks(build_report, applications_grid(vals)))
    got = {(c["row"], c["applicant"]): c["value"] for c in out["applications"]}
    for rid, row in vals.items():
        assert [got[(rid, a)] for a in HEADER_ORDER] == [int(v) for v in row], rid
    assert out["status"] == "ok", out["flags"]


def test_blank_table_cells_are_null_in_place(analyse_blocks, build_report, consistent_rows):
    vals = _values(consistent_rows)
    vals["3.4.1"] = ["2", "1", "", "\u00a0", "—", "", "3"]
    out = analyse_blocks(_report_blocks(build_report, applications_grid(vals)))
    got = {(c["row"], c["applicant"]): c for c in out["applications"]}
    assert [got[("3.4.1", a)]["value"] for a in HEADER_ORDER] == [2, 1, None, None, None, None, 3]
    assert got[("3.4.1", "法律服务机构")]["raw"] == "—"
    assert next(c for c in out["checks"] if c["name"] == "row_total")["ok"] is True


def test_columns_follow_the_header_of_a_real_table(analyse_blocks, build_report, consistent_rows):
    order = ["总计", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "自然人"]
    vals = _values(consistent_rows)
    permuted = {rid: [row[HEADER_ORDER.index(h)] for h in order] for rid, row in vals.items()}
    out = analyse_blocks(_report_blocks(build_report, applications_grid(permuted, order)))
    got = {(c["row"], c["applicant"]): c["value"] for c in out["applications"]}
    assert [got[("1", a)] for a in HEADER_ORDER] == [int(v) for v in vals["1"]]
    assert out["status"] == "ok", out["flags"]


def test_reviews_and_active_as_tables(analyse_blocks, build_report):
    base = build_report().split("\n")
    r0 = base.index("四、政府信息公开行政复议、行政诉讼情况")
    review = Table([
        [_c("行政复议")] + [_c("行政复议", True)] * 4 + [_c("行政诉讼")] + [_c("行政诉讼", True)] * 9,
        [_c(x) for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]]
        + [_c("未经复议直接起诉")] + [_c("未经复议直接起诉", True)] * 4
        + [_c("复议后起诉")] + [_c("复议后起诉", True)] * 4,
        [_c(x, True) for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]]
        + [_c(x) for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2],
        [_c(x) for x in ["2", "1", "0", "0", "3", "1", "0", "0", "", "1", "0", "0", "0", "0", "0"]],
    ])
    blocks = [*base[:r0 + 1], review, *base[base.index("五、存在的主要问题及改进情况"):]]
    out = analyse_blocks(blocks)
    values = [c["value"] for c in out["reviews"]]
    assert values == [2, 1, 0, 0, 3, 1, 0, 0, None, 1, 0, 0, 0, 0, 0]
    assert next(c for c in out["checks"] if c["name"] == "review_total")["ok"] is True
