"""Serving the archive read-only with Datasette and the project's datasette/ configuration.

The public archive is rebuilt in place while it is served (the weekly cron runs `nianbao
crawl` into the file `nianbao serve` publishes), so it is not opened immutable: the
``nianbao_live`` plugin serves it read-only from WAL snapshots, one per request, and each
build is one transaction (archive/transaction.py) — readers see the old archive or the
new one. The ``nianbao_guard`` plugin bounds what one request may cost (SQL value and
result sizes, dangerous SQL functions off) and sends the security headers. SQL gets a
time limit here, and the configuration (metadata, canned queries, templates) comes from
the datasette/ directory, shipped in the package as ``nianbao/site`` and found through
importlib.resources. The plugins are not named here: they are installed with nianbao and
Datasette loads them through its ``datasette`` entry point (pyproject.toml).
Datasette names a database after its file, and the URLs (``/archive/reports``) and
metadata are keyed on ``archive``: the live plugin publishes the one archive served under
that name whatever its file is called, so no link or scratch directory is needed.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from ..resources import site_dir

DATABASE_NAME = "archive"
SQL_TIME_LIMIT_MS = 3000

_SETTINGS = {
    "sql_time_limit_ms": str(SQL_TIME_LIMIT_MS),
    "default_page_size": "50",
    # A streamed CSV reads pages of this many rows, each within the guard's 32 MB result
    # budget: 1,000 rows leaves 32,000 characters a row for the reports' full texts.
    "max_returned_rows": "1000",
    # Downloads stream with bounded memory (.csv pages, .csvbom record by record): whole tables.
    "max_csv_mb": "0",
    "truncate_cells_html": "300",
    "default_facet_size": "30",
    # Facet suggestions scan every column of every result page: on a large archive they
    # cost more than the search itself (see docs/benchmarks.md).
    "suggest_facets": "off",
}


def _datasette_command() -> list[str]:
    script = Path(sys.executable).with_name("datasette")
    return [str(script)] if script.exists() else [sys.executable, "-m", "datasette"]


def datasette_args(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The full argv (program first) that serves `db_path` read-only with our configuration."""
    db = Path(db_path).resolve()
    config = site_dir()
    argv = [
        *_datasette_command(),
        "serve",
        str(db),
        "--metadata", str(config / "metadata.yaml"),
        "--host", host,
        "--port", str(port),
    ]
    templates = config / "templates"
    if templates.is_dir() and any(templates.glob("*.html")):  # git does not keep an empty folder
        argv += ["--template-dir", str(templates)]
    for name, value in _SETTINGS.items():
        argv += ["--setting", name, value]
    return argv


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Run Datasette in this process until interrupted (Ctrl-C or SIGTERM); returns 0.

    In-process rather than a child process, so that stopping `nianbao serve` or
    `nianbao demo` can never leave an orphaned server holding the port.
    """
    from datasette.cli import cli

    argv = datasette_args(db_path, host=host, port=port)
    os.environ["NIANBAO_SERVING"] = "1"  # the guard's process-wide SQLite heap limit (nianbao_guard)
    with contextlib.suppress(KeyboardInterrupt):
        cli.main(args=argv[argv.index("serve"):], prog_name="datasette", standalone_mode=False)
    return 0


def is_archive_file(path: str | Path) -> bool:
    """True when the SQLite file at `path` is a nianbao archive (it has the archive's bigram
    search indexes); the plugins act on nothing else."""
    import sqlite3

    from .search import is_bigram_archive

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        return is_bigram_archive(conn)
    finally:
        conn.close()
