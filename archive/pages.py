"""What the report, agency and comparison pages show, read from the archive (no writes).

Each function takes a sqlite3 connection (Datasette hands one to ``execute_fn``) and returns
plain data: the Datasette plugin (datasette/plugins/nianbao_pages.py) renders it with the
templates, and the same data feeds the CSV and xlsx downloads, so a page and its download
cannot disagree. Numbers are as printed; nothing here repairs or infers a value.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from . import copies, crosschecks, figures, layout, versions

Row = dict[str, Any]


def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Row]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _one(conn: sqlite3.Connection, sql: str, params: list[Any]) -> Row | None:
    rows = _rows(conn, sql, params)
    return rows[0] if rows else None


def web_url(url: str | None) -> str | None:
    """`url` when it is an http(s) address that may be a link, else None (shown as text)."""
    if not url or any(c in url for c in "\r\n\t\"'<> "):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def show_number(value: Any) -> str:
    """A value as printed: integers without a decimal point, blank for no value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


# --- the report page ----------------------------------------------------------------------

def _cell(cell: Row | None, key: layout.CellKey, marks: dict[layout.CellKey, set[str]]) -> Row:
    value = cell.get("value") if cell else None
    raw = cell.get("raw") if cell else None
    classes = set(marks.get(key, set()))
    if cell is not None and value is None:
        classes.add("blank")
    title = []
    if raw not in (None, "") and show_number(value) != str(raw).strip():
        title.append(f"原文：{raw}")
    if cell and cell.get("inferred") is not None:
        title.append(f"按报告自身算术推得：{show_number(cell['inferred'])}（非原文，未填入）")
    return {"text": show_number(value), "key": list(key), "classes": " ".join(sorted(classes)),
            "title": "；".join(title), "present": cell is not None}


def _active_tables(cells: list[Row], marks: dict[layout.CellKey, set[str]]) -> list[Row]:
    """Section 二, one small table per 第二十条 item, rows = 信息内容, columns = metrics."""
    articles: OrderedDict[str, Row] = OrderedDict()
    for c in cells:
        art = articles.setdefault(c["article"], {"items": [], "metrics": [], "cells": {}})
        if c["item"] not in art["items"]:
            art["items"].append(c["item"])
        if c["metric"] not in art["metrics"]:
            art["metrics"].append(c["metric"])
        art["cells"][(c["item"], c["metric"])] = c
    out = []
    for article, art in sorted(articles.items(), key=lambda kv: kv[0].split(".")[-1].zfill(2)):
        units = {c.get("unit") for c in art["cells"].values() if c.get("unit")}
        header = [m + (f"（{next(iter(units))}）" if units and _money(m) else "") for m in art["metrics"]]
        rows = []
        for item in art["items"]:
            rows.append({"label": item, "cells": [
                _cell(art["cells"].get((item, m)),
                      ("active_disclosure", article, f"{item}/{m}"), marks) for m in art["metrics"]]})
        out.append({"article": article, "title": layout.ARTICLES.get(article, article),
                    "header": header, "rows": rows})
    return out


def _money(metric: str) -> bool:
    return "金额" in metric


def _application_grid(cells: list[Row], marks: dict[layout.CellKey, set[str]]) -> list[Row]:
    """Section 三 as printed: three label columns with merged cells, then the seven columns."""
    by_key = {(c["row"], c["applicant"]): c for c in cells}
    rows = sorted({c["row"] for c in cells}, key=layout.row_sort_key)
    labels = [layout.APPLICATION_ROWS.get(r, (r, "", "")) for r in rows]
    columns = [*layout.APPLICANTS, layout.TOTAL]
    out = []
    for i, (row, (first, second, third)) in enumerate(zip(rows, labels, strict=True)):
        label_cells = []
        if i == 0 or labels[i - 1][0] != first:
            span = 1
            while i + span < len(rows) and labels[i + span][0] == first:
                span += 1
            label_cells.append({"text": first, "rowspan": span, "colspan": 3 if not second else 1})
        if second:
            if i == 0 or labels[i - 1][1] != second or labels[i - 1][0] != first:
                span = 1
                while i + span < len(rows) and labels[i + span][1] == second:
                    span += 1
                label_cells.append({"text": second, "rowspan": span, "colspan": 2 if not third else 1})
            if third:
                label_cells.append({"text": third, "rowspan": 1, "colspan": 1})
        out.append({"row": row, "labels": label_cells, "cells": [
            _cell(by_key.get((row, col)), ("applications", row, col), marks) for col in columns]})
    return out


def _review_row(cells: list[Row], marks: dict[layout.CellKey, set[str]]) -> list[Row]:
    by_key = {(c["stage"], c["outcome"]): c for c in cells}
    return [_cell(by_key.get((s, o)), ("reviews", s, o), marks)
            for s in layout.STAGES for o in (*layout.OUTCOMES, layout.TOTAL)]


def report(conn: sqlite3.Connection, report_id: str) -> Row | None:
    """Everything the report page shows, or None when there is no such report."""
    rep = _one(conn, "SELECT * FROM reports WHERE id = ?", [report_id])
    if rep is None:
        return None
    rep.pop("text", None)
    cells = {
        t: _rows(conn, f"SELECT * FROM [{t}] WHERE report_id = ? ORDER BY id", [report_id])
        for t in versions.CELL_TABLES
    }
    checks = _rows(conn, "SELECT name, ok, cells, sentence, stated, printed, about FROM checks "
                   "WHERE report_id = ? ORDER BY id", [report_id])
    for c in checks:
        c["cells"] = json.loads(c["cells"] or "[]")
        c["about"] = json.loads(c["about"] or "[]")
    explained = layout.explain(checks, layout.values_of(cells))
    marks: dict[layout.CellKey, set[str]] = {}
    notes: dict[str, list[dict[str, str]]] = {"active_disclosure": [], "applications": [], "reviews": []}
    for item in explained:
        for eq in item["equations"]:
            for c in eq["cells"]:
                marks.setdefault(tuple(c), set()).add("failing")
            if eq["named"]:
                marks.setdefault(tuple(eq["named"]), set()).add("named")
            table = eq["cells"][0][0] if eq["cells"] else "applications"
            notes[table].append({"kind": "equation", "text": f"{item['label']}：{eq['text']}"})
        for c in item["blank"]:
            marks.setdefault(tuple(c), set()).add("blank")
        if item["blank"]:
            per_table: dict[str, list[str]] = {}
            for c in item["blank"]:
                per_table.setdefault(c[0], []).append(layout.cell_name(tuple(c)))
            for table, names in per_table.items():
                notes.setdefault(table, []).append({"kind": "blank", "text":
                    f"{item['label']}：{len(names)} 个单元格空白或读不出（" + "、".join(names) + "）"})
        if not item["equations"] and not item["blank"]:
            notes["applications"].extend({"kind": "equation", "text": t} for t in item["text"])
    documents = _rows(
        conn,
        "SELECT d.url, d.sha256, d.content_type, d.fetched_at, d.kind, d.length, "
        "EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = d.sha256) AS has_bytes "
        "FROM documents d WHERE d.report_id = ? ORDER BY d.fetched_at, d.id", [report_id],
    )
    mirrors = copies.of_report(conn, report_id)
    mirror_urls = {m["url"] for m in mirrors}
    for d in documents:
        d["href"] = web_url(d["url"])
        d["mirror"] = d["url"] in mirror_urls
    for m in mirrors:
        m["href"] = web_url(m["url"])
    agency = None
    if rep.get("agency_id"):
        agency = _one(conn, "SELECT * FROM agencies WHERE id = ?", [rep["agency_id"]])
    history = versions.history(conn, report_id)
    return {
        "report": rep,
        "url_href": web_url(rep.get("url")),
        "status_label": layout.STATUS_LABELS.get(rep.get("status") or "", rep.get("status")),
        "flags": json.loads(rep.get("flags") or "[]"),
        "agency": agency,
        "sections": _rows(conn, "SELECT number, heading, text FROM sections WHERE report_id = ? "
                          "ORDER BY number, id", [report_id]),
        "active": _active_tables(cells["active_disclosure"], marks),
        "applications": _application_grid(cells["applications"], marks),
        "reviews": _review_row(cells["reviews"], marks) if cells["reviews"] else [],
        "notes": notes,
        "checks": explained,
        "documents": documents,
        "versions": history,
        "cells": cells,
        "prose": prose_checks(checks),
        "year_checks": crosschecks.of_report(conn, report_id),
        "copies": mirrors,
    }


def prose_checks(checks: list[Row]) -> list[Row]:
    """The report's prose checks, each with its statement told in words (ok or not)."""
    out = []
    for c in checks:
        if c["name"] != "prose":
            continue
        keys = [k for k in (layout.cell_key(x) for x in c.get("about") or []) if k is not None]
        out.append({**c, "text": layout.prose_text(c, keys),
                    "what": layout.cells_phrase(keys) if keys else ""})
    return out


REPORT_CELL_COLUMNS = ("部分", "项目", "行号/条项", "列", "数值", "单位", "原文")


def report_cells(page: Row) -> list[list[Any]]:
    """The report's cells as rows for CSV / xlsx, labelled in Chinese (REPORT_CELL_COLUMNS)."""
    out: list[list[Any]] = []
    for c in page["cells"]["active_disclosure"]:
        out.append(["二、主动公开政府信息情况", c["item"], layout.ARTICLES.get(c["article"], c["article"]),
                    c["metric"], c["value"], c.get("unit"), c.get("raw")])
    for c in sorted(page["cells"]["applications"], key=lambda c: layout.row_sort_key(c["row"])):
        out.append(["三、收到和处理政府信息公开申请情况", layout.row_label(c["row"]), c["row"],
                    c["applicant"], c["value"], None, c.get("raw")])
    for c in page["cells"]["reviews"]:
        out.append(["四、政府信息公开行政复议、行政诉讼情况", c["stage"], None, c["outcome"],
                    c["value"], None, c.get("raw")])
    return out


# --- agencies -----------------------------------------------------------------------------

def find_agencies(conn: sqlite3.Connection, q: str, limit: int = 500) -> list[Row]:
    """Agencies whose canonical name or any alias contains `q` (every agency for a blank q)."""
    term = "".join((q or "").split())
    return _rows(
        conn,
        "SELECT a.id, a.name, a.region, a.level, "
        "(SELECT group_concat(n.name, '、') FROM agency_names n "
        "WHERE n.agency_id = a.id AND n.name <> a.name) AS aliases, "
        "(SELECT group_concat(year, '、') FROM (SELECT DISTINCT year FROM reports r WHERE r.agency_id = a.id "
        "ORDER BY year)) AS years, "
        "(SELECT count(*) FROM reports r WHERE r.agency_id = a.id) AS reports "
        "FROM agencies a WHERE ? = '' OR instr(a.name, ?) > 0 OR EXISTS (SELECT 1 FROM agency_names n "
        "WHERE n.agency_id = a.id AND (instr(n.name, ?) > 0 OR instr(n.key, ?) > 0)) "
        "ORDER BY a.name LIMIT ?",
        [term, term, term, term, limit],
    )


def _change(cur: Any, prev: Any) -> tuple[Any, Any]:
    if cur is None or prev is None:
        return None, None
    diff = cur - prev
    pct = round(100.0 * diff / prev, 1) if prev else None
    return diff, pct


def agency(conn: sqlite3.Connection, agency_id: str) -> Row | None:
    """One agency's years: the key figures per report and their change from the report before."""
    ag = _one(conn, "SELECT * FROM agencies WHERE id = ?", [agency_id])
    if ag is None:
        return None
    names = _rows(conn, "SELECT name, sources FROM agency_names WHERE agency_id = ? ORDER BY name",
                  [agency_id])
    years = _rows(conn, "SELECT f.*, r.title FROM report_figures f JOIN reports r ON r.id = f.report_id "
                  "WHERE f.agency_id = ? ORDER BY f.year, f.report_id", [agency_id])
    previous: Row | None = None
    for y in years:
        y["changes"] = {}
        for col, _label in figures.FIGURES:
            y["changes"][col] = _change(y[col], previous[col]) if previous else (None, None)
        y["previous_year"] = previous["year"] if previous else None
        previous = y
    checks = crosschecks.of_agency(conn, agency_id)
    return {"agency": ag, "names": names, "years": years,
            "carry_over": [c for c in checks if c["name"] == crosschecks.CARRY_OVER],
            "spikes": [c for c in checks if c["name"] == crosschecks.SPIKE]}


def agency_table(page: Row) -> tuple[list[str], list[list[Any]]]:
    """The agency page's table for CSV / xlsx: year, report, status, each figure and its change."""
    columns = ["年度", "报告编号", "状态"]
    for _col, label in figures.FIGURES:
        columns += [label, f"{label}增减", f"{label}增减%"]
    rows = []
    for y in page["years"]:
        row = [y["year"], y["report_id"], y["status"]]
        for col, _label in figures.FIGURES:
            diff, pct = y["changes"][col]
            row += [y[col], diff, pct]
        rows.append(row)
    return columns, rows


# --- comparison ---------------------------------------------------------------------------

def compare_options(conn: sqlite3.Connection) -> Row:
    return {
        "years": [r["year"] for r in _rows(conn, "SELECT DISTINCT year FROM reports WHERE year IS NOT NULL "
                                           "ORDER BY year DESC")],
        "regions": [r["region"] for r in _rows(conn, "SELECT DISTINCT region FROM reports WHERE region "
                                               "IS NOT NULL ORDER BY region")],
        "levels": [r["level"] for r in _rows(conn, "SELECT DISTINCT level FROM reports WHERE level "
                                             "IS NOT NULL ORDER BY level")],
    }


def quartiles(values: list[float]) -> Row | None:
    """Minimum, lower quartile, median, upper quartile and maximum (inclusive method)."""
    if not values:
        return None
    v = sorted(values)
    q1, q2, q3 = statistics.quantiles(v, n=4, method="inclusive") if len(v) > 1 else (v[0],) * 3
    return {"n": len(v), "min": v[0], "q1": q1, "median": q2, "q3": q3, "max": v[-1]}


def compare(conn: sqlite3.Connection, *, year: int | None, region: str = "", level: str = "",
            figure: str = "received") -> Row:
    """Agencies of one year (and region / level) ranked by `figure`, with the peers' quartiles."""
    options = compare_options(conn)
    if figure not in figures.LABELS:
        figure = "received"
    if year is None and options["years"]:
        year = options["years"][0]
    rows = _rows(
        conn,
        f"SELECT f.report_id, f.agency_id, f.agency, f.region, f.level, f.status, f.{figure} AS value "
        "FROM report_figures f WHERE f.year = ? AND (? = '' OR f.region = ?) AND (? = '' OR f.level = ?) "
        f"ORDER BY f.{figure} IS NULL, f.{figure} DESC, f.agency",
        [year, region, region, level, level],
    )
    rank = 0
    for i, r in enumerate(rows):
        if r["value"] is not None:
            rank = i + 1 if i == 0 or rows[i - 1]["value"] != r["value"] else rank
            r["rank"] = rank
        else:
            r["rank"] = None
    stats = quartiles([r["value"] for r in rows if r["value"] is not None])
    return {"year": year, "region": region, "level": level, "figure": figure,
            "figure_label": figures.LABELS[figure], "figure_note": figures.NOTES[figure],
            "rows": rows, "stats": stats, "options": options}


COMPARE_COLUMNS = ("名次", "机关", "地区", "层级", "数值", "状态", "报告编号")


def compare_table(page: Row) -> list[list[Any]]:
    return [[r["rank"], r["agency"], r["region"], r["level"], r["value"], r["status"], r["report_id"]]
            for r in page["rows"]]
