"""A report turned into the rows the archive stores, without the archive: validation, rows,
digest and search tokens, here or in a second process while the loader writes.

Half of a bulk load's CPU was this pure work (docs/scale.md): checking the typed records,
building the cell rows, the digest that tells an unchanged report, the bigram tokens of
the search index. None of it needs the database except through the report's agency
(its canonical name is part of the report id, the rows and the digest), which only the
archive knows. So :func:`make_rows` takes the agency as an argument. The loader
(archive/load.py) resolves the agency against the archive just before it writes a report
and uses rows made for that agency: rows a second process made in advance for the agency
the report names (:func:`agency_guess`, the canonical name of any agency seen for the
first time), or, when the archive knows the agency under another name, rows it makes
again itself. Either way the rows are those :func:`make_rows` makes for the resolved
agency, so the second process changes the speed of a load, never its result.

:class:`Preparer` runs :func:`prepare_many` in two worker processes (preparing a report
costs about as much CPU as writing it), a few chunks ahead of the loader, and is used
only for batches large enough to pay for sending the reports over (load.PARALLEL_MIN).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from ..contract import STATUSES, LoadDocument, RecordError, report_status, validate, validate_report
from ..official import Provenance, provenance
from . import agencies, layout, schema, search

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_V2_CHECK_KEYS = ("report_id", "name", "ok", "cells")
_CELL_KEYS = schema.CELL_KEYS
_CELL_TABLES = tuple(_CELL_KEYS)
# The columns of each cell table in the order the loader inserts them: id first, then the rest.
STORED_CELL_COLUMNS = {
    table: ["id", *(c for c, _ in columns if c != "id")]
    for table, columns in schema.CELL_COLUMNS.items()
}


class LoadError(ValueError):
    """A report or document that cannot be archived; the message names it and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem

    def __reduce__(self) -> tuple[type[LoadError], tuple[str, str]]:  # crosses processes
        return type(self), (self.source, self.problem)


@dataclass(frozen=True)
class LoadItem:
    """One report to load: the keyword arguments of load.load_report, as one value."""

    report: dict[str, Any]
    url: str
    documents: Sequence[LoadDocument]
    published: str | None = None
    source: dict[str, Any] | None = None


def report_id_for(agency: str | None, year: int | None, url: str) -> str:
    """Stable id: from agency and year when both are known, else from the report URL."""
    agency_key = re.sub(r"\s+", "", agency or "")
    key = f"agency-year\x00{agency_key}\x00{int(year)}" if agency_key and year else f"url\x00{url}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Rows:
    """A validated report as the rows it becomes for one agency name (nothing written)."""

    name: str
    agency: str | None  # the canonical agency name these rows were made for
    report_id: str
    record: dict[str, Any]  # the reports row, without agency_id and official (the archive's)
    sections: list[dict[str, Any]]
    cells: dict[str, list[tuple[Any, ...]]]  # per table, in STORED_CELL_COLUMNS order
    checks: list[dict[str, Any]]
    documents: list[LoadDocument]
    main: int  # the index in `documents` of the document the report was parsed from
    script: str | None
    # search.index_tokens of record["text"], record["title"], each section, and search.char_tokens
    # of each section; None when not made (the archive held this very reading: see make_rows)
    text_tokens: str | None
    title_tokens: str | None
    section_tokens: list[str] | None
    section_chars: list[str] | None
    seen: list[tuple[str, str]] | None = None  # agencies.names_seen, when the worker made the rows
    provenance: Provenance | None = None  # official.provenance of the url, idem

    def tokens(self) -> schema.Tokens | None:
        """The search tokens for SearchIndexWrites.add, or None when they were not made."""
        if (self.text_tokens is None or self.title_tokens is None or self.section_tokens is None
                or self.section_chars is None):
            return None
        return self.text_tokens, self.title_tokens, self.section_tokens, self.section_chars

    def cell_dicts(self) -> dict[str, list[dict[str, Any]]]:
        """The cells as {column: value} rows (what copies.content_of compares)."""
        return {t: [dict(zip(STORED_CELL_COLUMNS[t], r, strict=True)) for r in rows]
                for t, rows in self.cells.items()}


@dataclass(frozen=True)
class Refused:
    """A LoadError made while preparing; `early` when raised before the agency is resolved."""

    error: LoadError
    early: bool


def _is_number(value: Any) -> bool:
    return value is None or (type(value) in (int, float)) or (
        isinstance(value, int | float) and not isinstance(value, bool)
    )


def _number(value: Any, where: str, source: str) -> int | float | None:
    if not _is_number(value):
        raise LoadError(source, f"{where}: value {value!r} is not a number")
    return value


def check_item(item: LoadItem) -> tuple[str, list[LoadDocument]]:
    """The first checks of a report (before its agency is looked at): its name and documents."""
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
    return name, _check_documents(documents, name)


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


def _main_document(report: dict[str, Any], documents: list[LoadDocument]) -> int:
    """The document the report was parsed from (its `source`), else the page, else the first."""
    for i, doc in enumerate(documents):
        if doc["url"] == report.get("source"):
            return i
    return next((i for i, d in enumerate(documents) if d.get("kind") == "page"), 0)


def agency_guess(item: LoadItem) -> tuple[str | None, list[tuple[str, str]]]:
    """The canonical agency name a report gets when the archive has not seen its agency,
    and the names the report gives it (agencies.names_seen)."""
    seen = agencies.names_seen(item.report, item.source or {})
    return (seen[0][0] if seen else None), seen


def make_rows(item: LoadItem, name: str, docs: list[LoadDocument], agency: str | None,
              known: Mapping[str, str] | None = None) -> Rows:
    """The report's rows for the canonical agency name `agency`; LoadError when refused.

    `known` ({report id: digest} of the archive when the rows were asked for): a report whose
    digest it holds is most likely unchanged, and its search tokens, a third of the work and
    most of the bytes sent back, are not made (None; the loader makes them if it writes).
    """
    report = item.report
    year = report.get("year")
    source = item.source or {}
    report_id = report_id_for(agency, year, item.url)
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
        "url": item.url,
        "published": item.published or report.get("published"),
        "fetched_at": docs[main].get("fetched_at"),
        "sha256": docs[main]["sha256"],
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
    layout.add_equations(checks, cells)
    rows = {}
    for table in _CELL_TABLES:
        rest = STORED_CELL_COLUMNS[table][1:]
        rows[table] = [(seq, *map(row.__getitem__, rest)) for seq, row in enumerate(cells[table])]
    out = Rows(name, agency, report_id, record, sections, rows, checks, docs, main, report.get("script"),
               None, None, None, None)
    if known is None or known.get(report_id) != record["digest"]:
        out.text_tokens, out.section_tokens = search.index_tokens_of(text, [s["text"] for s in sections])
        out.title_tokens = search.index_tokens(record["title"])
        out.section_chars = [search.char_tokens(s["text"]) for s in sections]
    return out


Prepared = list[Rows | Refused | None]  # one per item: None where the loader prepares it itself


def prepare_many(items: list[LoadItem], hosts: frozenset[str], known: Mapping[str, str] | None = None
                 ) -> Prepared:
    """Rows for each item, made for its agency_guess (the worker's task); `hosts` are the
    registry's hosts (copies.registry_hosts) that tell an official page from a mirror, and
    `known` the archive's digests of the reports the items likely are (:func:`make_rows`).

    None where the guess itself failed (the loader then prepares that report alone, so
    that the agency lookup raises what it raises in one process). The documents' bytes
    are not sent back: the loader has them (:func:`with_contents`).
    """
    out: Prepared = []
    for item in items:
        try:
            name, docs = check_item(item)
        except LoadError as exc:
            out.append(Refused(exc, early=True))
            continue
        try:
            guess, seen = agency_guess(item)
        except Exception:
            out.append(None)
            continue
        try:
            rows = make_rows(item, name, docs, guess, known)
        except LoadError as exc:
            out.append(Refused(exc, early=False))
            continue
        rows.seen = seen
        rows.provenance = provenance(item.url, hosts)
        rows.documents = [{**d, "content": None} if d["content"] is not None else d for d in docs]
        out.append(rows)
    return out


def with_contents(rows: Rows, item: LoadItem) -> Rows:
    """`rows` with its documents' bytes again, from the item they were made from."""
    if all(d["content"] is None for d in item.documents if isinstance(d, dict)):
        return rows
    docs = [{**d, "content": src["content"]} for d, src in zip(rows.documents, item.documents, strict=True)]
    return replace(rows, documents=docs)  # type: ignore[arg-type]


class Preparer:
    """Worker processes that prepare chunks of reports ahead of the loader.

    Only an accelerator: a chunk a worker cannot prepare (the worker died, a report
    that cannot be sent to it) comes back as None for each of its reports, and the loader
    prepares those in its own process, raising there whatever they raise.
    """

    CHUNK = 25  # reports sent at a time
    # Two workers: preparing a report costs about as much CPU as writing it, so one worker
    # left the loader waiting for a third of a build (11 s of 31 s for 10,000 reports);
    # two keep it fed, even on two cores shared with the loader (27 s). More would not
    # help: the loader, one thread, is then the limit.
    WORKERS = 2
    AHEAD = 8  # chunks in flight: enough to keep the workers busy, memory bounded
    # A chunk takes tens of milliseconds; a worker that has not answered in this time is
    # stuck (a fork of a process whose other threads held a lock), not slow: the loader
    # stops waiting, prepares the reports itself and stops the worker.
    TIMEOUT = 120.0

    def __init__(self) -> None:
        # fork, not spawn or forkserver: those start a worker by importing the caller's main
        # module again, which runs a script that has no `if __name__ == "__main__"` guard a
        # second time. The forked worker holds a copy of the loader's connection but never
        # uses or closes it (a pool's worker leaves by os._exit, without finalising objects).
        self._pool = ProcessPoolExecutor(max_workers=self.WORKERS,
                                         mp_context=multiprocessing.get_context("fork"))
        self.failed = False

    def prepared(self, items: list[LoadItem], hosts: frozenset[str],
                 known: Callable[[list[LoadItem]], dict[str, str]] | None = None,
                 ) -> Iterator[Rows | Refused | None]:
        """One result of :func:`prepare_many` per item, in order, as they are ready; `known`
        gives a chunk's known digests when it is sent (what the archive holds by then)."""
        chunks = [items[i:i + self.CHUNK] for i in range(0, len(items), self.CHUNK)]
        pending: list[Future[Prepared] | None] = []
        submitted = 0
        try:
            for chunk in chunks:
                while submitted < len(chunks) and len(pending) < self.AHEAD:
                    chunk_known = known(chunks[submitted]) if known is not None else None
                    pending.append(self._submit(chunks[submitted], hosts, chunk_known))
                    submitted += 1
                future = pending.pop(0)
                try:
                    results = future.result(self.TIMEOUT) if future is not None else [None] * len(chunk)
                except TimeoutError:
                    self.failed = True
                    self._terminate()
                    results = [None] * len(chunk)
                except Exception:  # the worker died, or the chunk could not be sent to it
                    self.failed = self.failed or self._broken()
                    results = [None] * len(chunk)
                yield from results
        finally:
            for f in pending:
                if f is not None:
                    f.cancel()

    def _submit(self, chunk: list[LoadItem], hosts: frozenset[str],
                known: dict[str, str] | None) -> Future[Prepared] | None:
        if self.failed:
            return None
        try:
            return self._pool.submit(prepare_many, chunk, hosts, known)
        except Exception:  # BrokenProcessPool: a worker died before
            self.failed = True
            return None

    def _broken(self) -> bool:
        try:
            self._pool.submit(int).result()
        except Exception:
            return True
        return False

    def _terminate(self) -> None:
        # ProcessPoolExecutor has no public way to stop a stuck worker before Python 3.14
        for process in list(getattr(self._pool, "_processes", {}).values()):
            process.terminate()

    def close(self) -> None:
        if self.failed:
            self._terminate()
        self._pool.shutdown(wait=not self.failed, cancel_futures=True)


_preparer: Preparer | None = None


def available() -> bool:
    """A second process can prepare reports: more than one core, and fork (POSIX)."""
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


def preparer() -> Preparer:
    """The process's preparer, started on first use (again after its worker died), stopped at exit."""
    global _preparer
    if _preparer is not None and _preparer.failed:
        _preparer.close()
        _preparer = None
    if _preparer is None:
        _preparer = Preparer()
        atexit.register(_stop)
    return _preparer


def _stop() -> None:
    global _preparer
    if _preparer is not None:
        _preparer.close()
        _preparer = None
