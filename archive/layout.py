"""The template tables as the report prints them, and its failing checks told in Chinese.

The archive stores one row per cell (REPORT_JSON.md); a reader wants the table back:
rows x columns with the template's Chinese labels, and, beside it, what does not add
up, with both sides of the equation and the printed numbers (「第三部分第（七）项总计
20 ≠ 各项之和 26」). The equations are the contract's checks (REPORT_JSON.md ``checks``):
a failing check names one cell per failing equation, and :func:`equations` rebuilds
the equation around that cell from the rule, so that every cell taking part can be
highlighted. Pure data and functions: no SQL, no HTML.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

APPLICANTS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
TOTAL = "总计"
STAGES = ("行政复议", "未经复议直接起诉", "复议后起诉")
OUTCOMES = ("结果维持", "结果纠正", "其他结果", "尚未审结")

# Section 三's rows as printed: (first column, second column, third column) of the label.
# A label spans the rows that share it, like the printed table's merged cells.
APPLICATION_ROWS: dict[str, tuple[str, str, str]] = {
    "1": ("一、本年新收政府信息公开申请数量", "", ""),
    "2": ("二、上年结转政府信息公开申请数量", "", ""),
    "3.1": ("三、本年度办理结果", "（一）予以公开", ""),
    "3.2": ("三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ""),
    "3.3.1": ("三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"),
    "3.3.2": ("三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    "3.3.3": ("三、本年度办理结果", "（三）不予公开", "3.危及“三安全一稳定”"),
    "3.3.4": ("三、本年度办理结果", "（三）不予公开", "4.保护第三方合法权益"),
    "3.3.5": ("三、本年度办理结果", "（三）不予公开", "5.属于三类内部事务信息"),
    "3.3.6": ("三、本年度办理结果", "（三）不予公开", "6.属于四类过程性信息"),
    "3.3.7": ("三、本年度办理结果", "（三）不予公开", "7.属于行政执法案卷"),
    "3.3.8": ("三、本年度办理结果", "（三）不予公开", "8.属于行政查询事项"),
    "3.4.1": ("三、本年度办理结果", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    "3.4.2": ("三、本年度办理结果", "（四）无法提供", "2.没有现成信息需要另行制作"),
    "3.4.3": ("三、本年度办理结果", "（四）无法提供", "3.补正后申请内容仍不明确"),
    "3.5.1": ("三、本年度办理结果", "（五）不予处理", "1.信访举报投诉类申请"),
    "3.5.2": ("三、本年度办理结果", "（五）不予处理", "2.重复申请"),
    "3.5.3": ("三、本年度办理结果", "（五）不予处理", "3.要求提供公开出版物"),
    "3.5.4": ("三、本年度办理结果", "（五）不予处理", "4.无正当理由大量反复申请"),
    "3.5.5": ("三、本年度办理结果", "（五）不予处理",
              "5.要求行政机关确认或重新出具已获取信息"),
    "3.6": ("三、本年度办理结果", "（六）其他处理", ""),
    "3.6.1": ("三、本年度办理结果", "（六）其他处理",
              "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    "3.6.2": ("三、本年度办理结果", "（六）其他处理",
              "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    "3.6.3": ("三、本年度办理结果", "（六）其他处理", "3.其他"),
    "3.7": ("三、本年度办理结果", "（七）总计", ""),
    "4": ("四、结转下年度继续办理", "", ""),
}
ROW_ORDER = {row: i for i, row in enumerate(APPLICATION_ROWS)}

ARTICLES = {
    "20.1": "第二十条第（一）项",
    "20.5": "第二十条第（五）项",
    "20.6": "第二十条第（六）项",
    "20.8": "第二十条第（八）项",
    "20.9": "第二十条第（九）项",
}

SECTION = {"active_disclosure": "第二部分", "applications": "第三部分", "reviews": "第四部分"}
CHECK_NAMES = {
    "row_total": "行合计",
    "balance": "勾稽关系",
    "outcome_total": "办理结果合计",
    "review_total": "复议诉讼合计",
    "complete": "完整性",
    "prose": "正文与表格",
}
STATUS_LABELS = {
    "ok": "所有校验通过",
    "flagged": "报告所印数字自相矛盾（有算术校验或正文与表格的核对未通过）",
    "incomplete": "没有校验未通过，但有单元格空白或读不出",
}

CellKey = tuple[str, str, str]  # ("applications", row, applicant) / ("reviews", stage, outcome)


def row_sort_key(row: str) -> tuple[int, str]:
    return (ROW_ORDER.get(row, len(ROW_ORDER)), row)


def row_label(row: str) -> str:
    """The row's full label, e.g. 「（三）不予公开 1.属于国家秘密」."""
    parts = APPLICATION_ROWS.get(row)
    if parts is None:
        return row
    first, second, third = parts
    if not second:
        return first
    return f"{second} {third}".strip()


def cell_key(cell: Mapping[str, Any]) -> CellKey | None:
    """The key of a cell named in a check's ``cells`` ({"table", "row", "applicant"} …)."""
    table = cell.get("table")
    if table == "applications" and cell.get("row") is not None:
        return ("applications", str(cell["row"]), str(cell.get("applicant")))
    if table == "reviews" and cell.get("stage") is not None:
        return ("reviews", str(cell["stage"]), str(cell.get("outcome")))
    if table == "active_disclosure" and cell.get("article") is not None:
        return ("active_disclosure", str(cell["article"]), f"{cell.get('item')}/{cell.get('metric')}")
    return None


def cell_name(key: CellKey) -> str:
    """A cell in words: 「第三部分「（七）总计」自然人」."""
    table, a, b = key
    if table == "applications":
        return f"第三部分「{row_label(a)}」{b}"
    if table == "reviews":
        return f"第四部分{a}{b}"
    return f"第二部分{ARTICLES.get(a, a)}{b}"


@dataclass
class Equation:
    """One failing equation: sum(left) should equal sum(right); `text` says it in Chinese."""

    check: str
    named: CellKey
    left: list[CellKey]
    right: list[CellKey]
    left_value: float | int | None = None
    right_value: float | int | None = None
    text: str = ""
    cells: list[CellKey] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check, "text": self.text,
            "left": self.left_value, "right": self.right_value,
            "cells": [list(c) for c in self.cells], "named": list(self.named),
        }


def _fmt(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sum(values: Mapping[CellKey, Any], cells: list[CellKey]) -> float | int | None:
    parts = [values.get(c) for c in cells]
    known = [p for p in parts if p is not None]
    if not parts or len(known) < len(parts):
        return None  # a sum over a blank cell is a number the report does not print
    return sum(known)


def _outcome_rows(values: Mapping[CellKey, Any], column: str) -> list[str]:
    """The rows that add up to row 3.7 in this report: 3.1 … 3.6 or 3.6.1-3.6.3."""
    rows = {r for (t, r, _c) in values if t == "applications"}
    parts = sorted((r for r in rows if r.startswith("3.") and r != "3.7"), key=row_sort_key)
    if "3.6" in parts and any(r.startswith("3.6.") for r in parts):
        parts.remove("3.6")  # a report prints either the one row or its three parts
    return parts


def equation(check: str, named: CellKey, values: Mapping[CellKey, Any]) -> Equation | None:
    """The equation of `check` that the cell `named` belongs to, with its printed values."""
    table, a, b = named
    if check == "row_total" and table == "applications":
        eq = Equation(check, named, [named], [("applications", a, c) for c in APPLICANTS])
        side = "各类申请人之和"
        head = f"第三部分「{row_label(a)}」总计"
    elif check == "outcome_total" and table == "applications":
        eq = Equation(check, named, [named], [("applications", r, b) for r in _outcome_rows(values, b)])
        side = "各项之和"
        head = "第三部分第（七）项总计" + ("" if b == TOTAL else f"（{b}）")
    elif check == "balance" and table == "applications":
        eq = Equation(check, named, [("applications", "1", b), ("applications", "2", b)],
                      [("applications", "3.7", b), ("applications", "4", b)])
        eq.left_value, eq.right_value = _sum(values, eq.left), _sum(values, eq.right)
        v = [values.get(c) for c in eq.left + eq.right]
        eq.text = (f"第三部分{b}列：本年新收 {_fmt(v[0])} + 上年结转 {_fmt(v[1])} = {_fmt(eq.left_value)}"
                   f" ≠ 办理结果总计 {_fmt(v[2])} + 结转下年度 {_fmt(v[3])} = {_fmt(eq.right_value)}")
        eq.cells = eq.left + eq.right
        return eq
    elif check == "review_total" and table == "reviews":
        eq = Equation(check, named, [named], [("reviews", a, o) for o in OUTCOMES])
        side = "各项之和"
        head = f"第四部分{a}总计"
    else:
        return None
    eq.left_value, eq.right_value = _sum(values, eq.left), _sum(values, eq.right)
    eq.text = f"{head} {_fmt(eq.left_value)} ≠ {side} {_fmt(eq.right_value)}"
    eq.cells = eq.left + eq.right
    return eq


def explain(checks: Sequence[Mapping[str, Any]], values: Mapping[CellKey, Any]) -> list[dict[str, Any]]:
    """For each failing check, its equations (``as_dict``) or, for ``complete``, the blank cells.

    Returns [{"name", "label", "equations": [...], "blank": [cell keys], "text": [...]}].
    """
    out = []
    for check in checks:
        if check.get("ok"):
            continue
        name = str(check.get("name"))
        cells = [k for k in (cell_key(c) for c in check.get("cells") or []) if k is not None]
        item: dict[str, Any] = {"name": name, "label": CHECK_NAMES.get(name, name),
                                "equations": [], "blank": [], "text": []}
        if name == "prose":
            stated = prose_equation(check, cells)
            item["equations"].append(stated)
            item["text"].append(stated["text"])
        elif name == "complete":
            item["blank"] = [list(c) for c in cells]
            shown = "、".join(cell_name(c) for c in cells[:6]) + ("等" if len(cells) > 6 else "")
            item["text"].append(f"{len(cells)} 个单元格空白或读不出：{shown}")
        else:
            for c in cells:
                eq = equation(name, c, values)
                if eq is None:
                    item["text"].append(f"{CHECK_NAMES.get(name, name)}未通过：{cell_name(c)}")
                    continue
                item["equations"].append(eq.as_dict())
                item["text"].append(eq.text)
        out.append(item)
    return out


def cells_phrase(cells: Sequence[CellKey]) -> str:
    """The cells a statement is about, in words: one cell, or the sum of a group of them."""
    if len(cells) == 1:
        return cell_name(cells[0])
    tables = {c[0] for c in cells}
    if tables == {"reviews"} and len({c[2] for c in cells}) == 1:
        return f"第四部分{'与'.join(dict.fromkeys(c[1] for c in cells))}{cells[0][2]}之和"
    if tables == {"applications"}:
        rows = list(dict.fromkeys(c[1] for c in cells))
        columns = list(dict.fromkeys(c[2] for c in cells))
        if len(rows) == 1:
            return f"第三部分「{row_label(rows[0])}」{'、'.join(columns)}之和"
        groups = {APPLICATION_ROWS.get(r, (r, r, ""))[1] for r in rows}
        if len(groups) == 1 and len(columns) == 1:
            return f"第三部分「{next(iter(groups))}」{len(rows)} 项{columns[0]}之和"
    return "、".join(cell_name(c) for c in cells) + "之和"


def prose_text(check: Mapping[str, Any], cells: Sequence[CellKey]) -> str:
    """A prose check in words: what the text says and what the table prints."""
    what = cells_phrase(cells) if cells else "表格"
    verdict = "一致" if check.get("ok") else "不一致"
    return (f"正文「{check.get('sentence') or ''}」称 {_fmt(check.get('stated'))}，"
            f"表格{what}为 {_fmt(check.get('printed'))}：{verdict}")


def prose_equation(check: Mapping[str, Any], cells: Sequence[CellKey]) -> dict[str, Any]:
    """The stored explanation of a failing prose check (the shape of Equation.as_dict)."""
    return {"check": "prose", "text": prose_text(check, cells), "left": check.get("stated"),
            "right": check.get("printed"), "cells": [list(c) for c in cells],
            "named": list(cells[0]) if cells else None}


def equations_json_for_check(check: Mapping[str, Any], values: Mapping[CellKey, Any]) -> list[dict[str, Any]]:
    """The stored form of one check's explanation (``checks.equations``): [] when it passes."""
    if check.get("ok"):
        return []
    item = explain([check], values)[0]
    if item["equations"]:
        return item["equations"]
    return [{"check": item["name"], "text": t, "left": None, "right": None,
             "cells": item["blank"], "named": None} for t in item["text"]]


def values_of(cells: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[CellKey, Any]:
    """{cell key: printed value} from the archive's cell rows of applications and reviews."""
    values: dict[CellKey, Any] = {}
    for c in cells.get("applications", []):
        values[("applications", str(c["row"]), str(c["applicant"]))] = c.get("value")
    for c in cells.get("reviews", []):
        values[("reviews", str(c["stage"]), str(c["outcome"]))] = c.get("value")
    return values


def add_equations(checks: list[dict[str, Any]], cells: dict[str, list[dict[str, Any]]]) -> None:
    """Give each check row being loaded its ``equations`` (JSON; None when it passes)."""
    values = values_of(cells)
    for c in checks:
        eqs = equations_json_for_check(
            {**c, "cells": json.loads(c["cells"] or "[]")}, values)
        c["equations"] = json.dumps(eqs, ensure_ascii=False) if eqs else None
