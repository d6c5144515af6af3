"""Substring search for Chinese text in SQLite FTS5: overlapping character bigrams as ASCII tokens.

FTS5's default tokenizer makes a run of Chinese characters one token (so 复议 inside a
sentence is never found) and the trigram tokenizer ignores terms shorter than three
characters, yet most Chinese words have two. So each text is indexed as the sequence of
its overlapping character bigrams, every character written as its code point in six
lowercase hex digits (a bigram is twelve digits), plus one six-digit token for the last
character. unicode61 then sees plain ASCII words, one per bigram.

A term of n >= 2 characters becomes the FTS5 phrase of its n-1 bigrams: consecutive
bigrams at consecutive positions occur exactly where the term occurs as a substring. A
one-character term becomes a prefix query on its six digits, which matches every bigram
that starts with the character and the final single-character token, i.e. every place
the character occurs. ASCII letters are lowercased on both sides, as SQL LIKE compares
them; nothing else is folded, so results equal ``text LIKE '%term%'`` for any term.

The Datasette plugin (datasette/plugins/nianbao_search.py) installs :func:`match_query`
as ``escape_fts`` so that Datasette's own ``?_search=`` runs these queries — only on
connections to a nianbao archive (:func:`is_bigram_archive`): the plugin is installed for
every Datasette of the environment, and another database's FTS index holds words, not
bigrams.
"""

from __future__ import annotations

import re
import sqlite3
import string

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

# Every token starts with the first hex digit of a code point: 0, or 1 for plane 16.
# An empty search box therefore lists every row with text, as LIKE '%%' would.
MATCH_ALL = '"0"* OR "1"*'


def _hexes(text: str) -> list[str]:
    # UTF-32-BE is each code point in 8 hex digits, the first two always 00 (max 10FFFF)
    digits = text.translate(_ASCII_LOWER).encode("utf-32-be", "surrogatepass").hex()
    return [digits[i + 2:i + 8] for i in range(0, len(digits), 8)]


def index_tokens(text: str | None) -> str:
    """The token string stored in the FTS index for one text (empty for None or '')."""
    hexes = _hexes(text or "")
    if not hexes:
        return ""
    tokens = [hexes[i] + hexes[i + 1] for i in range(len(hexes) - 1)]
    tokens.append(hexes[-1])
    return " ".join(tokens)


def match_query(term: str | None) -> str:
    """The FTS5 MATCH expression that finds exactly the texts containing `term`.

    An empty term (an empty search box submitted) matches every row that has text.
    """
    hexes = _hexes(term or "")
    if not hexes:
        return MATCH_ALL
    if len(hexes) == 1:
        return f'"{hexes[0]}"*'
    return '"' + " ".join(hexes[i] + hexes[i + 1] for i in range(len(hexes) - 1)) + '"'


# The archive's search indexes (archive/schema.py): contentless FTS5 tables whose 6-digit
# prefix index serves one-character terms. No other program makes tables of this shape.
BIGRAM_INDEXES = ("sections_fts", "reports_fts")
_BIGRAM_DDL = re.compile(r"usingfts5\(.*content='',prefix='6'")


def is_bigram_archive(conn: sqlite3.Connection) -> bool:
    """True when the main database of `conn` has the archive's bigram indexes.

    Any database Datasette opens passes through here, so a file that is not SQLite, or
    not readable, is simply not ours.
    """
    try:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
            BIGRAM_INDEXES,
        ).fetchall()
    except sqlite3.DatabaseError:
        return False
    found = {name: re.sub(r"\s+", "", sql or "").lower() for name, sql in rows}
    return set(found) == set(BIGRAM_INDEXES) and all(_BIGRAM_DDL.search(d) for d in found.values())
