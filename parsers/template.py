"""The two national templates (国办公开办函〔2019〕60号 and 〔2021〕30号) as data.

Rows are found by a distinctive key of their label, matched on label text with white
space and punctuation removed (see `clean`), so wrapped, spaced and typo'd labels still
match. Keys are regular expressions on cleaned text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

APPLICANTS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
STAGES = ("行政复议", "未经复议直接起诉", "复议后起诉")
OUTCOMES = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")

# Characters removed before matching labels: white space, punctuation, OCR specks.
_NOISE = re.compile(
    r"[\s\u00a0,，:：;；_\-—–·.．、\"“”'‘’|\\/()（）<>《》\[\]【】!！?？*#~`^=+a-zA-Z]"
)


def clean(text: str) -> str:
    """Label text for matching: no white space, punctuation or stray latin letters."""
    return _NOISE.sub("", text)


@dataclass(frozen=True)
class Row:
    """One template row of the applications table."""

    id: str
    key: str  # regex on cleaned label text


APPLICATION_ROWS: tuple[Row, ...] = (
    Row("1", r"本年新收|新收政府信息"),
    Row("2", r"上年结转|结转政府信息"),
    Row("3.1", r"予以公开"),
    Row("3.2", r"部分公开"),
    Row("3.3.1", r"国家秘密"),
    Row("3.3.2", r"其他法律|法规禁止|禁止公开"),
    Row("3.3.3", r"危及|三安全"),
    Row("3.3.4", r"保护第三方|第三方合法"),
    Row("3.3.5", r"三类内部|内部事务"),
    Row("3.3.6", r"四类过程|过程性信息"),
    Row("3.3.7", r"执法案卷"),
    Row("3.3.8", r"行政查询|查询事项"),
    Row("3.4.1", r"不掌握"),
    Row("3.4.2", r"没有现成|另行制作"),
    Row("3.4.3", r"补正后|仍不明确"),
    Row("3.5.1", r"信访|举报投诉"),
    Row("3.5.2", r"重复申请"),
    Row("3.5.3", r"出版物"),
    Row("3.5.4", r"无正当理由大|大量反复"),
    Row("3.5.5", r"确认或重新|重新出具"),
    Row("3.6", r"其他处理"),
    Row("3.6.1", r"逾期不|无正当理由逾期"),
    Row("3.6.2", r"逾期未按|未按收费|缴纳费用"),
    Row("3.6.3", r"其他(?!处理|法律|对外|结果|情形|组织)"),
    Row("3.7", r"总计"),
    Row("4", r"结转下年|继续办理"),
)

# Rows whose sum is row 3.7 (one of the 3.6 variants is used).
OUTCOME_ROWS_COMMON = (
    "3.1", "3.2", "3.3.1", "3.3.2", "3.3.3", "3.3.4", "3.3.5", "3.3.6", "3.3.7", "3.3.8",
    "3.4.1", "3.4.2", "3.4.3", "3.5.1", "3.5.2", "3.5.3", "3.5.4", "3.5.5",
)
SPLIT_OTHER = re.compile(r"逾期不|无正当理由逾期|逾期未按|未按收费")


def application_rows(split_other: bool) -> list[Row]:
    """Template rows in order: 3.6 alone, or 3.6.1-3.6.3 when the report splits 其他处理."""
    drop = {"3.6"} if split_other else {"3.6.1", "3.6.2", "3.6.3"}
    return [r for r in APPLICATION_ROWS if r.id not in drop]


def outcome_rows(split_other: bool) -> tuple[str, ...]:
    """The rows that add up to 3.7."""
    return OUTCOME_ROWS_COMMON + (("3.6.1", "3.6.2", "3.6.3") if split_other else ("3.6",))


# --- active disclosure (section 二) -------------------------------------------------

ARTICLES = {"一": "20.1", "五": "20.5", "六": "20.6", "八": "20.8", "九": "20.9"}
ARTICLE_MARK = re.compile(r"第二十条第([一五六八九])项")

# item name -> key on cleaned text
ITEMS: dict[str, tuple[str, ...]] = {
    "20.1": ("规章", "规范性文件"),
    "20.5": ("行政许可", "其他对外管理服务事项"),
    "20.6": ("行政处罚", "行政强制"),
    "20.8": ("行政事业性收费",),
    "20.9": ("政府集中采购",),
}
ITEM_KEYS = {
    "规章": r"规章",
    "规范性文件": r"规范性文件",
    "行政许可": r"行政许可",
    "其他对外管理服务事项": r"其他对外管理|对外管理服务",
    "行政处罚": r"行政处罚",
    "行政强制": r"行政强制",
    "行政事业性收费": r"事业性收费",
    "政府集中采购": r"集中采购",
}
ITEMS_2021 = {"20.1": ITEMS["20.1"], "20.5": ("行政许可",), "20.6": ITEMS["20.6"],
              "20.8": ITEMS["20.8"]}

METRICS = {
    "2019": {
        "20.1": ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
        "20.5": ("上一年项目数量", "本年增/减", "处理决定数量"),
        "20.6": ("上一年项目数量", "本年增/减", "处理决定数量"),
        "20.8": ("上一年项目数量", "本年增/减"),
        "20.9": ("采购项目数量", "采购总金额"),
    },
    "2021": {
        "20.1": ("本年制发件数", "本年废止件数", "现行有效件数"),
        "20.5": ("本年处理决定数量",),
        "20.6": ("本年处理决定数量",),
        "20.8": ("本年收费金额",),
    },
}
# metric name -> key on cleaned header text; longest names are tried first.
METRIC_KEYS = {
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
MONEY_METRICS = ("采购总金额", "本年收费金额")

# --- deciding the template ----------------------------------------------------------

EVIDENCE_2021 = (r"本年制发", r"本年废止", r"现行有效", r"本年处理决定", r"本年收费金额",
                 r"逾期未按|未按收费", r"逾期不补正|无正当理由逾期", r"行政规范性文件")
EVIDENCE_2019 = (r"本年新制作", r"本年新公开", r"对外公开总", r"上一年项目", r"本年增减",
                 r"其他对外管理", r"第二十条第九项", r"集中采购", r"采购总金额")


def decide_template(cleaned_tables: str, year: int | None) -> str | None:
    """"2019" or "2021" from the tables' own labels, year >= 2021 breaking ties."""
    s2021 = sum(1 for k in EVIDENCE_2021 if re.search(k, cleaned_tables))
    s2019 = sum(1 for k in EVIDENCE_2019 if re.search(k, cleaned_tables))
    if s2021 == 0 and s2019 == 0:
        return None
    if s2021 > s2019:
        return "2021"
    if s2019 > s2021:
        return "2019"
    return "2021" if (year or 0) >= 2021 else "2019"
