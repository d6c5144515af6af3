"""``.xlsx`` downloads of every table and query, next to Datasette's CSV.

Like ``.csvbom`` (nianbao_csv.py), the renderer answers with the rows of Datasette's own
JSON for the same URL (filters, facets and ``_search`` included), following ``next`` so a
table comes whole, not one page. Values keep their types: numbers are numbers, text is a
string cell that Excel never runs as a formula (nianbao.archive.export).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response

try:
    from nianbao.archive import export
except ImportError:  # served from a checkout that is not installed: use the repository's copy
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from nianbao.archive import export

EXTENSION = "xlsx"
_DROP = {"_next", "_size", "_stream", "_dl", "_shape", "_labels"}
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def render_xlsx(datasette, request, database, table, query_name, view_name):
    path = request.path
    base = path[: -len("." + EXTENSION)] + ".json" if path.endswith("." + EXTENSION) else path
    args = [(k, v) for k in request.args for v in request.args.getlist(k) if k not in _DROP]
    args += [("_shape", "objects"), ("_size", "max")]
    columns: list[str] = []
    rows: list[list] = []
    url: str | None = base + "?" + urlencode(args)
    while url and len(rows) <= export.MAX_XLSX_ROWS:
        inner = await datasette.client.get(url)
        if inner.status_code != 200:
            return Response.text(inner.text, status=inner.status_code)
        data = inner.json()
        columns = data.get("columns") or columns
        rows.extend([r.get(c) for c in columns] for r in data.get("rows") or [])
        nxt = data.get("next") if view_name == "table" else None
        url = base + "?" + urlencode([*args, ("_next", nxt)]) if nxt else None
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", table or query_name or database or "export").strip("_")
    return Response(
        body=export.xlsx_bytes([(table or query_name or database or "export", columns, rows)]),
        status=200,
        content_type=CONTENT_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name or "export"}.xlsx"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@hookimpl
def register_output_renderer():
    return {
        "extension": EXTENSION,
        "render": render_xlsx,
        "can_render": lambda view_name: view_name in ("table", "query"),
    }
