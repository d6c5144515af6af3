"""The vocabulary every stage shares: what a report's `status` means.

One meaning everywhere (parser output, build summary, archive, docs), decided from the
report's checks alone:

- ``ok``: every check passes;
- ``flagged``: the printed numbers disagree: a check other than ``complete`` fails
  (arithmetic now, prose checks later);
- ``incomplete``: no check fails except ``complete``: cells are blank or unreadable.

Flags (the parser's notes to a human: no year found, money without a unit, a row placed
by arithmetic) do not change the status: they say *why* to look, the status says *what*
is wrong with the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypeVar, cast

from typing_extensions import TypedDict

if TYPE_CHECKING:
    from pydantic import TypeAdapter

_T = TypeVar("_T")

Status = Literal["ok", "flagged", "incomplete"]
STATUSES: tuple[Status, ...] = ("ok", "flagged", "incomplete")
COMPLETE = "complete"


def report_status(checks: Iterable[Mapping[str, Any]]) -> Status:
    """The status of a report from its checks ({"name", "ok", ...} each)."""
    failing = {c.get("name") for c in checks if not c.get("ok")}
    if failing - {COMPLETE}:
        return "flagged"
    if COMPLETE in failing:
        return "incomplete"
    return "ok"


# --- records that cross a stage: capture record (crawler -> pipeline) and load document
# (pipeline -> archive). Typed for mypy and validated at runtime where they cross, with
# pydantic in strict mode (no coercion: "5" is not a length). typing_extensions.TypedDict,
# because pydantic validates typing.TypedDict only from Python 3.12 on.

CaptureKind = Literal["page", "attachment"]


class CaptureRecord(TypedDict):
    """One line of captures/index.jsonl (crawler/captures.py writes it, the pipeline reads it)."""

    url: str
    sha256: str  # hex of the payload
    content_type: str | None
    fetched_at: str  # ISO 8601 UTC
    http_status: int
    etag: str | None
    last_modified: str | None
    length: int
    warc_file: str  # relative to captures/
    warc_offset: int
    kind: CaptureKind
    report_url: str  # the report page this document belongs to (its own url for a page)
    source_id: str | None
    title: str | None
    published: str | None  # ISO date seen on the list or page
    agency: str | None
    region: str | None
    level: str | None
    change: Literal["new", "changed"]


class LoadDocument(TypedDict):
    """One captured document of a report, as archive.load.load_report takes it."""

    url: str
    sha256: str
    content_type: str | None
    fetched_at: str | None
    kind: CaptureKind
    content: bytes | None  # the bytes, or None when the archive already holds them
    warc_file: str | None  # None for a file loaded by hand (`nianbao build FILE`)
    warc_offset: int | None
    length: NotRequired[int | None]  # the size, needed only when content is None


class RecordError(ValueError):
    """A record that does not have its contract's shape; str(e) names it and every problem."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def validate(kind: type[_T], value: object, where: str) -> _T:
    """`value` checked against the TypedDict `kind`; RecordError naming `where` otherwise."""
    from pydantic import TypeAdapter, ValidationError  # imported only where records cross

    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    try:
        return cast(_T, adapter.validate_python(value, strict=True))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'record'}: {e['msg']}" for e in exc.errors()
        )
        raise RecordError(where, f"not a {kind.__name__} ({problems})") from None
