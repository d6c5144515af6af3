"""`nianbao demo`: the whole job, end to end, on the bundled sample portal.

The sample portal (demo/portal/, built by demo/build_portal.py from the five seed
reports; shipped in the package as nianbao/sample_portal) is served on 127.0.0.1 by a
plain HTTP server in a thread, crawled by the real spider, parsed and loaded into the
archive, and the archive is served with Datasette. Nothing here is demo-specific logic
beyond starting the portal: the crawl and the build are the ones `nianbao crawl` runs.
"""

from __future__ import annotations

import functools
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .resources import sample_portal_dir

COLUMN_PATH = "/zfxxgknb/index.html"


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the portal files without logging every request to the terminal."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def start_portal(root: Path | None = None, port: int = 0) -> ThreadingHTTPServer:
    """Serve `root` (default: the bundled portal) on 127.0.0.1 in a daemon thread; the
    caller shuts it down."""
    root = root if root is not None else sample_portal_dir()
    if not (root / COLUMN_PATH.lstrip("/")).exists():
        raise FileNotFoundError(f"sample portal missing at {root}: run demo/build_portal.py")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="sample-portal").start()
    return server


def run(
    *,
    db: str,
    data_dir: str,
    serve: bool = True,
    host: str = "127.0.0.1",
    port: int = 8001,
    portal_port: int = 8764,
) -> int:
    """Crawl the sample portal into `data_dir`, build `db`, then serve it unless told not to."""
    from . import runs

    try:
        server = start_portal(port=portal_port)
    except OSError:  # the usual port is taken: any free one will do, at the cost of
        server = start_portal(port=0)  # a re-crawl that cannot recognise earlier URLs
    column = f"http://127.0.0.1:{server.server_address[1]}{COLUMN_PATH}"
    print(f"sample portal at {column}", file=sys.stderr, flush=True)
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    try:
        outcome = runs.crawl_and_build(db, data_dir, urls=(column,))
    finally:
        server.shutdown()
    for line in outcome.lines:
        print(line, file=sys.stderr)
    print(f"archive at {db}", file=sys.stderr, flush=True)
    status = outcome.exit_status
    if status == runs.EXIT_SOURCE and all(r.get("status") in ("ok", "stale") for r in outcome.per_source):
        status = runs.EXIT_OK  # the sample portal is a snapshot of 2023: stale by design, not broken
    if not serve:
        return status
    from nianbao.archive import serve as serve_mod

    print(f"open http://{host}:{port}/archive  (Ctrl-C to stop)", file=sys.stderr, flush=True)
    return serve_mod.serve(db, host=host, port=port) or status
