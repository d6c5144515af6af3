"""The capture store under faults: a full disk during a crawl, a write refused.

The store is put on a tmpfs of a few hundred kilobytes (mounting needs root: the test is
skipped, saying why, elsewhere), filled until a few captures still fit; the real spider
then crawls the fixture portals into it. The crawl must fail loudly (a console line, a
non-zero exit, `store` failures in the journal), stop instead of downloading what it
cannot keep, and leave an index whose every line points at a whole WARC record: nothing
recorded that was not written. With space again, a second crawl finishes the job.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from faults_record import record_fault
from warcio.archiveiterator import ArchiveIterator

from nianbao.crawler.captures import CaptureStore, Fetched, StoreWriteError, read_index, read_payload


def expected_documents(fx) -> set[str]:
    return {p for pages in fx.EXPECTED_PAGES.values() for p in pages} | set(fx.EXPECTED_ATTACHMENTS)


@contextlib.contextmanager
def tmpfs(where: Path, size: str):
    """A tmpfs of `size` mounted at `where` for the block; skips the test when it cannot be."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs to fill needs root (CI and the project machine run as root)")
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip() or proc.returncode}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(folder: Path, leave: int) -> Path:
    """Fill the file system of `folder`, then free `leave` bytes; returns the filler file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 4096)
    os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def warc_records(data: Path) -> list[tuple[str, int, str]]:
    """(file, offset, type) of every record of every WARC file, read from the start."""
    out = []
    for warc in sorted((data / "captures").glob("*.warc.gz")):
        with warc.open("rb") as fh:
            it = ArchiveIterator(fh)
            for rec in it:
                out.append((warc.name, it.get_record_offset(), rec.rec_type))
    return out


def test_a_full_disk_stops_the_crawl_loudly_and_records_nothing_unwritten(server, tmp_path, fx):
    sources = fx.write_sources(tmp_path, server.port)
    with tmpfs(tmp_path / "disk", "512k") as disk:
        data = disk / "data"
        (data / "captures").mkdir(parents=True)
        filler = fill(disk, leave=12 * 1024)
        started = time.monotonic()
        # its log file (data/logs/) is on the full disk too
        proc = fx.run_crawl(data, "--sources", str(sources), settings={"CONCURRENT_REQUESTS": "2"})
        seconds = time.monotonic() - started
        assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
        assert "error: the capture store cannot be written, the crawl stopped" in proc.stdout, proc.stdout
        assert "No space left on device" in proc.stdout
        assert "Traceback" not in proc.stdout + proc.stderr, "one line says it, no traceback per message"
        records = fx.index(data)
        # nothing recorded that was not written: every line reads back, sha256 checked
        for r in records:
            assert read_payload(data, r)
        # and the WARC files hold exactly the announced records, nothing half-written after them
        on_disk = [(f, o) for f, o, t in warc_records(data) if t == "response"]
        assert sorted(on_disk) == sorted((r["warc_file"], r["warc_offset"]) for r in records)
        assert len(records) < len(expected_documents(fx)), "the disk must have filled during the crawl"
        journal = data / "captures" / "runs.jsonl"
        lines = journal.read_text(encoding="utf-8").splitlines() if journal.exists() else []
        # the journal lives on the full disk too: the run is added whole, or not at all and said so
        if lines:
            run = json.loads(lines[-1])
            assert run["finish_reason"] == "capture_store_failed"
            assert "store" in {f["kind"] for src in run["sources"] for f in src["failure_records"]}
        else:
            assert "cannot add this run to the journal: No space left on device" in proc.stdout
        stored = len(records)
        # space again: the next crawl finishes the job, without duplicates
        filler.unlink()
        again = fx.run_crawl(data, "--sources", str(sources))
        assert again.returncode == 0, again.stdout + again.stderr[-3000:]
        pairs = [(r["url"], r["sha256"]) for r in fx.index(data)]
        assert len(pairs) == len(set(pairs))
        assert {fx.path_of(u) for u, _ in pairs} == expected_documents(fx)
    record_fault(
        what="capture store on a full disk (tmpfs filled to 12 kB free) during a crawl",
        limit="store writes: WARC record and fsync, then the index line and fsync",
        seconds=round(seconds, 1),
        outcome=f"{stored} captures stored whole, then a `store` failure naming the file and ENOSPC; "
                "the crawl stopped (capture_store_failed), exit status 1; every index line reads back; "
                "a crawl with space again completed the store",
        lost="nothing",
    )


def test_an_index_that_cannot_be_written_takes_the_warc_record_back(tmp_path):
    """The WARC record is written first; when its index line then fails, the record goes too."""
    data = tmp_path / "data"
    with CaptureStore(data) as store:
        first = store.add(Fetched(url="http://a/1.html", status=200, body=b"one", headers=[]), {})
        assert first is not None
        index = store.index_path
        index.rename(index.with_suffix(".saved"))
        index.mkdir()  # open(index, O_WRONLY) now fails (EISDIR), whoever runs the test
        with pytest.raises(StoreWriteError) as err:
            store.add(Fetched(url="http://a/2.html", status=200, body=b"two", headers=[]), {})
        assert err.value.errno == errno.EISDIR and not err.value.unusable
        assert "http://a/2.html" in str(err.value) and str(index) in str(err.value)
        index.rmdir()
        index.with_suffix(".saved").rename(index)
        assert [o for _, o, t in warc_records(data) if t == "response"] == [first["warc_offset"]]
        again = store.add(Fetched(url="http://a/2.html", status=200, body=b"two", headers=[]), {})
        assert again is not None, "a capture that failed is not taken for stored"
    assert [r["url"] for r in read_index(data)] == ["http://a/1.html", "http://a/2.html"]
    assert [read_payload(data, r) for r in read_index(data)] == [b"one", b"two"]
    record_fault(
        what="the index line of a capture cannot be written after its WARC record was",
        limit="the WARC record is cut back to its offset when its index line fails",
        outcome="StoreWriteError naming the URL and the index; the WARC file holds only announced "
                "records; the same capture is stored on the next try",
        lost="nothing",
    )


def test_an_unchanged_report_whose_stored_copy_is_damaged_fails_by_name(server, tmp_path, fx):
    """304 Not Modified, but the copy the spider must re-read (to follow its links) is damaged."""
    data = tmp_path / "data"
    sources = fx.write_sources(tmp_path, server.port, ("fx-trs",))
    assert fx.run_crawl(data, "--sources", str(sources)).returncode == 0
    path = "/trs/zfxxgknb/202401/t20240120_1002.html"
    page = next(r for r in fx.index(data) if fx.path_of(r["url"]) == path)
    warc = data / "captures" / page["warc_file"]
    raw = bytearray(warc.read_bytes())
    raw[page["warc_offset"]:page["warc_offset"] + 40] = b"\0" * 40
    warc.write_bytes(bytes(raw))
    again = fx.run_crawl(data, "--sources", str(sources))
    assert again.returncode == 1, again.stdout
    row = fx.last_crawl(data)["per_source"][0]
    failure = next(f for f in row["failure_records"] if f["url"] == page["url"])
    assert failure["kind"] == "store"
    assert page["warc_file"] in failure["reason"] and f"offset {page['warc_offset']}" in failure["reason"]
    assert row["report_outcomes"][page["url"]] == "failed" and row["reports_unaccounted"] == 0
    record_fault(
        what="a report answered 304 Not Modified whose stored copy (to follow its links) is damaged",
        limit="the stored copy read from its offset, sha256 checked",
        outcome="that report fails as `store`, naming the WARC file and offset; the others are crawled; "
                "exit status 1",
        lost="nothing (beyond the bytes the disk damaged)",
    )
