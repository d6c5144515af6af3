"""The archive's tables, indexes and search index, and the migrations between their versions.

The archive is an interface (journalists, Datasette URLs, CSV columns, other programs),
so its shape changes only through a numbered migration here. ``PRAGMA user_version``
holds the version of an archive file; :func:`migrate` brings any older file up to
:data:`SCHEMA_VERSION` and creates a new one from nothing, one step per version, each
step in its own transaction so that a failed upgrade leaves the file as it was.

Version 1 is the contract of ARCHIVE_DB.md with its required columns only. Version 2
adds what the public archive needs: the original bytes (``blobs``, content-addressed by
sha256), provenance and review columns on ``reports``, template row labels on
``applications``, indexes for the facets, and the bigram search indexes
(``sections_fts``, ``reports_fts``; see archive/search.py). Version 3 adds crawl health and
coverage: ``sources``, ``crawl_runs``, ``crawl_sources``, ``crawl_failures``, ``coverage``.

Version 4 adds what the report and agency pages need: ``agencies`` and ``agency_names``
(one canonical name per agency, archive/agencies.py) with ``reports.agency_id``,
``report_versions`` (every reading, archive/versions.py), ``checks.equations`` (each
failing equation with both sides as printed, archive/layout.py) and the view
``report_figures`` (archive/figures.py).

Version 5 adds the cross-checks: the ``prose`` checks' own columns on ``checks``
(``sentence``, ``stated``, ``printed``, ``about``; parsers/prose.py), ``year_checks``
(carry-over between consecutive years and spikes, archive/crosschecks.py), ``copies``
(mirror pages of a report) and ``reports.official`` (archive/copies.py).

Version 6 makes the archive compact enough for a national archive on one machine
(docs/scale.md): the cell tables keyed by their report, the row label computed instead of
repeated, search indexes without the prefix index, and the index that loading by URL needs.

Version 7 stores ``applications.row_label`` again: a generated column is hidden from
``PRAGMA table_info``, so sqlite-utils, and any program that lists a table's columns that
way, saw a contract column missing (docs/scale.md has what it costs).

Version 8 puts the text first in the reports' search index: FTS5 marks every entry of a
column other than the first with the column's number, so ``reports_fts(title, agency,
text)`` spent about 1.7 KB a report on markers (docs/scale.md); ``reports_fts(text, title,
agency)`` finds the same rows. Version 10 does the same for an archive that passed version
8 while it was reserved (a step that changed nothing), and nothing for any other.

Version 11 sets the search indexes' in-memory budget for pending entries (FTS5
``hashsize``) to 16 MiB, so that a bulk load writes one index segment per batch
(``_tune_index``).

Version 9 adds ``sections_chars``, the single-character index of ``sections``
(archive/search.py, ``CHAR_INDEXES``): a one-character search reads one list of rowids
instead of merging every bigram that starts with the character (docs/scale.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlite_utils import Database

from ..template import ROW_LABELS
from . import search

SCHEMA_VERSION = 11

# The template's own labels of section 三's rows (both formats; 3.6 is the 2019 single row).
APPLICATION_ROW_LABELS: dict[str, str] = ROW_LABELS

_REPORT_FK = [("report_id", "reports", "id")]


def _v1_contract(db: Database) -> None:
    """The tables and required columns of ARCHIVE_DB.md."""
    db.table("reports").create(
        {
            "id": str, "agency": str, "year": int, "title": str, "template": str, "url": str,
            "published": str, "fetched_at": str, "sha256": str, "status": str,
        },
        pk="id",
    )
    db.table("sections").create(
        {"id": int, "report_id": str, "number": int, "heading": str, "text": str},
        pk="id", foreign_keys=_REPORT_FK,
    )
    db.table("active_disclosure").create(
        {
            "id": int, "report_id": str, "article": str, "item": str, "metric": str,
            "value": "ANY", "unit": str, "raw": str,
        },
        pk="id", foreign_keys=_REPORT_FK,
    )
    db.table("applications").create(
        {
            "id": int, "report_id": str, "row": str, "row_label": str, "applicant": str,
            "value": int, "raw": str,
        },
        pk="id", foreign_keys=_REPORT_FK,
    )
    db.table("reviews").create(
        {"id": int, "report_id": str, "stage": str, "outcome": str, "value": int, "raw": str},
        pk="id", foreign_keys=_REPORT_FK,
    )
    db.table("checks").create(
        {"id": int, "report_id": str, "name": str, "ok": int, "cells": str},
        pk="id", foreign_keys=_REPORT_FK,
    )
    db.table("documents").create(
        {
            "id": int, "url": str, "sha256": str, "content_type": str, "fetched_at": str,
            "report_id": str,
        },
        pk="id", foreign_keys=_REPORT_FK,
    )


def _add_missing(db: Database, table: str, columns: dict[str, object]) -> None:
    have = set(db.table(table).columns_dict)
    for name, col_type in columns.items():
        if name not in have:
            db.table(table).add_column(name, col_type)


def _v2_public_archive(db: Database) -> None:
    """Bytes, provenance, row labels, facet indexes and the bigram search indexes."""
    _add_missing(db, "reports", {
        "region": str, "level": str, "source_id": str, "script": str, "kind": str,
        "flags": str, "text": str, "source": str, "digest": str,
    })
    _add_missing(db, "applications", {"row_label": str, "inferred": int})
    _add_missing(db, "active_disclosure", {"inferred": "ANY"})
    _add_missing(db, "reviews", {"inferred": int})
    _add_missing(db, "documents", {
        "kind": str, "length": int, "warc_file": str, "warc_offset": int,
    })
    if "blobs" not in db.table_names():
        db.table("blobs").create({"sha256": str, "length": int, "content": bytes}, pk="sha256")

    for row, label in APPLICATION_ROW_LABELS.items():
        db.execute(
            "UPDATE applications SET row_label = ? WHERE row = ? AND row_label IS NULL", [label, row]
        )

    for table, columns in {
        "reports": [["year"], ["agency"], ["region"], ["template"], ["status"], ["sha256"]],
        "sections": [["report_id"]],
        # cells are looked up per report: (row, applicant) alone would tempt SQLite's planner
        # into scanning every report's row 1 inside per-report subqueries.
        "active_disclosure": [["report_id", "article", "item", "metric"]],
        "applications": [["report_id", "row", "applicant"]],
        "reviews": [["report_id", "stage", "outcome"]],
        "checks": [["report_id"], ["ok"]],
        "documents": [["report_id", "url", "sha256"], ["sha256"]],
    }.items():
        for cols in columns:
            db.table(table).create_index(cols, if_not_exists=True)

    # Contentless FTS5 tables: they hold the bigram index only, not a second copy of the
    # text; rowid = the row's rowid in sections / reports. load.py keeps them in step.
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS sections_fts USING fts5("
        "text, content='', prefix='6', tokenize='unicode61')"
    )
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS reports_fts USING fts5("
        "title, agency, text, content='', prefix='6', tokenize='unicode61')"
    )
    reindex_all(db)


def _v3_crawl_health(db: Database) -> None:
    """The registry, each crawl run, each source in each run, every failure, and coverage.

    Loaded by archive/health.py (from the crawler's run journal) and archive/coverage.py
    (agency x year, derived from reports and runs); see those modules for the meanings.
    """
    db.table("sources").create(
        {
            "id": str, "url": str, "level": str, "region": str, "agency": str, "agencies": str,
            "platform": str, "allowed_domains": str, "verified": int, "note": str,
            "first_seen": str, "last_run_id": str, "last_status": str, "last_reason": str,
            "last_reason_zh": str, "last_reason_en": str, "last_detail": str, "last_success": str,
            "last_new_report": str, "days_since_new_report": int, "usual_interval_days": int,
        },
        pk="id", if_not_exists=True,
    )
    db.table("crawl_runs").create(
        {
            "id": str, "started": str, "finished": str, "nianbao_version": str, "settings": str,
            "finish_reason": str, "log_file": str, "sources_crawled": int, "sources_ok": int,
            "sources_stale": int, "sources_partial": int, "sources_failed": int, "sources_skipped": int,
            "pages": int, "reports_found": int, "reports_new": int, "reports_changed": int,
            "reports_unchanged": int, "reports_failed": int, "reports_unaccounted": int,
            "documents_new": int, "documents_changed": int, "documents_unchanged": int,
            "failures": int, "build_new": int, "build_changed": int, "build_failed": int,
            "exit_status": int,
        },
        pk="id", if_not_exists=True,
    )
    db.table("crawl_sources").create(
        {
            "id": int, "run_id": str, "source_id": str, "started": str, "status": str, "reason": str,
            "reason_zh": str, "reason_en": str, "detail": str, "pages": int, "list_links": int,
            "adapters": str, "reports_found": int, "reports_new": int, "reports_changed": int,
            "reports_unchanged": int, "reports_failed": int, "reports_unaccounted": int,
            "documents_new": int, "documents_changed": int, "documents_unchanged": int,
            "documents_failed": int, "errors": str, "report_years": str, "first_year": int,
            "last_year": int, "newest_published": str, "last_success": str, "last_new_report": str,
            "days_since_new_report": int, "usual_interval_days": int,
        },
        pk="id", foreign_keys=[("run_id", "crawl_runs", "id"), ("source_id", "sources", "id")],
        if_not_exists=True,
    )
    db.table("crawl_failures").create(
        {
            "id": int, "run_id": str, "source_id": str, "url": str, "report_url": str, "kind": str,
            "kind_zh": str, "reason": str,
        },
        pk="id", foreign_keys=[("run_id", "crawl_runs", "id"), ("source_id", "sources", "id")],
        not_null={"kind", "reason"}, if_not_exists=True,
    )
    db.table("coverage").create(
        {
            "agency": str, "year": int, "status": str, "status_zh": str, "published": str,
            "deadline": str, "deadline_kind": str, "days_late": int, "report_id": str,
            "source_ids": str, "last_crawl": str, "note": str,
        },
        pk=("agency", "year"), if_not_exists=True,
    )
    for table, columns in {
        "crawl_sources": [["run_id", "source_id"], ["source_id", "started"], ["status"]],
        "crawl_failures": [["run_id", "source_id"], ["kind"]],
        "crawl_runs": [["started"]],
        "coverage": [["year", "status"], ["status"]],
        "reports": [["source_id"]],
    }.items():
        for cols in columns:
            db.table(table).create_index(cols, if_not_exists=True, unique=cols == ["run_id", "source_id"]
                                   and table == "crawl_sources")


def _v4_pages(db: Database) -> None:
    """Agencies and their names, report versions, failing equations, the key figures view."""
    from . import agencies, figures, layout, versions

    agencies.create_tables(db)
    versions.create_tables(db)
    _add_missing(db, "checks", {"equations": str})
    for report_id, in db.execute(
        "SELECT DISTINCT report_id FROM checks WHERE ok = 0 AND equations IS NULL"
    ).fetchall():
        values = layout.values_of({
            t: [dict(zip(k, r, strict=True)) for r in db.execute(
                f"SELECT {', '.join(k)} FROM {t} WHERE report_id = ?", [report_id]).fetchall()]
            for t, k in (("applications", ("row", "applicant", "value")),
                         ("reviews", ("stage", "outcome", "value")))
        })
        for cid, name, cells in db.execute(
            "SELECT id, name, cells FROM checks WHERE report_id = ? AND ok = 0", [report_id]
        ).fetchall():
            eqs = layout.equations_json_for_check({"name": name, "ok": False,
                                                   "cells": json.loads(cells or "[]")}, values)
            db.execute("UPDATE checks SET equations = ? WHERE id = ?",
                       [json.dumps(eqs, ensure_ascii=False), cid])
    figures.create_view(db)


def _v5_crosschecks(db: Database) -> None:
    """Prose checks' columns, checks between years, mirror copies and official sources."""
    from . import copies, crosschecks

    _add_missing(db, "checks", {"sentence": str, "stated": int, "printed": int, "about": str})
    copies.create_tables(db)
    crosschecks.create_tables(db)


# --- version 6: compact cells and search indexes ------------------------------------------

# The cell tables of v6: (column, declaration) in the order Datasette shows them. The key
# is (report_id, id), id being the cell's number within its report in the order the
# parser read it (the printed order; before v6, id numbered every cell of the archive and
# gave the same order within a report), so a report's cells are stored together, found
# without a second index, and a table is WITHOUT ROWID: no separate rowid b-tree.
CELL_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "active_disclosure": [
        ("report_id", "TEXT REFERENCES reports(id)"), ("id", "INTEGER"), ("article", "TEXT"),
        ("item", "TEXT"), ("metric", "TEXT"), ("value", "ANY"), ("unit", "TEXT"), ("raw", "TEXT"),
        ("inferred", "ANY"),
    ],
    "applications": [
        ("report_id", "TEXT REFERENCES reports(id)"), ("id", "INTEGER"), ("row", "TEXT"),
        ("row_label", "TEXT"), ("applicant", "TEXT"),
        ("value", "INTEGER"), ("raw", "TEXT"), ("inferred", "INTEGER"),
    ],
    "reviews": [
        ("report_id", "TEXT REFERENCES reports(id)"), ("id", "INTEGER"), ("stage", "TEXT"),
        ("outcome", "TEXT"), ("value", "INTEGER"), ("raw", "TEXT"), ("inferred", "INTEGER"),
    ],
}
# What identifies a cell within its report, per cell table (the loader, versions and copies
# compare cells by these).
CELL_KEYS: dict[str, tuple[str, ...]] = {
    "active_disclosure": ("article", "item", "metric"),
    "applications": ("row", "applicant"),
    "reviews": ("stage", "outcome"),
}
# Search index options. No prefix index: it stored every character a second time (a
# one-character term is a prefix query over the bigrams that start with it instead;
# docs/scale.md has the sizes and timings).
FTS_OPTIONS = "content='', tokenize='unicode61'"
FTS_AUTOMERGE = 8
FTS_HASHSIZE = 16 * 1024 * 1024
# The columns of reports_fts since version 8 (before: title, agency, text). The first
# column's entries carry no column marker, and the text is most of the entries.
REPORTS_FTS_COLUMNS = ("text", "title", "agency")


def _cell_table_sql(table: str, name: str) -> str:
    columns = ", ".join(f"[{col}] {decl}" for col, decl in CELL_COLUMNS[table])
    return f"CREATE TABLE [{name}] ({columns}, PRIMARY KEY (report_id, id)) WITHOUT ROWID"


def _swap_cell_tables(db: Database, tables: list[str], new_id: str, suffix: str) -> None:
    """Rebuild `tables` with CELL_COLUMNS' declarations, copying every stored column (`new_id`
    gives each cell's id from the old table's columns); views over them are set aside."""
    views = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall()
    for name, _ in views:
        db.execute(f"DROP VIEW [{name}]")
    for table in tables:
        stored = [c for c, _ in CELL_COLUMNS[table] if c != "id"]
        db.execute(_cell_table_sql(table, f"{table}_{suffix}"))
        db.execute(
            f"INSERT INTO [{table}_{suffix}] (id, {', '.join(stored)}) "
            f"SELECT {new_id}, {', '.join(stored)} FROM [{table}]"
        )
        db.execute(f"DROP TABLE [{table}]")
        db.execute(f"ALTER TABLE [{table}_{suffix}] RENAME TO [{table}]")
    for _, sql in views:
        db.execute(sql)


def _v6_compact(db: Database) -> None:
    """Cell tables keyed by (report_id, id); FTS without prefix."""
    # the old id gives the printed order; the new one restarts at 0 in every report
    _swap_cell_tables(db, list(CELL_COLUMNS), "row_number() OVER (PARTITION BY report_id ORDER BY id) - 1",
                      "v6")
    db.table("reports").create_index(["url"], if_not_exists=True)
    for name in ("sections_fts", "reports_fts"):
        db.execute(f"DROP TABLE IF EXISTS [{name}]")
    _create_fts(db)
    reindex_all(db)


def _v7_visible_columns(db: Database) -> None:
    """applications.row_label stored, so PRAGMA table_info lists every contract column."""
    if "row_label" not in {r[1] for r in db.execute("PRAGMA table_info(applications)")}:
        _swap_cell_tables(db, ["applications"], "id", "v7")  # reads the generated label


def _v8_reports_index_text_first(db: Database) -> None:
    """reports_fts rebuilt with the text as its first column (same rows found, smaller).

    Also step 10: an archive that went through 8 while it was reserved (doing nothing) has
    the old column order still; one that has the new order is left as it is.
    """
    if tuple(r[1] for r in db.execute("PRAGMA table_info(reports_fts)")) == REPORTS_FTS_COLUMNS:
        return
    db.execute("DROP TABLE IF EXISTS reports_fts")
    _create_reports_fts(db, REPORTS_FTS_COLUMNS)
    reindex_reports(db)


# The single-character indexes (search.CHAR_INDEXES): rowids only, no positions, and no
# per-row token counts (columnsize=0: they serve ranking, and a one-character search is
# listed in the table's order).
CHAR_OPTIONS = "content='', detail=none, columnsize=0, tokenize='unicode61'"


def _v9_char_index(db: Database) -> None:
    """sections_chars: each section's characters, for one-character searches."""
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS sections_chars USING fts5(text, {CHAR_OPTIONS})")
    _tune_index(db, "sections_chars")
    db.conn.executemany(
        _FTS_SQL[("sections_chars", "insert")],
        ((rowid, search.char_tokens(text))
         for rowid, text in db.conn.execute("SELECT rowid, text FROM sections")),
    )


def _create_fts(db: Database) -> None:
    # Contentless FTS5 tables: they hold the bigram index only, not a second copy of the
    # text; rowid = the row's rowid in sections / reports. load.py keeps them in step.
    # (version 6's shape; version 8 recreates reports_fts with the text first)
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS sections_fts USING fts5(text, {FTS_OPTIONS})")
    _tune_index(db, "sections_fts")
    _create_reports_fts(db, ("title", "agency", "text"))


def _create_reports_fts(db: Database, columns: tuple[str, ...]) -> None:
    db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS reports_fts USING fts5({', '.join(columns)}, {FTS_OPTIONS})"
    )
    _tune_index(db, "reports_fts")


def _tune_index(db: Database, name: str) -> None:
    """Settings of a search index for bulk loads (kept in the index's own config table).

    Segments merged 8 at a time instead of 4: a fifth less work for a bulk load. And FTS5
    keeps up to FTS_HASHSIZE of pending entries in memory before it writes a segment: at
    its default of 1 MiB a batch of 1,000 reports became a dozen small segments per index,
    each merged again later; at 16 MiB it is one (flush CPU 6.2 -> 4.1 s over 15,000
    reports, 64 MiB did no better; the loader's peak memory +12 MiB).
    """
    db.execute(f"INSERT INTO {name}({name}, rank) VALUES ('automerge', {FTS_AUTOMERGE})")
    db.execute(f"INSERT INTO {name}({name}, rank) VALUES ('hashsize', {FTS_HASHSIZE})")


def _v11_index_hashsize(db: Database) -> None:
    """The search indexes of an existing archive get the bulk-load settings (_tune_index);
    steps 2, 8 and 9 made all three."""
    for name in ("sections_fts", "reports_fts", *search.CHAR_INDEXES.values()):
        _tune_index(db, name)


def reindex_all(db: Database) -> None:
    """Fill both search indexes from the tables (after creating them empty)."""
    conn = db.conn
    tokens = search.index_tokens
    conn.executemany(
        "INSERT INTO sections_fts(rowid, text) VALUES (?, ?)",
        ((rowid, tokens(text)) for rowid, text in conn.execute("SELECT rowid, text FROM sections")),
    )
    reindex_reports(db)


def reindex_reports(db: Database) -> None:
    """Fill the reports' search index from the table (after creating it empty).

    The columns are named, so this fills the index of version 2, 6 or 8 alike.
    """
    conn = db.conn
    tokens = search.index_tokens
    conn.executemany(
        _FTS_SQL[("reports_fts", "insert")],
        (
            (rowid, tokens(text), tokens(title), tokens(agency))
            for rowid, title, agency, text in conn.execute(
                "SELECT rowid, title, agency, text FROM reports"
            )
        ),
    )


MIGRATIONS: dict[int, Callable[[Database], None]] = {
    1: _v1_contract,
    2: _v2_public_archive,
    3: _v3_crawl_health,
    4: _v4_pages,
    5: _v5_crosschecks,
    6: _v6_compact,
    7: _v7_visible_columns,
    8: _v8_reports_index_text_first,
    9: _v9_char_index,
    10: _v8_reports_index_text_first,
    11: _v11_index_hashsize,
}


def version(db: Database) -> int:
    """The schema version recorded in the file (0 for a new, empty file)."""
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: Database) -> int:
    """Bring the archive up to SCHEMA_VERSION, one transaction per step; returns the version."""
    current = version(db)
    if current > SCHEMA_VERSION:
        path = db.execute("PRAGMA database_list").fetchone()[2] or ":memory:"
        raise RuntimeError(
            f"{path}: archive schema version {current} is newer than this program "
            f"({SCHEMA_VERSION}); upgrade nianbao"
        )
    for target in range(current + 1, SCHEMA_VERSION + 1):
        with db.atomic():
            MIGRATIONS[target](db)
            db.execute(f"PRAGMA user_version = {int(target)}")
    return version(db)


# --- the search indexes (contentless FTS5: a delete must repeat the indexed values) ---

_FTS_SQL = {
    ("sections_fts", "insert"): "INSERT INTO sections_fts(rowid, text) VALUES (?, ?)",
    ("sections_fts", "delete"):
        "INSERT INTO sections_fts(sections_fts, rowid, text) VALUES ('delete', ?, ?)",
    # (columns named in the order of version 8; named, they fit the older shapes too)
    ("reports_fts", "insert"): "INSERT INTO reports_fts(rowid, text, title, agency) VALUES (?, ?, ?, ?)",
    ("reports_fts", "delete"):
        "INSERT INTO reports_fts(reports_fts, rowid, text, title, agency) VALUES ('delete', ?, ?, ?, ?)",
    ("sections_chars", "insert"): "INSERT INTO sections_chars(rowid, text) VALUES (?, ?)",
    ("sections_chars", "delete"):
        "INSERT INTO sections_chars(sections_chars, rowid, text) VALUES ('delete', ?, ?)",
}
Sections = list[tuple[int, str | None]]  # (sections.id, text) of one report
# index tokens of a report's text, its title, each section; each section's characters
Tokens = tuple[str, str, list[str], list[str]]


class SearchIndexWrites:
    """Changes to both search indexes, queued, then written in order by :meth:`flush`.

    FTS5 writes its pending index data to disk at every savepoint, so indexing each report
    inside its own savepoint made a new index segment per report and spent most of a load
    merging them. The loader queues a report's index changes once its savepoint has
    succeeded and flushes the queue at the end of the batch's transaction: the index stays
    in step with the tables, and is written in large segments. Order is kept (a contentless
    index must see a row's delete after its insert, with the same values). A report and its
    sections are queued together, so that each character is converted to tokens once.
    """

    CHUNK = 200  # reports tokenised and written at a time (bounds the memory a flush takes)

    def __init__(self) -> None:
        self._ops: list[tuple[str, int, str | None, str | None, str | None, Sections, Tokens | None]] = []

    def __len__(self) -> int:
        return len(self._ops)

    def extend(self, other: SearchIndexWrites) -> None:
        self._ops.extend(other._ops)

    def add(self, rowid: int, title: str | None, agency: str | None, text: str | None,
            sections: Sections, tokens: Tokens | None = None) -> None:
        """Index a report (reports.rowid) and its sections.

        `tokens`: the index tokens of the text, the title and each section, and each
        section's characters (search.char_tokens), when already made (archive/prepare.py
        makes them in a second process); else made at the flush.
        """
        self._ops.append(("insert", rowid, title, agency, text, sections, tokens))

    def remove(self, rowid: int, title: str | None, agency: str | None, text: str | None,
               sections: Sections) -> None:
        """Forget a report and its sections, given the values they were indexed with."""
        self._ops.append(("delete", rowid, title, agency, text, sections, None))

    def flush(self, db: Database) -> None:
        """Write the queued changes, one executemany per run of one kind and table."""
        tokens_of = search.index_tokens
        for start in range(0, len(self._ops), self.CHUNK):
            rows: dict[str, list[tuple[str, tuple[object, ...]]]] = {
                "reports_fts": [], "sections_fts": [], "sections_chars": []}
            for kind, rowid, title, agency, text, sections, made in self._ops[start:start + self.CHUNK]:
                if made is None:
                    tokens, parts = search.index_tokens_of(text, [t for _, t in sections])
                    title_tokens = tokens_of(title)
                    chars = [search.char_tokens(t) for _, t in sections]
                else:
                    tokens, title_tokens, parts, chars = made
                rows["reports_fts"].append((kind, (rowid, tokens, title_tokens, tokens_of(agency))))
                rows["sections_fts"].extend(
                    (kind, (sid, part)) for (sid, _), part in zip(sections, parts, strict=True)
                )
                rows["sections_chars"].extend(
                    (kind, (sid, c)) for (sid, _), c in zip(sections, chars, strict=True)
                )
            for table, ops in rows.items():
                i = 0
                while i < len(ops):
                    j = i
                    while j < len(ops) and ops[j][0] == ops[i][0]:
                        j += 1
                    db.conn.executemany(_FTS_SQL[(table, ops[i][0])], [values for _, values in ops[i:j]])
                    i = j
        self._ops.clear()
