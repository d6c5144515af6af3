"""The archive's canned queries, served from datasette/queries.yaml instead of the metadata.

Datasette 0.65 deep-copies the whole metadata on every table permission check
(``Datasette._table_permission_allows``, twice for each table page), and the canned queries
were two thirds of datasette/metadata.yaml's text and a third of its objects: with them, a
check took 0.23 ms, without them 0.17 ms. Kept in their own file and handed to Datasette
through its ``canned_queries`` hook, they are the same queries for everyone (names, titles,
descriptions, ``params_help``, ``empty_hint``, SQL; listed on /archive and /archive.json, run
at /archive/<name>); only /-/metadata.json, which shows metadata.yaml, no longer lists them.

As in the metadata, the queries belong to the database named ``archive``, and only when it is
a nianbao archive (installed as an entry point, this plugin loads in every Datasette of the
environment; another database called archive gets none of them).
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

# The databases found to be nianbao archives: an archive stays one (builds only add to its
# schema), and Datasette asks for the canned queries on every table page.
_archives: weakref.WeakSet[Any] = weakref.WeakSet()


@functools.cache
def canned() -> dict[str, dict[str, Any]]:
    """The queries of datasette/queries.yaml, {name: definition}, read once per process."""
    queries = yaml.safe_load((site_dir() / QUERIES_FILE).read_text(encoding="utf-8")) or {}
    if not isinstance(queries, dict) or not all(isinstance(q, dict) for q in queries.values()):
        raise ValueError(f"{site_dir() / QUERIES_FILE}: expected a mapping of query name to definition")
    return queries


@hookimpl
def canned_queries(datasette: Any, database: str) -> Any:
    """The archive's canned queries; each call gets its own dicts (Datasette adds ``name`` to
    them), so no caller can change what the next request sees."""
    db = datasette.databases.get(database) if database == DATABASE_NAME else None
    if db is None:
        return None
    if db in _archives:
        return _copies()

    async def if_archive() -> dict[str, dict[str, Any]] | None:
        if not await db.execute_fn(is_bigram_archive):
            return None
        _archives.add(db)
        return _copies()

    return if_archive


def _copies() -> dict[str, dict[str, Any]]:
    return {name: dict(query) for name, query in canned().items()}
