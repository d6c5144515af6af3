"""`nianbao sources check`: every problem of the registry at once, and optionally a probe.

`load_sources` stops at the first problem, as a crawl must; someone editing the registry
wants them all: unknown fields, duplicate ids and URLs, platforms that no adapter serves,
bad levels and URLs. `probe` fetches each column's first page with the real Scrapy stack
(robots.txt obeyed, the source's own domains only) and says which adapter recognises it
and how many report links it shows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..reasons import label
from . import adapters
from .sources import _KEYS, DEFAULT_SOURCES, Source, SourceError, _check_entry


def check(path: str | os.PathLike[str] | None = None) -> tuple[list[str], list[Source]]:
    """(problems, the entries that are valid); each problem names the file and the entry."""
    p = Path(path) if path is not None else DEFAULT_SOURCES
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        return [f"{p}: cannot read source registry: {exc.strerror or exc}"], []
    except yaml.YAMLError as exc:
        return [f"{p}: not valid YAML: {exc}"], []
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        return [f"{p}: expected a mapping with a 'sources' list"], []
    problems: list[str] = []
    sources: list[Source] = []
    ids: dict[str, int] = {}
    urls: dict[str, int] = {}
    for i, entry in enumerate(data["sources"], 1):
        where = f"{p}: source #{i}"
        if isinstance(entry, dict):
            if entry.get("id"):
                where += f" ({entry['id']})"
                if entry["id"] in ids:
                    problems.append(f"{where}: duplicate id, first used by source #{ids[entry['id']]}")
                ids.setdefault(entry["id"], i)
            if entry.get("url"):
                if entry["url"] in urls:
                    first = urls[entry["url"]]
                    problems.append(f"{where}: duplicate url {entry['url']}, first used by source #{first}")
                urls.setdefault(entry["url"], i)
            unknown = sorted(set(entry) - _KEYS)
            if unknown:
                problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
            platform = entry.get("platform")
            if platform is not None and platform not in adapters.ADAPTERS:
                problems.append(f"{where}: platform {platform!r} is served by no adapter "
                                f"(adapters: {', '.join(adapters.ADAPTERS)})")
            entry = {k: v for k, v in entry.items() if k in _KEYS
                     and not (k == "platform" and v not in adapters.ADAPTERS)}
        try:
            src = _check_entry(entry, f"{p}: source #{i}")
        except SourceError as exc:
            problems.append(str(exc))
            continue
        sources.append(src)
    return problems, sources


def probe(sources: list[Source], *, settings: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Fetch each column's first page; one result per source, in registry order. Once per process."""
    from .process import project_settings, run_spider
    from .spiders.survey import ProbeSpider

    s = project_settings(settings, LOG_LEVEL="ERROR", LOG_ENABLED=False)
    crawler = run_spider(ProbeSpider, s, source_objects=sources)
    return list(crawler.spider.results.values())  # type: ignore[union-attr]


def probe_line(result: dict[str, Any]) -> str:
    head = f"probe {result['id']}: "
    if result.get("kind"):
        return head + f"FAILED: {label(result['kind'])} ({result.get('reason')}) {result['url']}"
    if "status" not in result:
        return head + f"not fetched {result['url']}"
    if not result.get("text"):
        return head + f"HTTP {result['status']}, not a web page {result['url']}"
    said = f" (registry says {result['platform']})" if result.get("platform") else ""
    years = f", years {result['years'][0]}–{result['years'][-1]}" if result.get("years") else ""
    if result.get("report_links"):
        verdict = "ok"
    elif result.get("ok"):
        verdict = "ok: no report link on the first page, look at the further list pages"
    else:
        verdict = f"FAILED: {label('no_reports')}"
    return (head + f"HTTP {result['status']}, recognised by {'+'.join(result['recognised'])}{said}, "
            f"{result['report_links']} report links of {result['links']} links{years}, "
            f"{result['more_pages']} more list page(s) — {verdict}")
