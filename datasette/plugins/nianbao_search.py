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

A count that stops early. Even from the index, a count visits every match: linear in the
archive. The count is therefore read from at most ``count_limit`` + 1 matches (10,000 unless
the metadata's ``plugins: nianbao_search: count_limit`` says otherwise, as Datasette 1.0's
table pages stop at 10,000). Up to the limit it is exact; above it the statement answers
NULL, which Datasette 0.65 shows as no count at all (``filtered_table_rows_count: null`` in
JSON), never as a wrong number, and the table page says 「超过 10,000 行」 with a link to the
canned query ``count_<table>`` (datasette/queries.yaml), the exact count on demand.

One character. A one-character term is a prefix query in the bigram index, which FTS5
answers by merging the lists of every bigram that starts with the character before it
gives a first row: linear in the matches, whatever the limit. An index with a single-
character index (archive/search.py ``CHAR_INDEXES``, schema version 9) answers it from one
list of rowids instead: the rewritten count and page use it when the term is one character
(``escape_char``), and a statement that is not rewritten keeps the prefix query.
"""

from __future__ import annotations

import re
import sqlite3
import urllib.parse
from contextvars import ContextVar
from typing import Any

from datasette import hookimpl

from nianbao.archive.search import CHAR_INDEXES, char_query, is_bigram_archive, match_query

PLUGIN = "nianbao_search"
COUNT_LIMIT = 10_000  # Datasette 1.0's: a count above it is "more than 10,000"


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    if is_bigram_archive(conn):
        conn.create_function("escape_fts", 1, match_query, deterministic=True)
        conn.create_function("escape_char", 1, char_query, deterministic=True)


def count_limit(datasette: Any) -> int:
    """The count limit of the metadata (``plugins: nianbao_search: count_limit``), else 10,000."""
    config = datasette.plugin_config(PLUGIN) or {}
    return int(config.get("count_limit") or COUNT_LIMIT)


_NAME = r"\[?([A-Za-z_][A-Za-z0-9_]*)\]?"
# The count Datasette 0.65 writes for ?_search= (and ?_search_<column>=) on a table
# (views/table.py: f"select count(*) {from_sql}", filters.py: search_filters).
SEARCH_COUNT = re.compile(
    rf"select count\(\*\) from {_NAME} where {_NAME} in "
    rf"\(select rowid from {_NAME} where {_NAME} match escape_fts\(:(search(?:_\d+)?)\)\) ?"
)


def count_from_index(sql: str, fts_of: dict[str, tuple[str, str]], limit: int | None = None) -> str | None:
    """The count of `sql` read from the search index alone, or None when `sql` is not
    Datasette's count of a search on a table whose index `fts_of` names ({table: (fts_table,
    fts_pk)}). With a `limit`, at most limit + 1 matches are read, and a count above the
    limit is NULL (unknown), never a wrong number."""
    m = SEARCH_COUNT.fullmatch(sql)
    if m is None:
        return None
    table, pk, fts, column, param = m.groups()
    if fts_of.get(table) != (fts, pk):
        return None
    matching = f"from [{fts}] where [{column}] match escape_fts(:{param})"
    if limit is None:
        return f"select count(*) {matching}"
    return (f"select case when count(*) > {int(limit)} then null else count(*) end "
            f"from (select rowid {matching} limit {int(limit) + 1})")


def single_char_index(sql: str, params: Any, chars_of: dict[str, str]) -> str:
    """`sql` (a rewritten count or page) with each whole-index match of a one-character term
    read from the index's single-character index (`chars_of`: {fts_table: char_table})."""
    if not isinstance(params, dict):
        return sql
    for fts, chars in chars_of.items():
        for param in re.findall(rf"\[{fts}\] where \[{fts}\] match escape_fts\(:(\w+)\)", sql):
            if char_query(params.get(param)) is not None:
                sql = sql.replace(f"[{fts}] where [{fts}] match escape_fts(:{param})",
                                  f"[{chars}] where [{chars}] match escape_char(:{param})")
    return sql


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


async def _char_indexes(db: Any, fts_of: dict[str, tuple[str, str]]) -> dict[str, str]:
    """{fts_table: char_table} for the indexes of `fts_of` whose character index the file has."""
    names = {r[0] for r in (await db.execute("select name from sqlite_master where type = 'table'")).rows}
    return {fts: chars for fts, chars in CHAR_INDEXES.items()
            if chars in names and fts in {f for f, _ in fts_of.values()}}


# The search whose count this request found above the limit: (database, table, term). Set by
# the count (in the request's own task), read when its page is rendered.
_over_limit: ContextVar[tuple[str, str, str] | None] = ContextVar("nianbao_search_over_limit", default=None)


@hookimpl
def startup(datasette):
    async def install():
        for name, db in datasette.databases.items():
            fts_of = _fts_tables(datasette, name)
            if fts_of and await db.execute_fn(is_bigram_archive):
                paged, chars_of = await _rowid_keyed(db, fts_of), await _char_indexes(db, fts_of)
                _search_from_index(db, fts_of, paged, chars_of, count_limit(datasette))

    return install


@hookimpl
def extra_template_vars(template, database, table, request, datasette):
    """On a table page whose search count stopped at the limit: the limit, and the URL of
    the canned query that gives the exact count (``count_<table>``), if there is one."""
    over = _over_limit.get()
    if template != "table.html" or request is None or over is None or over[:2] != (database, table):
        return {}
    terms = {request.args.get(k) for k in request.args if k.startswith("_search")}
    if over[2] not in terms:
        return {}

    async def inner():
        count_url = None
        if request.args.get("_search") == over[2] and await datasette.get_canned_query(
                database, f"count_{table}", request.actor):
            count_url = datasette.urls.query(database, f"count_{table}") + "?" + urllib.parse.urlencode(
                {"q": over[2]})
        return {"search_count_over": count_limit(datasette), "search_count_url": count_url}

    return inner


def _search_from_index(
    db: Any, fts_of: dict[str, tuple[str, str]], paged: dict[str, tuple[str, str]], chars_of: dict[str, str],
    limit: int,
) -> None:
    execute = db.execute

    async def execute_from_index(sql, *args, **kwargs):
        params = args[0] if args else kwargs.get("params")
        if sql.startswith("select count(*)"):
            counted = count_from_index(sql, fts_of, limit)
            if counted is not None:
                results = await execute(single_char_index(counted, params, chars_of), *args, **kwargs)
                m = SEARCH_COUNT.fullmatch(sql)
                if results.rows and results.rows[0][0] is None and m and isinstance(params, dict):
                    _over_limit.set((db.name, m.group(1), str(params.get(m.group(5)))))
                return results
        elif " in (select rowid from " in sql:
            sql = single_char_index(page_from_index(sql, paged) or sql, params, chars_of)
        return await execute(sql, *args, **kwargs)

    db.execute = execute_from_index
