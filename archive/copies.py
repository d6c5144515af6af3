"""Copies against originals: mirror pages are recorded as copies, never as a second report.

Spam sites republish government reports on their own hosts, often converted to Traditional
characters with Taiwan wording (seed 002 is such a page). The parser already reads such a
page into simplified text and the template's cells, so a mirror and its original compare
directly: :func:`similarity` is the lowest of three agreements, each 0..1 —

- the narrative's characters (Chinese characters, letters and digits, punctuation and
  white space dropped: the words and labels),
- the sequence of numbers in the narrative (digits compared as printed),
- the template cells (same key, same value; skipped when either side has no cells).

A page is a mirror when nianbao.official says so (not a government host, not one the
source registry names, not on this machine). What happens to it (:func:`plan`):

- the archive holds a report it copies (same agency and year, or the same title and year
  and a similarity of at least :data:`THRESHOLD`): it becomes a row of ``copies``
  (URL, host, first seen, script, similarity), its bytes are kept with the report's
  captures, and the report's numbers, status and versions are not touched;
- the archive holds no such report: the mirror is kept as the report, marked
  ``reports.official = 0`` and recorded in ``copies`` as its source (``is_source = 1``);
- when the official original arrives later it replaces the mirror as the report's source
  (a new version; a mirror filed under another id is superseded), and the mirror's row in
  ``copies`` stays, with its similarity to the original.

``reports.official`` is 1 for a report read from an official host, 0 for one read from a
mirror, NULL for one loaded from this machine (a file, a local test portal).
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from sqlite_utils import Database

from ..official import Provenance, host, provenance
from . import schema

THRESHOLD = 0.9
_CJK_WORD = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")
_DIGITS = re.compile(r"\d+")
_TEXT_LIMIT = 20000  # characters compared; reports are far shorter, this bounds the cost
CELL_KEYS = schema.CELL_KEYS

Conn = Database | sqlite3.Connection


@dataclass(frozen=True)
class Content:
    """What two readings of a report are compared on: narrative text and cell values."""

    text: str
    cells: Mapping[tuple[str, ...], Any]


@dataclass
class Plan:
    """What load_report does with a report given where it came from (see the module doc)."""

    official: int | None  # reports.official of the reading, when it is written as the report
    copy_of: str | None = None  # record as a copy of this report, write nothing else
    similarity: float | None = None
    is_source: bool = False  # a mirror written as the report: record it in copies too
    # reports read from a mirror that this reading replaces: (id, the mirror's url, similarity)
    replaces: list[tuple[str, str, float]] = field(default_factory=list)


def create_tables(db: Database) -> None:
    """Migration step: ``copies``, ``reports.official`` and its value for the reports present."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS copies (id INTEGER PRIMARY KEY, report_id TEXT NOT NULL "
        "REFERENCES reports(id), url TEXT NOT NULL UNIQUE, host TEXT, first_seen TEXT, last_seen TEXT, "
        "script TEXT, similarity REAL, sha256 TEXT, is_source INTEGER NOT NULL DEFAULT 0)"
    )
    db.table("copies").create_index(["report_id"], if_not_exists=True)
    if "official" not in db["reports"].columns_dict:
        db.table("reports").add_column("official", int)
    # every load of an original asks for the reports read from mirrors in its year
    db.execute("CREATE INDEX IF NOT EXISTS reports_from_mirrors ON reports(year) WHERE official = 0")
    domains = registry_hosts(db)
    for rid, url in db.execute("SELECT id, url FROM reports").fetchall():
        db.execute("UPDATE reports SET official = ? WHERE id = ?", [_official(provenance(url, domains)), rid])


def _official(prov: Provenance) -> int | None:
    return {"official": 1, "mirror": 0}.get(prov)


def registry_hosts(db: Conn) -> set[str]:
    """The hosts of the registry the archive has recorded (``sources``: url, allowed_domains)."""
    out: set[str] = set()
    try:
        rows = db.execute("SELECT url, allowed_domains FROM sources").fetchall()
    except sqlite3.OperationalError:
        return out
    for url, domains in rows:
        name = host(url)
        if name:
            out.add(name)
        try:
            listed = json.loads(domains) if domains else []
        except ValueError:
            listed = []
        out.update(str(d).lower() for d in listed if isinstance(d, str) and d)
    return out


def provenance_of(db: Conn, url: str) -> Provenance:
    return provenance(url, registry_hosts(db))


# --- comparing two readings --------------------------------------------------------------

def _fingerprint(text: str) -> str:
    return "".join(_CJK_WORD.findall(unicodedata.normalize("NFKC", text or "")))[:_TEXT_LIMIT]


def similarity(a: Content, b: Content) -> float:
    """The lowest of the three agreements (characters, numbers in the text, cells), 0..1."""
    parts: list[float] = []
    fa, fb = _fingerprint(a.text), _fingerprint(b.text)
    if fa or fb:
        parts.append(SequenceMatcher(None, fa, fb).ratio())
    da, db_ = _DIGITS.findall(a.text or "")[:2000], _DIGITS.findall(b.text or "")[:2000]
    if da or db_:
        parts.append(SequenceMatcher(None, da, db_, autojunk=False).ratio())
    if a.cells and b.cells:
        keys = set(a.cells) | set(b.cells)
        same = sum(1 for k in keys if k in a.cells and k in b.cells and _same(a.cells[k], b.cells[k]))
        parts.append(same / len(keys))
    return round(min(parts), 4) if parts else 0.0


def _same(x: Any, y: Any) -> bool:
    if x is None or y is None:
        return x is None and y is None
    try:
        return abs(float(x) - float(y)) < 1e-6
    except (TypeError, ValueError):
        return x == y


def content_of(text: str | None, cells: Mapping[str, Iterable[Mapping[str, Any]]]) -> Content:
    """A reading's content from its text and its cell rows (as load.py or the tables hold them)."""
    values: dict[tuple[str, ...], Any] = {}
    for table, keys in CELL_KEYS.items():
        for c in cells.get(table) or []:
            values[(table, *(str(c.get(k)) for k in keys))] = c.get("value")
    return Content(text or "", values)


def stored_content(db: Conn, report_id: str) -> Content:
    """The content of a report as the archive holds it now."""
    row = db.execute("SELECT text FROM reports WHERE id = ?", [report_id]).fetchone()
    cells: dict[str, list[dict[str, Any]]] = {}
    for table, keys in CELL_KEYS.items():
        cols = ", ".join(f"[{k}]" for k in (*keys, "value"))
        cells[table] = [dict(zip((*keys, "value"), r, strict=True)) for r in db.execute(
            f"SELECT {cols} FROM [{table}] WHERE report_id = ?", [report_id]).fetchall()]
    return content_of(row[0] if row else "", cells)


def title_key(title: str | None) -> str:
    return _fingerprint(title or "")


# --- deciding -----------------------------------------------------------------------------

def plan(db: Conn, report_id: str, url: str, record: Mapping[str, Any],
         incoming: Content | Callable[[], Content], prov: Provenance) -> Plan:
    """What to do with a reading of `report_id` from `url` (see the module's docstring).

    `incoming` may be a function that makes the reading's content: it is then made only
    when there is a reading to compare it with (most loads have none).
    """
    made: list[Content] = []

    def content() -> Content:
        if not made:
            made.append(incoming if isinstance(incoming, Content) else incoming())
        return made[0]

    if prov != "mirror":
        replaces = []
        for rid, mirror_url in db.execute(
            "SELECT id, url FROM reports WHERE official = 0 AND (id = ? OR year IS ?)",
            [report_id, record.get("year")],
        ).fetchall():
            sim = similarity(content(), stored_content(db, rid))
            if rid == report_id or sim >= THRESHOLD:
                replaces.append((rid, mirror_url, sim))
        return Plan(_official(prov), replaces=replaces)

    known = db.execute("SELECT report_id, is_source FROM copies WHERE url = ?", [url]).fetchone()
    if known is not None and not known[1]:  # a copy seen before: it stays a copy of its report
        return Plan(None, copy_of=known[0], similarity=similarity(content(), stored_content(db, known[0])))
    same = db.execute("SELECT id, url FROM reports WHERE id = ?", [report_id]).fetchone()
    if same is not None:
        if same[1] == url:  # the mirror that is this report's only source, captured again
            return Plan(0, is_source=True)
        return Plan(None, copy_of=report_id, similarity=similarity(content(), stored_content(db, report_id)))
    key = title_key(record.get("title"))
    best: tuple[float, str] | None = None
    if key:
        for rid, title in db.execute(
            "SELECT id, title FROM reports WHERE year IS ? AND id <> ?", [record.get("year"), report_id]
        ).fetchall():
            if title_key(title) != key:
                continue
            sim = similarity(content(), stored_content(db, rid))
            if sim >= THRESHOLD and (best is None or sim > best[0]):
                best = (sim, rid)
    if best is not None:
        return Plan(None, copy_of=best[1], similarity=best[0])
    return Plan(0, is_source=True)


def record_copy(db: Database, report_id: str, url: str, *, seen: str | None, script: str | None,
                similarity: float | None, sha256: str | None, is_source: bool) -> None:
    """Insert or refresh the row of `url` in ``copies``."""
    db.execute(
        "INSERT INTO copies (report_id, url, host, first_seen, last_seen, script, similarity, sha256, "
        "is_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
        "report_id = excluded.report_id, last_seen = excluded.last_seen, script = excluded.script, "
        "similarity = coalesce(excluded.similarity, copies.similarity), sha256 = excluded.sha256, "
        "is_source = excluded.is_source",
        [report_id, url, host(url), seen, seen, script, similarity, sha256, 1 if is_source else 0],
    )


def after_write(db: Database, report_id: str, plan_: Plan, url: str, *, seen: str | None,
                script: str | None, sha256: str | None) -> None:
    """After a report was written: its mirror source recorded, mirrors it replaced demoted."""
    for _rid, mirror_url, sim in plan_.replaces:
        db.execute("UPDATE copies SET is_source = 0, similarity = ?, report_id = ? WHERE url = ?",
                   [sim, report_id, mirror_url])
    if plan_.is_source:
        record_copy(db, report_id, url, seen=seen, script=script, similarity=None, sha256=sha256,
                    is_source=True)


def supersede(db: Database, stale_id: str, report_id: str) -> None:
    """The copies of a report that is superseded become copies of `report_id`."""
    db.execute("UPDATE copies SET report_id = ? WHERE report_id = ?", [report_id, stale_id])


def of_report(db: Conn, report_id: str) -> list[dict[str, Any]]:
    """The copies recorded for a report, first seen first."""
    cur = db.execute(
        "SELECT url, host, first_seen, last_seen, script, similarity, sha256, is_source FROM copies "
        "WHERE report_id = ? ORDER BY first_seen, id", [report_id])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
