"""Make Datasette's standard ``?_search=`` find Chinese substrings of any length, and count fast.

Datasette 0.65 turns ``?_search=TERM`` into
``rowid in (select rowid from <fts_table> where <fts_table> match escape_fts(:search))``
(datasette/filters.py), and ``escape_fts`` is an SQL function that Datasette registers on
every connection in its own ``prepare_connection`` hook (datasette/sql_functions.py).
Our archive's FTS tables hold character bigrams as hex tokens (archive/search.py), so we
register our own ``escape_fts`` that turns the term into the matching bigram phrase. The
hook is ``trylast`` so that it runs after Datasette's and the last registration wins.
The search box, the URLs and the .json/.csv variants therefore stay Datasette's own.

Counting. Above the rows, Datasette counts them with
``select count(*) from <table> where <pk> in (select rowid from <fts_table> where … match …)``:
one lookup in the table per matching row, which was most of a search page's time on a
large archive (133,000 sections contain 复议 at 100,000 reports). The archive's search
indexes hold exactly one entry per row of their table (archive/load.py keeps them in
step), so the index alone knows that number: ``select count(*) from <fts_table> where …
match …``. Datasette 0.65 has no hook for its count, so at ``startup`` this plugin wraps
``execute`` of each database and replaces that one statement, and only where the
metadata names the FTS table for the table (``fts_table``/``fts_pk``): the same number,
read from the index. Any other SQL passes through untouched; should a later Datasette
word its count differently, the wrapper stops matching and the count is slower, never
wrong.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from datasette import hookimpl

try:
    from nianbao.archive.search import match_query
except ImportError:  # served from a checkout that is not installed: use the repository's copy
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from nianbao.archive.search import match_query

_NAME = r"\[?([A-Za-z_][A-Za-z0-9_]*)\]?"
# The count Datasette 0.65 writes for ?_search= (and ?_search_<column>=) on a table
# (views/table.py: f"select count(*) {from_sql}", filters.py: search_filters).
SEARCH_COUNT = re.compile(
    rf"select count\(\*\) from {_NAME} where {_NAME} in "
    rf"\(select rowid from {_NAME} where {_NAME} match escape_fts\(:(search(?:_\d+)?)\)\) ?"
)


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, match_query, deterministic=True)


def count_from_index(sql: str, fts_of: dict[str, tuple[str, str]]) -> str | None:
    """The count of `sql` read from the search index alone, or None when `sql` is not
    Datasette's count of a search on a table whose index `fts_of` names ({table: (fts_table,
    fts_pk)})."""
    m = SEARCH_COUNT.fullmatch(sql)
    if m is None:
        return None
    table, pk, fts, column, param = m.groups()
    if fts_of.get(table) != (fts, pk):
        return None
    return f"select count(*) from [{fts}] where [{column}] match escape_fts(:{param})"


def _fts_tables(datasette: Any, database: str) -> dict[str, tuple[str, str]]:
    tables = (datasette.metadata("tables", database=database) or {}) if database else {}
    return {
        name: (meta["fts_table"], meta.get("fts_pk", "rowid"))
        for name, meta in tables.items()
        if isinstance(meta, dict) and meta.get("fts_table")
    }


@hookimpl
def startup(datasette):
    for name, db in datasette.databases.items():
        fts_of = _fts_tables(datasette, name)
        if fts_of:
            _count_searches_from_index(db, fts_of)


def _count_searches_from_index(db: Any, fts_of: dict[str, tuple[str, str]]) -> None:
    execute = db.execute

    async def execute_counting_from_index(sql, *args, **kwargs):
        faster = count_from_index(sql, fts_of) if sql.startswith("select count(*)") else None
        return await execute(faster or sql, *args, **kwargs)

    db.execute = execute_counting_from_index
