"""Make Datasette's standard ``?_search=`` find Chinese substrings of any length.

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
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from nianbao.archive.search import is_bigram_archive, match_query


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    if is_bigram_archive(conn):
        conn.create_function("escape_fts", 1, match_query, deterministic=True)
