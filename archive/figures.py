"""The key figures of a report, one definition for every page, query and download.

Journalists compare a handful of numbers across agencies and years: applications received,
handled, disclosed, refused, 无法提供, administrative reviews and lawsuits, and normative
documents issued. They come from the 总计 column (and section 二) as printed. A figure that
is a sum (不予公开 = rows 3.3.1-3.3.8) is given only when every part is printed: a sum over a
blank cell would be a number the report does not contain. The view ``report_figures``
(created by the migration in schema.py) computes them from the cell tables, so the pages,
the canned queries and the comparison cannot disagree.
"""

from __future__ import annotations

# (column of report_figures, Chinese label) in the order pages show them.
FIGURES: tuple[tuple[str, str], ...] = (
    ("received", "新收申请"),
    ("handled", "办理结果总计"),
    ("disclosed", "予以公开"),
    ("refused", "不予公开"),
    ("unable", "无法提供"),
    ("admin_reviews", "行政复议"),
    ("lawsuits", "行政诉讼"),
    ("normative_docs", "规范性文件"),
)
LABELS = dict(FIGURES)
NOTES = {
    "received": "第三部分「一、本年新收政府信息公开申请数量」总计",
    "handled": "第三部分「（七）总计」总计",
    "disclosed": "第三部分「（一）予以公开」总计",
    "refused": "第三部分「（三）不予公开」1-8 项总计之和（各项均有数值时）",
    "unable": "第三部分「（四）无法提供」1-3 项总计之和（各项均有数值时）",
    "admin_reviews": "第四部分行政复议总计",
    "lawsuits": "第四部分未经复议直接起诉总计 + 复议后起诉总计（两项均有数值时）",
    "normative_docs": "第二部分规范性文件本年新制作数量（2021 年格式：本年制发件数）",
}


def _cell(row: str) -> str:
    return (f"(SELECT value FROM applications WHERE report_id = r.id AND row = '{row}' "
            f"AND applicant = '总计')")


def _sum_all(where: str, table: str = "applications", expected: str = "count(*) > 0") -> str:
    # the sum only when every part is printed
    return (f"(SELECT CASE WHEN {expected} AND count(*) = count(value) THEN sum(value) END "
            f"FROM {table} WHERE report_id = r.id AND {where})")


VIEW_SQL = f"""
CREATE VIEW IF NOT EXISTS report_figures AS
SELECT r.id AS report_id, r.agency_id AS agency_id, r.agency AS agency, r.year AS year,
  r.region AS region, r.level AS level, r.status AS status, r.template AS template,
  {_cell('1')} AS received,
  {_cell('3.7')} AS handled,
  {_cell('3.1')} AS disclosed,
  {_sum_all("row LIKE '3.3.%' AND applicant = '总计'")} AS refused,
  {_sum_all("row LIKE '3.4.%' AND applicant = '总计'")} AS unable,
  (SELECT value FROM reviews WHERE report_id = r.id AND stage = '行政复议' AND outcome = '总计')
    AS admin_reviews,
  {_sum_all("stage IN ('未经复议直接起诉', '复议后起诉') AND outcome = '总计'", "reviews", "count(*) = 2")}
    AS lawsuits,
  (SELECT value FROM active_disclosure WHERE report_id = r.id AND article = '20.1'
     AND item = '规范性文件' AND metric IN ('本年新制作数量', '本年制发件数') LIMIT 1) AS normative_docs
FROM reports r
"""


def create_view(db) -> None:
    """Migration step."""
    db.execute(VIEW_SQL)
