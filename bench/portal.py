"""A large TRS-style portal held in memory and served on 127.0.0.1 for the crawl benchmark.

The shape is the commonest in the wild (FIELD_NOTES.md): a column at
`/zfxxgk/zfxxgknb/index.html`, `index_1.html` … paginated by
`createPageHTML(countPage, currentPage, "index", "html")` in a script, twenty items per
list page, documents at `./YYYYMM/tYYYYMMDD_<id>.html` with a `TRS_Editor` body; most are
annual reports, one in ten is a notice that is not, one report in twenty says 详见附件 and
links a PDF named `P0…pdf`. Every page is distinct (its own title, date and id) but the
report bodies cycle through a few hundred synthetic reports, which keeps generation fast.

The server is `http.server.ThreadingHTTPServer` over a dict: HTTP/1.1 keep-alive,
`Last-Modified` and `ETag` on every response, 304 for a matching `If-None-Match` or
`If-Modified-Since`, and counters of requests and body bytes for a cross-check of what
the crawler reports.
"""

from __future__ import annotations

import hashlib
import html
import threading
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import synth_html, synth_pdf, synth_reports

COLUMN = "/zfxxgk/zfxxgknb/"
PER_LIST = 20
LAST_MODIFIED = 1_735_689_600  # 2025-01-01T00:00:00Z: the portal does not change between crawls


@dataclass
class Portal:
    """Path -> (body, content type); `pages` counts HTML pages, `files` everything."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    reports: int = 0
    notices: int = 0
    attachments: int = 0
    list_pages: int = 0

    @property
    def pages(self) -> int:
        return sum(1 for _, ct in self.files.values() if ct.startswith("text/html"))

    @property
    def bytes(self) -> int:
        return sum(len(b) for b, _ in self.files.values())

    def column_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}{COLUMN}index.html"


def _list_page(items: list[tuple[str, str, str]], page: int, pages: int) -> str:
    lis = "\n".join(
        f'<li><a href="./{path}" target="_blank" title="{html.escape(title)}">{html.escape(title)}</a>'
        f"<span>{date}</span></li>"
        for path, title, date in items
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>政府信息公开年报_{synth_html.SITE}</title></head><body>
<div class="nav"><a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt; 政府信息公开年报</div>
<ul class="list">
{lis}
</ul>
<div class="page"><script>createPageHTML({pages}, {page}, "index", "html");</script></div>
</body></html>
"""


def build(n_pages: int, *, distinct_bodies: int = 300) -> Portal:
    """A portal of about `n_pages` HTML pages (list pages + documents + home)."""
    portal = Portal()
    n_docs = max(PER_LIST, round((n_pages - 2) * PER_LIST / (PER_LIST + 1)))
    n_lists = -(-n_docs // PER_LIST)
    bodies = [
        synth_html.body_html(synth_reports.make_report(i * 7)) for i in range(min(distinct_bodies, n_docs))
    ]
    pdfs = [synth_pdf.pdf_bytes(synth_reports.make_report(i * 11 + 3)) for i in range(3)]
    items: list[tuple[str, str, str]] = []
    for k in range(n_docs):
        year = 2019 + k % 6
        agency = synth_reports.agency(k)[0]
        month, day = 1 + k % 3, 1 + k % 28
        stamp = f"{year + 1}{month:02d}"
        path = f"{stamp}/t{stamp}{day:02d}_{100000 + k}.html"
        date = f"{year + 1}-{month:02d}-{day:02d}"
        if k % 10 == 0:
            title = f"{agency}关于做好{year}年政务公开工作的通知"
            page = synth_html.notice_html(title, date, [f"{title}。", "各有关单位：请按要求做好相关工作。"])
            portal.notices += 1
        else:
            title = f"{agency}{year}年政府信息公开工作年度报告"
            if k % 20 == 1:
                pdf_name = f"P0{stamp}{day:02d}{k:06d}.pdf"
                body = (
                    f"<p>{html.escape(title)}详见附件。</p>"
                    f'<p>附件：<a href="./{pdf_name}">{html.escape(title)}.pdf</a></p>'
                )
                portal.files[f"{COLUMN}{stamp}/{pdf_name}"] = (pdfs[k % len(pdfs)], "application/pdf")
                portal.attachments += 1
            else:
                body = bodies[k % len(bodies)]
            report = {"title": title, "agency": agency, "year": year, "published": date}
            page = synth_html.page_html(report, body=body)
            portal.reports += 1
        portal.files[COLUMN + path] = (page.encode("utf-8"), "text/html; charset=utf-8")
        items.append((path, title, date))
    for p in range(n_lists):
        name = "index.html" if p == 0 else f"index_{p}.html"
        chunk = items[p * PER_LIST : (p + 1) * PER_LIST]
        portal.files[COLUMN + name] = (
            _list_page(chunk, p, n_lists).encode("utf-8"),
            "text/html; charset=utf-8",
        )
    portal.list_pages = n_lists
    portal.files["/index.html"] = (
        f'<html><head><meta charset="utf-8"><title>{synth_html.SITE}</title></head><body>'
        f'<a href="{COLUMN}index.html">政府信息公开年报</a></body></html>'.encode(),
        "text/html; charset=utf-8",
    )
    portal.files["/robots.txt"] = (b"User-agent: *\nDisallow: /admin/\n", "text/plain")
    return portal


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server: PortalServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path.endswith("/"):
            path += "index.html"
        entry = self.server.portal.files.get(path)
        stats = self.server.stats
        if entry is None:
            body = b"not found"
            with self.server.lock:  # counted before answering, so a client never sees stale counts
                stats["requests"] += 1
                stats["not_found"] += 1
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        data, ctype = entry
        etag = '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'
        if self._not_modified(etag):
            with self.server.lock:
                stats["requests"] += 1
                stats["not_modified"] += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", formatdate(LAST_MODIFIED, usegmt=True))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with self.server.lock:
            stats["requests"] += 1
            stats["ok"] += 1
            stats["body_bytes"] += len(data)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(LAST_MODIFIED, usegmt=True))
        self.end_headers()
        self.wfile.write(data)

    def _not_modified(self, etag: str) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                return parsedate_to_datetime(ims).timestamp() >= LAST_MODIFIED
            except (TypeError, ValueError):
                return False
        return False


class PortalServer(ThreadingHTTPServer):
    """The portal on 127.0.0.1 in a background thread; `stats` counts what it served."""

    daemon_threads = True

    def __init__(self, portal: Portal) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.portal = portal
        self.lock = threading.Lock()
        self.stats = self._zero()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _zero() -> dict[str, int]:
        return {"requests": 0, "ok": 0, "not_modified": 0, "not_found": 0, "body_bytes": 0}

    @property
    def port(self) -> int:
        return self.server_address[1]

    def reset_stats(self) -> dict[str, int]:
        with self.lock:
            old, self.stats = self.stats, self._zero()
        return old

    def __enter__(self) -> PortalServer:
        self._thread = threading.Thread(target=self.serve_forever, name="bench-portal", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
