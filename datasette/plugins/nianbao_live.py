"""Publishing while building: every request reads one snapshot of the archive, old or new.

`nianbao build` writes into the very file the site serves (the README's weekly cron), so
the archive cannot be opened immutable (``-i``: SQLite trusts that the file never changes
and answers "database disk image is malformed" once it does). The archive is kept in WAL
mode and a build is one write transaction (archive/transaction.py); readers of a WAL
database read a consistent snapshot while the writer goes on, and see the new archive
from the moment the build commits. Copying the file per build is avoided (it is the
largest thing we have); the WAL holds only the pages a build changes.

A snapshot lasts one read transaction, and a Datasette page runs several queries (the
count, the rows, the facets; a streamed CSV runs one per page of rows), so at ``startup``
each nianbao archive becomes a :class:`LiveArchive`: opened read-only (``mode=ro``, never
immutable), it gives each HTTP request its own connection holding one read transaction
for the whole request (the ``asgi_wrapper`` below marks the request). A download that
spans the moment a build commits therefore holds the old archive whole, never half of
each; the next request sees the new one, without a restart. Requests made in-process
through ``datasette.client`` (the .csvbom and .xlsx renderers) share the snapshot of the
request that makes them. Queries outside a request (startup hooks) read as Datasette does.

Datasette asks the schema the same questions several times on every page (does the table
exist, is the name a table or a view, its columns, keys and foreign keys: eight round trips to
the SQL threads for a search page, one per cell for the plugins' links), and each answer
costs a trip to a SQL thread. A LiveArchive keeps those answers for the schema version
(``PRAGMA schema_version``, read as each snapshot begins): SQLite changes that number with
every change of the schema, so an answer kept for the version a request's snapshot has is the
answer that snapshot would give. Only Datasette's own statements that read sqlite_master, and
its column, key and foreign-key lookups, are kept (``SCHEMA_STATEMENTS``), at most
``SCHEMA_ANSWERS`` of them; every other query runs in its snapshot as before.

The served archive never writes: a LiveArchive refuses a write connection. It is also
published as ``archive`` whatever its file is called when it is the only archive served
(the URLs and datasette/metadata.yaml are keyed on that name), so `nianbao serve` needs
no symlink in a scratch directory. Other databases are left as Datasette opened them.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import sqlite3
import threading
from collections import OrderedDict
from typing import Any

from datasette import hookimpl
from datasette.database import Database, Results
from datasette.tracer import trace
from datasette.utils import detect_primary_keys, get_outbound_foreign_keys, table_column_details
from datasette.utils import table_columns as columns_of

from nianbao.archive.serve import is_archive_file

DATABASE_NAME = "archive"
IDLE_CONNECTIONS = 8  # per archive, kept open between requests
# Datasette 0.65's statements that read only the schema (datasette/database.py: table_exists,
# get_table_definition, table_names, view_names; app.py: permission_allowed's name lookup).
SCHEMA_STATEMENTS = frozenset({
    "select 1 from sqlite_master where type='table' and name=?",
    "select sql from sqlite_master where name = :n and type=:t",
    "select sql from sqlite_master where tbl_name = :n and type='index' and sql is not null",
    "select name from sqlite_master where type in ('table', 'view') and name = ? collate nocase",
    "select name from sqlite_master where type='table'",
    "select name from sqlite_master where type='view'",
})
SCHEMA_ANSWERS = 1024  # per archive; table names come from URLs, so the store is bounded


class ReadOnlyArchive(sqlite3.OperationalError):
    """Raised for any attempt to write through the server."""


class Snapshot:
    """The read transactions of one HTTP request: one connection per archive, opened on
    first use, each in one transaction until the request ends."""

    def __init__(self) -> None:
        self._conns: dict[LiveArchive, sqlite3.Connection] = {}
        self._schema_versions: dict[LiveArchive, int] = {}
        self._lock = threading.Lock()  # one statement at a time on the request's connections

    def run(self, db: LiveArchive, fn: Any) -> Any:
        return self.run_versioned(db, fn)[1]

    def run_versioned(self, db: LiveArchive, fn: Any) -> tuple[int, Any]:
        """fn(conn) in this request's snapshot of `db`, with the snapshot's schema version."""
        with self._lock:
            conn = self._conns.get(db)
            if conn is None:
                conn = self._conns[db] = db.take()
            if not conn.in_transaction:  # first use, or an interrupted query ended it
                conn.execute("BEGIN")
                try:
                    self._schema_versions[db] = conn.execute("PRAGMA schema_version").fetchone()[0]
                except BaseException:
                    conn.rollback()  # no snapshot without its version: the next use begins again
                    raise
            version = self._schema_versions[db]
            return version, fn(conn)

    def schema_version(self, db: LiveArchive) -> int | None:
        """The schema version of this request's snapshot of `db`, once it has begun."""
        return self._schema_versions.get(db)

    def release(self) -> None:
        with self._lock:
            for db, conn in self._conns.items():
                db.give_back(conn)
            self._conns.clear()


_snapshot: contextvars.ContextVar[Snapshot | None] = contextvars.ContextVar(
    "nianbao_snapshot", default=None
)


class LiveArchive(Database):
    """A nianbao archive served read-only while builds write into it (see module doc)."""

    def __init__(self, ds: Any, path: str) -> None:
        super().__init__(ds, path=path, is_mutable=True)
        self._idle: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._schema: dict[tuple, Any] = {}  # (schema version, question): answer

    def connect(self, write: bool = False) -> sqlite3.Connection:
        if write:
            raise ReadOnlyArchive("the archive is served read-only; `nianbao build` writes it")
        return super().connect(write=False)  # mode=ro: sees each build once it commits

    async def execute_write_fn(self, fn: Any, block: bool = True) -> Any:
        raise ReadOnlyArchive("the archive is served read-only; `nianbao build` writes it")

    def take(self) -> sqlite3.Connection:
        """An idle connection of this archive, or a new one prepared as Datasette does."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            conn = self.connect()
            self.ds._prepare_connection(conn, self.name)
            return conn

    def give_back(self, conn: sqlite3.Connection) -> None:
        """End the connection's read transaction (so checkpoints can pass it) and keep it."""
        try:
            conn.rollback()
        except sqlite3.Error:
            conn.close()
            return
        if self._idle.qsize() < IDLE_CONNECTIONS:
            self._idle.put(conn)
        else:
            conn.close()

    def _kept(self, key: tuple) -> Any:
        """The answer kept for `key` at the schema version of this request's snapshot, or None."""
        snapshot = _snapshot.get()
        version = snapshot.schema_version(self) if snapshot is not None else None
        return None if version is None else self._schema.get((version, key))

    async def _schema_answer(self, key: tuple, fn: Any) -> Any:
        """fn(conn), a question about the schema only, answered once per schema version."""
        snapshot = _snapshot.get()
        if snapshot is None or self.ds.executor is None:
            return await self.execute_fn(fn)
        kept = self._kept(key)
        if kept is not None:
            return kept
        version, answer = await asyncio.get_running_loop().run_in_executor(
            self.ds.executor, snapshot.run_versioned, self, fn)
        if len(self._schema) >= SCHEMA_ANSWERS:
            self._schema.clear()
        self._schema[(version, key)] = answer
        return answer

    async def execute(self, sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if sql not in SCHEMA_STATEMENTS or args or kwargs or _snapshot.get() is None:
            return await super().execute(sql, params, *args, **kwargs)

        def statement(conn: sqlite3.Connection) -> Results:
            cursor = conn.execute(sql, params if params is not None else {})
            return Results(cursor.fetchall(), False, cursor.description)

        key = ("sql", sql, tuple(sorted(params.items())) if isinstance(params, dict) else tuple(params or ()))
        results = self._kept(key)
        if results is None:  # it runs: Datasette's trace (?_trace=1) shows it
            with trace("sql", database=self.name, sql=sql.strip(), params=params):
                results = await self._schema_answer(key, statement)
        return Results(list(results.rows), False, results.description)

    # Datasette's own lookups (datasette/database.py), answered once per schema version; each
    # caller gets its own list.
    async def table_columns(self, table: str) -> list[str]:
        return list(await self._schema_answer(("columns", table), lambda conn: columns_of(conn, table)))

    async def table_column_details(self, table: str) -> list[Any]:
        details = await self._schema_answer(("column_details", table),
                                            lambda conn: table_column_details(conn, table))
        return list(details)

    async def primary_keys(self, table: str) -> list[str]:
        keys = await self._schema_answer(("primary_keys", table),
                                         lambda conn: detect_primary_keys(conn, table))
        return list(keys)

    async def foreign_keys_for_table(self, table: str) -> list[dict]:
        keys = await self._schema_answer(("foreign_keys", table),
                                         lambda conn: get_outbound_foreign_keys(conn, table))
        return [dict(key) for key in keys]

    async def execute_fn(self, fn: Any) -> Any:
        snapshot = _snapshot.get()
        if snapshot is None:
            return await super().execute_fn(fn)
        if self.ds.executor is None:  # Datasette's non-threaded mode (num_sql_threads 0)
            return snapshot.run(self, fn)
        return await asyncio.get_running_loop().run_in_executor(self.ds.executor, snapshot.run, self, fn)


@hookimpl(tryfirst=True)
def startup(datasette: Any) -> None:
    """Replace each nianbao archive by a LiveArchive (first, so that other plugins' startup
    hooks see the replacement and the name ``archive``)."""
    archives = {
        name for name, db in datasette.databases.items()
        if not db.is_memory and db.path and not isinstance(db, LiveArchive) and is_archive_file(db.path)
    }
    if not archives:
        return
    rename = len(archives) == 1 and DATABASE_NAME not in datasette.databases
    replaced: OrderedDict[str, Any] = OrderedDict()
    for name, db in datasette.databases.items():
        if name in archives:
            live = LiveArchive(datasette, db.path)
            live.name = DATABASE_NAME if rename else name
            live.route = DATABASE_NAME if rename else db.route
            replaced[live.name] = live
        else:
            replaced[name] = db
    datasette.databases = replaced


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def one_snapshot_per_request(scope: dict, receive: Any, send: Any) -> None:
            if scope.get("type") != "http" or _snapshot.get() is not None:
                await app(scope, receive, send)  # an in-process request shares its caller's
                return
            snapshot = Snapshot()
            token = _snapshot.set(snapshot)
            try:
                await app(scope, receive, send)
            finally:
                _snapshot.reset(token)
                await asyncio.get_running_loop().run_in_executor(None, snapshot.release)

        return one_snapshot_per_request

    return wrap
