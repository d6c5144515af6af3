"""The one clock of nianbao: crawl times, run records and source health all read it here.

Tests (and anyone replaying a schedule) set ``NIANBAO_NOW`` to an ISO 8601 time, e.g.
``NIANBAO_NOW=2025-04-01T03:30:00Z``, to run a crawl "a week later" without waiting a
week; a time without a zone is taken as UTC. Unset, it is the real time.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

ENV = "NIANBAO_NOW"


def now() -> datetime:
    """The current time (aware, UTC), or the one ``NIANBAO_NOW`` names."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{ENV}={value!r} is not an ISO 8601 time (e.g. 2025-04-01T03:30:00Z)") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def iso(when: datetime) -> str:
    """The form every record uses: 2025-04-01T03:30:00Z (seconds, UTC)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
