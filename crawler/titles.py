"""Telling an annual report apart from the other notices of a column, by its title.

Report columns also carry 工作要点, 指南, 通知 about reports, and portals mix their own
news in. A report title names the 政府信息公开 (or 政务公开) annual report — 年度报告, or 年报
for short — and a year; titles in Traditional characters (mirrors, Hong Kong-style
portals) count too. Notices *about* reports (关于报送…年度报告的通知) are not reports.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"[\s\u3000\xa0]+")
_REPORT = re.compile(
    r"(政府|政务)?信息公[开開].{0,8}(年度)?(报告|報告)"
    r"|(政府|政务|政務)?信息公[开開].{0,4}年[报報]"
    r"|(政府|政务|政務)公[开開].{0,6}年度(报告|報告)"
    r"|(政府|政务|政務)?公[开開]年[报報]"
)
_YEAR = re.compile(r"(19[89]\d|20\d\d)\s*年?")
_CN_YEAR = re.compile(r"[二][〇○零0][一二三四五六七八九〇○零][〇○零一二三四五六七八九]\s*年")
_CN_DIGITS = str.maketrans("〇○零一二三四五六七八九", "00012345678" + "9")
# Words of notices *about* reports: never a report, wherever they stand.
_NOTICE = re.compile(r"^关于|通知|通告|公告|函$|批复|征求|解读|答记者问|报送|编制|模板|样本|格式")
# Words of other documents of the column; agency names contain some of them
# (广州市教育评估和教师继续教育指导中心, 干部培训中心), so they only count against a title
# that does not end as a report does.
_NOT_REPORT = re.compile(
    r"工作要点|要点|指南|目录|制度|办法|规定|工作计划|实施方案|考核|评估|培训|统计表|意见"
)
_ENDS_AS_REPORT = re.compile(r"(年度(报告|報告)|年[报報])([（(][^）)]*[）)]|全文|正文)?$")


def normalise(title: str) -> str:
    """The title without spaces of any kind (portals split titles with &nbsp; and full-width spaces)."""
    return _SPACE.sub("", title or "")


def title_year(title: str) -> int | None:
    """The report year a title names: the first 4-digit year, or one in Chinese numerals."""
    t = normalise(title)
    m = _YEAR.search(t)
    if m:
        return int(m.group(1))
    m = _CN_YEAR.search(t)
    if m:
        return int(m.group(0)[:4].translate(_CN_DIGITS))
    return None


def is_report_title(title: str) -> bool:
    """True for a 政府信息公开工作年度报告 (or 年报) title with a year; False for notices."""
    t = normalise(title)
    if not t or len(t) > 120:
        return False
    if not _REPORT.search(t) or title_year(t) is None or _NOTICE.search(t):
        return False
    return bool(_ENDS_AS_REPORT.search(t)) or not _NOT_REPORT.search(t)
