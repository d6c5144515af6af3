"""The one item the spider yields: a fetched document with what is known about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .captures import Fetched


@dataclass
class Capture:
    """A report page or attachment to keep: the HTTP exchange and its index fields."""

    fetched: Fetched
    meta: dict[str, Any] = field(default_factory=dict)
