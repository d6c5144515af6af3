"""The journalist's pages: a report with its tables, an agency over the years, a comparison.

Routes (all read-only, under the archive's own origin):

- ``/-/nianbao/report/<id>``: title, agency, year, original URL, captures, the narrative by
  section, the three tables laid out as printed, failing checks highlighted and explained,
  earlier versions with the cells that changed;
- ``/-/nianbao/agencies?q=协作办``: agencies by partial name (canonical names and aliases);
- ``/-/nianbao/agency/<agency_id>``: the key figures of every year, table and charts;
- ``/-/nianbao/compare?year=&region=&level=&figure=``: agencies ranked, peers' quartiles.

Each page is also a download: the same path with ``.csvbom`` (CSV for Excel, UTF-8 with BOM),
``.csv`` or ``.xlsx``. The data comes from nianbao.archive.pages; the templates escape every
value (Jinja autoescape), and a link is only made from an http(s) URL (``web_url``), so
scraped markup or a ``javascript:`` address stays text.
"""

from __future__ import annotations

import re
import sys
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import Forbidden, NotFound, Response
from markupsafe import Markup, escape

try:
    from nianbao.archive import charts, export, figures, layout, pages, search
except ImportError:  # served from a checkout that is not installed: use the repository's copy
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from nianbao.archive import charts, export, figures, layout, pages, search

BASE = "/-/nianbao"
FORMATS = ("csvbom", "csv", "xlsx")
_FMT = r"(?:\.(?P<fmt>csvbom|csv|xlsx))?$"
REPORT_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


# The databases found to be archives: a file that is an archive stays one (builds only add to
# its schema), and the question is asked for every linked cell of a table page.
_archives: weakref.WeakSet[Any] = weakref.WeakSet()


async def is_archive(datasette, name: str) -> bool:
    """True for a nianbao archive (installed as an entry point, a plugin sees every database);
    remembered, and shared with the canned queries (nianbao_queries)."""
    db = datasette.databases.get(name)
    if name == "_internal" or db is None:
        return False
    if db in _archives:
        return True
    if await db.table_exists("report_versions") and await db.execute_fn(search.is_bigram_archive):
        _archives.add(db)
        return True
    return False


async def _database(datasette, request):
    """The archive database the actor may view."""
    for name, db in datasette.databases.items():
        if not await is_archive(datasette, name):
            continue
        if not await datasette.permission_allowed(request.actor, "view-database", name, default=True):
            raise Forbidden("你没有查看该数据库的权限")
        return name, db
    raise NotFound("没有可用的年报档案数据库")


async def _read(datasette, db, fn, *args, **kwargs):
    ms = int(datasette.setting("sql_time_limit_ms") or 1000) * 3

    def run(conn):
        with sqlite_timelimit(conn, ms):
            return fn(conn, *args, **kwargs)

    return await db.execute_fn(run)


def _download(fmt: str, name: str, columns, rows) -> Response:
    """A page's table as .csvbom / .csv / .xlsx, formulas neutralised, as a download."""
    rows = list(rows)
    if fmt == "xlsx":
        body: bytes = export.xlsx_bytes([(name, columns, rows)])
        ctype, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    else:
        body = export.csv_text(columns, rows, bom=fmt == "csvbom").encode("utf-8")
        ctype, ext = "text/csv; charset=utf-8", "csv"
    ascii_name = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "nianbao"
    return Response(body=body, status=200, content_type=ctype, headers={
        "Content-Disposition": f'attachment; filename="{ascii_name}.{ext}"',
        "X-Content-Type-Options": "nosniff",
    })


def downloads(path: str, query: str = "") -> list[dict[str, str]]:
    """The download links a page shows, named as the page names them."""
    q = ("?" + query) if query else ""
    return [
        {"label": "Excel 用 CSV（UTF-8 带 BOM）", "href": f"{path}.csvbom{q}", "fmt": "csvbom"},
        {"label": "Excel 表格 (.xlsx)", "href": f"{path}.xlsx{q}", "fmt": "xlsx"},
        {"label": "CSV（UTF-8）", "href": f"{path}.csv{q}", "fmt": "csv"},
    ]


async def _html(datasette, request, template: str, context: dict[str, Any]) -> Response:
    context.setdefault("nianbao_base", datasette.urls.path(BASE))
    return Response.html(await datasette.render_template(template, context, request=request))


async def _found(datasette, request, fn, key: str, what: str):
    """(database name, the page's data, the download format or None); 404 when there is none."""
    name, db = await _database(datasette, request)
    data = await _read(datasette, db, fn, request.url_vars[key])
    if data is None:
        raise NotFound(f"没有编号为 {request.url_vars[key]} 的{what}")
    return name, data, request.url_vars.get("fmt")


async def report_page(request, datasette):
    report_id = request.url_vars["report_id"]
    name, data, fmt = await _found(datasette, request, pages.report, "report_id", "报告")
    if fmt:
        return _download(fmt, f"report-{report_id}", pages.REPORT_CELL_COLUMNS, pages.report_cells(data))
    path = datasette.urls.path(f"{BASE}/report/{report_id}")
    return await _html(datasette, request, "nianbao_report.html", {
        **data, "database": name, "downloads": downloads(path),
        "row_url": datasette.urls.row(name, "reports", report_id),
        "stages": layout.STAGES, "outcomes": (*layout.OUTCOMES, layout.TOTAL),
        "applicants": layout.APPLICANTS, "check_names": layout.CHECK_NAMES,
    })


async def agencies_page(request, datasette):
    name, db = await _database(datasette, request)
    q = (request.args.get("q") or "").strip()
    found = await _read(datasette, db, pages.find_agencies, q)
    return await _html(datasette, request, "nianbao_agencies.html",
                       {"q": q, "agencies": found, "database": name})


async def agency_page(request, datasette):
    agency_id = request.url_vars["agency_id"]
    name, data, fmt = await _found(datasette, request, pages.agency, "agency_id", "机关")
    if fmt:
        columns, rows = pages.agency_table(data)
        return _download(fmt, f"agency-{agency_id}", columns, rows)
    years = [y["year"] for y in data["years"]]
    flow = [(label, [y[col] for y in data["years"]]) for col, label in figures.FIGURES[:5]]
    other = [(label, [y[col] for y in data["years"]]) for col, label in figures.FIGURES[5:]]
    path = datasette.urls.path(f"{BASE}/agency/{agency_id}")
    return await _html(datasette, request, "nianbao_agency.html", {
        **data, "database": name, "downloads": downloads(path), "figures": figures.FIGURES,
        "notes": figures.NOTES,
        "chart_requests": Markup(charts.line_chart("依申请公开：逐年变化", years, flow)),
        "chart_reviews": Markup(charts.line_chart("复议、诉讼与规范性文件：逐年变化", years, other,
                                                  height=320)),
    })


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


async def compare_page(request, datasette):
    fmt = request.url_vars.get("fmt")
    name, db = await _database(datasette, request)
    args = {k: (request.args.get(k) or "").strip() for k in ("year", "region", "level", "figure")}
    data = await _read(datasette, db, pages.compare, year=_int(args["year"]), region=args["region"],
                       level=args["level"], figure=args["figure"] or "received")
    if fmt:
        return _download(fmt, f"compare-{data['year']}-{data['figure']}", pages.COMPARE_COLUMNS,
                         pages.compare_table(data))
    shown = [r for r in data["rows"] if r["value"] is not None][:40]
    chart = ""
    if shown:
        stats = data["stats"]
        where = " ".join(x for x in (data["region"], data["level"]) if x) or "全部机关"
        median = f"，中位数 {stats['median']:g}" if stats else ""
        chart = charts.ranking_chart(
            f"{data['year']} 年 {where}：{data['figure_label']}（前 {len(shown)} 名{median}）",
            [r["agency"] for r in reversed(shown)], [r["value"] for r in reversed(shown)])
    query = urlencode({"year": data["year"] or "", "region": data["region"], "level": data["level"],
                       "figure": data["figure"]})
    path = datasette.urls.path(f"{BASE}/compare")
    return await _html(datasette, request, "nianbao_compare.html", {
        **data, "database": name, "downloads": downloads(path, query), "figures": figures.FIGURES,
        "chart": Markup(chart), "shown": len(shown),
    })


@hookimpl
def register_routes():
    return [
        (BASE + r"/report/(?P<report_id>[0-9A-Za-z_-]{1,64}?)" + _FMT, report_page),
        (BASE + r"/agencies$", agencies_page),
        (BASE + r"/agency/(?P<agency_id>[0-9a-f]{12})" + _FMT, agency_page),
        (BASE + r"/compare" + _FMT, compare_page),
    ]


REPORT_COLUMNS = {"report_id", "报告编号"}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """In an archive, every report id links to the report page, agencies to theirs."""
    if column not in (*REPORT_COLUMNS, "title", "agency", "机关", "status", "状态"):
        return None

    async def render():
        if not await is_archive(datasette, database):
            return None
        return _rendered(row, value, column, table, datasette)

    return render()


def _rendered(row, value, column, table, datasette):
    if column in REPORT_COLUMNS or (table == "reports" and column == "title"):
        rid = value
        label = value
        if isinstance(value, dict):  # a foreign key Datasette expanded: {"value", "label"}
            rid, label = value.get("value"), value.get("label") or value.get("value")
        if table == "reports" and column == "title":
            rid = row["id"]
        if not isinstance(rid, str) or not REPORT_ID.match(rid):
            return None
        href = datasette.urls.path(f"{BASE}/report/{rid}")
        # escape() and an f-string make what Markup.format does, at a fraction of its cost per cell
        return Markup(f'<a href="{escape(href)}" title="打开报告页">{escape(str(label or rid))}</a>')
    if column in ("agency", "机关"):
        keys = row.keys() if hasattr(row, "keys") else []
        aid = next((row[k] for k in ("agency_id", "机关编号") if k in keys), None)
        if isinstance(aid, str) and re.match(r"^[0-9a-f]{12}$", aid) and isinstance(value, str):
            href = datasette.urls.path(f"{BASE}/agency/{aid}")
            return Markup(f'<a href="{escape(href)}" title="打开机关页">{escape(value)}</a>')
    if column in ("status", "状态") and value in layout.STATUS_LABELS:
        label = escape(layout.STATUS_LABELS[value])
        return Markup(f'<span class="status status-{escape(value)}" title="{label}">{escape(value)}</span>')
    return None
