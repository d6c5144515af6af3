"""CSV that Excel on a Chinese Windows machine opens correctly: UTF-8 with a byte order mark.

Excel reads a CSV without BOM in the ANSI code page (GBK there) and garbles every
Chinese label. The ``.csvbom`` output renderer answers with exactly the rows of
Datasette's own ``.csv`` for the same URL (filters, facets, ``_search`` included, every
row of a table via ``_stream=on``), fetched in-process through ``datasette.client`` and
prefixed with the BOM, as a download. Text cells that Excel would run as a formula (scraped
text starting with =, +, - or @) are neutralised (nianbao.archive.export); numbers stay numbers.
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

BOM = "\ufeff".encode()
EXTENSION = "csvbom"
_DROP = {"_next", "_size", "_stream", "_dl", "_shape"}


async def render_csvbom(datasette, request, database, table, query_name, view_name):
    path = request.path
    base = path[: -len("." + EXTENSION)] + ".csv" if path.endswith("." + EXTENSION) else path
    args = [(k, v) for k in request.args for v in request.args.getlist(k) if k not in _DROP]
    args.append(("_size", "max"))
    if view_name == "table":
        args.append(("_stream", "on"))
    inner = await datasette.client.get(base + "?" + urlencode(args))
    if inner.status_code != 200:
        return Response.text(inner.text, status=inner.status_code)
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", table or query_name or database or "export").strip("_")
    return Response(
        body=BOM + export.neutralise_csv(inner.content.decode("utf-8")).encode("utf-8"),
        status=200,
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name or "export"}.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@hookimpl
def register_output_renderer():
    return {
        "extension": EXTENSION,
        "render": render_csvbom,
        "can_render": lambda view_name: view_name in ("table", "query", "database"),
    }
