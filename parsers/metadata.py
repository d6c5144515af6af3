"""Title, agency, year covered and publication date of a report.

The document's own metadata (meta tags, Word properties) wins over hints from the
crawler (list-page title and date), and both over guessing from the text. The year is
the year the report covers, read from the title — not the year it was published.
"""

from __future__ import annotations

import re
from datetime import date

from ..dates import iso_date

_TITLE_WORDS = re.compile(r"年度报告|年报|工作报告")
_TITLE_TAIL = re.compile(r"^(?:政府)?信息公开|^工作年度|^年度报告|^年报|^工作报告")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_SEPARATORS = re.compile(r"\s*(?:[_|｜]|\s[-—–]\s)\s*")
_AGENCY_TAIL = re.compile(
    r"(?:关于)?(?:\d{4}年度?)?(?:的)?(?:政府)?(?:信息公开|政务公开)(?:工作)?(?:年度)?(?:报告|年报).*$"
)
# A line that is an organ's name alone (淮安市人民政府, 广州市协作办公室), printed above a
# title that starts with the year (2024年政府信息公开工作年度报告)
_AGENCY_LINE = re.compile(
    r"^[\u4e00-\u9fff（）()·]{2,40}(?:人民政府|政府|办公厅|办公室|委员会|管委会|局|厅|署|院|部|委|办|中心|"
    r"街道办事处|办事处|街道|镇|乡|公司|集团|研究所|馆|站|队|会)$")
_YEAR_LED = re.compile(r"^(?:19|20)\d{2}\s*年")


def tidy_title(title: str) -> str:
    """Collapse white space; drop spaces next to digits and 年 (PDF spacing)."""
    t = re.sub(r"\s+", " ", title).strip()
    t = re.sub(r"\s*(\d+)\s*", r"\1", t)
    t = re.sub(r"\s*年\s*", "年", t)
    t = re.sub(r"(?<=[\u4e00-\u9fff]) (?=信息公开|政府信息|工作年度|年度报告)", "", t)
    return _drop_site_name(t)


def _drop_site_name(title: str) -> str:
    """"…年度报告_广州市人民政府门户网站" -> the part that names the report."""
    parts = [p for p in _SEPARATORS.split(title) if p]
    named = [p for p in parts if _TITLE_WORDS.search(p)]
    return max(named, key=len) if named else (parts[0] if parts else title)


def title_from_lines(lines: list[str], limit: int = 15) -> str | None:
    """The first line naming a 年度报告/年报 near the top, joined with the line before
    when the title was wrapped ("广州市协作办公室 2022 年政府" / "信息公开工作年度报告")."""
    seen: list[str] = []
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if len(seen) >= limit:
            break
        m = _TITLE_WORDS.search(s)
        if not m and seen and len(s) <= 8 and "公开" in seen[-1]:
            # a title wrapped inside its last word ("…工作年" / "度报告"): join the two
            joined = seen[-1] + s
            if _TITLE_WORDS.search(joined):
                return tidy_title(joined)
        if m and "公开" in s + (seen[-1] if seen else ""):
            s = s[: m.end()] if len(s) > 60 else s
            if _TITLE_TAIL.match(s) and seen:
                s = seen[-1] + s
            elif _YEAR_LED.match(s) and seen and _AGENCY_LINE.match(re.sub(r"\s+", "", seen[-1])):
                s = re.sub(r"\s+", "", seen[-1]) + s  # the agency on the line above the title
            return tidy_title(s)
        seen.append(s)
    return None


def names_agency(title: str | None) -> bool:
    """Does a title name the organ the report is about (not only 政府信息公开工作年度报告)?"""
    return bool(agency_from_title(title))


def agency_from_title(title: str | None) -> str | None:
    """The title without year and 政府信息公开工作年度报告, white space removed."""
    if not title:
        return None
    t = re.sub(r"\s+", "", title)
    m = _YEAR.search(t)
    agency = t[: m.start()] if m else _AGENCY_TAIL.sub("", t)
    agency = re.sub(r"(关于|的)$", "", agency)
    return agency or None


def choose_agency(publisher: str | None, from_title: str | None) -> tuple[str | None, str | None]:
    """The agency: the publisher's name (meta tag, then crawler hint) unless the report's
    title names a different one. Portals publish other agencies' reports (a city office's
    column holds every department's report), so a title naming its agency wins then.
    Returns (agency, flag or None)."""
    if publisher and from_title and publisher not in from_title and from_title not in publisher:
        return from_title, f"agency from the title, the publisher is {publisher}"
    return (publisher or from_title or None), None


def year_from_title(title: str | None) -> int | None:
    """The year the report covers, from its title."""
    if not title:
        return None
    m = _YEAR.search(re.sub(r"\s+", "", title))
    if m:
        y = int(m.group(1))
        if 1990 <= y <= date.today().year + 1:
            return y
    return None


def published_from_lines(lines: list[str]) -> str | None:
    """A signature date near the end of the report (2021年1月20日), if printed."""
    for line in reversed([ln for ln in lines if ln.strip()][-8:]):
        s = line.strip()
        if len(s) <= 20:
            d = iso_date(s)
            if d:
                return d
    return None
