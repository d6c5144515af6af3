"""The distributed crawl: `nianbao crawl --redis` workers sharing one frontier through a real
redis-server (started here on 127.0.0.1 with a temporary directory and a free port) and the
fixture portals of conftest.py. Skipped, saying why, where Debian's redis-server is missing.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from nianbao.crawler import journal
from nianbao.crawler.captures import CaptureStore, Fetched, read_index, read_payload
from nianbao.crawler.summary import Tally

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
UA = "nianbao/0.1 (+https://github.com/nianbao; contact: nianbao@users.noreply.github.com) worker-{}"


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real redis-server on 127.0.0.1, in a temporary directory, on a free port."""
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def start_portal(fx, host: str = "127.0.0.1") -> Any:
    """conftest's fixture portals served on `host`, noting when each request arrives.

    Until `srv.gate()` is first true (see shared_by) every request waits (30 s at most), so that
    two workers surely share the crawl however slowly the second one starts on a loaded machine.
    """
    server_cls = fx.ThreadingHTTPServer

    class Handler(fx._Handler):
        def _arrive(self) -> None:
            srv = self.server
            with srv.lock:
                srv.arrivals.append((time.monotonic(), self.path))
            deadline = time.monotonic() + 30
            while (gate := srv.gate) is not None and time.monotonic() < deadline:
                if gate():
                    srv.gate = None  # open for good: the workers are both in
                    break
                time.sleep(0.02)

        def do_GET(self) -> None:
            self._arrive()
            super().do_GET()

        def do_POST(self) -> None:
            self._arrive()
            super().do_POST()

    srv = fx.PortalServer.__new__(fx.PortalServer)
    server_cls.__init__(srv, (host, _free_port(host)), Handler)
    srv.portal, srv.log, srv.faults = fx.Portal(srv.server_address[1]), [], {}
    srv.lock, srv.stop, srv.delay, srv.no_validators = threading.Lock(), threading.Event(), 0.0, set()
    srv.arrivals, srv.gate = [], None
    fx.build_portals(srv.portal)
    threading.Thread(target=srv.serve_forever, daemon=True, name=f"portal-{host}").start()
    return srv


def stop_portal(srv: Any) -> None:
    srv.stop.set()
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def portal(fx):
    srv = start_portal(fx)
    yield srv
    stop_portal(srv)


@contextmanager
def shared_by(srv: Any, redis_db: Any, workers: int = 2, delay: float = 0.0) -> Iterator[None]:
    """The portal answers once `workers` workers have joined the run (redis says), each GET
    after `delay`."""
    srv.gate = lambda: redis_db.scard("nianbao:crawl:live") >= workers
    srv.delay = delay
    try:
        yield
    finally:
        srv.gate, srv.delay = None, 0.0


@contextmanager
def two_workers(fx, server: Any, tmp_path: Path, redis_db: Any, redis_url: str, *, delay: float = 0.0,
                sources: Path | None = None, settings: dict[str, str] | None = None) -> Iterator[Any]:
    """Workers a and b crawling `sources` (the three fixture columns) into tmp_path/shared."""
    from types import SimpleNamespace

    sources = sources or fx.write_sources(tmp_path, server.port)
    data = tmp_path / "shared"
    with shared_by(server, redis_db, delay=delay):
        mark = server.mark()
        yield SimpleNamespace(data=data, sources=sources, mark=mark,
                              a=worker(fx, data, sources, redis_url, "a", settings=settings),
                              b=worker(fx, data, sources, redis_url, "b", settings=settings))


@pytest.fixture
def redis_db(redis_url):
    """The test's redis database, empty at the start; a client for looking inside."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


def documents(fx) -> set[str]:
    return {p for pages in fx.EXPECTED_PAGES.values() for p in pages} | set(fx.EXPECTED_ATTACHMENTS)


def worker(fx, data: Path, sources: Path, redis_url: str, name: str, *extra: str,
           settings: dict[str, str] | None = None) -> subprocess.Popen:
    """`nianbao crawl --redis` as a user runs it, one worker."""
    nianbao = Path(fx.PYTHON).with_name("nianbao")
    cmd = [str(nianbao), "crawl", "--data", str(data), "--db", str(data / "archive.db"), "--sources",
           str(sources), "--redis", redis_url, "--worker", name, *extra]
    # DOWNLOAD_TIMEOUT: the gate of shared_by() holds the first requests until both workers are up
    for k, v in {**fx.FAST, "DOWNLOAD_TIMEOUT": "40", "USER_AGENT": UA.format(name),
                 "NIANBAO_REDIS_TIMEOUT": "3", "CONCURRENT_REQUESTS": "2", **(settings or {})}.items():
        cmd += ["-s", f"{k}={v}"]
    return subprocess.Popen(cmd, cwd=fx.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(fx.REPO)})


def finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"worker did not finish: {err[-3000:]}")
    return proc.returncode, err


def by_worker(log: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = collections.defaultdict(list)
    for e in log:
        out[e["headers"].get("User-Agent", "").rsplit("worker-", 1)[-1]].append(e["path"])
    return out


def build(fx, data: Path) -> sqlite3.Connection:
    nianbao = Path(fx.PYTHON).with_name("nianbao")
    proc = subprocess.run([str(nianbao), "build", "--db", str(data / "archive.db"), "--data", str(data)],
                          cwd=fx.REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return sqlite3.connect(data / "archive.db")


def archive_content(db: sqlite3.Connection) -> dict[str, Any]:
    """What must be the same whoever crawled: reports, their cells and documents (not times)."""
    rows = lambda sql: sorted(tuple(r) for r in db.execute(sql))  # noqa: E731
    return {
        "reports": rows("SELECT id, url, title, agency, year, published, sha256, status FROM reports"),
        "sections": rows("SELECT report_id, number, heading, text FROM sections"),
        "active_disclosure": rows(
            "SELECT report_id, article, item, metric, value, raw FROM active_disclosure"),
        "applications": rows("SELECT report_id, row, applicant, value, raw FROM applications"),
        "reviews": rows("SELECT report_id, stage, outcome, value, raw FROM reviews"),
        "documents": rows("SELECT url, sha256, content_type, report_id FROM documents"),
    }


def health(db: sqlite3.Connection) -> list[tuple]:
    return sorted(tuple(r) for r in db.execute(
        "SELECT source_id, status, pages, reports_found, reports_new, reports_changed, reports_unchanged, "
        "reports_failed, reports_unaccounted, documents_new FROM crawl_sources"))


@pytest.fixture(scope="module")
def single(portal, tmp_path_factory, fx):
    """The single-process crawl (and build) of the fixture portals that a distributed one must equal."""
    tmp = tmp_path_factory.mktemp("single")
    sources = fx.write_sources(tmp, portal.port)
    mark = portal.mark()
    assert fx.run_crawl(tmp / "data", "--sources", str(sources)).returncode == 0
    log = portal.requests_since(mark)
    db = build(fx, tmp / "data")
    return {"log": log, "archive": archive_content(db), "health": health(db)}


# ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_two_workers_fetch_each_report_once_and_build_the_same_archive(portal, tmp_path, fx, redis_db,
                                                                       redis_url, single):
    server = portal
    with two_workers(fx, server, tmp_path, redis_db, redis_url, delay=0.05) as run:
        (rc_a, err_a), (rc_b, err_b) = finish(run.a), finish(run.b)
    data, sources = run.data, run.sources
    log = server.requests_since(run.mark)
    assert (rc_a, rc_b) == (0, 0), err_a[-3000:] + err_b[-3000:]
    fetched = collections.Counter(e["path"] for e in log if e["path"] in documents(fx))
    assert set(fetched) == documents(fx) and set(fetched.values()) == {1}, fetched
    # list pages too: the shared duplicate filter knows every page whichever worker read it
    lists = collections.Counter(e["path"] for e in log if e["path"] != "/robots.txt")
    assert lists == collections.Counter(e["path"] for e in single["log"] if e["path"] != "/robots.txt")
    share = by_worker(log)
    assert set(share) == {"a", "b"} and all(len(v) >= 3 for v in share.values()), share
    # each worker wrote its own store; together they are the single crawl's captures
    stores = sorted(p.name for p in (data / "captures" / "workers").iterdir())
    assert stores == ["a", "b"] and not (data / "captures" / "index.jsonl").exists()
    records = read_index(data)
    assert sorted(fx.path_of(r["url"]) for r in records) == sorted(documents(fx))
    assert all(read_payload(data, r) == server.portal.files[fx.path_of(r["url"])][0] for r in records)
    # one run in the journals, written by the last worker, both named in it
    runs = journal.read_runs(data)
    assert len(runs) == 1 and runs[0]["settings"]["distributed"]["workers"] == ["a", "b"]
    assert "this worker wrote it up" in err_a + err_b
    assert not redis_db.keys("nianbao:crawl:*"), "a finished run leaves nothing in redis"

    db = build(fx, data)
    assert archive_content(db) == single["archive"]
    assert len(single["archive"]["reports"]) >= 5 and single["archive"]["active_disclosure"]
    assert health(db) == single["health"]
    assert db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 1

    # a second distributed run is a re-crawl: every report asked for again, conditionally
    with shared_by(server, redis_db):
        mark = server.mark()
        a, b = worker(fx, data, sources, redis_url, "a"), worker(fx, data, sources, redis_url, "b")
        assert finish(a)[0] == 0 and finish(b)[0] == 0
    again = [e for e in server.requests_since(mark) if e["path"] in documents(fx)]
    assert sorted(e["path"] for e in again) == sorted(documents(fx))
    assert all(e["status"] == 304 for e in again), "known documents are not downloaded again"
    assert len(read_index(data)) == len(records)
    assert len(journal.read_runs(data)) == 2


@pytest.mark.slow
def test_a_worker_killed_mid_crawl_loses_nothing(portal, tmp_path, fx, redis_db, redis_url, single):
    server = portal
    with two_workers(fx, server, tmp_path, redis_db, redis_url, delay=0.3) as run:
        # a has requests in flight: its processing hash holds them when it dies
        assert fx.wait_until(lambda: len(by_worker(server.requests_since(run.mark)).get("a", [])) >= 4
                             and redis_db.hlen("nianbao:crawl:processing:a") > 0, timeout=60)
        in_flight = redis_db.hlen("nianbao:crawl:processing:a")
        run.a.send_signal(signal.SIGKILL)
        run.a.wait(timeout=30)
        rc_b, err_b = finish(run.b)
    data, mark = run.data, run.mark
    assert rc_b == 0, err_b[-3000:]
    assert in_flight >= 2  # a token and its priority per request
    log = server.requests_since(mark)
    share = by_worker(log)
    assert share.get("b"), "the surviving worker did the rest"
    # every document is in the store, each URL+sha256 once (a request redone after the kill
    # may have been captured by both workers: the store reads it once)
    records = read_index(data)
    assert sorted(fx.path_of(r["url"]) for r in records) == sorted(documents(fx))
    run = journal.read_runs(data)[-1]
    assert run["settings"]["distributed"]["dead_workers"] == ["a"]
    assert "1 of them lost on the way (a)" in err_b
    rows = {r["source_id"]: r for r in run["sources"]}
    assert {k: (r["reports_found"], r["reports_unaccounted"], r["reports_failed"]) for k, r in rows.items()} \
        == {"fx-trs": (4, 0, 0), "fx-hanweb": (3, 0, 0), "fx-gd": (4, 0, 0)}
    assert not redis_db.keys("nianbao:crawl:*")
    # every report archived once: the archive is the single-process crawl's, document for document
    assert archive_content(build(fx, data)) == single["archive"]


@pytest.mark.slow
def test_a_worker_stopped_by_sigterm_leaves_the_run_to_the_others(portal, tmp_path, fx, redis_db, redis_url,
                                                                   single):
    """A scheduler's SIGTERM stops one worker cleanly: what it took is done or given back, the
    other worker finishes the run, and the stopped one says so with exit status 1."""
    server = portal
    with two_workers(fx, server, tmp_path, redis_db, redis_url, delay=0.3) as run:
        assert fx.wait_until(lambda: len(by_worker(server.requests_since(run.mark)).get("a", [])) >= 4,
                             timeout=60)
        run.a.send_signal(signal.SIGTERM)
        (rc_a, err_a), (rc_b, err_b) = finish(run.a), finish(run.b)
    data, mark = run.data, run.mark
    assert rc_a == 1 and "this worker stopped (shutdown)" in err_a, err_a[-3000:]
    assert "Traceback" not in err_a + err_b
    assert rc_b == 0 and "this worker wrote it up" in err_b, err_b[-3000:]
    log = server.requests_since(mark)
    fetched = collections.Counter(e["path"] for e in log if e["path"] in documents(fx))
    assert set(fetched) == documents(fx) and set(fetched.values()) == {1}, "nothing redone, nothing lost"
    run = journal.read_runs(data)[-1]
    assert run["settings"]["distributed"]["dead_workers"] == []
    assert all(r["reports_unaccounted"] == 0 and r["reports_failed"] == 0 for r in run["sources"])
    assert archive_content(build(fx, data)) == single["archive"]


@pytest.mark.slow
def test_politeness_holds_across_workers(tmp_path, fx, redis_db, redis_url):
    """Two workers, one host with a delay: requests to it start at least the delay apart.

    The portal listens on 127.0.0.2, a loopback address that is not in the loopback
    exemption (DOWNLOAD_SLOTS): the crawl treats it like any government host.
    """
    host = "127.0.0.2"
    try:
        srv = start_portal(fx, host)
    except OSError as exc:
        pytest.skip(f"cannot listen on {host}: {exc}")
    delay = 0.4
    try:
        sources = tmp_path / "sources.yaml"
        sources.write_text(fx.sources_yaml(srv.port, ("fx-trs", "fx-hanweb")).replace("127.0.0.1", host),
                           encoding="utf-8")
        polite = {"DOWNLOAD_DELAY": str(delay), "AUTOTHROTTLE_ENABLED": "False"}
        with two_workers(fx, srv, tmp_path, redis_db, redis_url, sources=sources, settings=polite) as run:
            (rc_a, err_a), (rc_b, err_b) = finish(run.a), finish(run.b)
        data = run.data
    finally:
        stop_portal(srv)
    assert (rc_a, rc_b) == (0, 0), err_a[-3000:] + err_b[-3000:]
    share = by_worker(srv.log)
    assert set(share) == {"a", "b"}, share
    times = sorted(t for t, _ in srv.arrivals)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) >= 10
    # Each start is taken from the shared slot at least `delay` after the one before; what
    # the server sees adds each worker's own latency from taking the slot to sending (its
    # reactor may be busy for some ms on a loaded machine). Two workers keeping only their
    # own delays would start requests at nearly the same time (gaps near 0).
    assert min(gaps) >= delay - 0.1, [round(g, 3) for g in gaps]
    assert sum(gaps) / len(gaps) >= delay, [round(g, 3) for g in gaps]
    expected = {p for sid in ("fx-trs", "fx-hanweb") for p in fx.EXPECTED_PAGES[sid]}
    assert expected <= {fx.path_of(r["url"]) for r in read_index(data)}


# -- the pieces, without a crawl -------------------------------------------------------------
def test_worker_stores_read_as_one(tmp_path):
    """Each worker writes its own store; read_index merges them by time, each URL+sha256 once."""
    def fetched(url: str, body: bytes) -> Fetched:
        return Fetched(url=url, status=200, body=body, headers=[("Content-Type", "text/html")])

    with CaptureStore(tmp_path, worker="a") as a:
        one = a.add(fetched("http://x/1.html", b"one"), {"kind": "page"})
    with CaptureStore(tmp_path, worker="b") as b:
        assert b.latest("http://x/1.html") == one, "a worker knows every worker's captures"
        assert b.add(fetched("http://x/1.html", b"one"), {}) is None
        two = b.add(fetched("http://x/2.html", b"two"), {"kind": "page"})
    assert two is not None and one is not None
    assert two["warc_file"].startswith("workers/b/") and one["warc_file"].startswith("workers/a/")
    # the same capture made again by another worker (its first worker was killed before
    # acknowledging the request) is read once
    dup = (tmp_path / "captures" / "workers" / "c")
    dup.mkdir()
    (dup / "index.jsonl").write_text(json.dumps({**one, "fetched_at": "2099-01-01T00:00:00Z"}) + "\n")
    assert read_index(tmp_path) == [one, two]
    assert [read_payload(tmp_path, r) for r in read_index(tmp_path)] == [b"one", b"two"]
    with pytest.raises(Exception, match="worker name"):
        CaptureStore(tmp_path, worker="../x")


def test_tally_events_replay_to_the_same_rows():
    """What workers send (events) merges into the tally one process would have kept."""
    direct = Tally(["s"])
    logged = [Tally(["s"], log_events=True), Tally(["s"], log_events=True)]
    steps = [
        lambda t: t.list_page("s", 3, ["trs", "generic"]),
        lambda t: t.report_found("s", "http://x/1.html", "2023年报告", "2024-01-02"),
        lambda t: t.report_found("s", "http://x/2.html", "2022年报告", "2023-01-02"),
        lambda t: t.report_found("s", "http://x/3.html", "2021年报告", None),
        lambda t: t.captured("s", {"change": "new", "url": "http://x/1.html"}, "http://x/1.html"),
        lambda t: t.failed("s", "http://x/2.pdf", "http_5xx", "HTTP 500", "http://x/2.html"),
        lambda t: t.captured("s", None, "http://x/2.html"),
        lambda t: t.excluded("s", "http://x/3.html"),
        lambda t: t.drop("http://x/4.html", "dropped"),
    ]
    for i, step in enumerate(steps):
        step(direct)
        step(logged[i % 2])
    merged = Tally(["s"])
    for t in reversed(logged):  # any order
        merged.replay(t.take_events())
    direct.close("finished")
    merged.close("finished")
    assert merged.rows() == direct.rows()
    assert logged[0].take_events() == [], "events are handed over once"


def test_redis_missing_is_a_clear_error(tmp_path, fx):
    port = _free_port()
    proc = fx.run_crawl(tmp_path / "data", "http://127.0.0.1:1/x/", "--redis", f"redis://127.0.0.1:{port}/0")
    assert proc.returncode == 2
    assert f"error: cannot reach redis at redis://127.0.0.1:{port}/0" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout

