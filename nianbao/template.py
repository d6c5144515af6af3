"""The national template of the annual report, as data: one place for every stage.

Two national formats exist, 国办公开办函〔2019〕60号 (reports on 2019 and 2020) and
〔2021〕30号 (2021 onward), and reports mix them (2021 reports keep the single row
（六）其他处理 or the 2019 label 规范性文件). Everything the program knows about them is
here: the tables' rows, labels and columns, the keys that find a row's label in noisy
text, the layouts (variants) of each table, and the arithmetic (the 勾稽关系) that the
checks and the readers of damaged text rely on. The parsers read reports with it, the
archive labels its rows with it, and no other module repeats it.

Adding a variant: a new layout of section 三 is an `ApplicationLayout` (and its rows in
`APPLICATION_ROWS` if it has new ones); a new layout of section 二 is an `ActiveLayout`;
a new format is a `Template` naming its layouts and the label evidence that recognises it.
A new check is a `Rule`. docs/architecture.md lists the readers that use each.

Keys are regular expressions on label text with white space and punctuation removed
(see `nianbao.parsers.template.clean`), so wrapped, spaced and typo'd labels still match.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- columns --------------------------------------------------------------------------

APPLICANTS: tuple[str, ...] = (
    "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
STAGES: tuple[str, ...] = ("行政复议", "未经复议直接起诉", "复议后起诉")
OUTCOMES: tuple[str, ...] = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
TOTAL = "总计"  # the total column of section 三 and of each stage of section 四


@dataclass(frozen=True)
class Grid:
    """A template table whose cells are (row, column): section 三 or section 四.

    `row_key`/`column_key` are the report's JSON keys naming a cell's row and column.
    """

    name: str
    row_key: str
    column_key: str
    columns: tuple[str, ...]


APPLICATIONS = Grid("applications", "row", "applicant", APPLICANTS)
REVIEWS = Grid("reviews", "stage", "outcome", OUTCOMES)
REVIEW_CELLS = len(STAGES) * len(OUTCOMES)  # section 四 prints its cells in one row


def review_cell(i: int) -> tuple[str, int]:
    """(stage, outcome index) of the i-th figure of section 四's printed row."""
    return STAGES[i // len(OUTCOMES)], i % len(OUTCOMES)


# --- section 三: rows ----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of the applications table: its number, the template's label, its key."""

    id: str
    label: str
    key: str  # regex on cleaned label text


APPLICATION_ROWS: tuple[Row, ...] = (
    Row("1", "一、本年新收政府信息公开申请数量", r"本年新收|新收政府信息"),
    Row("2", "二、上年结转政府信息公开申请数量", r"上年结转|结转政府信息"),
    Row("3.1", "三、本年度办理结果（一）予以公开", r"予以公开"),
    Row("3.2", "三、本年度办理结果（二）部分公开", r"部分公开"),
    Row("3.3.1", "（三）不予公开 1.属于国家秘密", r"国家秘密"),
    Row("3.3.2", "（三）不予公开 2.其他法律行政法规禁止公开", r"其他法律|法规禁止|禁止公开"),
    Row("3.3.3", "（三）不予公开 3.危及“三安全一稳定”", r"危及|三安全"),
    Row("3.3.4", "（三）不予公开 4.保护第三方合法权益", r"保护第三方|第三方合法"),
    Row("3.3.5", "（三）不予公开 5.属于三类内部事务信息", r"三类内部|内部事务"),
    Row("3.3.6", "（三）不予公开 6.属于四类过程性信息", r"四类过程|过程性信息"),
    Row("3.3.7", "（三）不予公开 7.属于行政执法案卷", r"执法案卷"),
    Row("3.3.8", "（三）不予公开 8.属于行政查询事项", r"行政查询|查询事项"),
    Row("3.4.1", "（四）无法提供 1.本机关不掌握相关政府信息", r"不掌握"),
    Row("3.4.2", "（四）无法提供 2.没有现成信息需要另行制作", r"没有现成|另行制作"),
    Row("3.4.3", "（四）无法提供 3.补正后申请内容仍不明确", r"补正后|仍不明确"),
    Row("3.5.1", "（五）不予处理 1.信访举报投诉类申请", r"信访|举报投诉"),
    Row("3.5.2", "（五）不予处理 2.重复申请", r"重复申请"),
    Row("3.5.3", "（五）不予处理 3.要求提供公开出版物", r"出版物"),
    Row("3.5.4", "（五）不予处理 4.无正当理由大量反复申请", r"无正当理由大|大量反复"),
    Row("3.5.5", "（五）不予处理 5.要求行政机关确认或重新出具已获取信息", r"确认或重新|重新出具"),
    Row("3.6", "（六）其他处理", r"其他处理"),
    Row("3.6.1", "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        r"逾期不|无正当理由逾期"),
    Row("3.6.2", "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        r"逾期未按|未按收费|缴纳费用"),
    Row("3.6.3", "（六）其他处理 3.其他", r"其他(?!处理|法律|对外|结果|情形|组织)"),
    Row("3.7", "（七）总计", r"总计"),
    Row("4", "四、结转下年度继续办理", r"结转下年|继续办理"),
)
ROWS_BY_ID: dict[str, Row] = {r.id: r for r in APPLICATION_ROWS}
# The archive's label of each row (archive/schema.py).
ROW_LABELS: dict[str, str] = {r.id: r.label for r in APPLICATION_ROWS}

# Rows 3.1 … 3.5.5: handled applications common to every layout.
_OUTCOMES_COMMON = (
    "3.1", "3.2", "3.3.1", "3.3.2", "3.3.3", "3.3.4", "3.3.5", "3.3.6", "3.3.7", "3.3.8",
    "3.4.1", "3.4.2", "3.4.3", "3.5.1", "3.5.2", "3.5.3", "3.5.4", "3.5.5",
)


@dataclass(frozen=True)
class ApplicationLayout:
    """A variant of section 三: its rows in printed order and those that add up to 3.7.

    `evidence` is a key on the table's cleaned labels that says a report uses this
    layout; layouts are tried in order and the first whose evidence is found wins (the
    last one, without evidence, is the fallback).
    """

    name: str
    rows: tuple[str, ...]
    outcome_rows: tuple[str, ...]
    evidence: str | None


def _layout(name: str, other: tuple[str, ...], evidence: str | None) -> ApplicationLayout:
    outcomes = _OUTCOMES_COMMON + other
    return ApplicationLayout(name, ("1", "2", *outcomes, "3.7", "4"), outcomes, evidence)


APPLICATION_LAYOUTS: tuple[ApplicationLayout, ...] = (
    # 2021 format: （六）其他处理 split into three rows
    _layout("split_other", ("3.6.1", "3.6.2", "3.6.3"), r"逾期不|无正当理由逾期|逾期未按|未按收费"),
    # 2019 format, and 2021 reports that keep the single row
    _layout("single_other", ("3.6",), None),
)
LAYOUTS_BY_NAME: dict[str, ApplicationLayout] = {x.name: x for x in APPLICATION_LAYOUTS}

# --- section 二: 第二十条 ------------------------------------------------------------

# 第二十条第（X）项 -> article id
ARTICLES: dict[str, str] = {"一": "20.1", "五": "20.5", "六": "20.6", "八": "20.8", "九": "20.9"}
ARTICLE_MARK = r"第二十条第([一五六八九])项"

# item -> key on cleaned text
ITEM_KEYS: dict[str, str] = {
    "规章": r"规章",
    "规范性文件": r"规范性文件",  # also 行政规范性文件 (2021)
    "行政许可": r"行政许可",
    "其他对外管理服务事项": r"其他对外管理|对外管理服务",
    "行政处罚": r"行政处罚",
    "行政强制": r"行政强制",
    "行政事业性收费": r"事业性收费",
    "政府集中采购": r"集中采购",
}
# metric -> key on cleaned header text
METRIC_KEYS: dict[str, str] = {
    "本年新制作数量": r"本年新制作",
    "本年新公开数量": r"本年新公开",
    "对外公开总数量": r"对外公开总",
    "上一年项目数量": r"上一年项目",
    "本年增/减": r"本年增减",
    "本年处理决定数量": r"本年处理决定",
    "处理决定数量": r"(?<!本年)处理决定",
    "本年制发件数": r"本年制发",
    "本年废止件数": r"本年废止",
    "现行有效件数": r"现行有效",
    "本年收费金额": r"本年收费金额|收费金额",
    "采购项目数量": r"采购项目",
    "采购总金额": r"采购总金额|总金额",
}
MONEY_METRICS: tuple[str, ...] = ("采购总金额", "本年收费金额")  # given in 万元
MONEY_UNIT = "万元"


@dataclass(frozen=True)
class ActiveLayout:
    """A variant of section 二: the items of each article and the columns of each."""

    name: str
    items: dict[str, tuple[str, ...]]
    metrics: dict[str, tuple[str, ...]]


_ITEMS_2019: dict[str, tuple[str, ...]] = {
    "20.1": ("规章", "规范性文件"),
    "20.5": ("行政许可", "其他对外管理服务事项"),
    "20.6": ("行政处罚", "行政强制"),
    "20.8": ("行政事业性收费",),
    "20.9": ("政府集中采购",),
}
ACTIVE_LAYOUTS: dict[str, ActiveLayout] = {
    "2019": ActiveLayout("2019", _ITEMS_2019, {
        "20.1": ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
        "20.5": ("上一年项目数量", "本年增/减", "处理决定数量"),
        "20.6": ("上一年项目数量", "本年增/减", "处理决定数量"),
        "20.8": ("上一年项目数量", "本年增/减"),
        "20.9": ("采购项目数量", "采购总金额"),
    }),
    "2021": ActiveLayout("2021", {
        "20.1": _ITEMS_2019["20.1"], "20.5": ("行政许可",), "20.6": _ITEMS_2019["20.6"],
        "20.8": _ITEMS_2019["20.8"],
    }, {
        "20.1": ("本年制发件数", "本年废止件数", "现行有效件数"),
        "20.5": ("本年处理决定数量",),
        "20.6": ("本年处理决定数量",),
        "20.8": ("本年收费金额",),
    }),
}
# Every item an article may hold in any layout (reports mix layouts).
ALL_ITEMS: dict[str, tuple[str, ...]] = {
    art: tuple(dict.fromkeys(i for lay in ACTIVE_LAYOUTS.values() for i in lay.items.get(art, ())))
    for art in ARTICLES.values()
}

# --- the formats -------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A national format: its layouts and the label keys that are evidence of it."""

    name: str
    active: ActiveLayout
    evidence: tuple[str, ...]
    from_year: int  # reports on this year and later use it unless their labels say otherwise


TEMPLATES: dict[str, Template] = {
    "2019": Template("2019", ACTIVE_LAYOUTS["2019"], (
        r"本年新制作", r"本年新公开", r"对外公开总", r"上一年项目", r"本年增减",
        r"其他对外管理", r"第二十条第九项", r"集中采购", r"采购总金额"), 2019),
    "2021": Template("2021", ACTIVE_LAYOUTS["2021"], (
        r"本年制发", r"本年废止", r"现行有效", r"本年处理决定", r"本年收费金额",
        r"逾期未按|未按收费", r"逾期不补正|无正当理由逾期", r"行政规范性文件"), 2021),
}

# --- the arithmetic -----------------------------------------------------------------------

OUTCOME_ROWS = "outcome rows"  # stands for the layout's `outcome_rows` in a Rule


@dataclass(frozen=True)
class Rule:
    """An equation of the template: sum(lhs) == sum(rhs), repeated along one axis.

    `along` = "row": once per row of the grid (its rows: the layout's rows, or the
    stages), `lhs`/`rhs` naming columns; "column": once per column, `lhs`/`rhs` naming
    rows (`OUTCOME_ROWS` for the layout's outcome rows). `report` is the cell a failure
    names (on the other axis; default the first of `lhs`). `name` is the check's name.
    """

    name: str
    grid: Grid
    along: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    report: str | None = None


RULES: tuple[Rule, ...] = (
    Rule("row_total", APPLICATIONS, "row", (TOTAL,), APPLICANTS[:-1]),
    Rule("balance", APPLICATIONS, "column", ("1", "2"), ("3.7", "4"), report="3.7"),
    Rule("outcome_total", APPLICATIONS, "column", ("3.7",), (OUTCOME_ROWS,)),
    Rule("review_total", REVIEWS, "row", (TOTAL,), OUTCOMES[:-1]),
)
COMPLETE = "complete"  # the check that every expected cell has a value (nianbao.contract)
# The checks in the order a report lists them.
CHECK_NAMES: tuple[str, ...] = (*dict.fromkeys(r.name for r in RULES), COMPLETE)
# A figure stated in the narrative against the cell it names (parsers/prose.py), listed
# after the table checks; like them, a failing one makes the report "flagged".
PROSE = "prose"
REPORT_CHECK_NAMES: tuple[str, ...] = (*CHECK_NAMES, PROSE)
