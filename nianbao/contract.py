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
from typing import Any, Literal

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
