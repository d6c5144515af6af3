"""Size checks made before a document is inflated, and progress for the time limit's message.

Parsing runs in worker processes with an address-space limit and a time limit
(nianbao/parse_pool.py): that is what holds inside C code (pdfium, lxml, zlib). These
checks come first because they are cheap and say more: a zip entry's inflated size is in
the zip's directory, a PDF's streams can be test-inflated without keeping the output, and
an HTML page's tags can be counted before a DOM is built. A document over a limit gets
`document too large: word/document.xml inflates to 1.1 GB (limit 128 MB)`, never a
MemoryError after minutes.

`progress()` records where a parse is (page 3 of 12); the worker publishes it so that a
document killed at its time limit is reported with the page it was on. Without a worker
it costs nothing.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .model import ParseError

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The bounds of one document's parse. The sizes checked before inflating derive from
    the memory limit: a DOM or python-docx tree takes several times its XML's size."""

    seconds: float = 60.0
    memory_mb: int = 1024

    @property
    def max_inflated(self) -> int:
        """Bytes one zip entry or PDF stream may inflate to."""
        return self.memory_mb * MB // 8

    @property
    def max_html_bytes(self) -> int:
        """An HTML page's size: its DOM, text and blocks take about 30 times its bytes."""
        return self.memory_mb * MB // 32

    @property
    def max_html_elements(self) -> int:
        """HTML elements (counted as start tags): about a kilobyte of memory each, all told."""
        return self.memory_mb * 1024

    max_pdf_pages: int = 3000
    # False only to show that the worker's memory limit holds without the checks (tests)
    prechecks: bool = True
    max_zip_ratio: int = 200  # inflated/compressed of one entry; text XML compresses 5-20x


_limits = Limits()
_reporter: Callable[[str], None] | None = None


def use(limits: Limits, reporter: Callable[[str], None] | None = None) -> None:
    """Set the limits (and where progress goes) for the parses of this process."""
    global _limits, _reporter
    _limits = limits
    _reporter = reporter


def current() -> Limits:
    return _limits


def progress(where: str) -> None:
    """Record where the parse is ("page 3 of 12"), for the time limit's message."""
    if _reporter is not None:
        _reporter(where)


def size(n: int) -> str:
    """1.1 GB, 200 MB, 12 KB: how people read sizes."""
    if n >= 1024 * MB:
        return f"{n / (1024 * MB):.1f} GB"
    if n >= MB:
        return f"{n / MB:.0f} MB"
    return f"{n / 1024:.0f} KB"


def check(kind: str, data: bytes, source: str) -> None:
    """Refuse, before any inflating, a document whose parse would exceed the limits."""
    if not _limits.prechecks:
        return
    if data.startswith(b"PK\x03\x04"):
        check_zip(data, source)
    elif kind == "html":
        check_html(data, source)
    elif kind == "pdf":
        check_pdf_streams(data, source)


def check_zip(data: bytes, source: str) -> None:
    """Entry sizes and ratios from the zip's directory: zipfile never inflates an entry past
    the size its directory declares, so the declared size bounds what a read can cost."""
    limits = _limits
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # the extractor names the damage
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.max_inflated:
            raise ParseError(source, f"document too large: {info.filename} inflates to "
                             f"{size(info.file_size)} (limit {size(limits.max_inflated)})")
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > 16 * MB and ratio > limits.max_zip_ratio:
            raise ParseError(source, f"document too large: {info.filename} inflates {ratio:.0f} times "
                             f"to {size(info.file_size)} (a zip bomb)")
    if total > 2 * limits.max_inflated:
        raise ParseError(source, f"document too large: its parts inflate to {size(total)} "
                         f"(limit {size(2 * limits.max_inflated)})")


_TAG_START = re.compile(rb"<[A-Za-z]")


def check_html(data: bytes, source: str) -> None:
    """The page's size, then its start tags, before building a DOM (libxml2 and our walkers
    cost per byte and per element)."""
    if len(data) > _limits.max_html_bytes:
        raise ParseError(source, f"document too large: {size(len(data))} of HTML "
                         f"(limit {size(_limits.max_html_bytes)})")
    limit = _limits.max_html_elements
    if len(data) // 3 <= limit:  # a start tag takes at least three bytes
        return
    count = sum(1 for _ in _TAG_START.finditer(data))
    if count > limit:
        raise ParseError(source, f"document too large: about {count:,} HTML elements in "
                         f"{size(len(data))} (limit {limit:,})")


_STREAM = re.compile(rb"stream\r?\n")


def check_pdf_streams(data: bytes, source: str) -> None:
    """Test-inflate the PDF's Flate streams (output counted, not kept) and refuse one that
    inflates past the limit; images are skipped (text extraction never decodes them)."""
    cap = _limits.max_inflated
    for m in _STREAM.finditer(data):
        start = m.end()
        head = data[max(0, m.start() - 400):m.start()]
        dict_start = head.rfind(b"<<")
        head = head[dict_start:] if dict_start >= 0 else head
        if b"/FlateDecode" not in head and b"/Fl " not in head and b"/Fl]" not in head:
            continue
        if b"/Image" in head:
            continue
        inflated = _inflated_size(data, start, cap)
        if inflated > cap:
            raise ParseError(source, f"document too large: a PDF stream at byte {start:,} inflates "
                             f"past the limit of {size(cap)}")


def _inflated_size(data: bytes, start: int, cap: int) -> int:
    """Bytes the zlib stream at `start` inflates to, counting no further than just past `cap`."""
    d = zlib.decompressobj()
    view = memoryview(data)
    total = 0
    pos = start
    chunk = 1 << 20
    try:
        while pos < len(data) and not d.eof:
            piece = view[pos:pos + chunk]
            pos += len(piece)
            out = d.decompress(piece, chunk)
            total += len(out)
            while d.unconsumed_tail and not d.eof and total <= cap:
                out = d.decompress(d.unconsumed_tail, chunk)
                if not out:
                    break
                total += len(out)
            if total > cap:
                return total
    except zlib.error:
        return total  # not zlib, or damaged: pdfium decides
    return total


def pages(count: int, source: str) -> Iterator[int]:
    """Page indexes 0..count-1 with progress reported; refuses a page count past the limit."""
    if count > _limits.max_pdf_pages:
        raise ParseError(source, f"document too large: {count:,} pages (limit {_limits.max_pdf_pages:,})")
    for index in range(count):
        progress(f"page {index + 1} of {count}")
        yield index
