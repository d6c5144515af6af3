"""The capture store: raw bytes of every fetched report page and attachment, kept forever.

Portals get redesigned and old reports vanish, so the archive is often the last copy:
every new or changed document is written byte for byte into a WARC file (request and
response records, HTTP headers, fetch time) and described by one line of
`captures/index.jsonl`. Later stages read only this store, through `read_index` and
`read_payload`; they never talk to the crawler.

An unchanged re-fetch is not stored again: a capture is new when its URL was never
captured, changed when the bytes differ from the URL's latest capture, and skipped when
the same URL+sha256 pair is already in the index (so a resumed crawl never duplicates).

Layout. A single-process crawl writes `captures/index.jsonl` and `captures/*.warc.gz`.
The workers of a distributed crawl (`nianbao crawl --redis`, crawler/distributed.py) each
write a store of their own, `captures/workers/<worker>/` (index, WARC files, run journal),
under their own lock, so that any number of them share one data directory without
sharing a file; `warc_file` in their records is relative to `captures/` as always
(`workers/<worker>/nianbao-….warc.gz`). `read_index` reads all of them as one store, each
URL+sha256 once; a worker directory copied from another machine is merged by the copy.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import heapq
import json
import os
import re
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ..contract import CaptureRecord, RecordError, validate

INDEX_NAME = "index.jsonl"
CAPTURES_DIR = "captures"
WORKERS_DIR = "workers"  # captures/workers/<worker>/: the stores of distributed-crawl workers
_WORKER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# The index fields, in the order they are written: nianbao.contract.CaptureRecord.
FIELDS = tuple(CaptureRecord.__annotations__)

# Hop-by-hop and transport headers that describe bytes we no longer hold: Scrapy hands
# us the decoded body, so a stored "Content-Encoding: gzip" would make WARC readers try
# to decompress the plain payload.
_TRANSPORT_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


class CaptureError(Exception):
    """A capture store problem, named by file (and line or record) and what is wrong."""


# Write errors after which no capture can be stored: the disk is full, read-only, gone.
_STORE_UNUSABLE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


class StoreWriteError(CaptureError):
    """A capture that could not be written; nothing of it is left in the store.

    `unusable` is True when the store itself cannot take writes (disk full, read-only,
    permission, I/O error): the crawl stops instead of downloading what it cannot keep.
    """

    def __init__(self, message: str, error: OSError, taken_back: list[CaptureRecord] | None = None) -> None:
        super().__init__(message)
        self.errno = error.errno
        self.unusable = error.errno in _STORE_UNUSABLE
        # captures added earlier but not yet committed, taken back with this one (group commit)
        self.taken_back: list[CaptureRecord] = list(taken_back or [])


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # a file system without fsync
            raise


def append_durably(path: Path, data: bytes) -> None:
    """Append `data` to `path` and fsync it, or leave the file as it was and raise OSError.

    A full disk can take part of a write: the file is cut back to its old length, so a
    reader never finds half a line or half a record.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        try:
            _write_all(fd, data)
            _fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)


def captures_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / CAPTURES_DIR


def _parse_index_lines(path: Path, text: str) -> list[CaptureRecord]:
    records: list[CaptureRecord] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        last = number == len(lines)  # no newline after it: a write cut short by a kill
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            if last:
                break
            raise CaptureError(f"{path}:{number}: not a JSON object ({exc.msg})") from None
        if not isinstance(rec, dict) or not rec.get("url") or not rec.get("sha256"):
            raise CaptureError(f"{path}:{number}: capture record without url or sha256")
        try:
            records.append(validate(CaptureRecord, rec, f"{path}:{number}"))
        except RecordError as exc:
            raise CaptureError(str(exc)) from None
    return records


def worker_dir(data_dir: str | os.PathLike[str], worker: str) -> Path:
    """The store of one distributed-crawl worker: captures/workers/<worker>/."""
    if not _WORKER_NAME.match(worker):
        raise CaptureError(f"{worker!r}: a worker name is letters, digits, '.', '_' or '-' (64 at most)")
    return captures_dir(data_dir) / WORKERS_DIR / worker


def store_dirs(data_dir: str | os.PathLike[str]) -> list[Path]:
    """Every store folder of a data directory: captures/ first, then each worker's, by name."""
    root = captures_dir(data_dir)
    workers = root / WORKERS_DIR
    found = sorted(p for p in workers.iterdir() if p.is_dir()) if workers.is_dir() else []
    return [root, *found]


def has_captures(data_dir: str | os.PathLike[str]) -> bool:
    """True when some store of the data directory has an index (something was captured)."""
    return any((d / INDEX_NAME).exists() for d in store_dirs(data_dir))


def _read_one(path: Path) -> list[CaptureRecord]:
    if not path.exists():
        return []
    return _parse_index_lines(path, path.read_text(encoding="utf-8"))


def read_index(data_dir: str | os.PathLike[str]) -> list[CaptureRecord]:
    """All capture records of the store, oldest first (later lines are later captures).

    An empty list when nothing was captured yet. A last line cut short by a killed crawl
    is ignored (its WARC record may exist but it was never announced); any other bad line,
    or a record without the fields and types of CaptureRecord, raises CaptureError naming
    the file, the line and the problem.

    With worker stores (captures/workers/*/), every index is read and the records are
    merged by fetch time, each index keeping its own order; a URL+sha256 captured by two
    workers (a request redone after its worker was killed) is kept once, the first.
    """
    lists = [_read_one(d / INDEX_NAME) for d in store_dirs(data_dir)]
    lists = [records for records in lists if records]
    if len(lists) <= 1:
        return lists[0] if lists else []
    out: list[CaptureRecord] = []
    seen: set[tuple[str, str]] = set()
    for rec in heapq.merge(*lists, key=lambda r: r["fetched_at"]):
        pair = (rec["url"], rec["sha256"])
        if pair not in seen:
            seen.add(pair)
            out.append(rec)
    return out


def read_payload(data_dir: str | os.PathLike[str], record: Mapping[str, Any]) -> bytes:
    """The exact bytes of one capture, read back from its WARC record and checked.

    The sha256 of the bytes must equal the record's: a damaged WARC record is a
    CaptureError naming the URL, the file and the offset — never silently different
    bytes, and never an exception of the WARC library that would stop a whole build.
    Each record is read on its own from its offset, so one damaged record costs only
    its own document.
    """
    warc = captures_dir(data_dir) / str(record.get("warc_file"))
    offset = record.get("warc_offset")
    url = record.get("url")
    where = f"{url}: capture in {warc} at offset {offset}"
    if not isinstance(offset, int) or offset < 0:
        raise CaptureError(f"{url}: capture record has no valid warc_offset")
    try:
        with warc.open("rb") as fh:
            fh.seek(offset)
            for rec in ArchiveIterator(fh):
                if rec.rec_type != "response":
                    raise CaptureError(f"{where}: expected a response record, found {rec.rec_type}")
                data = rec.content_stream().read()
                break
            else:
                raise CaptureError(f"{where}: no WARC record at this offset")
    except CaptureError:
        raise
    except OSError as exc:
        raise CaptureError(f"{where}: cannot read capture: {exc.strerror or exc}") from exc
    except Exception as exc:  # warcio, zlib, EOFError...: the bytes at that offset are damaged
        detail = str(exc).encode("ascii", "backslashreplace").decode()[:120]
        raise CaptureError(f"{where}: damaged WARC record ({type(exc).__name__}: {detail})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != record.get("sha256"):
        raise CaptureError(
            f"{where}: damaged WARC record: payload sha256 {digest} differs from the index "
            f"({record.get('sha256')})"
        )
    return data


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


@dataclass
class Fetched:
    """One HTTP exchange as the spider saw it, ready to be stored."""

    url: str
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    method: str = "GET"
    reason: str = ""
    fetched_at: datetime | None = None


# warcio gzips at level 9; level 6 is zlib's default: 30% less time a capture for WARC files
# about 2% larger (measured on the benchmark portal's report pages).
GZIP_LEVEL = 6


def _gzip_member(record: Any) -> bytes:
    """One WARC record as its own gzip member (what a .warc.gz is made of)."""
    plain = BytesIO()
    WARCWriter(plain, gzip=False).write_record(record)
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return packer.compress(plain.getvalue()) + packer.flush()


@dataclass
class _Pending:
    """A capture whose WARC records are written but not yet announced (group commit)."""

    record: CaptureRecord
    line: bytes
    previous: CaptureRecord | None


class CaptureStore:
    """Writer side of the store, owned by one crawl at a time (an exclusive lock).

    `latest(url)` gives the last capture of a URL (for conditional requests and for
    re-reading an unchanged page's links); `add()` stores a fetch when it is new or
    changed and returns its index record, or None when the bytes are already stored.

    `worker` makes this the store of one distributed-crawl worker (captures/workers/NAME/);
    it still knows every capture of the data directory (conditional requests, no duplicates).

    `group_commit`: by default each capture is synced and announced in the index before
    `add()` returns (two fsyncs a capture). With group commit, `add()` writes the WARC
    records and returns; `commit()` (the crawl calls it every second and at the end) syncs
    the WARC file once, then announces all the captures added since in one synced append.
    The index still never names bytes that are not on disk; a kill loses only captures not
    yet announced (their WARC records are unannounced bytes, like a write cut short), which
    the next crawl fetches again. A commit that fails takes every pending capture back
    (StoreWriteError.taken_back) so that the crawl can count them as failed.
    """

    def __init__(self, data_dir: str | os.PathLike[str], *, worker: str | None = None,
                 group_commit: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.worker = worker
        self.dir = worker_dir(data_dir, worker) if worker else captures_dir(data_dir)
        self._prefix = f"{WORKERS_DIR}/{worker}/" if worker else ""  # warc_file is relative to captures/
        self.index_path = self.dir / INDEX_NAME
        self.group_commit = group_commit
        self._latest: dict[str, CaptureRecord] = {}
        self._seen: set[tuple[str, str]] = set()
        self._warc_name: str | None = None
        self._warc_fd: int | None = None
        self._pending: list[_Pending] = []
        self._lock: IO[str] | None = None
        self.last_commit = time.monotonic()
        for rec in read_index(self.data_dir):
            self._latest[rec["url"]] = rec
            self._seen.add((rec["url"], rec["sha256"]))

    # -- lifecycle ---------------------------------------------------------------------
    def open(self) -> CaptureStore:
        """Take the store's lock and repair a half-written last index line."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = (self.dir / ".lock").open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise CaptureError(f"{self.dir}: another crawl is writing to this capture store") from None
        if self.index_path.exists():
            raw = self.index_path.read_bytes()
            if raw and not raw.endswith(b"\n"):
                # A kill mid-write left a partial line: drop it so the next append is clean.
                keep = raw[: raw.rfind(b"\n") + 1]
                with self.index_path.open("r+b") as fh:
                    fh.truncate(len(keep))
        return self

    def close(self) -> None:
        """Commit what is pending, give the lock back; an empty WARC file is removed."""
        try:
            self.commit()
        finally:
            if self._warc_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._warc_fd)
                self._warc_fd = None
            if self._warc_name is not None:
                warc = self.dir / self._warc_name
                with contextlib.suppress(OSError):
                    if warc.stat().st_size == 0:
                        warc.unlink()
                self._warc_name = None
            if self._lock is not None:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
                self._lock.close()
                self._lock = None

    def __enter__(self) -> CaptureStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------
    def latest(self, url: str) -> CaptureRecord | None:
        """The newest capture record of `url`, or None if it was never captured."""
        return self._latest.get(url)

    def payload(self, record: CaptureRecord) -> bytes:
        return read_payload(self.data_dir, record)

    @property
    def pending(self) -> int:
        """Captures added but not yet committed (group commit)."""
        return len(self._pending)

    # -- writing -----------------------------------------------------------------------
    def _warc_path(self) -> Path:
        if self._warc_name is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            self._warc_name = f"nianbao-{stamp}-{os.getpid()}.warc.gz"
        return self.dir / self._warc_name

    def _open_warc(self, url: str) -> int:
        """The WARC file of this store, opened once for appending."""
        if self._warc_fd is None:
            warc = self._warc_path()
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
                self._warc_fd = os.open(warc, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StoreWriteError(f"{url}: cannot write {warc}: {exc.strerror or exc}", exc) from exc
        return self._warc_fd

    @staticmethod
    def _records(fetched: Fetched, digest: str, when: datetime) -> bytes:
        """The response and request WARC records of one fetch, one gzip member each, as bytes."""
        writer = WARCWriter(None, gzip=False)
        headers = [(k, v) for k, v in fetched.headers if k.lower() not in _TRANSPORT_HEADERS]
        headers.append(("Content-Length", str(len(fetched.body))))
        warc_date = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        http_headers = StatusAndHeaders(
            f"{fetched.status} {fetched.reason or 'OK'}", headers, protocol="HTTP/1.1"
        )
        response = writer.create_warc_record(
            fetched.url,
            "response",
            payload=BytesIO(fetched.body),
            length=len(fetched.body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": warc_date,
                "WARC-Payload-Digest": f"sha256:{digest}",
            },
        )
        path = fetched.url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        request = writer.create_warc_record(
            fetched.url,
            "request",
            http_headers=StatusAndHeaders(
                f"{fetched.method} {path} HTTP/1.1", list(fetched.request_headers), is_http_request=True
            ),
            warc_headers_dict={"WARC-Date": warc_date},
        )
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request.rec_headers.add_header("WARC-Concurrent-To", response_id)
        return _gzip_member(response) + _gzip_member(request)

    def add(self, fetched: Fetched, meta: Mapping[str, Any]) -> CaptureRecord | None:
        """Store `fetched` if new or changed; returns the index record written, else None.

        `meta` carries the record fields the crawler knows (kind, report_url, source_id,
        title, published, agency, region, level). The WARC records are written and synced
        before the index line that points at them, and either write failing takes both
        back: the index never names bytes that are not in the store. A failed write
        raises StoreWriteError naming the URL, the file and the system's reason. With
        group commit the sync and the index line wait for `commit()`.
        """
        digest = hashlib.sha256(fetched.body).hexdigest()
        if (fetched.url, digest) in self._seen:
            return None
        previous = self._latest.get(fetched.url)
        when = fetched.fetched_at or datetime.now(UTC)
        data = self._records(fetched, digest, when)
        fd = self._open_warc(fetched.url)
        warc = self._warc_path()
        offset = os.fstat(fd).st_size
        try:
            _write_all(fd, data)
            if not self.group_commit:
                _fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, offset)
            raise StoreWriteError(
                f"{fetched.url}: cannot write its capture to {warc}: {exc.strerror or exc}", exc
            ) from exc
        record: CaptureRecord = {
            "url": fetched.url,
            "sha256": digest,
            "content_type": _header(fetched.headers, "content-type"),
            "fetched_at": when.isoformat().replace("+00:00", "Z"),
            "http_status": fetched.status,
            "etag": _header(fetched.headers, "etag"),
            "last_modified": _header(fetched.headers, "last-modified"),
            "length": len(fetched.body),
            "warc_file": self._prefix + warc.name,
            "warc_offset": offset,
            "kind": meta.get("kind", "page"),
            "report_url": meta.get("report_url") or fetched.url,
            "source_id": meta.get("source_id"),
            "title": meta.get("title"),
            "published": meta.get("published"),
            "agency": meta.get("agency"),
            "region": meta.get("region"),
            "level": meta.get("level"),
            "change": "new" if previous is None else "changed",
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        if self.group_commit:
            self._pending.append(_Pending(record, line, previous))
        else:
            try:
                append_durably(self.index_path, line)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, offset)  # its records are not announced: take them back
                raise StoreWriteError(
                    f"{fetched.url}: cannot add its capture to {self.index_path}: {exc.strerror or exc}", exc
                ) from exc
        self._latest[fetched.url] = record
        self._seen.add((fetched.url, digest))
        return record

    def commit(self) -> list[CaptureRecord]:
        """Make the captures added since the last commit durable and announce them.

        The WARC file is synced first, then their index lines are appended and synced in
        one write. On failure every pending capture is taken back (its WARC bytes cut off,
        the store forgets it) and StoreWriteError lists them in `taken_back`.
        """
        self.last_commit = time.monotonic()
        if not self._pending:
            return []
        pending, self._pending = self._pending, []
        records = [p.record for p in pending]
        try:
            if self._warc_fd is not None:
                _fsync(self._warc_fd)
            append_durably(self.index_path, b"".join(p.line for p in pending))
        except OSError as exc:
            if self._warc_fd is not None:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._warc_fd, pending[0].record["warc_offset"])
            for p in reversed(pending):
                self._seen.discard((p.record["url"], p.record["sha256"]))
                if p.previous is None:
                    self._latest.pop(p.record["url"], None)
                else:
                    self._latest[p.record["url"]] = p.previous
            first = records[0]["url"]
            raise StoreWriteError(
                f"{first}: cannot add {len(records)} capture(s) to {self.index_path}: {exc.strerror or exc}",
                exc, taken_back=records,
            ) from exc
        return records
