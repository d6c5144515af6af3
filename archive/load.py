"""Loading parsed reports and their captured bytes into the archive, all or nothing.

A report is written whole or not at all: its captured documents (every version is kept,
with the original bytes content-addressed in ``blobs``), its row in ``reports``, its
sections, table cells and checks, and the search index entries. ``load_reports`` writes
many reports in one transaction (the bulk path of builds and benchmarks: one commit per
batch, each report in a savepoint of it); ``load_report`` is a batch of one. A crash
half-way leaves the archive as it was. Loading the same captures and the same parse again writes
nothing; a new capture of a known report adds a ``documents`` row and replaces the
report's rows with the new reading, while the old bytes stay retrievable.

``reports.id`` must survive re-crawls (journalists link to it), so it is derived from the
agency and the year when both are known, and from the report's URL otherwise.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..contract import STATUSES, LoadDocument, RecordError, report_status, validate, validate_report
from . import agencies, copies, crosschecks, layout, schema, transaction, versions

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_V2_CHECK_KEYS = ("report_id", "name", "ok", "cells")
_CELL_KEYS = schema.CELL_KEYS
_CELL_TABLES = tuple(_CELL_KEYS)


class LoadError(ValueError):
    """A report or document that cannot be archived; the message names it and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


@dataclass(frozen=True)
class LoadResult:
    report_id: str
    change: str  # "new" | "changed" | "unchanged"
    copy_of: str | None = None  # a mirror recorded as a copy of this report (change "unchanged")


def open_archive(path: str | Path) -> Database:
    """Open (creating it and its directory, or migrating, as needed) the archive at `path`.

    Inside a build (archive/transaction.py) this is the build's one connection. The file
    is kept in WAL mode so that a served archive can be written without disturbing it.
    """
    building = transaction.current(path)
    if building is not None:
        return building
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    schema.migrate(db)
    return db


def known_sha256(db: Database) -> set[str]:
    """The sha256 of every capture the archive already holds, to skip unchanged ones."""
    return {sha for (sha,) in db.execute("SELECT DISTINCT sha256 FROM documents") if sha}


def report_id_for(agency: str | None, year: int | None, url: str) -> str:
    """Stable id: from agency and year when both are known, else from the report URL."""
    agency_key = re.sub(r"\s+", "", agency or "")
    key = f"agency-year\x00{agency_key}\x00{int(year)}" if agency_key and year else f"url\x00{url}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _is_number(value: Any) -> bool:
    return value is None or (type(value) in (int, float)) or (
        isinstance(value, int | float) and not isinstance(value, bool)
    )


def _number(value: Any, where: str, source: str) -> int | float | None:
    if not _is_number(value):
        raise LoadError(source, f"{where}: value {value!r} is not a number")
    return value


def _check_documents(documents: Sequence[object], source: str) -> list[LoadDocument]:
    """The documents validated as nianbao.contract.LoadDocument (fields and types), with a
    sha256 of 64 hex digits that their content, when given, really has."""
    if not isinstance(documents, list | tuple) or not documents:
        raise LoadError(source, "no captured document given for the report")
    checked: list[LoadDocument] = []
    for doc in documents:
        url = doc.get("url") if isinstance(doc, dict) else None
        if not url:
            raise LoadError(source, "a document has no url")
        name = str(url)
        try:
            valid = validate(LoadDocument, doc, name)
        except RecordError as exc:
            raise LoadError(name, exc.problem) from None
        sha = valid["sha256"]
        if not _SHA256.match(sha):
            raise LoadError(name, f"sha256 {sha!r} is not 64 lowercase hex digits")
        content = valid["content"]
        if content is not None:
            actual = hashlib.sha256(content).hexdigest()
            if actual != sha:
                raise LoadError(name, f"content has sha256 {actual}, not the declared {sha}")
        checked.append(valid)
    return checked


def _cell_rows(report: dict[str, Any], report_id: str, source: str) -> dict[str, list[dict[str, Any]]]:
    """The cells of the three tables as rows, checked: keys present, values numbers or null.

    The rows keep the shape version 2 stored (row labels included) because the report's
    digest is computed over them. Written for speed: a build calls it for every report.
    """
    rows: dict[str, list[dict[str, Any]]] = {}
    labels = schema.APPLICATION_ROW_LABELS
    for table in _CELL_TABLES:
        keys = _CELL_KEYS[table]
        out = []
        for cell in report.get(table) or []:
            if not isinstance(cell, dict):
                raise LoadError(source, f"{table}: a cell is {type(cell).__name__}, not an object")
            row = {k: cell.get(k) for k in keys}
            if None in row.values() or "" in row.values():
                missing = [k for k in keys if row[k] in (None, "")]
                raise LoadError(source, f"{table}: cell {cell!r} has no {', '.join(missing)}")
            value, inferred = cell.get("value"), cell.get("inferred")
            if not (_is_number(value) and _is_number(inferred)):
                label = "/".join(str(row[k]) for k in keys)
                _number(value, f"{table} {label}", source)
                _number(inferred, f"{table} {label} (inferred)", source)
            row["report_id"] = report_id
            row["value"] = value
            row["inferred"] = inferred
            row["raw"] = cell.get("raw")
            if table == "active_disclosure":
                row["unit"] = cell.get("unit")
            elif table == "applications":
                row["row"] = key = str(row["row"])
                row["row_label"] = labels.get(key)
            out.append(row)
        rows[table] = out
    return rows


def _status(report: dict[str, Any], checks: list[dict[str, Any]], source: str) -> str:
    """The report's status (nianbao.contract): recomputed from its checks, and a status the
    parser stated must agree, so that the archive never shows another meaning."""
    status = report_status(checks)
    stated = report.get("status")
    if stated is not None and stated not in STATUSES:
        raise LoadError(source, f"status {stated!r} is not one of {', '.join(STATUSES)}")
    if stated is not None and stated != status:
        raise LoadError(source, f"status {stated!r} disagrees with its checks ({status})")
    return status


def _digest(payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, ensure_ascii=True, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _main_document(report: dict[str, Any], documents: list[LoadDocument]) -> LoadDocument:
    """The document the report was parsed from (its `source`), else the page, else the first."""
    for doc in documents:
        if doc["url"] == report.get("source"):
            return doc
    return next((d for d in documents if d.get("kind") == "page"), documents[0])


@dataclass(frozen=True)
class LoadItem:
    """One report to load: the keyword arguments of :func:`load_report`, as one value."""

    report: dict[str, Any]
    url: str
    documents: Sequence[LoadDocument]
    published: str | None = None
    source: dict[str, Any] | None = None


@dataclass
class _Prepared:
    """A validated report, as the rows it becomes (nothing written yet)."""

    name: str
    report_id: str
    record: dict[str, Any]
    sections: list[dict[str, Any]]
    cells: dict[str, list[dict[str, Any]]]
    checks: list[dict[str, Any]]
    documents: list[LoadDocument]
    agency: agencies.Resolution
    plan: copies.Plan
    main: LoadDocument
    script: str | None


def load_report(
    db: Database,
    report: dict[str, Any],
    *,
    url: str,
    documents: Sequence[LoadDocument],
    published: str | None = None,
    source: dict[str, Any] | None = None,
) -> LoadResult:
    """Write one parsed report and its captures in a single transaction.

    `url` is the report's page; `documents` are its captures ({url, sha256, content_type,
    fetched_at, kind, content, warc_file, warc_offset}); `source` carries the registry's
    source_id, agency, region and level. Raises LoadError, writing nothing, on bad input.
    """
    [result] = load_reports(db, [LoadItem(report, url, documents, published, source)])
    if isinstance(result, LoadError):
        raise result
    return result


def load_reports(db: Database, items: Iterable[LoadItem]) -> list[LoadResult | LoadError]:
    """Load many reports in one transaction, each whole or not at all; one result per item.

    Each report is written inside its own savepoint: a report the archive refuses (bad
    input, or a value SQLite cannot store) is rolled back alone and its place in the
    returned list holds the LoadError naming it, while the rest of the batch loads. Any
    other exception (a crash, a full disk) rolls the whole batch back and propagates.
    The guarantees are load_report's: idempotent, every capture kept, stable ids, the
    search indexes in step. Inside a caller's transaction the batch is a savepoint of it.
    """
    results: list[LoadResult | LoadError] = []
    index = schema.SearchIndexWrites()
    agencies_touched: set[str] = set()
    _large_page_cache(db)
    with db.atomic():
        for item in items:
            try:
                results.append(_load_one(db, _prepare(db, item), index, agencies_touched))
            except LoadError as exc:
                results.append(exc)
        # Year checks compare an agency's reports: evaluated once per agency the batch wrote,
        # when all of them are in (a report at a time re-evaluated an agency for each year).
        for agency_id in sorted(agencies_touched):
            crosschecks.refresh(db, agency_id)
        index.flush(db)
    return results


# Pages SQLite keeps in memory while loading: the cell tables and indexes take each report
# at a random place (its id is a hash), so a large archive's loads hit pages all over the
# file; 128 MiB instead of the default 2 MiB makes a 100,000-report build ~12% faster.
LOAD_CACHE_KIB = 128 * 1024


def _large_page_cache(db: Database) -> None:
    size = db.execute("PRAGMA cache_size").fetchone()[0]
    current_kib = -size if size < 0 else size * db.execute("PRAGMA page_size").fetchone()[0] // 1024
    if current_kib < LOAD_CACHE_KIB:
        db.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")


def _prepare(db: Database, item: LoadItem) -> _Prepared:
    """Validate one report and turn it into rows; raises LoadError, never writes.

    Called for each report just before it is written: its agency is resolved against the
    names the archive holds by then, the batch's earlier reports included.
    """
    report, url, documents = item.report, item.url, item.documents
    if not isinstance(report, dict):
        raise LoadError(url or "report", f"report is {type(report).__name__}, not a dict")
    name = url or str(report.get("source") or "report")
    if report.get("error"):
        raise LoadError(name, f"the parser failed: {report['error']}")
    if not url:
        raise LoadError(name, "no report url given")
    year = report.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise LoadError(name, f"year {year!r} is not an integer")
    docs = _check_documents(documents, name)
    source = item.source or {}

    who = agencies.resolve(db, report, source)  # one name per agency, whatever the route
    agency = who.canonical
    report_id = report_id_for(agency, year, url)
    cells = _cell_rows(report, report_id, name)
    problems = validate_report(report)
    if problems:
        raise LoadError(name, "not a nianbao.report/1 report: " + "; ".join(problems[:5]))
    sections = []
    for s in report.get("sections") or []:
        if not isinstance(s, dict):
            raise LoadError(name, f"sections: an item is {type(s).__name__}, not an object")
        sections.append(
            {"report_id": report_id, "number": s.get("number"), "heading": s.get("heading"),
             "text": s.get("text")}
        )
    checks = [
        {
            "report_id": report_id,
            "name": c.get("name"),
            "ok": 1 if c.get("ok") else 0,
            "cells": json.dumps(c.get("cells") or [], ensure_ascii=False),
            # a prose check's statement (parsers/prose.py); NULL for the arithmetic ones
            "sentence": c.get("sentence"), "stated": c.get("stated"), "printed": c.get("printed"),
            "about": json.dumps(c["about"], ensure_ascii=False) if c.get("about") else None,
        }
        for c in report.get("checks") or []
    ]
    main = _main_document(report, docs)
    text = report.get("text")
    if text is None:
        text = "\n\n".join(s["text"] or "" for s in sections)
    record: dict[str, Any] = {
        "id": report_id,
        "agency": agency,
        "year": year,
        "title": report.get("title"),
        "template": report.get("template"),
        "url": url,
        "published": item.published or report.get("published"),
        "fetched_at": main.get("fetched_at"),
        "sha256": main["sha256"],
        "status": _status(report, checks, name),
        "region": source.get("region"),
        "level": source.get("level"),
        "source_id": source.get("source_id"),
        "script": report.get("script"),
        "kind": report.get("kind"),
        "flags": json.dumps(report.get("flags") or [], ensure_ascii=False),
        "text": text,
        "source": report.get("source"),
    }
    # What the archive shows of this report; the fetch time of an identical capture is not news.
    # (Digested as version 2 stored it — cells with their row labels, checks without the
    # columns later versions added when those are empty — so that an archive migrated from
    # v2 still finds its reports unchanged.)
    record["digest"] = _digest({
        "record": {k: v for k, v in record.items() if k != "fetched_at"},
        "sections": sections, "cells": cells,
        "checks": [{k: v for k, v in c.items() if v is not None or k in _V2_CHECK_KEYS} for c in checks],
    })
    record["agency_id"] = who.agency_id
    layout.add_equations(checks, cells)
    # a mirror page is a copy of the report it copies, never a second report (archive/copies.py)
    plan = copies.plan(db, report_id, url, record, copies.content_of(text, cells),
                       copies.provenance_of(db, url))
    record["official"] = plan.official  # after the digest: a source's kind is not a new reading
    return _Prepared(name, report_id, record, sections, cells, checks, docs, who, plan, main,
                     report.get("script"))


_REPORT_COLUMNS = (
    "id", "agency", "year", "title", "template", "url", "published", "fetched_at", "sha256",
    "status", "region", "level", "source_id", "script", "kind", "flags", "text", "source", "digest",
    "agency_id", "official",
)
# An upsert that keeps the row's rowid (the search index is keyed on it).
_UPSERT_REPORT = "INSERT INTO reports ({}) VALUES ({}) ON CONFLICT(id) DO UPDATE SET {}".format(
    ", ".join(_REPORT_COLUMNS),
    ", ".join("?" for _ in _REPORT_COLUMNS),
    ", ".join(f"{c} = excluded.{c}" for c in _REPORT_COLUMNS if c != "id"),
)
# id first (_insert numbers the rows), then the stored columns (not the generated label)
_STORED_CELL_COLUMNS = {
    table: ["id", *(c for c, decl in columns if "GENERATED" not in decl and c != "id")]
    for table, columns in schema.CELL_COLUMNS.items()
}


def _load_one(
    db: Database, p: _Prepared, index: schema.SearchIndexWrites, agencies_touched: set[str]
) -> LoadResult:
    """Write one prepared report inside a savepoint; LoadError when SQLite refuses a value.

    Its search index changes join `index`, and the agencies whose year checks it may change
    join `agencies_touched`, only once its rows are written.
    """
    report_id, record, plan = p.report_id, p.record, p.plan
    if plan.copy_of is not None:
        return _record_copy(db, plan, record["url"], p.documents, p.main, p.script, p.name)
    old = db.execute(
        "SELECT rowid, title, agency, text, digest FROM reports WHERE id = ?", [report_id]
    ).fetchone()
    # A page holds one report: an earlier reading of this URL under another id (say the
    # agency was not recognised then) is superseded, its captures kept under the new id.
    stale = [r for (r,) in db.execute(
        "SELECT id FROM reports WHERE url = ? AND id <> ?", [record["url"], report_id]
    )]
    stale += [rid for rid, _u, _s in plan.replaces if rid != report_id and rid not in stale]
    new_documents = _new_documents(db, report_id, p.documents)
    if old is not None and old[4] == record["digest"] and not stale and not new_documents:
        return LoadResult(report_id, "unchanged")

    conn = db.conn
    mine = schema.SearchIndexWrites()
    try:
        with db.atomic():
            if old is not None:
                versions.snapshot(db, report_id, record["digest"])
                mine.remove(old[0], old[1], old[2], old[3], _delete_report_rows(db, report_id))
            conn.execute(_UPSERT_REPORT, [record[c] for c in _REPORT_COLUMNS])
            agencies.record(db, p.agency, report_id)
            for stale_id in stale:
                _supersede(db, stale_id, report_id, mine)
            if stale:  # the superseded report's captures are this report's now
                new_documents = _new_documents(db, report_id, p.documents)
            _write_documents(db, report_id, new_documents)
            rowid = conn.execute("SELECT rowid FROM reports WHERE id = ?", [report_id]).fetchone()[0]
            sections: schema.Sections = []
            if p.sections:
                # One statement for all of them. The ids it assigns ascend in the order of the
                # VALUES (each is the largest id + 1); RETURNING's own order is unspecified.
                ids = conn.execute(
                    "INSERT INTO sections (report_id, number, heading, text) VALUES "
                    + ", ".join(["(?, ?, ?, ?)"] * len(p.sections)) + " RETURNING id",
                    [v for s in p.sections for v in (report_id, s["number"], s["heading"], s["text"])],
                ).fetchall()
                sections = [(sid, s["text"]) for (sid,), s in zip(sorted(ids), p.sections, strict=True)]
            mine.add(rowid, record["title"], record["agency"], record["text"], sections)
            for table in _CELL_TABLES:
                _insert(db, table, p.cells[table], columns=_STORED_CELL_COLUMNS[table], numbered=True)
            _insert(db, "checks", p.checks)
            versions.record(db, report_id, record)
            copies.after_write(db, report_id, plan, record["url"], seen=p.main.get("fetched_at"),
                               script=p.script, sha256=p.main["sha256"])
            touched = crosschecks.touched(db, report_id, stale)
    except (UnicodeEncodeError, OverflowError, sqlite3.InterfaceError, sqlite3.IntegrityError) as exc:
        # rolled back to the savepoint; the value itself is the problem, so name the report
        raise LoadError(p.name, f"cannot be stored: {type(exc).__name__}: {exc}") from exc
    index.extend(mine)
    agencies_touched.update(touched)
    return LoadResult(report_id, "new" if old is None and not stale else "changed")


def _record_copy(db: Database, plan: copies.Plan, url: str, docs: list[LoadDocument], main: LoadDocument,
                 script: str | None, name: str) -> LoadResult:
    """Keep a mirror's captures with the report it copies and record it in ``copies``."""
    assert plan.copy_of is not None
    try:
        with db.atomic():
            _write_documents(db, plan.copy_of, _new_documents(db, plan.copy_of, docs))
            copies.record_copy(db, plan.copy_of, url, seen=main.get("fetched_at"), script=script,
                               similarity=plan.similarity, sha256=main["sha256"], is_source=False)
    except (sqlite3.InterfaceError, sqlite3.IntegrityError) as exc:
        raise LoadError(name, f"cannot be stored: {type(exc).__name__}: {exc}") from exc
    return LoadResult(plan.copy_of, "unchanged", copy_of=plan.copy_of)


def _new_documents(db: Database, report_id: str, documents: list[LoadDocument]) -> list[LoadDocument]:
    have = {
        (u, s) for u, s in db.execute(
            "SELECT url, sha256 FROM documents WHERE report_id = ?", [report_id]
        )
    }
    new, seen = [], set()
    for doc in documents:
        key = (doc["url"], doc["sha256"])
        if key not in have and key not in seen:
            seen.add(key)
            new.append(doc)
    return new


def _supersede(db: Database, stale_id: str, report_id: str, index: schema.SearchIndexWrites) -> None:
    """Move a superseded report's captures to `report_id` and delete the rest of it."""
    versions.supersede(db, stale_id, report_id)
    copies.supersede(db, stale_id, report_id)
    have = {
        (u, s) for u, s in db.execute(
            "SELECT url, sha256 FROM documents WHERE report_id = ?", [report_id]
        )
    }
    for doc_id, u, s in db.execute(
        "SELECT id, url, sha256 FROM documents WHERE report_id = ?", [stale_id]
    ).fetchall():
        if (u, s) in have:
            db.execute("DELETE FROM documents WHERE id = ?", [doc_id])
        else:
            db.execute("UPDATE documents SET report_id = ? WHERE id = ?", [report_id, doc_id])
            have.add((u, s))
    rowid, title, agency, text = db.execute(
        "SELECT rowid, title, agency, text FROM reports WHERE id = ?", [stale_id]
    ).fetchone()
    index.remove(rowid, title, agency, text, _delete_report_rows(db, stale_id))
    db.execute("DELETE FROM reports WHERE id = ?", [stale_id])


def _write_documents(db: Database, report_id: str, docs: list[LoadDocument]) -> None:
    blobs = {}
    rows = []
    for doc in docs:
        content = doc.get("content")
        if content is not None:
            blobs[doc["sha256"]] = {
                "sha256": doc["sha256"], "length": len(content), "content": bytes(content),
            }
        rows.append({
            "url": doc["url"],
            "sha256": doc["sha256"],
            "content_type": doc.get("content_type"),
            "fetched_at": doc.get("fetched_at"),
            "report_id": report_id,
            "kind": doc.get("kind"),
            "length": len(content) if content is not None else doc.get("length"),
            "warc_file": doc.get("warc_file"),
            "warc_offset": doc.get("warc_offset"),
        })
    _insert(db, "blobs", list(blobs.values()), or_ignore=True)
    _insert(db, "documents", rows)


def _insert(
    db: Database,
    table: str,
    rows: list[dict[str, Any]],
    *,
    or_ignore: bool = False,
    columns: list[str] | None = None,
    numbered: bool = False,
) -> None:
    """Plain executemany: the rows of one table share their keys, the schema is known.

    `numbered`: the first of `columns` is `id`, each row's place in `rows` (cell tables).
    """
    if not rows:
        return
    columns = columns or list(rows[0])
    sql = "INSERT {}INTO [{}] ({}) VALUES ({})".format(
        "OR IGNORE " if or_ignore else "", table,
        ", ".join(f"[{c}]" for c in columns), ", ".join("?" for _ in columns),
    )
    if numbered:
        rest = columns[1:]
        db.conn.executemany(sql, [[seq, *map(row.__getitem__, rest)] for seq, row in enumerate(rows)])
    else:
        db.conn.executemany(sql, [[row[c] for c in columns] for row in rows])


def _delete_report_rows(db: Database, report_id: str) -> schema.Sections:
    """Delete a report's sections, cells and checks; returns the sections (id, text) deleted."""
    sections = db.execute("SELECT id, text FROM sections WHERE report_id = ?", [report_id]).fetchall()
    for table in ("sections", *_CELL_TABLES, "checks"):
        db.execute(f"DELETE FROM [{table}] WHERE report_id = ?", [report_id])
    return sections
