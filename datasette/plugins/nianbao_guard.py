"""What one anonymous request may cost the public archive, and the headers every page sends.

Arbitrary SQL stays open to journalists, so the limits sit where SQL meets memory, on each
connection to a nianbao archive (``prepare_connection``; other databases are untouched):

- a value (string or blob) made or read by a query is at most ``max_value_bytes``
  (SQLite's SQLITE_LIMIT_LENGTH: ``zeroblob(300000000)`` is refused by SQLite before it
  is allocated), and a result row has at most ``max_columns`` columns. SQLite applies the
  limit to every value it reads, not only to those a query makes, so it must hold the
  longest text the archive stores: the text of a 300-page report is several MB, and with
  a 1 MB limit its report page, its row, every table page and search that included it
  and every CSV of its table answered 400. 16 MB holds the text of any report; what
  SQLite may allocate for all queries together is bounded by ``max_sqlite_heap_bytes``
  (SQLite's hard heap limit, process-wide), so 64 columns of 16 MB values made by a
  query are refused (out of memory, HTTP 400), not allocated;
- the rows of one query hold at most ``max_result_bytes`` of cell data (counted as each
  row is fetched, by a row factory); a query that would return more is refused with a
  message saying so, never truncated in silence — with Datasette's ``max_returned_rows``
  that bounds any response, rows x bytes. A blob over ``max_blob_bytes`` is refused the
  same way (its bytes are a download, never rendered into JSON or CSV); an archived
  original is downloaded whole through its own route (nianbao_captures.py), which lifts
  the value limit for that one read;
- an authorizer refuses the SQL functions that reach outside the database or into the
  process (``fts3_tokenizer`` reads and replaces tokenizer pointers, ``load_extension``
  loads code) and ATTACH/DETACH (no other file is ever opened). Python 3.11 cannot set
  SQLITE_DBCONFIG_DEFENSIVE, so the authorizer also refuses setting the pragmas it would
  guard (``writable_schema``, ``query_only`` and the like); the file is opened read-only
  in any case (nianbao_live.py), and Datasette runs only SELECT statements.

The limits can be changed in the metadata (``plugins: nianbao_guard: {max_value_bytes: …,
max_result_bytes: …, max_columns: …, max_sqlite_heap_bytes: …}``).

The ``asgi_wrapper`` adds, to every response of a Datasette that serves an archive, a
Content-Security-Policy (no framing, no plugins, nothing loaded from other origins;
Datasette's templates need inline scripts and styles), X-Frame-Options,
X-Content-Type-Options and a Referrer-Policy; a response that set its own policy (a
capture download's sandbox) keeps it. Introspection pages (``/-/databases.json``…) name a
database's file, never its absolute path on the server.
"""

from __future__ import annotations

import html
import json
import os
import sqlite3
import threading
import weakref
from pathlib import Path
from typing import Any

from datasette import hookimpl

from nianbao.archive.search import is_bigram_archive
from nianbao.archive.serve import is_archive_file

PLUGIN = "nianbao_guard"
DEFAULTS = {
    "max_value_bytes": 16 * 1024 * 1024,
    "max_result_bytes": 32 * 1024 * 1024,
    "max_columns": 64,
    "max_sqlite_heap_bytes": 256 * 1024 * 1024,
    "max_blob_bytes": 1024 * 1024,
}
# SQLite's hard heap limit is one per process: `nianbao serve` sets this variable, so a
# Datasette made inside another process (a test, a build that serves afterwards) never
# leaves a 256 MB ceiling on that process's own databases.
SERVING_ENV = "NIANBAO_SERVING"
MAX_SQL_BYTES = 256 * 1024

# Functions that must never run on the public server: they reach memory or the file system.
DENIED_FUNCTIONS = {"fts3_tokenizer", "load_extension", "readfile", "writefile", "edit"}
# Pragmas that SQLITE_DBCONFIG_DEFENSIVE guards, or that would lift the read-only mode.
DENIED_PRAGMAS = {
    "writable_schema", "query_only", "trusted_schema", "cell_size_check", "journal_mode",
    "locking_mode", "mmap_size", "temp_store_directory", "data_store_directory", "schema_version",
    "user_version", "application_id", "foreign_keys", "recursive_triggers", "ignore_check_constraints",
    "legacy_alter_table", "defer_foreign_keys", "synchronous", "hard_heap_limit", "soft_heap_limit",
}
# No other file is ever opened. (Writes need no rule: the file is opened read-only, and
# SQLite's own schema parsing asks the authorizer about updates it makes internally.)
_DENIED_ACTIONS = {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH}

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",  # Datasette 0.65's templates have inline scripts
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class ResultTooLarge(sqlite3.DataError):
    """A query whose rows hold more cell data than a response may."""


def limits(datasette: Any) -> dict[str, int]:
    """The configured limits (metadata ``plugins: nianbao_guard``), else the defaults."""
    config = (datasette.plugin_config(PLUGIN) if datasette is not None else None) or {}
    return {key: int(config.get(key) or default) for key, default in DEFAULTS.items()}


def _authorize(action: int, arg1: str | None, arg2: str | None, dbname: str | None,
               source: str | None) -> int:
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in DENIED_PRAGMAS and arg2 is not None:
        return sqlite3.SQLITE_DENY
    if action in _DENIED_ACTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def cell_size(value: Any) -> int:
    """What a cell weighs in a response: characters of text, bytes of a blob, 8 otherwise."""
    if isinstance(value, str | bytes):
        return len(value)
    return 8


def budget_row_factory(inner: Any, max_bytes: int, max_blob: int | None = None) -> Any:
    """A row factory that counts the cell data each cursor has fetched and refuses a result
    that goes past `max_bytes` (before it is rendered, while rows are read), or that holds
    a blob over `max_blob` bytes."""
    totals: weakref.WeakKeyDictionary[sqlite3.Cursor, int] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def factory(cursor: sqlite3.Cursor, row: tuple) -> Any:
        size = sum(cell_size(v) for v in row)
        if max_blob is not None and any(isinstance(v, bytes) and len(v) > max_blob for v in row):
            raise ResultTooLarge(
                f"string or blob too big to render: a blob over {max_blob // (1024 * 1024)} MB; "
                "an archived original downloads whole from /-/nianbao/capture/<sha256>"
            )
        with lock:
            total = totals.get(cursor, 0) + size
            totals[cursor] = total
        if total > max_bytes:
            raise ResultTooLarge(
                f"result too large: its rows hold more than {max_bytes // (1024 * 1024)} MB; "
                "select fewer rows or columns (LIMIT, substr())"
            )
        return inner(cursor, row) if inner is not None else row

    return factory


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    if not is_bigram_archive(conn):
        return
    lim = limits(datasette)
    if os.environ.get(SERVING_ENV):  # process-wide: only in a process that does nothing but serve
        conn.execute(f"pragma hard_heap_limit = {lim['max_sqlite_heap_bytes']}")
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, lim["max_value_bytes"])
    conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, lim["max_columns"])
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
    conn.set_authorizer(_authorize)
    conn.row_factory = budget_row_factory(conn.row_factory, lim["max_result_bytes"], lim["max_blob_bytes"])


def _archive_paths(datasette: Any) -> dict[str, str] | None:
    """{absolute path as it may appear: file name} of the served databases, or None when
    no nianbao archive is served (then this plugin leaves responses alone)."""
    files = [db.path for db in datasette.databases.values() if not db.is_memory and db.path]
    if not any(is_archive_file(p) for p in files):
        return None
    out: dict[str, str] = {}
    for p in files:
        for form in {str(p), str(Path(p).resolve())}:
            name = Path(form).name
            for shown in (form, json.dumps(form)[1:-1], html.escape(form)):
                out[shown] = name
    return out


def _scrub(body: bytes, paths: dict[str, str]) -> bytes:
    text = body.decode("utf-8", "surrogateescape")
    for full in sorted(paths, key=len, reverse=True):
        text = text.replace(full, paths[full])
    return text.encode("utf-8", "surrogateescape")


def _with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {k.lower() for k, _ in headers}
    out = list(headers)
    out += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
    if b"content-security-policy" not in present:
        out.append((b"content-security-policy", CSP.encode()))
    return out


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    state: dict[str, Any] = {}

    def wrap(app: Any) -> Any:
        async def guarded(scope: dict, receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            if "paths" not in state or state.get("databases") is not datasette.databases:
                state["databases"] = datasette.databases
                state["paths"] = _archive_paths(datasette)
            paths = state["paths"]
            if paths is None:
                await app(scope, receive, send)
                return
            path = scope.get("path") or ""
            introspection = path.startswith("/-/") and not path.startswith(("/-/static", "/-/nianbao/"))
            csv_held: dict[str, Any] | None = None  # a .csv answer's start, until its first bytes
            start: dict[str, Any] | None = None
            chunks: list[bytes] = []

            async def send_guarded(message: dict) -> None:
                nonlocal start, csv_held
                if message["type"] == "http.response.start":
                    headers = _with_security_headers(list(message.get("headers") or []))
                    message = {**message, "headers": headers}
                    if introspection:
                        start = message
                        return
                    if path.endswith(".csv") and message.get("status") == 200:
                        csv_held = message
                        return
                elif message["type"] == "http.response.body" and csv_held is not None:
                    # streamed in chunks: wait for the first bytes that are not blank
                    chunks.append(message.get("body") or b"")
                    if not b"".join(chunks).strip():
                        if not message.get("more_body"):
                            held, csv_held = csv_held, None
                            await _send_csv_error(datasette, scope, held, send)
                        return
                    held, csv_held = csv_held, None
                    await send(held)
                    message = {**message, "body": b"".join(chunks)}
                    chunks.clear()
                elif message["type"] == "http.response.body" and start is not None:
                    chunks.append(message.get("body") or b"")
                    if message.get("more_body"):
                        return
                    body = _scrub(b"".join(chunks), paths)
                    headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
                    await send({**start, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
                await send(message)

            await app(scope, receive, send_guarded)

        return guarded

    return wrap


async def _send_csv_error(datasette: Any, scope: dict, held: dict, send: Any) -> None:
    """Datasette 0.65 answers a failed or refused query's `.csv` with an empty 200 (its query
    view keeps the error beside zero columns): a download that looks like "no rows". Every
    result set has a header row, so an empty CSV is an error: say it, with a 400, as `.json` does."""
    query = scope.get("query_string", b"").decode("latin-1")
    url = scope["path"][: -len(".csv")] + ".json" + (f"?{query}" if query else "")
    error = "the query failed"
    try:
        inner = await datasette.client.get(url)
        error = inner.json().get("error") or error
    except Exception:  # the error's own text is a courtesy; the 400 is what matters
        pass
    body = f"error: {error}\n".encode()
    headers = [(k, v) for k, v in held["headers"]
               if k.lower() not in (b"content-length", b"content-type", b"content-disposition")]
    headers += [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({**held, "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})


REFUSALS = ("string or blob too big", "too many columns in result set")


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: Exception) -> Any:
    """A query refused by these limits is the request's fault: HTTP 400 with the reason,
    as Datasette answers a bad query, not a 500 server error."""
    refused = isinstance(exception, ResultTooLarge) or (
        isinstance(exception, sqlite3.DatabaseError) and str(exception) in REFUSALS
    )
    if isinstance(exception, MemoryError):  # SQLite's hard heap limit (SQLITE_NOMEM)
        exception, refused = MemoryError("out of memory: the query needs more memory than "
                                         "the server gives queries; select fewer or shorter values"), True
    if not refused:
        return None
    from datasette.handle_exception import handle_exception as default
    from datasette.utils.asgi import BadRequest

    return default(datasette, request, BadRequest(f"refused: {exception}"))
