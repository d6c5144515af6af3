"""The one place where the stages meet: captures -> parsed reports -> archive rows.

The crawler keeps bytes, the parsers turn bytes into reports, the archive writes SQL;
none of them knows the others. This module reads the crawler's capture index, decides
which captured document of a report carries its tables (the page itself, or the
attachment a page points to with 详见附件), and hands each parsed report to the archive.
A document that fails to parse is counted and reported; its raw capture stays in the
capture store and in the archive's documents table is not touched, so nothing is lost.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from nianbao import parse_pool, parsers
from nianbao.contract import CaptureRecord, LoadDocument, Report

# Attachments worth trying as the report document, most structured first.
_ATTACHMENT_ORDER = (".docx", ".pdf", ".html", ".htm", ".shtml")


@dataclass
class BuildSummary:
    """What a build did, printed at the end of `nianbao build`/`crawl`/`demo`."""

    reports_new: int = 0
    reports_changed: int = 0
    reports_unchanged: int = 0
    flagged: int = 0  # loaded with status "flagged" (nianbao.contract)
    incomplete: int = 0  # loaded with status "incomplete"
    failed: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.reports_new + self.reports_changed

    def lines(self) -> list[str]:
        """The summary line and one line per failure, like `CrawlSummary.lines()`."""
        head = (
            f"archive: {self.reports_new} new, {self.reports_changed} changed, "
            f"{self.reports_unchanged} unchanged, {self.flagged} flagged, {self.incomplete} incomplete, "
            f"{len(self.failed)} failed"
        )
        return [head, *(f"  failed: {problem}" for problem in self.failed)]


def has_tables(report: Mapping[str, Any]) -> bool:
    """True when the parse found at least one number in the template tables."""
    for key in ("active_disclosure", "applications", "reviews"):
        if any(c.get("value") is not None for c in report.get(key) or []):
            return True
    return False


def _attachment_rank(record: CaptureRecord) -> int:
    url = record["url"].lower().split("?")[0]
    for i, ext in enumerate(_ATTACHMENT_ORDER):
        if url.endswith(ext):
            return i
    return len(_ATTACHMENT_ORDER)


def choose_report(
    candidates: list[tuple[CaptureRecord, bytes]],
    hints: dict[str, Any],
    parse: Callable[..., Report] = parsers.parse_bytes,
) -> tuple[Report | None, list[str]]:
    """Parse a report's documents and keep the best reading.

    The page comes first: when its own body holds the tables it is the report. Otherwise
    the attachments are tried; a page without tables (pre-2019, or 详见附件) is the fallback
    so its text is still archived. Returns the report (or None) and the errors seen.
    `parse` is a `ParsePool`'s (bounded, in a worker) or the parsers' own.
    """
    errors: list[str] = []
    fallback: Report | None = None
    for record, data in candidates:
        try:
            report = parse(data, record["url"], content_type=record.get("content_type"), meta=hints)
        except parsers.ParseError as exc:
            errors.append(str(exc))
            continue
        if has_tables(report):
            return report, errors
        if fallback is None:
            fallback = report
    return fallback, errors


def _group_latest(records: list[CaptureRecord]) -> OrderedDict[str, list[CaptureRecord]]:
    """Group capture records by report page, keeping the latest capture of each URL."""
    groups: OrderedDict[str, OrderedDict[str, CaptureRecord]] = OrderedDict()
    for rec in records:
        group = groups.setdefault(rec.get("report_url") or rec["url"], OrderedDict())
        group[rec["url"]] = rec  # later lines of the index are later captures
    return OrderedDict((k, list(v.values())) for k, v in groups.items())


def build_from_captures(db_path: str | Path, data_dir: str | Path, *, progress: bool = True,
                        parsing: parse_pool.Settings | None = None) -> BuildSummary:
    """Load every report of the capture store that the archive does not hold yet.

    Documents are parsed in worker processes within `parsing`'s limits (nianbao/
    parse_pool.py), several reports at once; loading stays here, one writer, in the
    order of the store.
    """
    from tqdm import tqdm

    from nianbao.archive import load
    from nianbao.crawler import captures

    summary = BuildSummary()
    db = load.open_archive(db_path)
    known = load.known_sha256(db)
    groups = _group_latest(captures.read_index(data_dir))

    def parse_group(item: tuple[str, list[CaptureRecord]]) -> tuple[Any, ...] | None:
        report_url, records = item
        if all(r["sha256"] in known for r in records):
            return None
        page = [r for r in records if r.get("kind") == "page"]
        attachments = sorted((r for r in records if r.get("kind") != "page"), key=_attachment_rank)
        ordered = page + attachments
        first = ordered[0]
        try:
            payloads = [(r, captures.read_payload(data_dir, r)) for r in ordered]
        except captures.CaptureError as exc:  # one damaged capture costs its report, not the build
            return report_url, records, [], first, None, [str(exc)]
        hints = {k: first.get(k) for k in ("title", "published", "agency") if first.get(k)}
        report, errors = choose_report(payloads, hints, parse=parser.parse_bytes)
        return report_url, records, payloads, first, report, errors

    with parse_pool.open_parser(parsing) as parser:
        parsed = parse_pool.ordered(parse_group, groups.items(), parser.jobs)
        for done in tqdm(parsed, total=len(groups), desc="build", unit="report",
                         disable=not progress or None, leave=False):
            if done is None:
                summary.reports_unchanged += 1
                continue
            report_url, records, payloads, first, report, errors = done
            if report is None:
                summary.failed.append(f"{report_url}: " + "; ".join(errors or ["no document parsed"]))
                continue
            documents: list[LoadDocument] = [
                {
                    "url": r["url"],
                    "sha256": r["sha256"],
                    "content_type": r.get("content_type"),
                    "fetched_at": r.get("fetched_at"),
                    "kind": r.get("kind"),
                    "content": data,
                    "warc_file": r.get("warc_file"),
                    "warc_offset": r.get("warc_offset"),
                }
                for r, data in payloads
            ]
            source = {k: first.get(k) for k in ("source_id", "agency", "region", "level")}
            published = report.get("published") or first.get("published")
            if _load(db, summary, report, url=report_url, documents=documents, published=published,
                     source=source):
                known.update(r["sha256"] for r in records)
    return summary


def build_from_files(
    db_path: str | Path, paths: list[str | Path], *, url: str | None = None, progress: bool = True,
    parsing: parse_pool.Settings | None = None,
) -> BuildSummary:
    """Archive reports a user downloaded by hand; `url` records where one came from."""
    from tqdm import tqdm

    from nianbao.archive import load

    summary = BuildSummary()
    db = load.open_archive(db_path)

    def parse_one(path: str | Path) -> tuple[Path, bytes | None, Report | None, str | None]:
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            return p, None, None, f"{p}: cannot read file: {exc.strerror or exc}"
        try:
            return p, data, parser.parse_bytes(data, str(p)), None
        except parsers.ParseError as exc:
            return p, data, None, str(exc)

    with parse_pool.open_parser(parsing) as parser:
        parsed = parse_pool.ordered(parse_one, paths, parser.jobs)
        for p, data, report, problem in tqdm(parsed, total=len(paths), desc="build", unit="file",
                                             disable=not progress or None, leave=False):
            if report is None or data is None:
                summary.failed.append(problem or f"{p}: not parsed")
                continue
            doc_url = url if (url and len(paths) == 1) else p.resolve().as_uri()
            documents: list[LoadDocument] = [
                {
                    "url": doc_url,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "content_type": mimetypes.guess_type(p.name)[0] or "application/octet-stream",
                    "fetched_at": datetime.fromtimestamp(p.stat().st_mtime, UTC).isoformat(
                        timespec="seconds"),
                    "kind": "page",
                    "content": data,
                    "warc_file": None,
                    "warc_offset": None,
                }
            ]
            _load(db, summary, report, url=doc_url, documents=documents, published=report.get("published"))
    return summary


def _load(db: Any, summary: BuildSummary, report: Report, **kwargs: Any) -> bool:
    """Load one report and count it; a report the archive refuses is counted as failed.

    The archive writes nothing for a refused report, and its capture stays in the store.
    """
    from nianbao.archive import load

    try:
        result = load.load_report(db, cast(dict[str, Any], report), **kwargs)
    except load.LoadError as exc:
        summary.failed.append(str(exc))
        return False
    change = result.change
    if change == "new":
        summary.reports_new += 1
    elif change == "changed":
        summary.reports_changed += 1
    else:
        summary.reports_unchanged += 1
    if change != "unchanged" and report.get("status") == "flagged":
        summary.flagged += 1
    elif change != "unchanged" and report.get("status") == "incomplete":
        summary.incomplete += 1
    return True
