"""One reading of a written date, shared by the crawler and the parsers.

Portals and reports write dates as 2024-01-20, 2024/1/20, 2024.1.20 or 2024年1月20日
(with or without a time after them). Every stage must agree on which of those are real
dates: a page saying 2021-02-31 has no date, whoever reads it.
"""

from __future__ import annotations

import re
from datetime import date

# year, month, day with any of the usual separators; 日 and a time may follow
_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")


def valid(year: int, month: int, day: int) -> str | None:
    """The ISO date when year-month-day is a real calendar date, else None."""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def iso_date(text: str | None) -> str | None:
    """The first real date written in `text`, as ISO (2021-01-20); None when there is none.

    A match that is no calendar date (2021-02-31) is skipped, not repaired.
    """
    if not text:
        return None
    for m in _DATE.finditer(str(text)):
        found = valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if found:
            return found
    return None
