"""Per-source counts of a crawl, so a scheduler notices a portal that stopped yielding reports.

Two levels are counted. Documents (pages and attachments): new, changed, unchanged,
failed. Report links (what the spider treated as a report on the column's lists): each
ends as new, changed, unchanged or failed with a kind and a reason; a report fails when
any of its documents failed. `reports_unaccounted` is what is left (a crawl stopped
half-way): found = new + changed + unchanged + failed + unaccounted, always. A crawl
that finished leaves nothing unaccounted (`Tally.close`): every link is captured,
unchanged, or failed with a kind and a reason.

Every change goes through a method of `Tally`, which can also log it as an event (a JSON
list). The workers of a distributed crawl send their events to redis as their requests
are done; the last worker replays all of them into one tally (`Tally.replay`) and closes
that: every count here merges in any order (sums, unions, the worst outcome of a link).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..reasons import assess, label
from .titles import title_year

# Outcome of a report link, worst last: a report is as bad as its worst document.
_RANK = {"unchanged": 0, "changed": 1, "new": 2, "failed": 3}


@dataclass
class SourceTally:
    source_id: str
    pages: int = 0  # list pages read
    list_links: int = 0  # links seen on the list pages (report or not)
    adapters: list[str] = field(default_factory=list)  # adapters that recognised the column page
    reports: set[str] = field(default_factory=set)  # report URLs recognised on the lists
    report_years: set[int] = field(default_factory=set)  # years named by their titles
    newest_published: str | None = None  # newest list date of a report link
    new: int = 0  # documents
    changed: int = 0
    unchanged: int = 0
    failures: list[str] = field(default_factory=list)  # "url: reason"
    failure_records: list[dict[str, Any]] = field(default_factory=list)  # {url, report_url, kind, reason}
    outcomes: dict[str, str] = field(default_factory=dict)  # report URL -> new|changed|unchanged|failed
    listed: set[str] = field(default_factory=set)  # list pages requested (no page read twice)
    excluded: set[str] = field(default_factory=set)  # report links robots.txt or offsite rules keep out

    def report_found(self, url: str, title: str | None, published: str | None) -> None:
        self.reports.add(url)
        year = title_year(title or "")
        if year:
            self.report_years.add(year)
        if published and (self.newest_published is None or published > self.newest_published):
            self.newest_published = published

    def outcome(self, report_url: str | None, state: str) -> None:
        if not report_url:
            return
        old = self.outcomes.get(report_url)
        if old is None or _RANK[state] > _RANK[old]:
            self.outcomes[report_url] = state

    def fail(self, url: str, kind: str, reason: str, report_url: str | None = None) -> None:
        reason = reason or label(kind)
        self.failures.append(f"{url}: {reason}")
        self.failure_records.append({"url": url, "report_url": report_url, "kind": kind, "reason": reason})
        self.outcome(report_url, "failed")

    def close(self, finish_reason: str | None, dropped: Mapping[str, str] | None = None) -> None:
        """At the end of the crawl, name what became of every report link without an outcome.

        A crawl that finished has fetched or failed every link it scheduled, so a link left
        over was lost on the way (a request dropped by the scheduler, a response no callback
        saw): it fails, with that reason. A crawl that was stopped (a limit, a signal, a
        capture store that cannot be written) leaves its unfetched links unaccounted — a
        resumed crawl fetches them — and each is listed with kind `interrupted` and why.
        """
        for url in sorted(u for u in self.reports - self.excluded if u not in self.outcomes):
            if finish_reason == "finished":
                self.fail(url, "other", (dropped or {}).get(url)
                          or "the crawl ended without a response or an error for this link", url)
                continue
            reason = f"the crawl stopped ({finish_reason or 'unknown reason'}) before this report was fetched"
            self.failures.append(f"{url}: {reason}")
            self.failure_records.append(
                {"url": url, "report_url": url, "kind": "interrupted", "reason": reason})

    def row(self) -> dict[str, Any]:
        found = self.reports - self.excluded
        states = Counter(self.outcomes[u] for u in found if u in self.outcomes)
        row: dict[str, Any] = {
            "source_id": self.source_id,
            "pages": self.pages,
            "list_links": self.list_links,
            "adapters": list(self.adapters),
            "reports_found": len(found),
            "reports_new": states["new"],
            "reports_changed": states["changed"],
            "reports_unchanged": states["unchanged"],
            "reports_failed": states["failed"],
            "reports_unaccounted": len(found) - sum(states.values()),
            "report_years": sorted(self.report_years),
            "newest_published": self.newest_published,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "failed": len(self.failures),
            "failures": list(self.failures),
            "failure_records": list(self.failure_records),
            "errors": dict(Counter(f["kind"] for f in self.failure_records)),
            "report_outcomes": {u: self.outcomes.get(u, "unaccounted") for u in sorted(found)},
        }
        row["status"], row["reason"], row["detail"] = assess(row)
        return row


class Tally:
    """Counts for every source of one crawl, in registry order.

    With `log_events`, every change is also appended to `events` (`take_events()` hands
    them over) so that another process can `replay` them: the distributed crawl's merge.
    """

    def __init__(self, source_ids: list[str], *, log_events: bool = False) -> None:
        self.sources = {sid: SourceTally(sid) for sid in source_ids}
        self.events: list[list[Any]] | None = [] if log_events else None
        self.dropped: dict[str, str] = {}  # report URL -> why the scheduler dropped its request

    def _log(self, *event: Any) -> None:
        if self.events is not None:
            self.events.append(list(event))

    def take_events(self) -> list[list[Any]]:
        """The events logged since the last call (and forget them)."""
        if self.events is None:
            return []
        out, self.events = self.events, []
        return out

    def get(self, source_id: str | None) -> SourceTally:
        sid = source_id or "?"
        if sid not in self.sources:
            self.sources[sid] = SourceTally(sid)
        return self.sources[sid]

    def list_page(self, source_id: str | None, links: int, adapters: list[str] | None = None) -> None:
        """A list page was read: `links` links on it; `adapters` that read the column page."""
        t = self.get(source_id)
        t.pages += 1
        t.list_links += links
        if adapters and not t.adapters:
            t.adapters = list(adapters)
        self._log("list", source_id, links, adapters)

    def report_found(self, source_id: str | None, url: str, title: str | None, published: str | None) -> None:
        """A report link on a list page (or a document of one, fetched by another worker)."""
        t = self.get(source_id)
        known = url in t.reports
        t.report_found(url, title, published)
        if not known:  # the union of what workers found: once each is enough
            self._log("found", source_id, url, title, published)

    def excluded(self, source_id: str | None, url: str) -> None:
        """A report link that robots.txt or the offsite rule keeps out: not counted as found."""
        self.get(source_id).excluded.add(url)
        self._log("excluded", source_id, url)

    def captured(self, source_id: str | None, record: dict[str, Any] | None,
                 report_url: str | None = None) -> None:
        """A document of `report_url` was fetched: stored (`record`) or unchanged (None)."""
        t = self.get(source_id)
        change = None if record is None else record["change"]
        if change is None:
            t.unchanged += 1
            t.outcome(report_url, "unchanged")
        elif change == "new":
            t.new += 1
            # a new attachment of a known page is a change of the report, not a new report
            t.outcome(report_url, "new" if record is not None and record["url"] == report_url else "changed")
        else:
            t.changed += 1
            t.outcome(report_url, "changed")
        self._log("captured", source_id, change, None if record is None else record["url"], report_url)

    def failed(self, source_id: str | None, url: str, kind: str, reason: str,
               report_url: str | None = None) -> None:
        self.get(source_id).fail(url, kind, reason, report_url)
        self._log("failed", source_id, url, kind, reason, report_url)

    def uncaptured(self, source_id: str | None, record: dict[str, Any], reason: str,
                   report_url: str | None = None) -> None:
        """A document counted as stored whose group commit failed: it failed (`store`)."""
        t = self.get(source_id)
        if record.get("change") == "new":
            t.new -= 1
        else:
            t.changed -= 1
        t.fail(record["url"], "store", reason, report_url)
        self._log("uncaptured", source_id, {"url": record["url"], "change": record.get("change")},
                  reason, report_url)

    def drop(self, report_url: str, reason: str) -> None:
        """The scheduler dropped a request of `report_url` (a duplicate): the reason, if it stays
        without an outcome."""
        if report_url not in self.dropped:
            self.dropped[report_url] = reason
            self._log("dropped", report_url, reason)

    def replay(self, events: list[list[Any]]) -> None:
        """Apply events logged by another Tally (of the same crawl) to this one."""
        for kind, *args in events:
            if kind == "list":
                self.list_page(args[0], args[1], args[2])
            elif kind == "found":
                self.report_found(*args)
            elif kind == "excluded":
                self.excluded(*args)
            elif kind == "captured":
                sid, change, url, report_url = args
                self.captured(sid, None if change is None else {"change": change, "url": url}, report_url)
            elif kind == "failed":
                self.failed(*args)
            elif kind == "uncaptured":
                self.uncaptured(*args)
            elif kind == "dropped":
                self.drop(*args)
            else:
                raise ValueError(f"unknown tally event {kind!r}")

    def close(self, finish_reason: str | None, dropped: Mapping[str, str] | None = None) -> None:
        for t in self.sources.values():
            t.close(finish_reason, {**self.dropped, **(dropped or {})})

    def rows(self) -> list[dict[str, Any]]:
        return [t.row() for t in self.sources.values()]


def summary_line(row: dict[str, Any]) -> str:
    """One line per source: the counts of its report links and its state, never more."""
    line = (
        "crawl {source_id}: {pages} pages, {reports_found} reports found, {reports_new} new, "
        "{reports_changed} changed, {reports_unchanged} unchanged, {reports_failed} failed".format(**row)
    )
    if row.get("reports_unaccounted"):
        line += f", {row['reports_unaccounted']} not fetched"
    status = row.get("status") or "ok"
    if status == "ok":
        return line + " — ok"
    return f"{line} — {status.upper()}: {label(row.get('reason') or 'other')} ({row.get('detail')})"


def skipped_line(skipped: list[dict[str, Any]]) -> str | None:
    """One line naming the registry entries that were not crawled, and why."""
    if not skipped:
        return None
    ids = ", ".join(s["id"] for s in skipped)
    return f"skipped {len(skipped)} source(s), {label('unverified')}: {ids}"
