"""Which addresses are official: the one definition of "a government host".

Spam sites republish government pages wholesale, often converted to Traditional characters
(FIELD_NOTES.md, "Mirrors"). The archive keeps such copies but never takes numbers from one
when the original is known (archive/copies.py). Whether an address is the original's is
decided here and nowhere else:

- ``official``: a host under ``gov.cn`` (every Chinese government portal), or a host the
  source registry names (crawler/sources.yaml: each column's host and its
  ``allowed_domains``; plus whatever registry the archive has recorded in its ``sources``
  table, passed in as ``extra_domains``);
- ``local``: an address on this machine (a file loaded by hand, a portal served on
  127.0.0.1 for a test or the demo): the operator's own, claiming nothing either way, so it
  is treated as an original but not marked official;
- ``mirror``: any other http(s) host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cache
from typing import Literal
from urllib.parse import urlsplit

Provenance = Literal["official", "local", "mirror"]
GOVERNMENT_DOMAINS = ("gov.cn",)
_LOCAL_HOSTS = {"localhost", "localhost.localdomain"}


def host(url: str | None) -> str | None:
    """The lower-case host of an http(s) URL, else None."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower().rstrip(".")


def _under(name: str, domain: str) -> bool:
    domain = domain.lower().strip().rstrip(".")
    return bool(domain) and (name == domain or name.endswith("." + domain))


def _is_local(name: str) -> bool:
    if name in _LOCAL_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


@cache
def registry_domains() -> frozenset[str]:
    """The hosts the shipped source registry names (read as data: no crawler code loaded)."""
    import yaml

    from .resources import path

    try:
        data = yaml.safe_load(path("crawler", "sources.yaml").read_text(encoding="utf-8"))
    except (OSError, RuntimeError, yaml.YAMLError):
        return frozenset()
    out: set[str] = set()
    for entry in (data or {}).get("sources") or []:
        if not isinstance(entry, dict):
            continue
        name = host(str(entry.get("url") or ""))
        if name:
            out.add(name)
        out.update(str(d).lower().strip() for d in entry.get("allowed_domains") or [] if d)
    return frozenset(out)


def provenance(url: str | None, extra_domains: Iterable[str] = ()) -> Provenance:
    """official, local or mirror (see the module's docstring)."""
    name = host(url)
    if name is None:
        return "local"  # a file path or file:// URL: loaded by hand
    if _is_local(name):
        return "local"
    domains = (*GOVERNMENT_DOMAINS, *registry_domains(), *extra_domains)
    return "official" if any(_under(name, d) for d in domains) else "mirror"


def is_official(url: str | None, extra_domains: Iterable[str] = ()) -> bool:
    return provenance(url, extra_domains) == "official"
