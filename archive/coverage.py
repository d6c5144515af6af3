"""Coverage: for each agency the archive knows and each year, is its report there, on time?

The 政府信息公开条例 (2019 revision, art. 50) sets the deadlines of the annual reports on
year Y: departments of governments at county level and above publish by 31 January of Y+1,
those governments their own report by 31 March of Y+1. Towns and street offices are not
named there; they are held to 31 March, the later date, so that none is called late
without cause.

The table ``coverage`` has one row per (agency, year), rebuilt from ``reports``,
``sources`` and ``crawl_sources`` by `refresh`:

- ``on_time`` / ``late`` (with ``days_late``) / ``undated``: the report is in the archive,
  published by the deadline, after it, or with no publication date seen;
- ``missing``: not in the archive although a source of the agency that lists that year's
  reports was crawled completely after the deadline;
- ``pending``: not in the archive, and every such crawl was before the deadline;
- ``not_crawled``: no source of the agency listing that year was crawled completely (never,
  failed, or partly failed): we do not know, so it is never called missing.

An agency's sources: the registry entry naming it as its one `agency`, the sources its
reports came from, and their sibling columns (same `agencies` group and region, e.g. one
column per year). A source covers year Y in a run when the report years its lists name
span Y. Agencies are keyed by `agency_key`, the one place that decides which names are
the same agency.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlite_utils import Database

STATUS_ZH = {
    "on_time": "按时公开", "late": "逾期公开", "undated": "已公开（日期不明）", "missing": "缺失",
    "pending": "未到期", "not_crawled": "未抓取",
}
DEADLINE_KIND_ZH = {"department": "部门（1月31日）", "government": "政府（3月31日）",
                    "township": "乡镇、街道（按3月31日）"}

NOTE_INCOMPLETE = "抓取不完整，部分报告未能下载 / the crawls after the deadline were incomplete"
NOTE_NOT_LISTED = "没有抓取过列出该年度报告的栏目 / no crawled column lists reports of this year"
NOTE_NO_SOURCE = "没有已知的栏目 / no known source"

_WS = re.compile(r"[\s\u3000\xa0]+")
_TOWNSHIP = re.compile(r"(街道办事处|街道|镇人民政府|乡人民政府|镇|乡)$")
_GOVERNMENT = re.compile(r"(人民政府|管委会|管理委员会)$")


def agency_key(db: Database) -> Callable[[str | None, dict[str, Any] | None], str | None]:
    """The function that names the agency of a report or registry entry, for coverage.

    A source that the registry gives one `agency` speaks for that agency whatever name its
    pages print; otherwise the printed name, without spaces. This is the one place to plug
    in canonical names (issue 10's ``agencies`` table with aliases): look the name up there.
    """

    from . import agencies  # one name per agency: its canonical name when the archive knows it

    def key(name: str | None, source: dict[str, Any] | None) -> str | None:
        chosen = (source or {}).get("agency") or name
        if not chosen:
            return None
        return agencies.canonical(db, chosen) or _WS.sub("", chosen)

    return key


def deadline_kind(agency: str) -> str:
    """department (31 Jan), government (31 Mar) or township (31 Mar, not in the 条例)."""
    name = _WS.sub("", agency)
    first = re.split(r"[（(]", name)[0] or name
    if _TOWNSHIP.search(first):
        return "township"
    if _GOVERNMENT.search(first):
        return "government"
    return "department"


def deadline(year: int, kind: str) -> date:
    return date(year + 1, 1, 31) if kind == "department" else date(year + 1, 3, 31)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def refresh(db: Database) -> int:
    """Rebuild the coverage table in one transaction; returns its number of rows."""
    key = agency_key(db)
    sources = {r["id"]: r for r in db.query("SELECT * FROM sources")}
    groups: dict[tuple[Any, Any], set[str]] = defaultdict(set)
    for sid, s in sources.items():
        if s.get("agencies"):
            groups[(s["agencies"], s.get("region"))].add(sid)

    agency_sources: dict[str, set[str]] = defaultdict(set)
    for sid, s in sources.items():
        if s.get("agency"):
            agency_sources[key(s["agency"], s)].add(sid)  # type: ignore[index]
    reports: dict[tuple[str, int], dict[str, Any]] = {}
    for r in db.query("SELECT id, agency, year, published, source_id FROM reports WHERE year IS NOT NULL"):
        name = key(r["agency"], sources.get(r["source_id"] or ""))
        if not name:
            continue
        if r["source_id"]:
            agency_sources[name].add(r["source_id"])
        else:
            agency_sources.setdefault(name, set())
        have = reports.get((name, r["year"]))
        # one report per agency and year; two readings of it: the earlier publication counts
        if have is None or (r["published"] or "9") < (have["published"] or "9"):
            reports[(name, r["year"])] = r
    for sids in agency_sources.values():
        for sid in list(sids):
            src = sources.get(sid)
            if src and src.get("agencies"):
                sids |= groups[(src["agencies"], src.get("region"))]

    # Per source: the runs that read its lists, with the years they name and whether complete.
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in db.query(
        "SELECT source_id, started, status, first_year, last_year, reports_failed, reports_unaccounted "
        "FROM crawl_sources WHERE status <> 'failed' AND first_year IS NOT NULL"
    ):
        runs[r["source_id"]].append(r)

    years = {y for (_, y) in reports}
    for rs in runs.values():
        for r in rs:
            years.update(range(r["first_year"], r["last_year"] + 1))

    rows = []
    for agency, sids in sorted(agency_sources.items()):
        kind = deadline_kind(agency)
        for year in sorted(years):
            due = deadline(year, kind)
            row: dict[str, Any] = {
                "agency": agency, "year": year, "deadline": due.isoformat(), "deadline_kind": kind,
                "published": None, "days_late": None, "report_id": None, "last_crawl": None, "note": None,
            }
            covering = [r for sid in sids for r in runs.get(sid, [])
                        if r["first_year"] <= year <= r["last_year"]]
            row["source_ids"] = ",".join(sorted({r["source_id"] for r in covering} or sids)) or None
            report = reports.get((agency, year))
            if report is not None:
                published = _day(report["published"])
                row.update(report_id=report["id"], published=report["published"])
                if report["source_id"]:
                    row["source_ids"] = report["source_id"]
                if published is None:
                    row["status"] = "undated"
                elif published > due:
                    row.update(status="late", days_late=(published - due).days)
                else:
                    row["status"] = "on_time"
            else:
                after = [r for r in covering if (_day(r["started"]) or date.min) > due]
                complete = [r for r in after if not r["reports_failed"] and not r["reports_unaccounted"]]
                if complete:
                    row.update(status="missing", last_crawl=max(r["started"] for r in complete))
                elif after:
                    row.update(status="not_crawled", last_crawl=max(r["started"] for r in after),
                               note=NOTE_INCOMPLETE)
                elif covering:
                    row.update(status="pending", last_crawl=max(r["started"] for r in covering))
                else:
                    row["status"] = "not_crawled"
                    row["note"] = NOTE_NOT_LISTED if sids else NOTE_NO_SOURCE
            row["status_zh"] = STATUS_ZH[row["status"]]
            rows.append(row)
    with db.atomic():
        db.execute("DELETE FROM coverage")
        if rows:
            db.table("coverage").insert_all(rows, pk=("agency", "year"))
    return len(rows)


def summary(db: Database) -> dict[str, int]:
    """Coverage rows by status, for the build summary."""
    return {s: n for s, n in db.execute("SELECT status, count(*) FROM coverage GROUP BY status")}
