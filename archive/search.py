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

_ASCII_UPPER = re.compile("[A-Z]+")

# Every token starts with the first hex digit of a code point: 0, or 1 for plane 16.
# An empty search box therefore lists every row with text, as LIKE '%%' would.
MATCH_ALL = '"0"* OR "1"*'


def _lower(m: re.Match[str]) -> str:
    return m.group().lower()


def _hexes(text: str) -> list[str]:
    # UTF-32-BE is each code point in 8 hex digits, the first two always 00 (max 10FFFF):
    # hex(" ", 4) spaces the groups, and the leading 00 of each is dropped.
    if not text:
        return []
    lowered = _ASCII_UPPER.sub(_lower, text)  # ASCII only, as LIKE folds (str.lower folds more)
    grouped = lowered.encode("utf-32-be", "surrogatepass").hex(" ", 4)
    return grouped[2:].replace(" 00", " ").split(" ")


def _tokens(hexes: list[str], bigrams: list[str], start: int, end: int) -> str:
    """Tokens of the characters start..end-1, from the text's hexes and bigrams."""
    if end <= start:
        return ""
    return " ".join([*bigrams[start:end - 1], hexes[end - 1]])


def index_tokens(text: str | None) -> str:
    """The token string stored in the FTS index for one text (empty for None or '')."""
    hexes = _hexes(text or "")
    return _tokens(hexes, [*map(str.__add__, hexes, hexes[1:])], 0, len(hexes))


def index_tokens_of(text: str | None, parts: list[str | None]) -> tuple[str, list[str]]:
    """index_tokens of `text` and of each of `parts`, converting each character once.

    A report's text holds its sections' texts: each part found in `text` (in order) is
    cut from the text's own tokens; a part that is not found is converted on its own.
    """
    whole = text or ""
    hexes = _hexes(whole)
    bigrams = [*map(str.__add__, hexes, hexes[1:])]
    out = []
    at = 0
    for part in parts:
        if not part:
            out.append("")
            continue
        found = whole.find(part, at)
        if found < 0:
            found = whole.find(part)
        if found < 0:
            out.append(index_tokens(part))
            continue
        out.append(_tokens(hexes, bigrams, found, found + len(part)))
        at = found + len(part)
    return _tokens(hexes, bigrams, 0, len(hexes)), out


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


# The single-character index of a bigram index (schema version 9): for each row, the set of
# its characters, six hex digits each, in a contentless FTS5 table with detail=none (rowids
# only, no positions). A one-character term is one token there: one doclist read in rowid
# order, where the bigram index must merge the doclists of every bigram that starts with
# the character before it can give a first row or a count. Phrases need positions, so
# every other term stays with the bigram index.
CHAR_INDEXES = {"sections_fts": "sections_chars"}


def char_tokens(text: str | None) -> str:
    """The token string stored in the character index for one text: each of its distinct
    characters once, as index_tokens writes them (ASCII letters lowercased), in order."""
    return " ".join(sorted(set(_hexes("".join(set(text or ""))))))


def char_query(term: str | None) -> str | None:
    """The character index's MATCH expression for a one-character term; None for any other
    term (those need the bigram index's phrases)."""
    hexes = _hexes(term or "")
    return f'"{hexes[0]}"' if len(hexes) == 1 else None


# The archive's search indexes (archive/schema.py): contentless FTS5 tables over ASCII
# tokens, with the 6-digit prefix index of versions 2-4 or without it (version 5). No other
# program makes tables of this shape.
BIGRAM_INDEXES = ("sections_fts", "reports_fts")
_BIGRAM_DDL = re.compile(r"usingfts5\(.*content=''(,prefix='6')?,tokenize='unicode61'\)")


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
