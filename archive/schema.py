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
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlite_utils import Database

from ..template import ROW_LABELS
from . import search

SCHEMA_VERSION = 5

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
    for rowid, text in db.execute("SELECT rowid, text FROM sections").fetchall():
        index_section(db, rowid, text)
    for rowid, title, agency, text in db.execute(
        "SELECT rowid, title, agency, text FROM reports"
    ).fetchall():
        index_report(db, rowid, title, agency, text)


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
                f"SELECT {', '.join(k)}, value FROM {t} WHERE report_id = ?", [report_id]).fetchall()]
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


MIGRATIONS: dict[int, Callable[[Database], None]] = {
    1: _v1_contract,
    2: _v2_public_archive,
    3: _v3_crawl_health,
    4: _v4_pages,
    5: _v5_crosschecks,
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
