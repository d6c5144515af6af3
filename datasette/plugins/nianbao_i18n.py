"""Chinese for Datasette's own words on the archive's pages.

The templates in datasette/templates/ are Datasette 0.65's, translated. What Datasette
computes in Python and hands to them in English (the filter operators, the sentence that
describes the current filters, the column names of the archive's tables) is translated
here by Jinja filters registered in ``prepare_jinja2_environment``:

- ``zh_col``: a column's short Chinese label (the name itself when it has none);
- ``zh_op``: a filter operator (contains → 包含 …);
- ``zh_desc``: Datasette's ``human_description_en`` (where … sorted by … descending);
- ``zh_status``: the meaning of a report status (nianbao.contract).

Every filter returns plain text; Jinja's autoescape still escapes it in the page.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from datasette import hookimpl

try:
    from nianbao.archive.layout import STATUS_LABELS
except ImportError:  # served from a checkout that is not installed: use the repository's copy
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from nianbao.archive.layout import STATUS_LABELS

COLUMNS = {
    "id": "编号", "report_id": "报告", "agency": "机关", "agency_id": "机关编号", "year": "年度",
    "title": "标题", "template": "表格格式", "url": "原文网址", "published": "发布日期",
    "fetched_at": "抓取时间", "sha256": "存档原件", "status": "状态", "region": "地区", "level": "层级",
    "source_id": "来源栏目", "script": "原文字体", "kind": "类型", "flags": "提示", "text": "正文",
    "source": "解析文件", "digest": "内容指纹", "number": "序号", "heading": "标题", "article": "条项",
    "item": "信息内容", "metric": "指标", "value": "数值", "unit": "单位", "raw": "原文",
    "inferred": "推算值", "row": "行号", "row_label": "行名称", "applicant": "申请人", "stage": "阶段",
    "outcome": "结果", "name": "名称", "ok": "通过", "cells": "单元格", "equations": "算式",
    "content_type": "文件类型", "length": "字节数", "warc_file": "WARC 文件", "warc_offset": "WARC 偏移",
    "version": "版本", "key": "比较键", "sources": "来源", "first_report_id": "首份报告",
    "canonical": "规范名称", "content": "内容", "rowid": "行",
    # table names
    "reports": "报告", "sections": "章节", "active_disclosure": "第二部分单元格",
    "applications": "第三部分单元格", "reviews": "第四部分单元格", "checks": "算术校验",
    "documents": "抓取的文件",
    "agencies": "机关", "agency_names": "机关名称", "report_versions": "报告版本", "blobs": "存档原件",
    "report_figures": "关键数字", "agency_aliases": "名称对照",
}
OPERATORS = {
    "=": "=", "!=": "≠", "contains": "包含", "ends with": "结尾是", "starts with": "开头是",
    "like": "like（通配）", "not like": "not like", "glob": "glob", "in": "属于", "not in": "不属于",
    "array contains": "数组包含", "array does not contain": "数组不包含", "date": "日期为",
    "is null": "为空 (null)", "is not null": "不为空", "is blank": "为空白", "is not blank": "不为空白",
    ">": ">", "<": "<", "\u2265": "\u2265", "\u2264": "\u2264",
}
_DESC = [
    (re.compile(r'search matches "(.*?)"'), r"搜索「\1」"),
    (re.compile(r"^where "), "条件："),
    (re.compile(r" sorted by (\S+) descending$"), r"，按 \1 降序排列"),
    (re.compile(r" sorted by (\S+)$"), r"，按 \1 升序排列"),
    (re.compile(r"^sorted by (\S+) descending$"), r"按 \1 降序排列"),
    (re.compile(r"^sorted by (\S+)$"), r"按 \1 升序排列"),
    (re.compile(r" and "), " 且 "),
    (re.compile(r" contains "), " 包含 "),
    (re.compile(r" does not contain "), " 不包含 "),
    (re.compile(r" ends with "), " 结尾是 "),
    (re.compile(r" starts with "), " 开头是 "),
    (re.compile(r" is not null"), " 不为空"),
    (re.compile(r" is null"), " 为空"),
    (re.compile(r" is not blank"), " 不为空白"),
    (re.compile(r" is blank"), " 为空白"),
    (re.compile(r" not in "), " 不属于 "),
    (re.compile(r" in "), " 属于 "),
    (re.compile(r" is on date "), " 日期为 "),
]


def zh_col(name: object) -> str:
    return COLUMNS.get(str(name), str(name))


def zh_op(display: object) -> str:
    return OPERATORS.get(str(display), str(display))


def zh_desc(text: object) -> str:
    out = str(text or "")
    for pattern, repl in _DESC:
        out = pattern.sub(repl, out)
    return out


def zh_status(value: object) -> str:
    return STATUS_LABELS.get(str(value), "")


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["zh_col"] = zh_col
    env.filters["zh_op"] = zh_op
    env.filters["zh_desc"] = zh_desc
    env.filters["zh_status"] = zh_status
