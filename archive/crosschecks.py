"""Each year against the last: checks between two reports of one agency.

Applications still open at the end of year N−1 are printed twice: as row 四 (结转下年度继续
办理) of the N−1 report and as row 二 (上年结转政府信息公开申请数量) of the year-N report.
Column by column they must be equal; when they are not, one of the two reports (or our
reading of it) is wrong. No single report shows this: only an archive of both does.

``year_checks`` holds, per agency (its canonical identity, archive/agencies.py, so renamed
or jointly named agencies line up) and pair of consecutive years the archive holds:

- ``carry_over``: ok = 1 when every column printed in both reports agrees, 0 otherwise;
  ``cells`` lists the columns that disagree with both values. A pair with no column printed
  in both gets no row (nothing to compare is not a pass).
- ``spike``: a key figure (archive/figures.py) that grew beyond ×5 or fell below ×0.2 from
  one year to the next (or rose from 0), when the larger value is at least
  :data:`SPIKE_FLOOR`. A note for a journalist, not a failure: ``ok`` is NULL.

Status: a failing ``carry_over`` does **not** change either report's ``status``. The
contract decides a status from the report's own checks (nianbao/contract.py): a break
between two reports does not say which of them is wrong, and a report's status must not
change because another report arrived. The break is shown on both reports' pages, on the
agency's page and in the canned query ``carry_over_breaks``.

:func:`after_write` is the one call a loader makes after writing a report (load_report, and
any batch loader): it re-evaluates every pair of the report's agency, and of the agencies
of reports that the write removed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable
from typing import Any

from sqlite_utils import Database

from . import figures

CARRY_OVER = "carry_over"
SPIKE = "spike"
SPIKE_UP = 5.0
SPIKE_DOWN = 0.2
SPIKE_FLOOR = 10  # 1 → 6 is ×6 but no story: the larger of the two values must reach this
COLUMNS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
LABELS = {CARRY_OVER: "上年结转与上年报告", SPIKE: "逐年剧变"}

Conn = Database | sqlite3.Connection


def create_tables(db: Database) -> None:
    """Migration step: the table, and the checks of every agency already in the archive."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS year_checks (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "agency_id TEXT NOT NULL, agency TEXT, year INTEGER NOT NULL, report_id TEXT NOT NULL, "
        "previous_year INTEGER NOT NULL, previous_report_id TEXT NOT NULL, ok INTEGER, figure TEXT, "
        "value NUMERIC, previous_value NUMERIC, ratio REAL, cells TEXT, text TEXT)"
    )
    for cols in (["agency_id", "year"], ["report_id"], ["previous_report_id"], ["name", "ok"]):
        db.table("year_checks").create_index(cols, if_not_exists=True)
    for (agency_id,) in db.execute(
        "SELECT DISTINCT agency_id FROM reports WHERE agency_id IS NOT NULL"
    ).fetchall():
        refresh(db, agency_id)


def after_write(db: Database, report_id: str, removed: Iterable[str] = ()) -> None:
    """Re-evaluate the year checks a write may have changed (see the module's docstring)."""
    for agency_id in sorted(touched(db, report_id, removed)):
        refresh(db, agency_id)


def touched(db: Conn, report_id: str, removed: Iterable[str] = ()) -> set[str]:
    """The agencies whose year checks a write of `report_id` (superseding `removed`) may
    change. A bulk load collects them over its batch and refreshes each agency once."""
    agencies: set[str] = set()
    row = db.execute("SELECT agency_id FROM reports WHERE id = ?", [report_id]).fetchone()
    if row and row[0]:
        agencies.add(row[0])
    for rid in (report_id, *removed):
        agencies.update(a for (a,) in db.execute(
            "SELECT DISTINCT agency_id FROM year_checks WHERE report_id = ? OR previous_report_id = ?",
            [rid, rid]).fetchall())
    return agencies


def _number(value: Any) -> int | float | None:
    if value is None or isinstance(value, bool):
        return None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _fmt(value: Any) -> str:
    v = _number(value)
    return "（空）" if v is None else str(v)


def _row(db: Conn, report_id: str, row: str) -> dict[str, Any]:
    return {a: v for a, v in db.execute(
        "SELECT applicant, value FROM applications WHERE report_id = ? AND row = ?", [report_id, row]
    ).fetchall()}


def carry_over(db: Conn, previous: tuple[str, int], current: tuple[str, int]) -> dict[str, Any] | None:
    """The carry_over check between two reports ((id, year) each), or None when no column
    is printed in both."""
    forward, over = _row(db, previous[0], "4"), _row(db, current[0], "2")
    compared, bad = [], []
    for col in COLUMNS:
        a, b = _number(over.get(col)), _number(forward.get(col))
        if a is None or b is None:
            continue
        compared.append(col)
        if a != b:
            bad.append({"applicant": col, "carried_over": a, "carried_forward": b})
    if not compared:
        return None
    if bad:
        text = "；".join(f"{c['applicant']}：{current[1]} 年上年结转 {c['carried_over']} ≠ {previous[1]} 年"
                        f"结转下年度继续办理 {c['carried_forward']}" for c in bad)
    else:
        text = (f"{current[1]} 年上年结转与 {previous[1]} 年结转下年度继续办理一致"
                f"（{len(compared)} 列：{'、'.join(compared)}）")
    return {"name": CARRY_OVER, "ok": 0 if bad else 1, "cells": json.dumps(bad, ensure_ascii=False),
            "text": text}


def spikes(before: dict[str, Any], after: dict[str, Any], years: tuple[int, int]) -> list[dict[str, Any]]:
    """The key figures that jumped between two years (report_figures rows)."""
    out = []
    for col, label in figures.FIGURES:
        prev, cur = _number(before.get(col)), _number(after.get(col))
        if prev is None or cur is None or max(prev, cur) < SPIKE_FLOOR:
            continue
        ratio = cur / prev if prev else None
        if ratio is not None and SPIKE_DOWN <= ratio <= SPIKE_UP:
            continue
        how = f"×{ratio:.2f}" if ratio is not None else "从 0 起"
        out.append({"name": SPIKE, "ok": None, "figure": col, "value": cur, "previous_value": prev,
                    "ratio": round(ratio, 4) if ratio is not None else None,
                    "text": f"{label}：{years[0]} 年 {_fmt(prev)} → {years[1]} 年 {_fmt(cur)}（{how}）"})
    return out


def refresh(db: Database, agency_id: str, changed: Collection[str] | None = None) -> None:
    """Bring the year checks of one agency in line with the reports the archive holds now.

    `changed`: the reports written or removed since its checks were last brought in line
    (a bulk load's batch). Only the pairs that involve one of them, and the pairs that have
    no row (a pair that has just become one, say), are evaluated again; rows of a pair
    that no longer is one go. A pair's checks depend on its two reports alone, so the
    result is the full evaluation's (None: every pair; tests compare both), while a batch
    no longer re-evaluates every earlier year of each agency it touches.
    """
    reports = db.execute(
        "SELECT id, year, agency FROM reports WHERE agency_id = ? AND year IS NOT NULL ORDER BY year, id",
        [agency_id]).fetchall()
    by_year: dict[int, list[tuple[str, str]]] = {}
    for rid, year, agency in reports:
        by_year.setdefault(year, []).append((rid, agency))
    pairs = []  # (year, report id, its agency name, previous report id)
    for year, here in sorted(by_year.items()):
        there = by_year.get(year - 1)
        if len(here) != 1 or not there or len(there) != 1:
            continue  # two reports for one agency-year: which pair is meant is not known
        pairs.append((year, here[0][0], here[0][1], there[0][0]))
    if changed is None:
        db.execute("DELETE FROM year_checks WHERE agency_id = ?", [agency_id])
        todo = pairs
    else:
        valid = {(prev_id, rid) for _, rid, _, prev_id in pairs}
        have = set()
        for prev_id, rid in db.execute(
            "SELECT DISTINCT previous_report_id, report_id FROM year_checks WHERE agency_id = ?", [agency_id]
        ).fetchall():
            if prev_id in changed or rid in changed or (prev_id, rid) not in valid:
                db.execute("DELETE FROM year_checks WHERE agency_id = ? AND previous_report_id = ? "
                           "AND report_id = ?", [agency_id, prev_id, rid])
            else:
                have.add((prev_id, rid))
        todo = [p for p in pairs if (p[3], p[1]) not in have]
    fig_cols = ", ".join(col for col, _ in figures.FIGURES)
    rows = []
    for year, rid, agency, prev_id in todo:
        base = {"agency_id": agency_id, "agency": agency, "year": year, "report_id": rid,
                "previous_year": year - 1, "previous_report_id": prev_id}
        check = carry_over(db, (prev_id, year - 1), (rid, year))
        if check is not None:
            rows.append({**base, **check})
        fig = {r: dict(zip([c for c, _ in figures.FIGURES], v, strict=True)) for r, *v in db.execute(
            f"SELECT report_id, {fig_cols} FROM report_figures WHERE report_id IN (?, ?)", [prev_id, rid]
        ).fetchall()}
        if prev_id in fig and rid in fig:
            rows.extend({**base, **s} for s in spikes(fig[prev_id], fig[rid], (year - 1, year)))
    for r in rows:
        cols = list(r)
        db.execute(f"INSERT INTO year_checks ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                   [r[c] for c in cols])


def _rows(db: Conn, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = db.execute(sql, params)
    names = [d[0] for d in cur.description]
    out = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in out:
        r["cells"] = json.loads(r["cells"]) if r.get("cells") else []
        r["label"] = LABELS.get(r["name"], r["name"])
    return out


def of_report(db: Conn, report_id: str) -> list[dict[str, Any]]:
    """The year checks a report takes part in, as year N or as year N−1."""
    return _rows(db, "SELECT * FROM year_checks WHERE report_id = ? OR previous_report_id = ? "
                 "ORDER BY name, year, figure", [report_id, report_id])


def of_agency(db: Conn, agency_id: str) -> list[dict[str, Any]]:
    return _rows(db, "SELECT * FROM year_checks WHERE agency_id = ? ORDER BY year, name, figure", [agency_id])
