"""Naming why a request failed: a kind from nianbao/reasons.py and the concrete message.

Scrapy and Twisted report failures as exception types (CannotResolveHostError,
DownloadTimeoutError, ResponseFailed…), and IgnoreRequest covers both the rules we follow
on purpose (robots.txt, offsite links) and real failures (too many redirects). The
source-health tables and the one-line summary need the difference, so every failure goes
through `classify` once, in the spider's errback.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

# Exception class names (Scrapy's own and Twisted's) -> kind.
_BY_NAME = {
    "CannotResolveHostError": "dns",
    "DNSLookupError": "dns",
    "DownloadConnectionRefusedError": "connect",
    "ConnectionRefusedError": "connect",
    "ConnectError": "connect",
    "NoRouteError": "connect",
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "UserTimeout": "timeout",
    "ResponseDataLossError": "truncated",
    "_DataLoss": "truncated",
    "ConnectionLost": "connection",
    "ConnectionDone": "connection",
    "ConnectionAborted": "connection",
    "ResponseFailed": "connection",
    "ResponseNeverReceived": "connection",
    "DownloadFailedError": "connection",
    "PotentialDataLoss": "truncated",
}


def http_kind(status: int) -> str:
    if 500 <= status < 600:
        return "http_5xx"
    if 400 <= status < 500:
        return "http_4xx"
    return "http_other"


def ignored_kind(message: str) -> str | None:
    """The kind of an IgnoreRequest, or None for the rules we follow (offsite links)."""
    text = message.lower()
    if "robots.txt" in text:
        return "robots"
    if "redirect" in text:
        return "redirects"
    if "offsite" in text:
        return None
    if "download_maxsize" in text or "max size" in text:  # e.g. a gzip bomb cut while inflating
        return "too_big"
    return "other"


def classify(failure: Any) -> tuple[str, str]:
    """(kind, reason) of a Twisted Failure from a request's errback; the reason is never empty."""
    value = failure.value
    if failure.check(HttpError):
        status = value.response.status
        return http_kind(status), f"HTTP {status}"
    if failure.check(IgnoreRequest):
        message = str(value) or "request ignored"
        return ignored_kind(message) or "offsite", message
    name = type(value).__name__
    message = failure.getErrorMessage() or name
    kind = _BY_NAME.get(name)
    if kind is None:
        # Twisted wraps the cause of a failed response in ResponseFailed(reasons=[...]).
        for inner in getattr(value, "reasons", None) or []:
            kind = _BY_NAME.get(type(getattr(inner, "value", inner)).__name__)
            if kind:
                break
    if kind is None and name == "DownloadCancelledError" and "max size" in message:
        kind = "too_big"
    elif kind is None and name == "DownloadCancelledError" and message == name:
        # Scrapy cancels a body without Content-Length once it passes DOWNLOAD_MAXSIZE,
        # with no message (it only logs a warning)
        return "too_big", f"{name}: the body passed the download size cap (DOWNLOAD_MAXSIZE) without a " \
            "Content-Length"
    return kind or "other", f"{name}: {message}"
