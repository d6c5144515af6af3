"""Make Datasette's standard ``?_search=`` find Chinese substrings of any length, and fast.

Datasette 0.65 turns ``?_search=TERM`` into
``rowid in (select rowid from <fts_table> where <fts_table> match escape_fts(:search))``
(datasette/filters.py), and ``escape_fts`` is an SQL function that Datasette registers on
every connection in its own ``prepare_connection`` hook (datasette/sql_functions.py).
Our archive's FTS tables hold character bigrams as hex tokens (archive/search.py), so we
register our own ``escape_fts`` that turns the term into the matching bigram phrase. The
hook is ``trylast`` so that it runs after Datasette's and the last registration wins.
The search box, the URLs and the .json/.csv variants therefore stay Datasette's own.

Installed through the ``datasette`` entry point, this plugin loads in every Datasette of
the environment: it replaces ``escape_fts`` only on connections to a nianbao archive
(``is_bigram_archive``), and leaves other databases' full-text search as Datasette made it.

Counting and paging. Above the rows, Datasette counts them with
``select count(*) from <table> where <pk> in (select rowid from <fts_table> where … match …)``:
one lookup in the table per matching row, which was most of a search page's time on a
large archive (84,000 sections contain 复议 at 100,000 reports). And the rows themselves,
``… where <pk> in (select rowid …) order by <pk> limit 51``, make SQLite evaluate the whole
match before it takes the first 51. The archive's search indexes hold exactly one entry
per row of their table (archive/load.py keeps them in step) and list rows in rowid order,
so the index alone knows the count (``select count(*) from <fts_table> where … match …``)
and the first rows of a page (the inner query gets the page's ``order by rowid limit``
and its ``rowid > :p`` of ``_next``). Datasette 0.65 has no hook for either statement, so
at ``startup`` this plugin wraps ``execute`` of each nianbao archive (``is_bigram_archive``)
and rewrites those two statements, exactly as Datasette words them, and only for a table
whose metadata names
its FTS table (``fts_table``/``fts_pk``) with a key that is the table's rowid: the same
numbers and rows, read from the index. Any other SQL passes through untouched; should a
later Datasette word them differently, nothing matches and the page is slower, never wrong.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from datasette import hookimpl

from nianbao.archive.search import is_bigram_archive, match_query


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    if is_bigram_archive(conn):
        conn.create_function("escape_fts", 1, match_query, deterministic=True)


_NAME = r"\[?([A-Za-z_][A-Za-z0-9_]*)\]?"
# The count Datasette 0.65 writes for ?_search= (and ?_search_<column>=) on a table
# (views/table.py: f"select count(*) {from_sql}", filters.py: search_filters).
SEARCH_COUNT = re.compile(
    rf"select count\(\*\) from {_NAME} where {_NAME} in "
    rf"\(select rowid from {_NAME} where {_NAME} match escape_fts\(:(search(?:_\d+)?)\)\) ?"
)


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


# The rows of a ?_search= page in the table's own order (pk), page one or a later one
# (`_next`: Datasette's keyset clause for a single key, views/table.py).
def _named(group: str) -> str:
    return rf"\[?(?P<{group}>[A-Za-z_][A-Za-z0-9_]*)\]?"


SEARCH_PAGE = re.compile(
    rf"select (?P<columns>.+) from {_named('table')} where {_named('pk')} in "
    rf"\(select rowid from {_named('fts')} where {_named('match')} match escape_fts\(:search\)\) "
    rf"(?:and \(\({_named('after_pk')} > :(?P<after>p\d+)\)\) )?"
    rf"order by {_named('order_pk')} limit (?P<limit>\d+)",
    re.DOTALL,
)


def page_from_index(sql: str, fts_of: dict[str, tuple[str, str]]) -> str | None:
    """`sql` with the page's first rows found in the index, or None when `sql` is not a
    search page in key order on a table whose index `fts_of` names by its rowid key."""
    m = SEARCH_PAGE.fullmatch(sql)
    if m is None:
        return None
    table, pk, fts, match_column, after_pk, order_pk = m.group("table", "pk", "fts", "match", "after_pk",
                                                               "order_pk")
    if fts_of.get(table) != (fts, pk) or match_column != fts or order_pk != pk:
        return None
    if after_pk is not None and after_pk != pk:
        return None
    after = m.group("after")
    inner = (
        f"select rowid from [{fts}] where [{fts}] match escape_fts(:search)"
        + (f" and rowid > :{after}" if after else "")
        + f" order by rowid limit {m.group('limit')}"
    )
    return (
        f"select {m.group('columns')} from [{table}] where [{pk}] in ({inner})"
        + (f" and [{pk}] > :{after}" if after else "")
        + f" order by [{pk}] limit {m.group('limit')}"
    )


def _fts_tables(datasette: Any, database: str) -> dict[str, tuple[str, str]]:
    tables = (datasette.metadata("tables", database=database) or {}) if database else {}
    return {
        name: (meta["fts_table"], meta.get("fts_pk", "rowid"))
        for name, meta in tables.items()
        if isinstance(meta, dict) and meta.get("fts_table")
    }


async def _rowid_keyed(db: Any, fts_of: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """The tables of `fts_of` whose fts_pk is their rowid (rowid, or an INTEGER PRIMARY KEY):
    only there does the index's rowid order equal the table's key order."""
    out = {}
    for table, (fts, pk) in fts_of.items():
        if pk == "rowid":
            out[table] = (fts, pk)
            continue
        info = (await db.execute("select name, type, pk from pragma_table_info(?)", [table])).rows
        keys = [r for r in info if r[2]]
        if len(keys) == 1 and keys[0][0] == pk and keys[0][1].upper() == "INTEGER":
            out[table] = (fts, pk)
    return out


@hookimpl
def startup(datasette):
    async def install():
        for name, db in datasette.databases.items():
            fts_of = _fts_tables(datasette, name)
            if fts_of and await db.execute_fn(is_bigram_archive):
                _search_from_index(db, fts_of, await _rowid_keyed(db, fts_of))

    return install


def _search_from_index(
    db: Any, fts_of: dict[str, tuple[str, str]], paged: dict[str, tuple[str, str]]
) -> None:
    execute = db.execute

    async def execute_from_index(sql, *args, **kwargs):
        if sql.startswith("select count(*)"):
            sql = count_from_index(sql, fts_of) or sql
        elif " in (select rowid from " in sql:
            sql = page_from_index(sql, paged) or sql
        return await execute(sql, *args, **kwargs)

    db.execute = execute_from_index
