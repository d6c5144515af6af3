"""The prose against the tables: figures the narrative states, checked against the cells.

Section 一 (总体情况) and others restate the tables in words: 「共收到政府信息公开申请1586宗，
其中来自公民申请1482宗…予以公开452宗…无法提供513宗」. When the words and the table
disagree, one of them is wrong (or our reading of the table is): either way a human must look.
Each statement that can be tied to exactly one cell, or to one group total of the template
(无法提供 = the sum of rows 三（四）1-3), becomes a ``prose`` check::

    {"name": "prose", "ok": false, "cells": [...], "about": [...],
     "sentence": "…", "stated": 1, "printed": 0}

``about`` names the cells the statement is about (summed for a group), ``cells`` the same
cells when the check fails and nothing when it passes (the contract: cells that disagree).

Precision over recall: a statement is left out, never guessed, when its words name no
table row or more than one, when it compares (同比增长, 较上年减少, 比2019年), is approximate
(近200条, 800余条, 1000条以上), speaks of another year (2019年收到…), of a rate or of a share,
or when a cell it needs is blank. docs/prose_checks.md lists the phrasings understood;
tests/parsers/test_prose.py tests each. Pure functions over the report's output lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from ..contract import Check, CheckCell
from ..template import PROSE

NAME = PROSE
APPLICANTS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
ORGANISATIONS = APPLICANTS[1:]  # 法人或其他组织: the five columns after 自然人
TOTAL = "总计"
OUTCOMES = ("结果维持", "结果纠正", "其他结果", "尚未审结")
LAWSUITS = ("未经复议直接起诉", "复议后起诉")

# A count: digits or Chinese numerals, then a counting word. Not part of a longer number
# (2.4万项, 12345), not an ordinal (第一件), not a numeral run that starts with 十百千万's
# multipliers after a digit.
_CN = "零〇一二两三四五六七八九十百千万"
_MENTION = re.compile(
    rf"(?<![\d.．{_CN}第])(?P<num>\d+(?![.．]\d)|[零〇一二两三四五六七八九十][{_CN}]*)"
    r"\s*(?P<unit>宗|件|条|份|项|个)"
)
_UNITS_AFTER = re.compile(r"^\s*(?:左右|以上|以下|上下|之多)")  # 200件左右: approximate
_APPROX_BEFORE = re.compile(r"(?:近|约|逾|超过|超|不到|不足|将近|大约|多达)\s*$")
# Sentences end here; the topic of a sentence (the row its 其中 parts belong to) ends with it.
_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])")
# Clauses: a label never reaches back over these.
_CLAUSE = re.compile(r"[，,：:（()）]")
_HEADING_START = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+[.、．])")

# Words that make a figure something other than a count of the year (a change, a rate, a
# share, an outcome the template does not have): such a mention is left out.
_BLOCK = re.compile(
    r"同比|环比|增长|增加|下降|减少|上升|降低|较上|较去|比上|比去|多出|少于|率|占|平均|人均|"
    r"败诉|胜诉|撤诉|驳回|纠错|调解|商业秘密|隐私|每月|每年|每周|累计至|截至"
)
_YEAR = re.compile(r"(\d{4})\s*年")
_OTHER_YEAR_WORDS = re.compile(r"上一?年|去年|前年|明年|下一?年")


@dataclass(frozen=True)
class Target:
    """What a statement is about: applications rows x columns, review stages x outcomes, or
    one active-disclosure cell. Several rows/stages/columns mean their sum."""

    table: str
    rows: tuple[str, ...] = ()  # applications rows; a trailing "." means every row under it
    columns: tuple[str, ...] = (TOTAL,)
    item: str = ""  # active_disclosure: the item
    metrics: tuple[str, ...] = ()  # active_disclosure: the metric, by template


# --- the words of each row ----------------------------------------------------------------

_CARRIED_FORWARD = (r"结转下一?年|转下一?年|转入下一?年|结转(?:至|到)下一?年|下一?年度?继续办理|转入\d{4}年|"
                    r"结转(?:至|到)\d{4}年")
_ROWS: tuple[tuple[str, str], ...] = (
    # (pattern on the label, applications row; "3.3." = the group of rows under 三（三）)
    (_CARRIED_FORWARD, "4"),
    (r"结转", "2"),  # tested after row 4's words (see _row_of)
    (r"(?:收到|新收|接收|受理|接到|收悉|提出)\S*?申请", "1"),
    (r"办结", "3.7"),
    (r"(?<!不)予以公开", "3.1"),
    (r"部分公开", "3.2"),
    (r"不予公开", "3.3."),
    (r"无法提供", "3.4."),
    (r"不予处理", "3.5."),
    (r"其他处理", "3.6."),
)
# Rows inside the groups, by the words of their template label (precise words only).
_SUBROWS: tuple[tuple[str, str], ...] = (
    (r"国家秘密", "3.3.1"), (r"法律行政法规禁止", "3.3.2"), (r"三安全一稳定", "3.3.3"),
    (r"第三方合法权益", "3.3.4"), (r"三类内部事务|内部事务信息", "3.3.5"),
    (r"四类过程性|过程性信息", "3.3.6"), (r"行政执法案卷", "3.3.7"), (r"行政查询事项", "3.3.8"),
    (r"不掌握", "3.4.1"), (r"没有现成信息|另行制作", "3.4.2"), (r"补正后", "3.4.3"),
    (r"信访举报投诉类", "3.5.1"), (r"重复申请", "3.5.2"), (r"公开出版物", "3.5.3"),
    (r"大量反复", "3.5.4"), (r"确认或重新出具", "3.5.5"),
    (r"逾期不补正", "3.6.1"), (r"未按收费通知|逾期未缴", "3.6.2"),
)
# Applicant columns, only where the words say who applied (公民申请, 来自企业, or the
# template's own names); 涉及企业商业秘密 is a reason, not an applicant.
_ORG_GROUP = r"法人(?:或|和|及|与)其他组织"
_APPLICANT_WORDS: tuple[tuple[str, str], ...] = (
    (r"自然人|公民", "自然人"),
    (r"商业企业|(?:来自|由)企业|企业(?:提出|申请|的申请)", "商业企业"),
    (r"科研机构", "科研机构"),
    (r"(?:社会)?公益组织", "社会公益组织"),
    (r"法律服务机构|律师事务所", "法律服务机构"),
    (r"(?<!法人或)(?<!法人和)(?<!法人及)(?<!法人与)其他组织", "其他"),
)
_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"未经复议直接起诉|直接(?:提起)?(?:行政)?诉讼|直接起诉", ("未经复议直接起诉",)),
    (r"复议后(?:提起)?(?:起诉|诉讼)", ("复议后起诉",)),
    (r"行政诉讼|行政应诉|诉讼案件", LAWSUITS),
    (r"行政复议|复议案件|复议申请", ("行政复议",)),
)
_REVIEW_OUTCOMES: tuple[tuple[str, str], ...] = (
    (r"维持", "结果维持"), (r"纠正", "结果纠正"), (r"其他结果", "其他结果"),
    (r"尚未审结|未审结|审理中|正在审理", "尚未审结"),
)
_MADE = r"制发|制定|印发|出台|新制作|新制定"
_METRICS_MADE = ("本年新制作数量", "本年制发件数")


def _applicants(label: str) -> tuple[str, ...] | None:
    """The columns the label names: () for none, None when it names them ambiguously."""
    found: list[str] = []
    group = bool(re.search(_ORG_GROUP, label))
    for pattern, column in _APPLICANT_WORDS:
        if re.search(pattern, label):
            found.append(column)
    if group and "自然人" in found:
        return (TOTAL,)  # 公民、法人或其他组织: every applicant
    if group:
        return None if found else ORGANISATIONS
    if len(found) > 1:
        return None
    return tuple(found)


def _row_of(label: str) -> str | bool | None:
    """The applications row of a label (None: none named; False: ambiguous)."""
    subrows = {row for pattern, row in _SUBROWS if re.search(pattern, label)}
    rows = []
    for pattern, row in _ROWS:
        if re.search(pattern, label) and not (row == "2" and re.search(_CARRIED_FORWARD, label)):
            rows.append(row)
    if subrows:
        if len(subrows) > 1:
            return False
        sub = next(iter(subrows))
        if any(not sub.startswith(r) for r in rows):  # 予以公开 … 国家秘密: two things
            return False
        return sub
    if len(set(rows)) > 1:
        return False
    return rows[0] if rows else None


def _target(label: str, topic: Target | None, year: int | None) -> Target | bool | None:
    """What a mention with this label states (None: not a table figure; False: ambiguous)."""
    if _BLOCK.search(label):
        return False
    if re.search(r"复议|诉讼|起诉", label):
        return _review_target(label, topic)
    row = _row_of(label)
    if row is False:
        return False
    assert row is None or isinstance(row, str)
    if not _year_fits(label, row, year):
        return False
    if row is None:
        made = _active_target(label)
        if made is not None:
            return made
    columns = _applicants(label)
    if columns is None:
        return False
    if row is None:
        if not columns or topic is None or topic.table != "applications":
            return None  # an applicant without a row: only inside a sentence about one
        return Target("applications", topic.rows, columns)
    return Target("applications", (row,), columns or (TOTAL,))


def _year_fits(label: str, row: str | None, year: int | None) -> bool:
    """A label about another year (2019年共收到…) is not about this report's cells."""
    years = [int(y) for y in _YEAR.findall(label)]
    if row == "2":
        return all(year is None or y == year - 1 for y in years)
    if row == "4":
        return all(year is None or y in (year, year + 1) for y in years)
    if _OTHER_YEAR_WORDS.search(label):
        return False
    return all(year is None or y == year for y in years)


def _review_target(label: str, topic: Target | None) -> Target | bool | None:
    stages: list[tuple[str, ...]] = []
    rest = label
    for pattern, stage in _STAGES:
        if re.search(pattern, rest):
            stages.append(stage)
            rest = re.sub(pattern, "", rest)
    if len(stages) != 1:
        return False if stages else None
    if _row_of(label) is not None:
        return False  # 收到申请 and 复议 in one label: two tables
    outcomes = [o for pattern, o in _REVIEW_OUTCOMES if re.search(pattern, label)]
    if len(outcomes) > 1:
        return False
    return Target("reviews", stages[0], (outcomes[0] if outcomes else TOTAL,))


def _active_target(label: str) -> Target | None:
    if not re.search(_MADE, label) or re.search(r"废止|现行有效|清理|修订|修改|规章制度", label):
        return None
    items = [item for pattern, item in ((r"规范性文件", "规范性文件"), (r"规章", "规章"))
             if re.search(pattern, label)]
    if len(items) != 1:
        return None
    return Target("active_disclosure", item=items[0], metrics=_METRICS_MADE)


def _outcome_only(label: str, topic: Target | None) -> Target | None:
    """其中维持1件 after 行政复议2件: an outcome of the sentence's review stage."""
    if topic is None or topic.table != "reviews" or _BLOCK.search(label):
        return None
    outcomes = [o for pattern, o in _REVIEW_OUTCOMES if re.search(pattern, label)]
    if len(outcomes) != 1:
        return None
    return Target("reviews", topic.rows, (outcomes[0],))


# --- cells --------------------------------------------------------------------------------

class _Cells:
    """The report's printed values, addressed as the checks address cells."""

    def __init__(self, applications: Iterable[Mapping[str, Any]], reviews: Iterable[Mapping[str, Any]],
                 active: Iterable[Mapping[str, Any]]) -> None:
        self.app = {(str(c.get("row")), str(c.get("applicant"))): c.get("value") for c in applications}
        self.rev = {(str(c.get("stage")), str(c.get("outcome"))): c.get("value") for c in reviews}
        self.act = {(str(c.get("article")), str(c.get("item")), str(c.get("metric"))): c.get("value")
                    for c in active}
        self.rows = {r for r, _ in self.app}

    def _rows(self, row: str) -> list[str]:
        if not row.endswith("."):
            return [row] if row in self.rows else []
        under = sorted((r for r in self.rows if r.startswith(row)),
                       key=lambda r: [int(x) for x in r.split(".")])
        if row == "3.6." and "3.6" in self.rows and not under:
            return ["3.6"]  # the 2019 format's single （六）其他处理 row
        return under

    def resolve(self, t: Target) -> tuple[list[dict[str, str]], Decimal] | None:
        """The cells of a target and their printed sum; None when one is missing or blank."""
        keys: list[dict[str, str]] = []
        values: list[Any] = []
        if t.table == "applications":
            for row in t.rows:
                rows = self._rows(row)
                if not rows:
                    return None
                for r in rows:
                    for col in t.columns:
                        keys.append({"table": "applications", "row": r, "applicant": col})
                        values.append(self.app.get((r, col)))
        elif t.table == "reviews":
            for stage in t.rows:
                for outcome in t.columns:
                    keys.append({"table": "reviews", "stage": stage, "outcome": outcome})
                    values.append(self.rev.get((stage, outcome)))
        else:
            found = [(m, self.act[("20.1", t.item, m)]) for m in t.metrics if ("20.1", t.item, m) in self.act]
            if len(found) != 1:
                return None
            keys.append({"table": "active_disclosure", "article": "20.1", "item": t.item,
                         "metric": found[0][0]})
            values.append(found[0][1])
        if not keys or any(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
            return None
        total = sum((Decimal(str(v)) for v in values), Decimal(0))
        if total != total.to_integral_value():
            return None  # a count is whole; a fractional cell is not what the words count
        return keys, total


# --- sentences ----------------------------------------------------------------------------

def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    import cn2an  # Chinese numerals are rare in the prose: loaded (≈0.15 s) only when one is met

    try:
        value = cn2an.cn2an(text, "normal")
    except (ValueError, KeyError, IndexError):
        return None
    return int(value) if float(value).is_integer() else None


def sentences(text: str) -> list[str]:
    """The sentences of a section's prose. A line that does not end a sentence continues on
    the next (PDF text wraps mid-sentence) unless the next opens a numbered paragraph."""
    joined, heading = "", False
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if joined and not heading and not re.search(r"[。；;！!？?：:]$", joined) \
                and not _HEADING_START.match(line):
            joined += line
        else:
            joined += ("\n" if joined else "") + line
        # a short numbered heading line without a sentence end stands alone
        heading = bool(_HEADING_START.match(line)) and len(line) <= 40 and not re.search(r"[。；;]", line)
    out: list[str] = []
    for para in joined.split("\n"):
        out.extend(s.strip() for s in _SENTENCE_END.split(para) if s.strip())
    return out


@dataclass(frozen=True)
class Statement:
    """A figure the prose states and the cells it is about."""

    sentence: str
    stated: int
    target: Target


def statements(text: str, year: int | None) -> list[Statement]:
    """Every statement in `text` that names one table figure, in order."""
    out: list[Statement] = []
    topic: Target | None = None
    topic_at: int | None = None  # where the topic's own statement is in `out`
    for sentence in sentences(text):
        if not re.match(r"^[（(]?其中", sentence):
            topic = topic_at = None  # a sentence's 其中 parts belong to its own total, or the one before
        last_end = 0
        for m in _MENTION.finditer(sentence):
            start = max(last_end, *(c.end() for c in _CLAUSE.finditer(sentence, 0, m.start())), 0)
            label = re.sub(r"\s+", "", sentence[start:m.start()])
            after = sentence[m.end():]
            last_end = m.end()
            approximate = _APPROX_BEFORE.search(label) or _UNITS_AFTER.match(after)
            includes_more = re.match(r"^\s*[（(，,]?\s*(?:其中)?\s*(?:含|包括|包含)", after) \
                or re.match(r"^\s*[（(][^）)]*结转", after)
            stated = _number(m.group("num"))
            target = _target(label, topic, year)
            if target is None:
                target = _outcome_only(label, topic)
            if not isinstance(target, Target) or stated is None:
                continue
            if (target.rows == ("2",) and topic is not None and topic.rows == ("1",)
                    and re.match(r"^[（(]?(?:其中|含|包括|包含)", label)):
                if topic_at is not None:
                    del out[topic_at]  # 收到申请8件，其中上年结转1件: the 8 counts rows 1 and 2
                topic = topic_at = None  # and the parts that follow are parts of rows 1 + 2
            elif target.columns == (TOTAL,) and target.table != "active_disclosure":
                topic, topic_at = target, None  # the total whose 其中 parts may follow
            if approximate or includes_more:
                continue
            if target is topic:
                topic_at = len(out)
            out.append(Statement(sentence, stated, target))
    return out


def checks(sections: Sequence[Mapping[str, Any]], applications: Iterable[Mapping[str, Any]],
           reviews: Iterable[Mapping[str, Any]], active: Iterable[Mapping[str, Any]],
           year: int | None) -> list[Check]:
    """One ``prose`` check per statement of the sections' text that a printed cell holds."""
    cells = _Cells(applications, reviews, active)
    out: list[Check] = []
    for section in sections:
        for st in statements(str(section.get("text") or ""), year):
            resolved = cells.resolve(st.target)
            if resolved is None:
                continue
            about, printed = resolved
            ok = Decimal(st.stated) == printed
            named = cast(list[CheckCell], about)
            out.append({"name": NAME, "ok": ok, "cells": [] if ok else named, "about": named,
                        "sentence": st.sentence, "stated": st.stated, "printed": int(printed)})
    return out
