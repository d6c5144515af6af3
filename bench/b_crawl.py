"""Crawl benchmark: the real `portal` spider vs a bare link-following spider, same portal.

Both crawl the same in-memory TRS portal on 127.0.0.1 (≥10,000 pages in the full run),
one after the other, as subprocesses with the same settings (no AutoThrottle, no delay,
16 concurrent requests). Then the real spider crawls the unchanged portal a second time
into the same data directory: what it downloads then, as a share of the first crawl, is
the cost of a weekly re-crawl. A probe measures what the server itself sustains, so that
a slow server is not mistaken for a slow spider.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import portal as portal_mod
from .harness import Context, Figure, Result, Unavailable, child_env, mib

EXPECTED = [
    "server capacity",
    "bare spider pages/s",
    "real spider pages/s",
    "re-crawl bytes share",
    "real spider peak RSS",
    "bare spider peak RSS",
]


def _child(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.crawl_child", *args]
    p = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(),
        cwd=Path(__file__).resolve().parent.parent,
    )
    for line in p.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line[len("BENCH-RESULT ") :])
    err = p.stderr.strip()
    if "No module named 'nianbao.crawler.run'" in err or ("cannot import name" in err and "crawler" in err):
        raise Unavailable("crawler.run.crawl is not there yet (" + err.splitlines()[-1][:200] + ")")
    raise RuntimeError(f"crawl child {args[0]} failed (rc={p.returncode}): {err[-1500:]}")


def run(ctx: Context) -> Result:
    res = Result("crawl", "Crawling a TRS portal on 127.0.0.1 (pages/s, re-crawl bytes)", EXPECTED)
    n_pages = 200 if ctx.quick else 10_000
    t0 = time.perf_counter()
    portal = portal_mod.build(n_pages, distinct_bodies=20 if ctx.quick else 300)
    res.details["portal"] = {
        "html_pages": portal.pages,
        "reports": portal.reports,
        "notices": portal.notices,
        "pdf_attachments": portal.attachments,
        "list_pages": portal.list_pages,
        "megabytes": round(portal.bytes / 1e6, 1),
        "generate_seconds": round(time.perf_counter() - t0, 1),
        "server": "http.server.ThreadingHTTPServer, in-memory, HTTP/1.1 keep-alive, TCP_NODELAY",
    }
    settings_note = ("AUTOTHROTTLE off, DOWNLOAD_DELAY 0, CONCURRENT_REQUESTS 16, CONCURRENT_ITEMS 1 "
                     "(both spiders)")
    res.details["settings"] = settings_note
    timeout = 120 if ctx.quick else 900
    with portal_mod.PortalServer(portal) as server:
        url = portal.column_url(server.port)
        url_file = ctx.work / "probe_urls.txt"
        url_file.write_text("\n".join(f"http://127.0.0.1:{server.port}{p}" for p in portal.files))
        probe = _child(["probe", str(url_file), "2" if ctx.quick else "5"], timeout)
        server.reset_stats()
        capacity = probe["requests"] / probe["seconds"]
        res.add(
            Figure(
                "server capacity",
                round(capacity),
                "req/s",
                note=f"{probe['threads']} keep-alive clients in another process",
            )
        )

        bare = _child(["bare", url, str(ctx.work / "bare")], timeout)
        bare_server = server.reset_stats()
        bare_rate = bare["responses"] / bare["elapsed_seconds"]
        res.details["bare"] = {**bare, "server": bare_server}
        res.add(
            Figure(
                "bare spider pages/s",
                round(bare_rate, 1),
                "pages/s",
                note=f"{bare['responses']} responses in {bare['elapsed_seconds']} s",
            )
        )
        res.add(
            Figure(
                "bare spider peak RSS", mib(bare["maxrss_bytes"]), "MiB", note="VmHWM of the crawl subprocess"
            )
        )

        data_dir = ctx.work / "crawl-data"
        try:
            first = _child(["real", url, str(data_dir)], timeout)
        except Unavailable as exc:
            reason = f"not available: {exc}"
            for name in ("real spider pages/s", "re-crawl bytes share", "real spider peak RSS"):
                res.add(Figure(name, None, note=reason))
            return res
        first_server = server.reset_stats()
        second = _child(["real", url, str(data_dir)], timeout)
        second_server = server.reset_stats()
    res.details["capture_store_bytes"] = sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file())
    res.details["real_first"] = {**first, "server": first_server}
    res.details["real_second"] = {**second, "server": second_server}

    rate = first["responses"] / first["elapsed_seconds"] if first["elapsed_seconds"] else 0.0
    ratio = rate / bare_rate if bare_rate else None
    res.add(
        Figure(
            "real spider pages/s",
            round(rate, 1),
            "pages/s",
            reference=round(bare_rate, 1),
            reference_name="bare Scrapy spider",
            ratio=None if ratio is None else round(ratio, 3),
            target="≥ 80% of the bare spider",
            met=None if ratio is None else ratio >= 0.8,
            note=f"{first['responses']} responses in {first['elapsed_seconds']} s; "
            f"{first_server['ok']} pages served",
        )
    )
    share = second["response_bytes"] / first["response_bytes"] if first["response_bytes"] else None
    res.add(
        Figure(
            "re-crawl bytes share",
            None if share is None else round(100 * share, 2),
            "%",
            reference=first["response_bytes"],
            reference_name="bytes of the first crawl",
            ratio=None if share is None else round(share, 4),
            target="≤ 5% of the first crawl",
            met=None if share is None else share <= 0.05,
            note=f"{second['response_bytes']} of {first['response_bytes']} bytes "
            "(Scrapy downloader/response_bytes); "
            f"server: {second_server['ok']} full responses, {second_server['not_modified']} × 304",
        )
    )
    res.add(
        Figure(
            "real spider peak RSS",
            mib(max(first["maxrss_bytes"], second["maxrss_bytes"])),
            "MiB",
            note="VmHWM of the crawl subprocesses",
        )
    )
    return res
