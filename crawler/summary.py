"""Per-source counts of a crawl, so a scheduler notices a portal that stopped yielding reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SourceTally:
    source_id: str
    pages: int = 0  # list pages read
    reports: set[str] = field(default_factory=set)  # report URLs recognised on the lists
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failures: list[str] = field(default_factory=list)  # "url: reason"
    listed: set[str] = field(default_factory=set)  # list pages requested (no page read twice)

    def row(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "pages": self.pages,
            "reports_found": len(self.reports),
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "failed": len(self.failures),
            "failures": list(self.failures),
        }


class Tally:
    """Counts for every source of one crawl, in registry order."""

    def __init__(self, source_ids: list[str]) -> None:
        self.sources = {sid: SourceTally(sid) for sid in source_ids}

    def get(self, source_id: str | None) -> SourceTally:
        sid = source_id or "?"
        if sid not in self.sources:
            self.sources[sid] = SourceTally(sid)
        return self.sources[sid]

    def captured(self, source_id: str | None, record: dict[str, Any] | None) -> None:
        t = self.get(source_id)
        if record is None:
            t.unchanged += 1
        elif record["change"] == "new":
            t.new += 1
        else:
            t.changed += 1

    def rows(self) -> list[dict[str, Any]]:
        return [t.row() for t in self.sources.values()]


def summary_line(row: dict[str, Any]) -> str:
    return (
        "crawl {source_id}: {pages} pages, {reports_found} reports found, {new} new, "
        "{changed} changed, {unchanged} unchanged, {failed} failed".format(**row)
    )
