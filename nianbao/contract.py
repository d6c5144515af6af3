"""The vocabulary every stage shares: what a report's `status` means.

One meaning everywhere (parser output, build summary, archive, docs), decided from the
report's checks alone:

- ``ok``: every check passes;
- ``flagged``: the printed numbers disagree: a check other than ``complete`` fails
  (an arithmetic check, or a ``prose`` check: the narrative states another figure);
- ``incomplete``: no check fails except ``complete``: cells are blank or unreadable.

Checks between two reports (the archive's ``year_checks``: carry-over from one year to the
next) never change a status: they do not say which of the two reports is wrong.

Flags (the parser's notes to a human: no year found, money without a unit, a row placed
by arithmetic) do not change the status: they say *why* to look, the status says *what*
is wrong with the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypeVar, cast

from typing_extensions import TypedDict

from . import template
from .template import COMPLETE

if TYPE_CHECKING:
    from pydantic import TypeAdapter

_T = TypeVar("_T")

Status = Literal["ok", "flagged", "incomplete"]
STATUSES: tuple[Status, ...] = ("ok", "flagged", "incomplete")


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


# --- the parsed report (nianbao.report/1, docs: REPORT_JSON.md) ---------------------------
# What the parsers hand to the archive (and `nianbao parse` prints). Keys may be added;
# these keep their meaning. `validate_report` is called where a report crosses a stage.

REPORT_SCHEMA = "nianbao.report/1"
Number = int | float


class SectionOut(TypedDict):
    number: int
    heading: str
    text: str


class ActiveCell(TypedDict):
    article: str
    item: str
    metric: str
    value: Number | None
    unit: NotRequired[str | None]
    raw: NotRequired[str | None]
    inferred: NotRequired[Number]
    confidence: NotRequired[float]


class ApplicationCell(TypedDict):
    row: str
    applicant: str
    value: Number | None
    raw: NotRequired[str | None]
    inferred: NotRequired[Number]
    confidence: NotRequired[float]


class ReviewCell(TypedDict):
    stage: str
    outcome: str
    value: Number | None
    raw: NotRequired[str | None]
    inferred: NotRequired[Number]
    confidence: NotRequired[float]


class CheckCell(TypedDict, total=False):
    """The cell a check names: "table" plus the keys of that table's cells."""

    table: str
    article: str
    item: str
    metric: str
    row: str
    applicant: str
    stage: str
    outcome: str


class Check(TypedDict):
    name: str
    ok: bool
    cells: list[CheckCell]
    # prose checks (parsers/prose.py) also say which statement they tested
    about: NotRequired[list[CheckCell]]
    sentence: NotRequired[str]
    stated: NotRequired[Number]
    printed: NotRequired[Number]


class Report(TypedDict):
    schema: str
    source: str
    title: str | None
    agency: str | None
    year: int | None
    template: str | None
    script: str
    sections: list[SectionOut]
    active_disclosure: list[ActiveCell]
    applications: list[ApplicationCell]
    reviews: list[ReviewCell]
    checks: list[Check]
    published: NotRequired[str | None]
    kind: NotRequired[str]
    status: NotRequired[Status]
    flags: NotRequired[list[str]]
    notes: NotRequired[list[str]]
    text: NotRequired[str]


class ErrorResult(TypedDict):
    """What `nianbao parse` prints for a document that could not be parsed."""

    schema: str
    source: str
    error: str


_OPTIONAL_STR = (str, type(None))
_CELL_VOCABULARY: dict[str, dict[str, tuple[str, ...]]] = {
    "active_disclosure": {"article": tuple(template.ARTICLES.values())},
    "applications": {"row": tuple(template.ROWS_BY_ID), "applicant": template.APPLICANTS},
    "reviews": {"stage": template.STAGES, "outcome": template.OUTCOMES},
}
_METRICS_OF = {art: {m for lay in template.ACTIVE_LAYOUTS.values() for m in lay.metrics.get(art, ())}
               for art in template.ARTICLES.values()}


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _cell_problems(table: str, i: int, cell: object) -> list[str]:
    where = f"{table}[{i}]"
    if not isinstance(cell, dict):
        return [f"{where} is {type(cell).__name__}, not an object"]
    out = []
    for key, allowed in _CELL_VOCABULARY[table].items():
        if cell.get(key) in (None, ""):
            out.append(f"{where} has no {key}")
        elif cell[key] not in allowed:
            out.append(f"{where}: {key} {cell[key]!r} is not in the template")
    if table == "active_disclosure":
        art = cell.get("article")
        if art in template.ALL_ITEMS and cell.get("item") not in template.ALL_ITEMS[art]:
            out.append(f"{where}: item {cell.get('item')!r} is not an item of {art}")
        if art in _METRICS_OF and cell.get("metric") not in _METRICS_OF[art]:
            out.append(f"{where}: metric {cell.get('metric')!r} is not a column of {art}")
    if "value" not in cell:
        out.append(f"{where} has no value")
    for key in ("value", "inferred", "confidence"):
        v = cell.get(key)
        if v is not None and not _is_number(v):
            out.append(f"{where}: {key} {v!r} is not a number")
    for key in ("raw", "unit"):
        if not isinstance(cell.get(key), _OPTIONAL_STR):
            out.append(f"{where}: {key} {cell.get(key)!r} is not a string")
    return out


_VOCABULARY_SETS = {table: {key: frozenset(values) for key, values in vocabulary.items()}
                    for table, vocabulary in _CELL_VOCABULARY.items()}
_ITEM_SETS = {article: frozenset(items) for article, items in template.ALL_ITEMS.items()}
_NUMBER_TYPES = (int, float, type(None))
_STRING_TYPES = (str, type(None))


def _cell_ok(table: str, cell: object) -> bool:
    """True only when :func:`_cell_problems` finds nothing, decided without building a message.

    A build validates about 200 cells a report; almost all are well formed, so this quick
    test runs first and the full one only for a cell it does not pass (exact types here,
    where the full test also accepts their subclasses: a doubt goes to the full test).
    """
    if type(cell) is not dict or "value" not in cell:
        return False
    get = cell.get
    try:
        for key, allowed in _VOCABULARY_SETS[table].items():
            if get(key) not in allowed:
                return False
        if table == "active_disclosure":
            art = get("article")
            if art in _ITEM_SETS and get("item") not in _ITEM_SETS[art]:
                return False
            if art in _METRICS_OF and get("metric") not in _METRICS_OF[art]:
                return False
    except TypeError:  # an unhashable value: the full test names it
        return False
    return (type(get("value")) in _NUMBER_TYPES and type(get("inferred")) in _NUMBER_TYPES
            and type(get("confidence")) in _NUMBER_TYPES and type(get("raw")) in _STRING_TYPES
            and type(get("unit")) in _STRING_TYPES)


def validate_report(obj: object) -> list[str]:
    """The problems of a nianbao.report/1 object (empty when it is valid).

    Checks what other stages rely on: the keys and their types, every cell addressed by
    the template's vocabulary, numbers as JSON numbers, checks named as the template names
    them and a status from `STATUSES`. Extra keys are allowed (the contract may grow).
    """
    if not isinstance(obj, dict):
        return [f"report is {type(obj).__name__}, not an object"]
    problems: list[str] = []
    if obj.get("schema") != REPORT_SCHEMA:
        problems.append(f"schema {obj.get('schema')!r} is not {REPORT_SCHEMA!r}")
    if not isinstance(obj.get("source"), str):
        problems.append("source is not a string")
    for key in ("title", "agency", "template"):
        if not isinstance(obj.get(key), _OPTIONAL_STR):
            problems.append(f"{key} {obj.get(key)!r} is not a string or null")
    year = obj.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        problems.append(f"year {year!r} is not an integer or null")
    if obj.get("template") is not None and obj.get("template") not in template.TEMPLATES:
        problems.append(f"template {obj.get('template')!r} is not one of {', '.join(template.TEMPLATES)}")
    if obj.get("script") not in ("simplified", "traditional"):
        problems.append(f"script {obj.get('script')!r} is not simplified or traditional")
    if "status" in obj and obj["status"] not in STATUSES:
        problems.append(f"status {obj['status']!r} is not one of {', '.join(STATUSES)}")
    for key in ("sections", "active_disclosure", "applications", "reviews", "checks"):
        if not isinstance(obj.get(key), list):
            problems.append(f"{key} is not a list")
    for key in ("flags", "notes"):
        if key in obj and not (isinstance(obj[key], list) and all(isinstance(x, str) for x in obj[key])):
            problems.append(f"{key} is not a list of strings")
    for key in ("published", "kind", "text"):
        if not isinstance(obj.get(key), _OPTIONAL_STR):
            problems.append(f"{key} {obj.get(key)!r} is not a string")
    if problems:
        return problems
    for i, s in enumerate(obj["sections"]):
        if not (isinstance(s, dict) and isinstance(s.get("number"), int)
                and isinstance(s.get("heading"), str) and isinstance(s.get("text"), str | None)):
            problems.append(f"sections[{i}] is not {{number, heading, text}}")
    for table in _CELL_VOCABULARY:
        for i, cell in enumerate(obj[table]):
            if not _cell_ok(table, cell):
                problems.extend(_cell_problems(table, i, cell))
    for i, c in enumerate(obj["checks"]):
        if not isinstance(c, dict) or c.get("name") not in template.REPORT_CHECK_NAMES:
            problems.append(f"checks[{i}] is not a check of the template "
                            f"({', '.join(template.REPORT_CHECK_NAMES)})")
        elif not isinstance(c.get("ok"), bool) or not isinstance(c.get("cells"), list):
            problems.append(f"checks[{i}] ({c['name']}): ok is not true/false or cells not a list")
    return problems
