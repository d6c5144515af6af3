"""Parsing in worker processes: every document bounded in time and memory, a crash costs one.

A hostile or broken document must never stall a build or take the machine down, and the
limits must hold inside C code (pdfium, lxml, zlib), where Python cannot interrupt. So
each document is parsed in a worker process of a `pebble` pool (chosen over
`concurrent.futures`, whose pool breaks as a whole when one worker dies, and over code
of our own): the parent kills a worker that passes the time limit, and the worker runs
under an address-space limit (RLIMIT_AS, the worker's size at the start of the document
plus the memory limit), so an allocation past it fails in the worker alone. A worker
that dies (segfault, abort, the kernel's OOM killer) is replaced and its document is
reported; the next document is parsed. Workers are forked from a forkserver that has
imported the parsers once: starting one costs a fork, and never inherits the threads of
a crawl.

The time limit is per document, and a scanned page read by OCR costs as much as a
whole text document: each page the worker reads by OCR (it says so in its progress,
"page 3 of 12 (OCR page 3)") adds one more time limit to its document's, so a
20-page scan is not killed at 60 s while a hung page still is, one limit after the
last page began. OCR's own bounds (NIANBAO_OCR_MAX_PAGES, NIANBAO_OCR_SECONDS in
parsers/extract_ocr.py) stop a 300-page scan between pages.

Errors come back as `ParseError(source, problem)`, as from the parsers themselves:
`time limit of 60 s exceeded on page 3 of 12`, `memory limit of 1024 MB exceeded while
reading the document`, `parser process died (SIGSEGV) on page 2 of 5`.

`jobs=0` parses in the calling process without limits: for debugging and for the
benchmark's one-process reference.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import os
import re
import resource
import shutil
import signal
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from nianbao import parsers
from nianbao.contract import Report
from nianbao.parsers import limits as parse_limits
from nianbao.parsers.limits import Limits

T = TypeVar("T")
R = TypeVar("R")

ENV_TIME = "NIANBAO_TIME_LIMIT"  # seconds per document
ENV_MEMORY = "NIANBAO_MEMORY_LIMIT"  # MB per document
ENV_JOBS = "NIANBAO_JOBS"  # worker processes (0: parse in this process, no limits)
# Test hook: a worker asked to parse a document whose source contains this text crashes
# with a real SIGSEGV (a NULL read in C), as a pdfium bug would.
ENV_CRASH = "NIANBAO_TEST_CRASH_ON"
POLL_SECONDS = 0.25  # how often the parent looks at a running document's time and progress
OCR_PROGRESS = re.compile(r"\(OCR page (\d+)\)")  # written by parsers/extract_ocr.Budget
M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)
START_SUFFIX = ".start"  # beside a task's progress file: when its worker began it (epoch seconds)
MAX_TASKS = 100  # documents per worker before it is replaced (returns fragmented memory)
# Imported once by the forkserver, so that a new worker (one replacing a killed one too)
# starts parsing at once instead of importing pdfium, lxml and OpenCC first.
# The OCR modules come too: every PDF goes through pdf_scan (a page may be an image), and
# OpenCV's shared libraries mapped inside a worker would count against its memory limit.
PRELOAD = ["nianbao.parse_pool", "nianbao.parsers.extract_html", "nianbao.parsers.extract_pdf",
           "nianbao.parsers.extract_docx", "nianbao.parsers.extract_text", "nianbao.parsers.report",
           "nianbao.parsers.detect", "nianbao.parsers.pdf_scan", "nianbao.parsers.extract_ocr",
           "nianbao.parsers.extract_image", "nianbao.parsers.extract_sheet", "nianbao.parsers.extract_doc"]


@dataclass(frozen=True)
class Settings:
    """Limits of one document's parse and the number of worker processes."""

    seconds: float = 60.0
    memory_mb: int = 1024
    jobs: int | None = None  # None: one per core
    prechecks: bool = True  # size checks before inflating (parsers/limits.py); off only in tests

    @property
    def limits(self) -> Limits:
        return Limits(seconds=self.seconds, memory_mb=self.memory_mb, prechecks=self.prechecks)

    @property
    def workers(self) -> int:
        return (os.cpu_count() or 1) if self.jobs is None else max(0, self.jobs)

    @classmethod
    def from_env(cls, seconds: float | None = None, memory_mb: int | None = None,
                 jobs: int | None = None) -> Settings:
        """Explicit values (command-line options) first, then the environment, then defaults."""
        env = os.environ

        def pick(value: Any, name: str, kind: Callable[[str], Any], default: Any) -> Any:
            if value is not None:
                return value
            raw = env.get(name)
            if raw in (None, ""):
                return default
            try:
                return kind(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r} is not a number") from None

        return cls(seconds=pick(seconds, ENV_TIME, float, cls.seconds),
                   memory_mb=pick(memory_mb, ENV_MEMORY, int, cls.memory_mb),
                   jobs=pick(jobs, ENV_JOBS, int, None))


# ---------------------------------------------------------------------------- the worker
@dataclass
class _Worker:
    limits: Limits = field(default_factory=Limits)
    progress_dir: str = ""
    crash_on: str = ""
    progress_path: str = ""


_worker = _Worker()


def _init_worker(limits: Limits, progress_dir: str, crash_on: str, workers: int) -> None:
    from nianbao.parsers import ocr_engine  # preloaded by the forkserver

    _worker.limits, _worker.progress_dir, _worker.crash_on = limits, progress_dir, crash_on
    parse_limits.use(limits, _report)
    ocr_engine.share_cores(workers)  # the workers share the cores' ONNX Runtime threads
    _one_malloc_arena()


def _one_malloc_arena() -> None:
    """Keep glibc's malloc to one arena in the worker. Every thread that allocates (OpenCV's
    and ONNX Runtime's) otherwise gets an arena of its own, each reserving 64 MB of address
    space it mostly never touches; RLIMIT_AS counts the reservations: OCR of a scanned
    page needed ~1070 MB of address space above the worker's start, ~750 MB with one
    arena, against the 1024 MB limit. Not glibc: nothing to do."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)


def _report(where: str) -> None:
    if _worker.progress_path:
        with contextlib.suppress(OSError):  # progress is for the message only
            Path(_worker.progress_path).write_text(where, encoding="utf-8")


def _vm_size() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _task(task_id: int, how: str, payload: Any, source: str, content_type: str | None,
          meta: dict[str, Any] | None) -> tuple[str, Any, Any]:
    """Parse one document in a worker; ("ok", report, None) or ("error", source, problem)."""
    _worker.progress_path = str(Path(_worker.progress_dir) / str(task_id)) if _worker.progress_dir else ""
    if _worker.progress_path:  # when the document began, for the parent's time limit (Job._outcome)
        with contextlib.suppress(OSError):
            Path(_worker.progress_path + START_SUFFIX).write_text(repr(time.time()), encoding="utf-8")
    budget = _worker.limits.memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = _vm_size() + budget
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    try:
        if _worker.crash_on and _worker.crash_on in source:
            ctypes.string_at(0)  # SIGSEGV, as a crash in a C library
        if how == "file":
            report = parsers.parse_file(payload)
        else:
            report = parsers.parse_bytes(payload, source, content_type=content_type, meta=meta)
        return "ok", report, None
    except parsers.ParseError as exc:
        return "error", exc.source, exc.problem
    except MemoryError:
        where = _where(_worker.progress_path)
        return "error", source, f"memory limit of {_worker.limits.memory_mb} MB exceeded{where}"
    except RecursionError:
        return "error", source, "internal error: nesting too deep for the parser"
    except Exception as exc:  # a bug of ours on this document: say so, parse the next
        return "error", source, f"internal error: {type(exc).__name__}: {exc}"
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        _worker.progress_path = ""


def _where(path: str) -> str:
    """" on page 3 of 12" / " while reading the document", from a task's progress file."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip() if path else ""
    except OSError:
        text = ""
    if not text:
        return ""
    return f" on {text}" if text.startswith("page") else f" while {text}"


# ---------------------------------------------------------------------------- the parent
def _ocr_pages(path: str) -> int:
    """Pages read by OCR so far, from a task's progress file ("… (OCR page 3)")."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return 0
    found = OCR_PROGRESS.search(text)
    return int(found.group(1)) if found else 0


class Job:
    """One document handed to the pool; `result()` gives the report or raises ParseError."""

    def __init__(self, pool: ParsePool, future: Any, task_id: int, source: str) -> None:
        self.pool, self.future, self.task_id, self.source = pool, future, task_id, source
        self.ocr_pages = 0  # pages of the document read by OCR so far, as the worker reports

    def _outcome(self, path: str) -> tuple[str, Any, Any]:
        """Wait for the worker, killing it when its document passes the time limit: the
        document's limit plus one limit per page read by OCR, counted from its start."""
        limit = self.pool.settings.seconds
        started: float | None = None
        while True:
            try:
                return cast(tuple[str, Any, Any], self.future.result(timeout=POLL_SECONDS))
            except (TimeoutError, FutureTimeout):
                if self.future.done():
                    raise  # pebble's own (outer) limit
            if started is None:
                try:  # written by the worker as it begins the document
                    started = float(Path(path + START_SUFFIX).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue  # still queued behind other documents
            now = time.time()
            # the file says "page 4 of 9" between pages: the most seen counts
            self.ocr_pages = max(self.ocr_pages, _ocr_pages(path))
            if now - started > limit * (1 + self.ocr_pages):
                self.future.cancel()  # pebble stops the worker running it
                raise TimeoutError

    def result(self) -> Report:
        from pebble import ProcessExpired

        path = str(Path(self.pool.progress_dir) / str(self.task_id))
        try:
            status, a, b = self._outcome(path)
        except (TimeoutError, FutureTimeout):
            seconds = self.pool.settings.seconds
            extra = f" (+{seconds:g} s for each of {self.ocr_pages} page(s) read by OCR)" if self.ocr_pages \
                else ""
            raise parsers.ParseError(self.source,
                                     f"time limit of {seconds:g} s{extra} exceeded{_where(path)}") from None
        except ProcessExpired as exc:
            code = exc.exitcode
            try:
                how = signal.Signals(-code).name if code < 0 else f"exit status {code}"
            except ValueError:
                how = f"signal {-code}"
            raise parsers.ParseError(
                self.source, f"parser process died ({how}){_where(path)}: a crash in a C library, or "
                f"the memory limit of {self.pool.settings.memory_mb} MB"
            ) from None
        finally:
            Path(path).unlink(missing_ok=True)
            Path(path + START_SUFFIX).unlink(missing_ok=True)
        if status == "ok":
            return cast(Report, a)
        raise parsers.ParseError(a, b)


class ParsePool:
    """Worker processes that parse documents within `settings`' limits. Use as a context
    manager; `parse_bytes`/`parse_file` block, `submit_*` return a `Job`."""

    def __init__(self, settings: Settings | None = None) -> None:
        from pebble import ProcessPool

        self.settings = settings or Settings.from_env()
        self.jobs = max(1, self.settings.workers)
        self.progress_dir = tempfile.mkdtemp(prefix="nianbao-parse-")
        self._ids = itertools.count()
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        # pebble's own limit only backs up `Job._outcome`'s: the longest an OCR'd document
        # may take (its page limit, each page with a time limit of its own), plus one
        from nianbao.parsers.extract_ocr import max_pages  # here: OpenCV stays out of the parent

        self.hard_limit = self.settings.seconds * (2 + max_pages())
        self._pool = ProcessPool(
            max_workers=self.jobs, max_tasks=MAX_TASKS, initializer=_init_worker,
            initargs=(self.settings.limits, self.progress_dir, os.environ.get(ENV_CRASH, ""), self.jobs),
            context=ctx,
        )

    def submit_bytes(self, data: bytes, source: str, *, content_type: str | None = None,
                     meta: dict[str, Any] | None = None) -> Job:
        task_id = next(self._ids)
        future = self._pool.schedule(_task, args=(task_id, "bytes", data, source, content_type, meta),
                                     timeout=self.hard_limit)
        return Job(self, future, task_id, source)

    def submit_file(self, path: str | Path) -> Job:
        task_id = next(self._ids)
        future = self._pool.schedule(_task, args=(task_id, "file", str(path), str(path), None, None),
                                     timeout=self.hard_limit)
        return Job(self, future, task_id, str(path))

    def parse_bytes(self, data: bytes, source: str, *, content_type: str | None = None,
                    meta: dict[str, Any] | None = None) -> Report:
        return self.submit_bytes(data, source, content_type=content_type, meta=meta).result()

    def parse_file(self, path: str | Path) -> Report:
        return self.submit_file(path).result()

    def close(self) -> None:
        self._pool.stop()
        self._pool.join()
        shutil.rmtree(self.progress_dir, ignore_errors=True)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlineParser:
    """The same interface, parsing in this process: no limits, no isolation (`jobs=0`)."""

    jobs = 1

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(jobs=0)
        parse_limits.use(self.settings.limits)

    def parse_bytes(self, data: bytes, source: str, *, content_type: str | None = None,
                    meta: dict[str, Any] | None = None) -> Report:
        try:
            return parsers.parse_bytes(data, source, content_type=content_type, meta=meta)
        except parsers.ParseError:
            raise
        except Exception as exc:  # as in a worker: one document's bug is that document's error
            raise parsers.ParseError(source, f"internal error: {type(exc).__name__}: {exc}") from exc

    def parse_file(self, path: str | Path) -> Report:
        try:
            return parsers.parse_file(path)
        except parsers.ParseError:
            raise
        except Exception as exc:
            raise parsers.ParseError(str(path), f"internal error: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        pass

    def __enter__(self) -> InlineParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_parser(settings: Settings | None = None) -> ParsePool | InlineParser:
    """A pool of `settings.workers` processes, or the in-process parser when that is 0."""
    settings = settings or Settings.from_env()
    return InlineParser(settings) if settings.workers == 0 else ParsePool(settings)


def ordered(fn: Callable[[T], R], items: Iterable[T], width: int) -> Iterator[R]:
    """`map(fn, items)` run by `width` threads, results in input order, at most 2×width
    items in flight: the threads only wait on the pool, the pool does the work."""
    if width <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=width) as threads:
        window: deque[Future[R]] = deque()
        for item in items:
            window.append(threads.submit(fn, item))
            if len(window) >= 2 * width:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
