"""Serve the archived original bytes of a capture as a download, and link to them.

The archive keeps every captured page and attachment (table ``blobs``, keyed by sha256).
Those bytes are scraped from the web: served inline at the archive's origin, an HTML
capture could run its scripts there. So the route always answers with
``Content-Disposition: attachment``, ``X-Content-Type-Options: nosniff``, a restrictive
Content-Security-Policy, and a content type from a short list of document types (HTML
and anything unknown become application/octet-stream).

``render_cell`` only turns a validated 64-hex sha256 into a link; scraped text is never
emitted as HTML.
"""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import unquote, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

SHA256 = re.compile(r"^[0-9a-f]{64}$")
ROUTE = "/-/nianbao/capture/"
# The largest original served (crawls cap downloads at 50 MB; files built by hand may be larger).
CAPTURE_MAX_BYTES = 256 * 1024 * 1024

# Types safe to hand to a browser; their usual file extension.
SAFE_TYPES = {
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/zip": ".zip",
    "application/ofd": ".ofd",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
}
OTHER_EXTENSIONS = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt"}
LINKED_COLUMNS = {
    ("reports", "sha256"), ("documents", "sha256"), ("blobs", "sha256"), ("report_versions", "sha256"),
}


def download_name(url: str | None, content_type: str | None, sha256: str) -> str:
    """An ASCII file name for the download: the URL's last segment, the hash, an extension."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    last = unquote(urlsplit(url or "").path.rsplit("/", 1)[-1])
    stem, dot, ext = last.rpartition(".")
    if not dot:
        stem, ext = last, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:60] or "capture"
    ext = "." + re.sub(r"[^A-Za-z0-9]", "", ext)[:8] if ext else ""
    ext = SAFE_TYPES.get(ctype) or OTHER_EXTENSIONS.get(ctype) or ext or ".bin"
    return f"{stem}-{sha256[:12]}{ext}"


def _read_capture(conn: sqlite3.Connection, sha256: str):
    """(content, url, content_type) of one capture, past the size limits of ordinary SQL.

    The archive's connections refuse values over a megabyte and large results
    (nianbao_guard.py); an archived original is read whole here, up to CAPTURE_MAX_BYTES.
    """
    old = conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, CAPTURE_MAX_BYTES)
    try:
        cursor = conn.cursor()
        cursor.row_factory = None
        return cursor.execute(
            "select b.content, d.url, d.content_type from blobs b "
            "left join documents d on d.sha256 = b.sha256 where b.sha256 = ? limit 1",
            [sha256],
        ).fetchone()
    finally:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, old)


async def _find(datasette, actor, sha256: str):
    for name, db in datasette.databases.items():
        if name == "_internal" or not await db.table_exists("blobs"):
            continue
        if not await datasette.permission_allowed(actor, "view-database", name, default=True):
            continue
        row = await db.execute_fn(lambda conn: _read_capture(conn, sha256))
        if row is not None:
            return {"content": row[0], "url": row[1], "content_type": row[2]}
    return None


async def capture(request, datasette):
    sha256 = request.url_vars["sha256"]
    row = await _find(datasette, request.actor, sha256)
    if row is None:
        return Response.text(f"no archived capture with sha256 {sha256}", status=404)
    content, url, content_type = row["content"], row["url"], row["content_type"]
    ctype = (content_type or "").split(";")[0].strip().lower()
    name = download_name(url, content_type, sha256)
    return Response(
        body=bytes(content or b""),
        status=200,
        content_type=ctype if ctype in SAFE_TYPES else "application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )


@hookimpl
def register_routes():
    return [(ROUTE + r"(?P<sha256>[0-9a-f]{64})$", capture)]


@hookimpl
def render_cell(value, column, table, database, datasette):
    if (table, column) not in LINKED_COLUMNS or not isinstance(value, str) or not SHA256.match(value):
        return None

    async def link():
        # Installed as an entry point, this hook sees every database of the Datasette:
        # only an archive's hashes (a database with the blobs table) are links.
        db = datasette.databases.get(database)
        if db is None or not await db.table_exists("blobs"):
            return None
        href = datasette.urls.path(ROUTE + value)
        return Markup(
            '<a href="{}" download title="下载存档原件 (download the archived capture)">{}</a>'
        ).format(href, escape(value))

    return link
