"""Serving the archive read-only with Datasette and the project's datasette/ configuration.

The public archive must never change under its readers and must survive heavy queries:
the file is opened immutable (``-i``), SQL gets a time limit, and the configuration
(metadata, canned queries, templates) comes from the datasette/ directory, shipped in
the package as ``nianbao/site`` and found through importlib.resources. The plugins
(search, CSV for Excel, capture downloads) are not named here: they are installed with
nianbao and Datasette loads them through its ``datasette`` entry point (pyproject.toml).
Datasette names a database after its file, and
the URLs (``/archive/reports``) and metadata are keyed on ``archive``: a file with another
name is served through a symlink called archive.db so that every link keeps working.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import tempfile
from pathlib import Path

from ..resources import site_dir

DATABASE_NAME = "archive"
SQL_TIME_LIMIT_MS = 3000

_SETTINGS = {
    "sql_time_limit_ms": str(SQL_TIME_LIMIT_MS),
    "default_page_size": "50",
    "max_returned_rows": "5000",
    "truncate_cells_html": "300",
    "default_facet_size": "30",
    # Facet suggestions scan every column of every result page: on a large archive they
    # cost more than the search itself (see docs/benchmarks.md).
    "suggest_facets": "off",
}


def _datasette_command() -> list[str]:
    script = Path(sys.executable).with_name("datasette")
    return [str(script)] if script.exists() else [sys.executable, "-m", "datasette"]


def _named_archive(db_path: Path) -> Path:
    """`db_path` itself when it is called archive.db, else a stable symlink of that name."""
    if db_path.stem == DATABASE_NAME:
        return db_path
    key = hashlib.sha256(str(db_path).encode("utf-8")).hexdigest()[:12]
    link_dir = Path(tempfile.gettempdir()) / f"nianbao-serve-{key}"
    link_dir.mkdir(exist_ok=True)
    link = link_dir / f"{DATABASE_NAME}.db"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(db_path)
    return link


def datasette_args(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The full argv (program first) that serves `db_path` read-only with our configuration."""
    db = _named_archive(Path(db_path).resolve())
    config = site_dir()
    argv = [
        *_datasette_command(),
        "serve",
        "-i", str(db),
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
    with contextlib.suppress(KeyboardInterrupt):
        cli.main(args=argv[argv.index("serve"):], prog_name="datasette", standalone_mode=False)
    return 0
