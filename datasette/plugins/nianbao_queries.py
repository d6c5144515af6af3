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
from typing import Any

import yaml
from datasette import hookimpl

from nianbao.resources import site_dir
from nianbao.site.plugins.nianbao_pages import is_archive

DATABASE_NAME = "archive"
QUERIES_FILE = "queries.yaml"


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
    them), so no caller can change what the next request sees. Whether the database is an
    archive is asked once per database (nianbao_pages.is_archive remembers it)."""
    if database != DATABASE_NAME:
        return None

    async def if_archive() -> dict[str, dict[str, Any]] | None:
        return _copies() if await is_archive(datasette, database) else None

    return if_archive


def _copies() -> dict[str, dict[str, Any]]:
    return {name: dict(query) for name, query in canned().items()}
