"""A large batch is prepared in a second process: it must write exactly what one process writes.

load_reports sends the pure work of a batch of PARALLEL_MIN reports or more (validation,
rows, digest, search tokens: archive/prepare.py) to a worker process. Here PARALLEL_MIN is
lowered so that the seeds' batches go through the worker, and every table, every result
and every refusal is compared with the same batch prepared in one process.
"""

from __future__ import annotations

import copy
import os
import signal
import time

import pytest

from nianbao.archive import load, prepare, search

from .test_agencies import _crawl_route, _file_route
from .test_load_batch import assert_index_in_step, dump, in_between_year, items

pytestmark = pytest.mark.skipif(not prepare.available(),
                                reason="one core, or no fork: every batch is prepared in one process")


@pytest.fixture
def made_here(monkeypatch):
    """Counts the reports whose rows the loader's own process makes."""
    calls: list[str] = []
    real = prepare.make_rows

    def counting(item, name, docs, agency, known=None):
        calls.append(name)
        return real(item, name, docs, agency, known)

    # (a worker forked after the patch counts in its own memory, which this list never sees)
    monkeypatch.setattr(prepare, "make_rows", counting)
    return calls


def _both(tmp_path, monkeypatch, batch_of, name):
    """The same batch loaded in one process, then through the worker: (results, dump) each."""
    single = load.open_archive(tmp_path / f"{name}-one.db")
    one = load.load_reports(single, batch_of())
    monkeypatch.setattr(load, "PARALLEL_MIN", 1)
    parallel = load.open_archive(tmp_path / f"{name}-two.db")
    two = load.load_reports(parallel, batch_of())
    monkeypatch.setattr(load, "PARALLEL_MIN", 10**9)
    return (one, dump(single)), (two, dump(parallel)), parallel


def test_a_batch_prepared_in_a_worker_writes_what_one_process_writes(tmp_path, h, monkeypatch, made_here):
    (one, rows_one), (two, rows_two), db = _both(tmp_path, monkeypatch,
                                                 lambda: [*items(h), in_between_year(h)], "seeds")
    assert [r.change for r in two] == ["new"] * len(two)
    assert two == one
    assert rows_two == rows_one
    assert_index_in_step(db)
    # the rows came from the worker: the loader made the rows of no report itself
    # (those of the one-process load are counted before it)
    assert len(made_here) == len(one)


def test_refusals_through_the_worker_name_the_same_reports(tmp_path, h, monkeypatch):
    def batch():
        b = items(h)
        b[0] = load.LoadItem(**{**vars(b[0]), "url": ""})  # refused before its agency is looked at
        b[1].report["applications"][0]["value"] = "12"  # refused while its rows are made
        b[3].report["reviews"][-1]["value"] = 2**70  # refused by SQLite, half-way through its writes
        return b

    (one, rows_one), (two, rows_two), db = _both(tmp_path, monkeypatch, batch, "refused")
    assert [type(r) for r in two] == [type(r) for r in one]
    assert [str(r) for r in two] == [str(r) for r in one]
    assert {i for i, r in enumerate(two) if isinstance(r, load.LoadError)} == {0, 1, 3}
    assert "OverflowError" in str(two[3]) and "is not a number" in str(two[1])
    assert rows_two == rows_one
    assert_index_in_step(db)


def test_an_agency_the_archive_knows_by_another_name_is_prepared_again(tmp_path, h, monkeypatch, made_here):
    """The worker makes rows for the name a report gives its agency; when the archive
    (here: the batch's earlier report) knows that agency by another name, the loader makes
    the rows again for the archive's name, so the report id is the archive's one."""
    (one, rows_one), (two, rows_two), _ = _both(
        tmp_path, monkeypatch, lambda: [load.LoadItem(**_crawl_route(h)), load.LoadItem(**_file_route(h))],
        "routes")
    assert two == one
    assert two[0].report_id == two[1].report_id  # one report, whatever the route
    assert rows_two == rows_one
    counted_one_process = 2
    assert len(made_here) == counted_one_process + 1  # the file route's rows, made again


def test_a_report_the_worker_cannot_take_is_prepared_here(tmp_path, h, monkeypatch):
    """An accelerator only: what cannot be sent to the worker (here a value that does not
    pickle) is prepared in the loader's process, with the same result."""
    def batch():
        b = items(h)
        b[2].report["parser_note"] = lambda: None  # an extra key: allowed, never stored
        return b

    monkeypatch.setattr(load, "PARALLEL_MIN", 1)
    db = load.open_archive(tmp_path / "archive.db")
    results = load.load_reports(db, batch())
    assert [r.change for r in results] == ["new"] * len(results)
    assert_index_in_step(db)


def test_a_dead_worker_is_replaced_and_the_batch_still_loads(tmp_path, h, monkeypatch):
    monkeypatch.setattr(load, "PARALLEL_MIN", 1)
    worker = prepare.preparer()
    worker._pool.submit(int).result()  # started
    for pid in list(worker._pool._processes):  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
    db = load.open_archive(tmp_path / "archive.db")
    batch = [copy.deepcopy(i) for i in items(h)]
    results = load.load_reports(db, batch)
    assert [r.change for r in results] == ["new"] * len(results)
    assert_index_in_step(db)
    assert prepare.preparer() is not worker  # the next batch gets a new worker
    again = load.load_reports(db, items(h))
    assert [r.change for r in again] == ["unchanged"] * len(again)


def test_a_stuck_worker_is_given_up_and_the_batch_still_loads(tmp_path, h, monkeypatch):
    """A worker that never answers (stopped here; in life a fork that inherited a held
    lock) costs the loader one timeout: it prepares the reports itself and stops the worker."""
    monkeypatch.setattr(load, "PARALLEL_MIN", 1)
    monkeypatch.setattr(prepare.Preparer, "TIMEOUT", 1.0)
    worker = prepare.preparer()
    worker._pool.submit(int).result()  # started
    pids = list(worker._pool._processes)  # type: ignore[attr-defined]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    db = load.open_archive(tmp_path / "archive.db")
    results = load.load_reports(db, [copy.deepcopy(i) for i in items(h)])
    assert [r.change for r in results] == ["new"] * len(results)
    assert_index_in_step(db)
    assert worker.failed
    assert prepare.preparer() is not worker  # the stuck one is stopped, the next batch gets a new one
    for pid in pids:  # the stuck worker was told to stop: it ends as soon as it runs again
        os.kill(pid, signal.SIGCONT)
        deadline = time.monotonic() + 20
        while True:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break  # already reaped
            if done:
                assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
                break
            assert time.monotonic() < deadline, f"worker {pid} still running"
            time.sleep(0.05)


def test_the_worker_makes_no_tokens_for_a_reading_the_archive_holds(tmp_path, h, monkeypatch):
    """Re-loading: for a report whose digest the archive holds, the worker makes no search
    tokens (a third of its work, most of the bytes it sends back)."""
    db = load.open_archive(tmp_path / "archive.db")
    first = load.load_reports(db, items(h))
    known = load._known_digests(db, items(h))
    assert set(known) == {r.report_id for r in first}
    back = prepare.prepare_many(items(h), frozenset(), known)
    assert back and all(isinstance(r, prepare.Rows) and r.tokens() is None for r in back)
    fresh = prepare.prepare_many(items(h), frozenset())
    assert all(isinstance(r, prepare.Rows) and r.tokens() is not None for r in fresh)
    monkeypatch.setattr(load, "PARALLEL_MIN", 1)
    again = load.load_reports(db, items(h))
    assert [r.change for r in again] == ["unchanged"] * len(again)


def test_a_held_reading_the_batch_itself_changed_is_indexed_by_the_loader(tmp_path, h, monkeypatch):
    """The digests are read when a chunk is sent: a report the batch changes and then brings
    back to the held reading reaches the loader without tokens, which it makes itself."""
    single = load.open_archive(tmp_path / "one.db")
    load.load_reports(single, items(h))
    changed = items(h)[0]
    changed.report["sections"][0]["text"] += "新增一句：档案馆开放日。"
    one = load.load_reports(single, [changed, items(h)[0]])
    monkeypatch.setattr(load, "PARALLEL_MIN", 1)
    parallel = load.open_archive(tmp_path / "two.db")
    load.load_reports(parallel, items(h))
    changed = items(h)[0]
    changed.report["sections"][0]["text"] += "新增一句：档案馆开放日。"
    two = load.load_reports(parallel, [changed, items(h)[0]])
    assert [r.change for r in two] == [r.change for r in one] == ["changed", "changed"]
    assert dump(parallel) == dump(single)
    assert_index_in_step(parallel)
    for db in (single, parallel):
        assert db.execute("select count(*) from sections where text like '%档案馆开放日%'").fetchone()[0] == 0
        assert db.execute("select count(*) from sections_fts where sections_fts match ?",
                          [search.match_query("档案馆开放日")]).fetchone()[0] == 0
        assert db.execute("select count(*) from sections_fts where sections_fts match ?",
                          [search.match_query(h.seed_text(h.SEED_IDS[0])[40:46])]).fetchone()[0] > 0
