"""One transaction per build, so that the served archive is the old one or the new one.

`nianbao build` (and the build step of `nianbao crawl`) writes into the file that
`nianbao serve` publishes. The archive is in WAL mode (load.open_archive): readers keep
reading a consistent snapshot while a writer works, and a commit makes the new state
visible at once. A build made of many commits would still show its readers a half-built
archive (new reports, old coverage); so everything a build writes — reports, crawl runs,
source health, coverage — goes into one transaction, opened here and committed when the
build is done. The loaders' own `db.atomic()` blocks become savepoints inside it, so one
refused report is still rolled back alone.

Inside `build_transaction(path)`, `load.open_archive(path)` returns the same connection
(every stage of the build opens the archive by its path). A build that fails or is
killed leaves the archive as it was; the next build does the work again. Nothing is
copied: the WAL holds the pages this build changed, and is checkpointed into the file
after the commit (readers that still hold the old snapshot are waited for briefly, never
broken; what they keep from the checkpoint is copied at the next one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

# The WAL is cut back to this size after a checkpoint (a large build leaves no large file).
WAL_SIZE_LIMIT = 64 * 1024 * 1024

# How long the checkpoint after a build waits for readers still on the old snapshot.
CHECKPOINT_WAIT_MS = 200

_open: dict[str, Database] = {}


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def current(path: str | Path) -> Database | None:
    """The connection of the build transaction open on `path` in this process, if any."""
    return _open.get(_key(path))


class ArchiveBusy(RuntimeError):
    """Another build holds the archive's write lock."""


@contextmanager
def build_transaction(path: str | Path) -> Iterator[Database]:
    """Everything written to the archive at `path` inside the block is one transaction.

    Nested use on the same path joins the open transaction. Raises ArchiveBusy when
    another process is building into the same archive.
    """
    from . import load

    key = _key(path)
    if key in _open:
        yield _open[key]
        return
    db = load.open_archive(path)
    try:
        try:
            db.execute("BEGIN IMMEDIATE")  # take the write lock now, not half-way through
        except sqlite3.OperationalError as exc:
            raise ArchiveBusy(f"{path}: another build is writing this archive ({exc})") from None
        _open[key] = db
        try:
            yield db
        except BaseException:
            _open.pop(key, None)
            db.rollback()
            raise
        _open.pop(key, None)
        db.commit()
        db.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        db.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")  # a reader mid-request: leave it
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        _open.pop(key, None)
        db.close()
