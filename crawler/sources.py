"""The source registry: which annual-report columns to crawl, and who publishes them.

A source is one report column of one portal. Its registry entry says who publishes there
(`agency`, or `agencies` for a column that gathers many organs, like a city's column of
all its departments), the administrative level and region (carried into every capture
record so later stages know where a report came from), the platform when known, and the
domains the crawl may follow (the column's host by default, so spam mirrors and other
sites are never crawled). Entries are checked strictly: a typo in the registry should
stop the crawl with a message naming the file and entry, not crawl the wrong thing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .adapters import ADAPTERS

# The registry shipped with the package (crawler/sources.yaml in a checkout).
DEFAULT_SOURCES = files(__package__).joinpath("sources.yaml")

LEVELS = ("国家", "省", "市", "区", "县", "部门", "街镇")
PLATFORMS = tuple(ADAPTERS)  # a platform is what an adapter knows: crawler/adapters/
_KEYS = {
    "id", "agency", "agencies", "level", "region", "url", "platform", "allowed_domains",
    "verified", "note",
}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class SourceError(ValueError):
    """A registry problem: str(e) names the file, the entry and what is wrong."""


@dataclass(frozen=True)
class Source:
    """One report column to crawl."""

    id: str
    url: str
    level: str | None = None
    region: str | None = None
    agency: str | None = None  # the one organ publishing here, when it is one
    agencies: str | None = None  # description of the group, when the column gathers many
    platform: str | None = None
    allowed_domains: tuple[str, ...] = field(default_factory=tuple)
    verified: bool = True  # False: the column's address is not known yet; not crawled
    note: str | None = None

    def record_meta(self) -> dict[str, Any]:
        """The registry fields copied into every capture record of this source."""
        return {"source_id": self.id, "agency": self.agency, "region": self.region, "level": self.level}


def source_for_url(url: str, registry: list[Source] | None = None) -> Source:
    """The registry entry whose column is `url`, or an ad-hoc source for a bare URL.

    `scrapy crawl portal -a url=...` and `nianbao crawl URL` need no registry entry: the
    ad-hoc source is named after host and path and knows no agency or level.
    """
    for src in registry or []:
        if src.url.rstrip("/") == url.rstrip("/"):
            return src
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"{url}: not an http(s) URL with a host")
    slug = re.sub(r"[^a-z0-9]+", "-", f"{parts.hostname}{parts.path}".lower()).strip("-")
    return Source(id=slug or parts.hostname, url=url, allowed_domains=(parts.hostname.lower(),))


def _check_entry(entry: Any, where: str) -> Source:
    if not isinstance(entry, dict):
        raise SourceError(f"{where}: an entry must be a mapping, got {type(entry).__name__}")
    unknown = set(entry) - _KEYS
    if unknown:
        raise SourceError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")

    def text(key: str, required: bool = False) -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                raise SourceError(f"{where}: missing required field '{key}'")
            return None
        if not isinstance(value, str) or not value.strip():
            raise SourceError(f"{where}: '{key}' must be a non-empty string, got {value!r}")
        return value.strip()

    sid = text("id", required=True)
    assert sid is not None
    if not _ID.match(sid):
        raise SourceError(f"{where}: id {sid!r} must be lower-case letters, digits, '-', '_' or '.'")
    where = f"{where} ({sid})"
    url = text("url", required=True)
    assert url is not None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"{where}: url {url!r} is not an http(s) URL with a host")
    level = text("level", required=True)
    if level not in LEVELS:
        raise SourceError(f"{where}: level {level!r} is not one of {', '.join(LEVELS)}")
    region = text("region", required=True)
    agency, agencies = text("agency"), text("agencies")
    if (agency is None) == (agencies is None):
        raise SourceError(f"{where}: give exactly one of 'agency' (one organ) or 'agencies' (a group)")
    platform = text("platform")
    if platform is not None and platform not in PLATFORMS:
        raise SourceError(f"{where}: platform {platform!r} is not one of {', '.join(PLATFORMS)}")
    domains = entry.get("allowed_domains")
    if domains is None:
        domains = [parts.hostname]
    if not isinstance(domains, list) or not domains or not all(isinstance(d, str) and d for d in domains):
        raise SourceError(f"{where}: allowed_domains must be a non-empty list of host names")
    domains = [d.strip().lower() for d in domains]
    for d in domains:
        if "/" in d or ":" in d:
            raise SourceError(f"{where}: allowed domain {d!r} must be a bare host name (no scheme/port/path)")
    own = parts.hostname.lower()
    if own not in domains and not any(own.endswith("." + d) for d in domains):
        raise SourceError(f"{where}: the column's own host {parts.hostname} is not in allowed_domains")
    verified = entry.get("verified", True)
    if not isinstance(verified, bool):
        raise SourceError(f"{where}: verified must be true or false")
    return Source(
        id=sid, url=url, level=level, region=region, agency=agency, agencies=agencies,
        platform=platform, allowed_domains=tuple(domains), verified=verified, note=text("note"),
    )


def load_sources(path: str | os.PathLike[str] | None = None) -> list[Source]:
    """Read and check a registry file (default: crawler/sources.yaml).

    Raises SourceError naming the file and the entry for any problem: unreadable file,
    bad YAML, a missing or unknown field, a bad level/platform/URL, duplicate ids or URLs.
    """
    p: Traversable = Path(path) if path is not None else DEFAULT_SOURCES
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"{p}: cannot read source registry: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise SourceError(f"{p}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise SourceError(f"{p}: expected a mapping with a 'sources' list")
    sources: list[Source] = []
    ids: set[str] = set()
    urls: set[str] = set()
    for i, entry in enumerate(data["sources"], 1):
        src = _check_entry(entry, f"{p}: source #{i}")
        if src.id in ids:
            raise SourceError(f"{p}: source #{i}: duplicate id {src.id!r}")
        if src.url in urls:
            raise SourceError(f"{p}: source #{i} ({src.id}): duplicate url {src.url}")
        ids.add(src.id)
        urls.add(src.url)
        sources.append(src)
    return sources


def resolve_sources(
    sources_file: str | os.PathLike[str] | None = None,
    urls: Iterable[str] = (),
    ids: Iterable[str] = (),
) -> list[Source]:
    """The sources one crawl visits; `nianbao crawl`, `crawler.run` and `scrapy crawl portal`
    all decide here.

    - column `urls` given: one source each, described by its registry entry when it has
      one (a broken default registry is ignored: a bare URL needs none, but a registry
      file the user named must be right);
    - else the registry's entries named by `ids` (SourceError for an unknown id);
    - else every verified entry (`skipped_sources` names the others, for the summary).
    """
    wanted_urls = [u.strip() for u in urls if u and u.strip()]
    if wanted_urls:
        try:
            registry = load_sources(sources_file)
        except SourceError:
            if sources_file is not None:
                raise
            registry = []
        return [source_for_url(u, registry) for u in wanted_urls]
    registry = load_sources(sources_file)
    wanted_ids = [i.strip() for i in ids if i and i.strip()]
    if wanted_ids:
        unknown = [i for i in wanted_ids if i not in {s.id for s in registry}]
        if unknown:
            raise SourceError(
                f"{sources_file or DEFAULT_SOURCES}: unknown source id(s) {', '.join(unknown)}"
            )
        return [s for s in registry if s.id in wanted_ids]
    return [s for s in registry if s.verified]


def skipped_sources(
    sources_file: str | os.PathLike[str] | None = None, urls: Iterable[str] = (), ids: Iterable[str] = ()
) -> list[Source]:
    """The registry entries that `resolve_sources` leaves out of a registry crawl (not
    verified: the column's address is unknown), so that the crawl can say so."""
    if any(u and u.strip() for u in urls) or any(i and i.strip() for i in ids):
        return []
    return [s for s in load_sources(sources_file) if not s.verified]
