"""CSV that Excel on a Chinese Windows machine opens correctly: UTF-8 with a byte order mark.

Excel reads a CSV without BOM in the ANSI code page (GBK there) and garbles every
Chinese label. The ``.csvbom`` output renderer answers with exactly the rows of
Datasette's own ``.csv`` for the same URL (filters, facets, ``_search`` included, every
row of a table via ``_stream=on``), prefixed with the BOM, as a download. Text cells that
Excel would run as a formula (scraped text starting with =, +, - or @) are neutralised
(nianbao.archive.export); numbers stay numbers.

A national archive's ``sections`` table is gigabytes, so the download is streamed: the
renderer answers with a response that, when sent, drives Datasette's own ASGI app for the
inner ``.csv`` URL and passes its rows on as they come, neutralised record by record
(export.CsvNeutraliser), never holding more than a page of Datasette's stream and one
output chunk. It stays an output renderer (rather than a plugin route in front of
Datasette's) so that Datasette still decides which pages offer it, links to it, and sets
its usual headers. A refused or failed inner query answers with its status and error text;
a client that leaves stops the download (ClientLeft).
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

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
# Rows of each page of a table's stream: what the server holds at once is a page (Datasette
# reads one, writes it, reads the next), so a page of Datasette's max_returned_rows (5,000)
# of long sections held ~60 MB; the rows and their order are the same whatever the page.
STREAM_PAGE_ROWS = 500
CHUNK_BYTES = 64 * 1024  # output is sent in pieces of about this size
MAX_ERROR_BYTES = 64 * 1024  # of an inner error answer, kept to repeat it


class ClientLeft(Exception):
    """The client closed the connection: the rest of the download is not made. (The
    server drops what is sent after a disconnect, so a table of gigabytes would otherwise be
    read to its end for nobody.)"""


class CsvbomStream(Response):
    """The download, produced while it is sent (Datasette sends a renderer's Response with
    ``asgi_send``, after adding its headers to ``self.headers``)."""

    def __init__(self, datasette: Any, url: str, filename: str, receive: Any = None) -> None:
        super().__init__(
            b"",
            status=200,
            content_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}.csv"',
                "X-Content-Type-Options": "nosniff",
            },
        )
        self._app = datasette.client.app
        self._client_receive = receive
        self._scope = _inner_scope(url)

    def _start(self, status: int, content_type: str, own_headers: bool) -> dict[str, Any]:
        mine = {"content-disposition", "x-content-type-options"}
        headers = [
            [key.encode("utf-8"), value.encode("utf-8")]
            for key, value in self.headers.items()
            if key.lower() != "content-type" and (own_headers or key.lower() not in mine)
        ]
        headers.append([b"content-type", content_type.encode("utf-8")])
        headers += [[b"set-cookie", c.encode("utf-8")] for c in self._set_cookie_headers]
        return {"type": "http.response.start", "status": status, "headers": headers}

    async def asgi_send(self, send: Any) -> None:
        neutraliser = export.CsvNeutraliser()
        status: int | None = None
        error = bytearray()
        out: list[bytes] = [BOM]
        size = len(BOM)
        finished = asyncio.Event()
        requested = False
        left = False

        async def watch_client() -> None:
            nonlocal left
            while self._client_receive is not None:
                if (await self._client_receive())["type"] == "http.disconnect":
                    left = True
                    return

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def inner_send(message: dict[str, Any]) -> None:
            nonlocal status, size
            if left:
                raise ClientLeft("the client left: download stopped")
            if message["type"] == "http.response.start":
                status = message["status"]
                if status == 200:
                    await send(self._start(200, self.content_type, own_headers=True))
                return
            if message["type"] != "http.response.body" or status is None:
                return
            body = message.get("body") or b""
            if status != 200:
                error.extend(body[: MAX_ERROR_BYTES - len(error)])
                return
            piece = neutraliser.feed(body).encode("utf-8")
            if piece:
                out.append(piece)
                size += len(piece)
            if size >= CHUNK_BYTES:
                chunk = b"".join(out)
                out.clear()
                size = 0
                await send({"type": "http.response.body", "body": chunk, "more_body": True})

        watcher = asyncio.ensure_future(watch_client())
        try:
            await self._app(self._scope, receive, inner_send)
        except ClientLeft:
            return
        finally:
            finished.set()
            watcher.cancel()
        if status == 200:
            out.append(neutraliser.close().encode("utf-8"))
            await send({"type": "http.response.body", "body": b"".join(out)})
            return
        await send(self._start(status or 500, "text/plain; charset=utf-8", own_headers=False))
        await send({"type": "http.response.body", "body": bytes(error)})


def _inner_scope(url: str) -> dict[str, Any]:
    """An anonymous GET of `url` (path?query) to Datasette itself, as datasette.client sends
    one (host localhost, no cookies): the download holds what anyone may read."""
    path, _, query = url.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "headers": [(b"host", b"localhost"), (b"accept", b"*/*")],
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "server": ("localhost", None),
        "client": ("127.0.0.1", 123),
        "root_path": "",
    }


async def render_csvbom(datasette, request, database, table, query_name, view_name):
    path = request.path
    base = path[: -len("." + EXTENSION)] + ".csv" if path.endswith("." + EXTENSION) else path
    args = [(k, v) for k in request.args for v in request.args.getlist(k) if k not in _DROP]
    if view_name == "table":  # every row, a page at a time
        args += [("_size", str(STREAM_PAGE_ROWS)), ("_stream", "on")]
    else:
        args.append(("_size", "max"))
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", table or query_name or database or "export").strip("_")
    return CsvbomStream(datasette, base + "?" + urlencode(args), name or "export", request.receive)


@hookimpl
def register_output_renderer():
    return {
        "extension": EXTENSION,
        "render": render_csvbom,
        "can_render": lambda view_name: view_name in ("table", "query", "database"),
    }
