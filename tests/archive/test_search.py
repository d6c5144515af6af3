"""The bigram search index finds exactly what LIKE '%term%' finds, for terms of any length."""

from __future__ import annotations

import random
import sqlite3

import pytest

from nianbao.archive import search


@pytest.fixture(scope="module")
def index(h) -> sqlite3.Connection:
    """Every seed section (and a few edge texts) in a contentless FTS5 table like the archive's."""
    con = sqlite3.connect(":memory:")
    con.execute("create table docs (id integer primary key, text text)")
    con.execute("create virtual table docs_fts using fts5("
                "text, content='', prefix='6', tokenize='unicode61')")
    texts = [s["text"] for seed in h.SEED_IDS for s in h.split_sections(h.seed_text(seed))]
    texts += ["复", "议复", "ABC Hotline", "", "x", "\U0001f600 emoji 😀", "12345热线"]
    for i, text in enumerate(texts, 1):
        con.execute("insert into docs values (?, ?)", (i, text))
        con.execute("insert into docs_fts(rowid, text) values (?, ?)", (i, search.index_tokens(text)))
    return con


def fts_ids(con: sqlite3.Connection, term: str) -> list[int]:
    return sorted(r for (r,) in con.execute(
        "select rowid from docs_fts where docs_fts match ?", (search.match_query(term),)))


def like_ids(con: sqlite3.Connection, term: str) -> list[int]:
    return sorted(r for (r,) in con.execute(
        "select id from docs where text like '%' || ? || '%'", (term,)))


def test_named_terms_match_like(index, search_term):
    assert fts_ids(index, search_term) == like_ids(index, search_term)


@pytest.mark.parametrize("term", ["😀", "t", "T", "复议复议复议复议", " "])
def test_edge_terms_match_like(index, term):
    assert fts_ids(index, term) == like_ids(index, term)


def test_terms_that_occur_are_found(index):
    # guard against a vacuous pass where both sides find nothing
    for term in ["复议", "档案馆", "复", "政府信息公开", "WWW.hp.GOV"]:
        assert fts_ids(index, term), term


def test_random_substrings_of_every_length_match_like(index):
    rng = random.Random(2024)
    texts = [t for (t,) in index.execute("select text from docs where length(text) > 10")]
    checked = 0
    for length in range(1, 9):
        for _ in range(40):
            text = rng.choice(texts)
            start = rng.randrange(0, len(text) - length)
            term = text[start:start + length]
            if "%" in term or "_" in term:  # LIKE wildcards: not a substring test
                continue
            found = fts_ids(index, term)
            assert found == like_ids(index, term), term
            assert found, term
            checked += 1
    assert checked > 250


def test_tokens_are_ascii_bigrams_with_a_last_character():
    assert search.index_tokens("复议A") == "00590d008bae 008bae000061 000061"
    assert search.index_tokens("") == ""
    assert search.index_tokens(None) == ""
    assert search.match_query("复议A") == '"00590d008bae 008bae000061"'
    assert search.match_query("复") == '"00590d"*'


def test_empty_term_lists_every_row_with_text(index):
    everything = sorted(r for (r,) in index.execute("select id from docs where text <> ''"))
    assert fts_ids(index, "") == everything


def test_non_ascii_case_is_not_folded(index):
    # LIKE folds ASCII only; so do we: Ａ (fullwidth) is not ａ
    assert search.match_query("Ａ") != search.match_query("ａ")
    assert search.match_query("A") == search.match_query("a")


def test_character_index_holds_each_character_of_the_bigram_index(index):
    """The single-character index (schema 9) holds exactly the characters the bigram index
    holds (a bigram's first character, and the last one), ASCII letters folded the same way."""
    texts = [t for (t,) in index.execute("select text from docs")]
    assert any(t != t.lower() for t in texts) and "" in texts
    for text in texts:
        tokens = search.index_tokens(text).split()
        assert search.char_tokens(text).split() == sorted({t[:6] for t in tokens}), text
    assert search.char_query("镇") == '"009547"' and search.char_query("T") == search.char_query("t")
    assert search.char_query("复议") is None and search.char_query("") is None
