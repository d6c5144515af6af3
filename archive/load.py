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

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..contract import LoadDocument
from . import agencies, copies, crosschecks, prepare, schema, transaction, versions
from .prepare import LoadError, LoadItem, Refused, Rows, report_id_for

__all__ = ["LoadError", "LoadItem", "LoadResult", "known_sha256", "load_report", "load_reports",
           "open_archive", "report_id_for"]

_CELL_TABLES = tuple(schema.CELL_KEYS)


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


@dataclass
class _Prepared:
    """A report's rows for the agency the archive resolved, and what to do with them."""

    rows: Rows
    agency: agencies.Resolution
    plan: copies.Plan

    @property
    def main(self) -> LoadDocument:
        return self.rows.documents[self.rows.main]


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

    A batch of PARALLEL_MIN reports or more is prepared (validated, turned into rows,
    digested, tokenised: archive/prepare.py) in a second process while this one writes.
    """
    items = list(items)
    results: list[LoadResult | LoadError] = []
    index = schema.SearchIndexWrites()
    agencies_touched: set[str] = set()
    changed: set[str] = set()  # the reports written or removed: their year checks are re-evaluated
    _large_page_cache(db)
    with db.atomic():
        # the registry's hosts (official pages or mirrors), read once: loading never writes them
        hosts = frozenset(copies.registry_hosts(db))
        for item, ready in zip(items, _prepared(db, items, hosts), strict=True):
            try:
                results.append(_load_one(db, _prepare(db, item, ready, hosts), index, agencies_touched,
                                          changed))
            except LoadError as exc:
                results.append(exc)
        # Year checks compare an agency's reports: evaluated once per agency the batch wrote,
        # when all of them are in (a report at a time re-evaluated an agency for each year).
        for agency_id in sorted(agencies_touched):
            crosschecks.refresh(db, agency_id, changed)
        index.flush(db)
    return results


# The smallest batch prepared in a second process: below it, starting the worker (once per
# process) and sending the reports over cost more than they save (`nianbao build` loads
# 100 at a time, one by one when crawling).
PARALLEL_MIN = 200


def _prepared(db: Database, items: list[LoadItem], hosts: frozenset[str]) -> Iterator[Rows | Refused | None]:
    """What the worker prepared for each item, in order; None: prepare it here."""
    if len(items) >= PARALLEL_MIN and prepare.available():
        return prepare.preparer().prepared(items, hosts, lambda chunk: _known_digests(db, chunk))
    return iter([None] * len(items))


def _known_digests(db: Database, chunk: list[LoadItem]) -> dict[str, str]:
    """{report id: digest} of the reports the archive holds at the chunk's URLs: a hint that
    spares the worker the search tokens of an unchanged report (a re-crawl offers every
    report again at its URL). Looked up by URL (indexed), not by the id, which would need each
    report's agency guessed here: 57 µs a report against 2 µs by URL, on the loader's thread."""
    urls = {item.url for item in chunk if isinstance(item.url, str)}
    if not urls:
        return {}
    marks = ", ".join("?" for _ in urls)
    return dict(db.execute(f"SELECT id, digest FROM reports WHERE url IN ({marks})", list(urls)).fetchall())


# Pages SQLite keeps in memory while loading: the cell tables and indexes take each report
# at a random place (its id is a hash), so a large archive's loads hit pages all over the
# file; 128 MiB instead of the default 2 MiB makes a 100,000-report build ~12% faster.
LOAD_CACHE_KIB = 128 * 1024


def _large_page_cache(db: Database) -> None:
    size = db.execute("PRAGMA cache_size").fetchone()[0]
    current_kib = -size if size < 0 else size * db.execute("PRAGMA page_size").fetchone()[0] // 1024
    if current_kib < LOAD_CACHE_KIB:
        db.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")


def _prepare(db: Database, item: LoadItem, ready: Rows | Refused | None, hosts: frozenset[str]) -> _Prepared:
    """Validate one report and turn it into rows for its agency; raises LoadError, never writes.

    Called for each report just before it is written: its agency is resolved against the
    names the archive holds by then, the batch's earlier reports included. Rows the worker
    made (`ready`) are used when they were made for that agency, else made again here.
    """
    report, source = item.report, item.source or {}
    if ready is None:
        name, docs = prepare.check_item(item)
        who = agencies.resolve(db, report, source)  # one name per agency, whatever the route
        rows = prepare.make_rows(item, name, docs, who.canonical)
    else:
        if isinstance(ready, Refused) and ready.early:
            raise ready.error
        who = agencies.resolve(db, report, source, seen=None if isinstance(ready, Refused) else ready.seen)
        if isinstance(ready, Refused):
            raise ready.error  # (its problem does not depend on the agency)
        if ready.agency == who.canonical:
            rows = prepare.with_contents(ready, item)
        else:  # the archive knows the agency by another name
            # (its documents were checked by the worker: their bytes are not hashed again)
            rows = prepare.make_rows(item, ready.name, prepare.with_contents(ready, item).documents,
                                     who.canonical)
            rows.provenance = ready.provenance
    record = rows.record
    record["agency_id"] = who.agency_id
    prov = rows.provenance if rows.provenance is not None else copies.provenance(item.url, hosts)
    # a mirror page is a copy of the report it copies, never a second report (archive/copies.py)
    plan = copies.plan(db, rows.report_id, item.url, record,
                       lambda: copies.content_of(record["text"], rows.cell_dicts()), prov)
    record["official"] = plan.official  # after the digest: a source's kind is not a new reading
    return _Prepared(rows, who, plan)


_REPORT_COLUMNS = (
    "id", "agency", "year", "title", "template", "url", "published", "fetched_at", "sha256",
    "status", "region", "level", "source_id", "script", "kind", "flags", "text", "source", "digest",
    "agency_id", "official",
)
# An upsert that keeps the row's rowid (the search index is keyed on it), and returns it.
_UPSERT_REPORT = "INSERT INTO reports ({}) VALUES ({}) ON CONFLICT(id) DO UPDATE SET {} RETURNING rowid".format(  # noqa: E501
    ", ".join(_REPORT_COLUMNS),
    ", ".join("?" for _ in _REPORT_COLUMNS),
    ", ".join(f"{c} = excluded.{c}" for c in _REPORT_COLUMNS if c != "id"),
)


def _load_one(
    db: Database, p: _Prepared, index: schema.SearchIndexWrites, agencies_touched: set[str],
    changed: set[str],
) -> LoadResult:
    """Write one prepared report inside a savepoint; LoadError when SQLite refuses a value.

    Its search index changes join `index`, and the agencies whose year checks it may change
    join `agencies_touched` and the reports it wrote or removed join `changed`, only once its
    rows are written.
    """
    rows, plan = p.rows, p.plan
    report_id, record = rows.report_id, rows.record
    if plan.copy_of is not None:
        return _record_copy(db, plan, record["url"], rows.documents, p.main, rows.script, rows.name)
    old = db.execute(
        "SELECT rowid, title, agency, text, digest FROM reports WHERE id = ?", [report_id]
    ).fetchone()
    # A page holds one report: an earlier reading of this URL under another id (say the
    # agency was not recognised then) is superseded, its captures kept under the new id.
    stale = [r for (r,) in db.execute(
        "SELECT id FROM reports WHERE url = ? AND id <> ?", [record["url"], report_id]
    )]
    stale += [rid for rid, _u, _s in plan.replaces if rid != report_id and rid not in stale]
    new_documents = _new_documents(db, report_id, rows.documents)
    if old is not None and old[4] == record["digest"] and not stale and not new_documents:
        return LoadResult(report_id, "unchanged")

    conn = db.conn
    mine = schema.SearchIndexWrites()
    try:
        with db.atomic():
            if old is not None:
                versions.snapshot(db, report_id, record["digest"])
                mine.remove(old[0], old[1], old[2], old[3], _delete_report_rows(db, report_id))
            rowid = conn.execute(_UPSERT_REPORT, [record[c] for c in _REPORT_COLUMNS]).fetchone()[0]
            agencies.record(db, p.agency, report_id)
            for stale_id in stale:
                _supersede(db, stale_id, report_id, mine)
            if stale:  # the superseded report's captures are this report's now
                new_documents = _new_documents(db, report_id, rows.documents)
            _write_documents(db, report_id, new_documents)
            sections: schema.Sections = []
            if rows.sections:
                # One statement for all of them. The ids it assigns ascend in the order of the
                # VALUES (each is the largest id + 1); RETURNING's own order is unspecified.
                ids = conn.execute(
                    "INSERT INTO sections (report_id, number, heading, text) VALUES "
                    + ", ".join(["(?, ?, ?, ?)"] * len(rows.sections)) + " RETURNING id",
                    [v for s in rows.sections for v in (report_id, s["number"], s["heading"], s["text"])],
                ).fetchall()
                sections = [(sid, s["text"]) for (sid,), s in zip(sorted(ids), rows.sections, strict=True)]
            mine.add(rowid, record["title"], record["agency"], record["text"], sections, tokens=rows.tokens())
            for table in _CELL_TABLES:
                _insert(db, table, rows.cells[table], columns=prepare.STORED_CELL_COLUMNS[table], values=True)
            _insert(db, "checks", rows.checks)
            versions.record(db, report_id, record)
            copies.after_write(db, report_id, plan, record["url"], seen=p.main.get("fetched_at"),
                               script=rows.script, sha256=p.main["sha256"])
            touched = crosschecks.touched(db, report_id, stale)
    except (UnicodeEncodeError, OverflowError, sqlite3.InterfaceError, sqlite3.IntegrityError) as exc:
        # rolled back to the savepoint; the value itself is the problem, so name the report
        raise LoadError(rows.name, f"cannot be stored: {type(exc).__name__}: {exc}") from exc
    index.extend(mine)
    agencies_touched.update(touched)
    changed.update([report_id, *stale])
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
    rows: Sequence[Any],
    *,
    or_ignore: bool = False,
    columns: list[str] | None = None,
    values: bool = False,
) -> None:
    """Plain executemany: the rows of one table share their keys, the schema is known.

    `values`: the rows are already tuples in the order of `columns` (the cell tables').
    """
    if not rows:
        return
    columns = columns or list(rows[0])
    sql = "INSERT {}INTO [{}] ({}) VALUES ({})".format(
        "OR IGNORE " if or_ignore else "", table,
        ", ".join(f"[{c}]" for c in columns), ", ".join("?" for _ in columns),
    )
    if values:
        db.conn.executemany(sql, rows)
    else:
        db.conn.executemany(sql, [[row[c] for c in columns] for row in rows])


def _delete_report_rows(db: Database, report_id: str) -> schema.Sections:
    """Delete a report's sections, cells and checks; returns the sections (id, text) deleted."""
    sections = db.execute("SELECT id, text FROM sections WHERE report_id = ?", [report_id]).fetchall()
    for table in ("sections", *_CELL_TABLES, "checks"):
        db.execute(f"DELETE FROM [{table}] WHERE report_id = ?", [report_id])
    return sections
