"""The archive's canned queries, served from datasette/queries.yaml instead of the metadata.

Datasette 0.65 deep-copies the whole metadata on every table permission check
(``Datasette._table_permission_allows``), several times for each page, and the canned queries
were most of datasette/metadata.yaml (their SQL, descriptions and parameter help): copying
them was a fifth of the Python time of a search page. Kept in their own file and handed to
Datasette through its ``canned_queries`` hook, they are the same queries for everyone (names,
titles, descriptions, ``params_help``, ``empty_hint``, SQL; listed on /archive, run at
/archive/<name>), and the metadata copied per check holds only what permissions need to see.

As the metadata did, the queries belong to the database named ``archive``, and only when it
is a nianbao archive (installed as an entry point, this plugin loads in every Datasette of
the environment; another database called archive gets none of them).
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

import yaml
from datasette import hookimpl

from nianbao.archive.search import is_bigram_archive
from nianbao.resources import site_dir

DATABASE_NAME = "archive"
QUERIES_FILE = "queries.yaml"

# The Datasettes whose database `archive` is a nianbao archive (found once, at startup).
_serving: weakref.WeakSet[Any] = weakref.WeakSet()


@functools.cache
def canned() -> dict[str, dict[str, Any]]:
    """The queries of datasette/queries.yaml, {name: definition}, read once per process."""
    queries = yaml.safe_load((site_dir() / QUERIES_FILE).read_text(encoding="utf-8")) or {}
    if not isinstance(queries, dict) or not all(isinstance(q, dict) for q in queries.values()):
        raise ValueError(f"{site_dir() / QUERIES_FILE}: expected a mapping of query name to definition")
    return queries


@hookimpl
def startup(datasette: Any) -> Any:
    """Note whether the database ``archive`` is a nianbao archive: once, not per request
    (Datasette asks for the canned queries on every table page)."""
    async def check() -> None:
        db = datasette.databases.get(DATABASE_NAME)
        if db is not None and await db.execute_fn(is_bigram_archive):
            _serving.add(datasette)

    return check


@hookimpl
def canned_queries(datasette: Any, database: str) -> dict[str, dict[str, Any]] | None:
    """The archive's canned queries; each call gets its own dicts (Datasette adds ``name`` to
    them), so no caller can change what the next request sees."""
    if database != DATABASE_NAME or datasette not in _serving:
        return None
    return {name: dict(query) for name, query in canned().items()}
