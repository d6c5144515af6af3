"""Per-platform knowledge of report columns: where the entries are, where the next pages are.

Each adapter module offers `NAME`, `detect(response) -> bool` and
`parse_list(response, column_url) -> ListPage`. The spider runs the adapter named by the
source's platform, or every adapter that recognises the page, and always the generic one
(links on the page, 下一页/尾页, ?page=N, per-year sub-columns), then merges the results.
"""

from __future__ import annotations

from types import ModuleType

from scrapy.http import Response

from . import gdgov, generic, hanweb, trs
from .common import Entry, ListPage

ADAPTERS: dict[str, ModuleType] = {m.NAME: m for m in (trs, hanweb, gdgov, generic)}

__all__ = ["ADAPTERS", "Entry", "ListPage", "adapters_for", "parse_list"]


def adapters_for(response: Response, platform: str | None = None) -> list[ModuleType]:
    """The adapters to run on a list page: the source's platform (or those detected) + generic."""
    if platform and platform in ADAPTERS:
        chosen = [ADAPTERS[platform]]
    else:
        chosen = [m for m in (trs, hanweb, gdgov) if m.detect(response)]
    if generic not in chosen:
        chosen.append(generic)
    return chosen


def parse_list(response: Response, column_url: str, platform: str | None = None) -> ListPage:
    """Entries and further list requests of one list page, merged over the chosen adapters."""
    merged = ListPage()
    for adapter in adapters_for(response, platform):
        merged.extend(adapter.parse_list(response, column_url))
    return merged
