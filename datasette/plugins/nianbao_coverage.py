"""The coverage page: agency x year, is the report in the archive, on time, late, missing?

`/-/nianbao/coverage` draws the ``coverage`` table (archive/coverage.py) as a grid, one
row per agency and one column per year, with the state of each source below it (the
``sources`` table: last status and its reason in Chinese and English). `?q=` keeps the
agencies whose name contains the text. The same rows are the canned queries `coverage`,
`missing_for_year` and `late_for_year` (CSV from there). Scraped names are data: the
template escapes every value.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response

ROUTE = "/-/nianbao/coverage"
DATABASE = "archive"
LEGEND = [
    ("on_time", "按时公开", "published by the deadline"),
    ("late", "逾期公开", "published after the deadline"),
    ("undated", "已公开（日期不明）", "in the archive, publication date unknown"),
    ("missing", "缺失", "not in the archive although its column was crawled after the deadline"),
    ("pending", "未到期", "not in the archive; its column was crawled only before the deadline"),
    ("not_crawled", "未抓取", "no crawl of a column listing that year: unknown, never called missing"),
]


async def coverage_page(request, datasette):
    if DATABASE not in datasette.databases:
        return Response.text(f"no database named {DATABASE}", status=404)
    if not await datasette.permission_allowed(request.actor, "view-database", DATABASE, default=True):
        return Response.text("forbidden", status=403)
    db = datasette.get_database(DATABASE)
    if not await db.table_exists("coverage"):
        return Response.text("this archive has no coverage table yet: run `nianbao build`", status=404)
    q = (request.args.get("q") or "").strip()
    params = {"q": q}
    where = "where instr(agency, :q) > 0" if q else ""
    rows = (await db.execute(
        f"select agency, year, status, status_zh, published, deadline, days_late, report_id, note "
        f"from coverage {where} order by agency, year", params)).rows
    years = sorted({r["year"] for r in rows})
    grid: dict[str, dict[int, dict]] = {}
    for r in rows:
        grid.setdefault(r["agency"], {})[r["year"]] = dict(r)
    counts = {(r["year"], r["status"]): r["n"] for r in (await db.execute(
        f"select year, status, count(*) as n from coverage {where} group by year, status", params)).rows}
    sources = []
    if await db.table_exists("sources"):
        sources = [dict(r) for r in (await db.execute(
            "select id, url, last_status, last_reason_zh, last_reason_en, last_detail, last_success, "
            "last_new_report, days_since_new_report from sources order by "
            "case last_status when 'failed' then 0 when 'partial' then 1 when 'stale' then 2 "
            "when 'ok' then 3 else 4 end, id")).rows]
    last_run = None
    if await db.table_exists("crawl_runs"):
        found = (await db.execute("select * from crawl_runs order by started desc limit 1")).first()
        last_run = dict(found) if found else None
    html = await datasette.render_template(
        "nianbao_coverage.html",
        {
            "q": q, "years": years, "grid": grid, "legend": LEGEND, "counts": counts,
            "sources": sources, "last_run": last_run, "database": DATABASE,
        },
        request=request,
    )
    return Response.html(html)


@hookimpl
def register_routes():
    return [(ROUTE + r"$", coverage_page)]
