"""Every reading of a report the archive has published, and what changed between them.

Agencies edit their reports quietly. The ``documents`` table keeps every capture's bytes,
but the cell tables hold the latest reading only; a journalist who quoted last month's
figure must be able to see that it changed, and to what. ``report_versions`` has one row
per reading that differed from the one before (its digest, capture, status, title). The
cells of the current version are the live tables; when a newer reading replaces them,
the old cells are kept as a compact JSON snapshot in the version they belonged to, so a
report that never changes costs one small row and no copy of its cells.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlite_utils import Database

from . import layout, schema

# (table, the key columns of a cell)
CELL_TABLES = schema.CELL_KEYS

Conn = Database | sqlite3.Connection


def create_tables(db: Database) -> None:
    """Migration step: the table, and version 1 (the live cells) of every report present."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS report_versions (id INTEGER PRIMARY KEY, report_id TEXT NOT NULL "
        "REFERENCES reports(id), version INTEGER NOT NULL, digest TEXT, fetched_at TEXT, sha256 TEXT, "
        "url TEXT, title TEXT, status TEXT, cells TEXT)"
    )
    db.table("report_versions").create_index(["report_id", "version"], unique=True, if_not_exists=True)
    db.execute(
        "INSERT INTO report_versions (report_id, version, digest, fetched_at, sha256, url, title, status) "
        "SELECT id, 1, digest, fetched_at, sha256, url, title, status FROM reports r "
        "WHERE NOT EXISTS (SELECT 1 FROM report_versions v WHERE v.report_id = r.id)"
    )


def live_cells(db: Conn, report_id: str) -> list[list[Any]]:
    """The report's cells in the tables: [table, key..., value, raw] each."""
    out: list[list[Any]] = []
    for table, keys in CELL_TABLES.items():
        cols = ", ".join(f"[{k}]" for k in keys)
        for row in db.execute(
            f"SELECT {cols}, value, raw FROM [{table}] WHERE report_id = ? ORDER BY id", [report_id]
        ).fetchall():
            out.append([table, *row])
    return out


def _latest(db: Conn, report_id: str) -> tuple[int, int, str | None] | None:
    return db.execute(
        "SELECT id, version, digest FROM report_versions WHERE report_id = ? ORDER BY version DESC LIMIT 1",
        [report_id],
    ).fetchone()


def snapshot(db: Database, report_id: str, new_digest: str | None) -> None:
    """Before the live cells of `report_id` are replaced by a different reading, keep them."""
    latest = _latest(db, report_id)
    if latest is None or latest[2] == new_digest:
        return
    db.execute("UPDATE report_versions SET cells = ? WHERE id = ?",
               [json.dumps(live_cells(db, report_id), ensure_ascii=False), latest[0]])


def record(db: Database, report_id: str, record: dict[str, Any]) -> None:
    """Add the reading just written as the report's newest version (unless it is the same)."""
    latest = _latest(db, report_id)
    if latest is not None and latest[2] == record.get("digest"):
        return
    db.execute(
        "INSERT INTO report_versions (report_id, version, digest, fetched_at, sha256, url, title, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [report_id, (latest[1] if latest else 0) + 1, record.get("digest"), record.get("fetched_at"),
         record.get("sha256"), record.get("url"), record.get("title"), record.get("status")],
    )


def supersede(db: Database, stale_id: str, report_id: str) -> None:
    """A reading filed under another id (`stale_id`) becomes part of `report_id`'s history."""
    snapshot(db, stale_id, None)
    ids = [r[0] for r in db.execute(
        "SELECT id FROM report_versions WHERE report_id IN (?, ?) ORDER BY fetched_at, id",
        [stale_id, report_id],
    ).fetchall()]
    db.execute("UPDATE report_versions SET version = -id, report_id = ? WHERE report_id IN (?, ?)",
               [report_id, stale_id, report_id])
    for n, vid in enumerate(ids, start=1):
        db.execute("UPDATE report_versions SET version = ? WHERE id = ?", [n, vid])


def history(db: Conn, report_id: str) -> list[dict[str, Any]]:
    """The report's versions, oldest first, each with its cells and its changes from the one before."""
    rows = db.execute(
        "SELECT version, digest, fetched_at, sha256, url, title, status, cells FROM report_versions "
        "WHERE report_id = ? ORDER BY version", [report_id],
    ).fetchall()
    out: list[dict[str, Any]] = []
    previous: dict[tuple[str, ...], tuple[Any, Any]] | None = None
    for version, digest, fetched_at, sha256, url, title, status, cells_json in rows:
        cells = json.loads(cells_json) if cells_json else live_cells(db, report_id)
        current = {tuple(str(x) for x in c[:-2]): (c[-2], c[-1]) for c in cells}
        changes = diff(previous, current) if previous is not None else []
        out.append({"version": version, "digest": digest, "fetched_at": fetched_at, "sha256": sha256,
                    "url": url, "title": title, "status": status, "changes": changes})
        previous = current
    return out


def diff(old: dict[tuple[str, ...], tuple[Any, Any]], new: dict[tuple[str, ...], tuple[Any, Any]]
         ) -> list[dict[str, Any]]:
    """The cells whose printed value or text differ between two versions (added/removed too)."""
    changes = []
    for cell in sorted(set(old) | set(new), key=_cell_order):
        before, after = old.get(cell, (None, None)), new.get(cell, (None, None))
        if before != after:
            changes.append({"cell": list(cell), "label": _cell_label(cell),
                            "old": before[0], "new": after[0], "old_raw": before[1], "new_raw": after[1]})
    return changes


def _cell_order(cell: tuple[str, ...]) -> tuple[Any, ...]:
    table = cell[0]
    order = list(CELL_TABLES).index(table) if table in CELL_TABLES else 9
    if table == "applications":
        return (order, layout.row_sort_key(cell[1]), cell[2:])
    return (order, (0, ""), cell[1:])


def _cell_label(cell: tuple[str, ...]) -> str:
    if cell[0] == "active_disclosure" and len(cell) == 4:
        return f"第二部分{layout.ARTICLES.get(cell[1], cell[1])} {cell[2]} {cell[3]}"
    if len(cell) == 3:
        return layout.cell_name((cell[0], cell[1], cell[2]))
    return " ".join(cell)
