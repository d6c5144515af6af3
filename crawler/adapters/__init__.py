"""Per-platform knowledge of report columns: where the entries are, where the next pages are.

Each adapter module implements `common.Adapter`: `NAME`, `detect(response) -> bool` and
`parse_list(response, column_url) -> ListPage`. The spider runs the adapter named by the
source's platform, or every adapter that recognises the page, and always the generic one
(links on the page, 下一页/尾页, ?page=N, per-year sub-columns), then merges the results.

A new platform is a new module here and one entry in `_ALL`; the registry's `platform`
values (crawler/sources.py) are the keys of `ADAPTERS`, so nothing else lists them.
"""

from __future__ import annotations

from scrapy.http import TextResponse

from . import gdgov, generic, hanweb, trs
from .common import Adapter, Entry, ListPage

# Typed as Adapter so that mypy checks every module against the protocol.
_ALL: tuple[Adapter, ...] = (trs, hanweb, gdgov, generic)
ADAPTERS: dict[str, Adapter] = {a.NAME: a for a in _ALL}
GENERIC: Adapter = generic

__all__ = ["ADAPTERS", "Adapter", "Entry", "ListPage", "adapters_for", "parse_list"]


def adapters_for(response: TextResponse, platform: str | None = None) -> list[Adapter]:
    """The adapters to run on a list page: the source's platform (or those detected) + generic."""
    if platform and platform in ADAPTERS:
        chosen = [ADAPTERS[platform]]
    else:
        chosen = [a for a in _ALL if a is not GENERIC and a.detect(response)]
    if GENERIC not in chosen:
        chosen.append(GENERIC)
    return chosen


def parse_list(response: TextResponse, column_url: str, platform: str | None = None) -> ListPage:
    """Entries and further list requests of one list page, merged over the chosen adapters."""
    merged = ListPage()
    for adapter in adapters_for(response, platform):
        merged.extend(adapter.parse_list(response, column_url))
    return merged
