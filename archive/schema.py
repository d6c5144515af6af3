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
(``sections_fts``, ``reports_fts``; see archive/search.py).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from ..template import ROW_LABELS
from . import search

SCHEMA_VERSION = 2

# The template's own labels of section 三's rows (both formats; 3.6 is the 2019 single row).
APPLICATION_ROW_LABELS: dict[str, str] = ROW_LABELS

_REPORT_FK = [("report_id", "reports", "id")]


def _v1_contract(db: Database) -> None:
    """The tables and required columns of ARCHIVE_DB.md."""
    db["reports"].create(
        {
            "id": str, "agency": str, "year": int, "title": str, "template": str, "url": str,
            "published": str, "fetched_at": str, "sha256": str, "status": str,
        },
        pk="id",
    )
    db["sections"].create(
        {"id": int, "report_id": str, "number": int, "heading": str, "text": str},
        pk="id", foreign_keys=_REPORT_FK,
    )
    db["active_disclosure"].create(
        {
            "id": int, "report_id": str, "article": str, "item": str, "metric": str,
            "value": "ANY", "unit": str, "raw": str,
        },
        pk="id", foreign_keys=_REPORT_FK,
    )
    db["applications"].create(
        {
            "id": int, "report_id": str, "row": str, "row_label": str, "applicant": str,
            "value": int, "raw": str,
        },
        pk="id", foreign_keys=_REPORT_FK,
    )
    db["reviews"].create(
        {"id": int, "report_id": str, "stage": str, "outcome": str, "value": int, "raw": str},
        pk="id", foreign_keys=_REPORT_FK,
    )
    db["checks"].create(
        {"id": int, "report_id": str, "name": str, "ok": int, "cells": str},
        pk="id", foreign_keys=_REPORT_FK,
    )
    db["documents"].create(
        {
            "id": int, "url": str, "sha256": str, "content_type": str, "fetched_at": str,
            "report_id": str,
        },
        pk="id", foreign_keys=_REPORT_FK,
    )


def _add_missing(db: Database, table: str, columns: dict[str, object]) -> None:
    have = set(db[table].columns_dict)
    for name, col_type in columns.items():
        if name not in have:
            db[table].add_column(name, col_type)


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
        db["blobs"].create({"sha256": str, "length": int, "content": bytes}, pk="sha256")

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
            db[table].create_index(cols, if_not_exists=True)

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
    for rowid, text in db.execute("SELECT rowid, text FROM sections").fetchall():
        index_section(db, rowid, text)
    for rowid, title, agency, text in db.execute(
        "SELECT rowid, title, agency, text FROM reports"
    ).fetchall():
        index_report(db, rowid, title, agency, text)


MIGRATIONS: dict[int, Callable[[Database], None]] = {
    1: _v1_contract,
    2: _v2_public_archive,
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

def index_section(db: Database, rowid: int, text: str | None) -> None:
    db.execute(
        "INSERT INTO sections_fts(rowid, text) VALUES (?, ?)", [rowid, search.index_tokens(text)]
    )


def unindex_section(db: Database, rowid: int, text: str | None) -> None:
    db.execute(
        "INSERT INTO sections_fts(sections_fts, rowid, text) VALUES ('delete', ?, ?)",
        [rowid, search.index_tokens(text)],
    )


def index_report(
    db: Database, rowid: int, title: str | None, agency: str | None, text: str | None
) -> None:
    db.execute(
        "INSERT INTO reports_fts(rowid, title, agency, text) VALUES (?, ?, ?, ?)",
        [rowid, search.index_tokens(title), search.index_tokens(agency), search.index_tokens(text)],
    )


def unindex_report(
    db: Database, rowid: int, title: str | None, agency: str | None, text: str | None
) -> None:
    db.execute(
        "INSERT INTO reports_fts(reports_fts, rowid, title, agency, text) VALUES ('delete', ?, ?, ?, ?)",
        [rowid, search.index_tokens(title), search.index_tokens(agency), search.index_tokens(text)],
    )
