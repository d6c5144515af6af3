"""`nianbao discover PORTAL_URL`: a portal's annual-report columns, as registry entries to review.

Adding a portal starts with finding its report column, usually three clicks deep:
home page → 政府信息公开 → 政府信息公开年报 (or 年度报告, `zfxxgknb`, `gknb`, `ndbg`…). The
`discover` spider (crawler/spiders/survey.py) follows those links on the portal's own host,
with robots.txt obeyed, and looks at each candidate column with the adapters. The result
is printed as `sources.yaml` entries marked `verified: false`, best candidate first, for a
person to check (region, agencies, level) before the crawl takes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import yaml

from .sources import LEVELS


def discover(
    url: str, *, max_pages: int = 40, settings: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Candidate columns of the portal at `url`, those with report links first. Once per process."""
    from .process import project_settings, run_spider
    from .spiders.survey import DiscoverSpider

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url}: not an http(s) URL with a host")
    s = project_settings(settings, LOG_LEVEL="ERROR", LOG_ENABLED=False, CLOSESPIDER_PAGECOUNT=max_pages)
    crawler = run_spider(DiscoverSpider, s, url=url)
    found = list(crawler.spider.candidates.values())  # type: ignore[union-attr]
    return sorted(found, key=lambda c: (-(c.get("report_links") or 0), c["url"]))


def _slug(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"/index\.\w+$", "/", parts.path)
    return re.sub(r"[^a-z0-9]+", "-", f"{parts.hostname}{path}".lower()).strip("-")


def entry(candidate: dict[str, Any]) -> dict[str, Any]:
    """A registry entry for a candidate column; what a person must fill in says so."""
    url = candidate.get("final_url") or candidate["url"]
    recognised = [p for p in candidate.get("recognised") or [] if p != "generic"]
    years = candidate.get("years") or []
    seen = f"{candidate.get('report_links', 0)} report links on its first page"
    if years:
        seen += f" (years {years[0]}–{years[-1]})"
    if candidate.get("kind"):
        seen = f"not readable: {candidate['kind']} ({candidate.get('reason')})"
    out: dict[str, Any] = {
        "id": _slug(url),
        "url": url,
        "level": LEVELS[-2],
        "region": "待填写 (fill in)",
        "agencies": "待填写：在此栏目发布年报的机关 (fill in: who publishes here)",
    }
    if len(recognised) == 1:
        out["platform"] = recognised[0]
    out["allowed_domains"] = [urlsplit(url).hostname]
    out["verified"] = False
    out["note"] = f"nianbao discover: {' > '.join(candidate.get('trail') or [])}; {seen}; check level"
    return out


def as_yaml(candidates: list[dict[str, Any]], portal: str) -> str:
    head = (f"# nianbao discover {portal}: {len(candidates)} candidate column(s), best first.\n"
            "# Review each (level, region, agencies), set verified: true, add to crawler/sources.yaml,\n"
            "# then `nianbao sources check --probe`.\n")
    body = yaml.safe_dump({"sources": [entry(c) for c in candidates]}, allow_unicode=True, sort_keys=False,
                          width=200)
    return head + body
