"""A hostile report portal on 127.0.0.1: every fault a crawl of thousands of portals meets.

One column (/col/index.html) lists report links that misbehave in one way each: a
redirect loop, a 25-hop redirect chain, a redirect to another host, bodies over the
size cap with and without Content-Length, a 1-byte-per-second drip, a link with `../`
segments, a 10,000-character URL, a page declaring UTF-8 that is GBK, an attachment that
is an HTML error page served as application/pdf; links to another host (localhost, the
same server under another name, and an .invalid domain) that must never be requested;
and two good reports. A second column (/endless/) paginates forever, its pages made on
the fly. The request log records the Host of every request, so a test can prove that
nothing left the allowed domain.
"""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FORMS = Path(__file__).resolve().parents[1] / "fixtures" / "forms"
REPORT = "政府信息公开工作年度报告"
CAP = 200_000  # DOWNLOAD_MAXSIZE the tests crawl with
LONG = "/r/" + "x" * 10_000 + ".html"


def _page(title: str, body: str, charset: str = "utf-8") -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title>'
            f'<meta name="ArticleTitle" content="{title}"></head><body><h1>{title}</h1>'
            f'<div class="TRS_Editor">{body}</div></body></html>')


# report link path -> (title, what it does)
LINKS: dict[str, str] = {
    "/r/good1.html": f"甲局2023年{REPORT}",
    "/r/good2.html": f"乙局2023年{REPORT}",
    "/r/loop.html": f"丙局2023年{REPORT}",
    "/r/chain.html": f"丁局2023年{REPORT}",
    "/r/offsite-redirect.html": f"戊局2023年{REPORT}",
    "/r/big-length.html": f"己局2023年{REPORT}",
    "/r/big-nolength.html": f"庚局2023年{REPORT}",
    "/r/drip.html": f"辛局2023年{REPORT}",
    "/r/sub/../dots/./x/../dots.html": f"壬局2023年{REPORT}",
    LONG: f"癸局2023年{REPORT}",
    "/r/gbk.html": f"子局2023年{REPORT}",
    "/r/errpdf.html": f"丑局2023年{REPORT}",
}
# how each report link must end in the crawl's accounting (kind of failure, or captured)
EXPECTED = {
    "/r/good1.html": "new", "/r/good2.html": "new", "/r/dots/dots.html": "new", "/r/gbk.html": "new",
    "/r/errpdf.html": "new", "/r/loop.html": "redirects", "/r/chain.html": "redirects",
    "/r/offsite-redirect.html": "offsite",
    "/r/big-length.html": "too_big", "/r/big-nolength.html": "too_big", "/r/drip.html": "timeout",
    LONG: "url_too_long",
}
# links that lead off the allowed domain: never requested, never counted as reports
OFFSITE = ("http://localhost:{port}/r/other-host.html", "http://reports.example.invalid/r/far.html")


class HostilePortal(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    LINKS = LINKS
    EXPECTED = EXPECTED

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.endless_max = 0  # deepest /endless/ page requested

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def sources_yaml(self) -> str:
        out = ["sources:"]
        for sid, path in (("hostile", "/col/index.html"), ("endless", "/endless/index.html")):
            out += [f"  - id: {sid}", f"    url: {self.url(path)}", "    level: 部门", "    region: 测试市",
                    f"    agencies: {sid} 的单位", "    platform: generic"]
        return "\n".join(out) + "\n"

    def start(self) -> HostilePortal:
        threading.Thread(target=self.serve_forever, daemon=True, name="hostile-portal").start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.shutdown()
        self.server_close()


def good_page(title: str) -> bytes:
    """A real report page (a form fixture) under `title`."""
    html = (FORMS / "000_eac659b3405373d8.html").read_text(encoding="utf-8")
    return html.replace("<head>", f'<head><meta name="ArticleTitle" content="{title}">', 1).encode()


class _Handler(BaseHTTPRequestHandler):
    server: HostilePortal
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _log(self, status: int) -> None:
        with self.server.lock:
            self.server.log.append({"path": self.path, "host": self.headers.get("Host", ""),
                                    "status": status})

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self._log(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, to: str) -> None:
        self._send(302, b"", headers={"Location": to})

    def do_GET(self) -> None:
        path = self.path
        port = self.server.port
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/col/index.html":
            links = [(p, t) for p, t in LINKS.items()]
            links += [(u.format(port=port), f"寅局2023年{REPORT}") for u in OFFSITE]
            items = "".join(f'<li><a href="{h}">{t}</a><span>2024-01-20</span></li>' for h, t in links)
            return self._send(200, f"<html><body><ul>{items}</ul></body></html>".encode())
        if path.startswith("/endless/"):
            n = 0 if path.endswith("index.html") else int(path.rsplit("_", 1)[1].split(".")[0])
            self.server.endless_max = max(self.server.endless_max, n)
            first = f'<li><a href="/r/endless-report.html">卯局2023年{REPORT}</a></li>' if n == 0 else ""
            body = (f"<html><body><ul>{first}<li><a href='/news/{n}.html'>工作动态{n}</a></li></ul>"
                    f"<a href='index_{n + 1}.html'>下一页</a></body></html>")
            return self._send(200, body.encode())
        if path in ("/r/good1.html", "/r/good2.html", "/r/endless-report.html", "/r/dots/dots.html"):
            title = LINKS.get(path) or f"卯局2023年{REPORT}"
            return self._send(200, good_page(title))
        if path in ("/r/loop.html", "/r/loop2.html"):
            return self._redirect("/r/loop2.html" if path == "/r/loop.html" else "/r/loop.html")
        if path.startswith("/r/chain"):
            hop = int(path[len("/r/chain"):-len(".html")] or 0)
            return self._redirect(f"/r/chain{hop + 1}.html")
        if path == "/r/offsite-redirect.html":
            return self._redirect(f"http://localhost:{port}/r/good1.html")
        if path == "/r/big-length.html":
            return self._send(200, b"<html><body>" + b"x" * (5 * CAP) + b"</body></html>")
        if path == "/r/big-nolength.html":
            self._log(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(50):
                    self.wfile.write(b"y" * (CAP // 10))
            self.close_connection = True
            return None
        if path == "/r/drip.html":
            self._log(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(60):
                    if self.server.stop.is_set():
                        break
                    self.wfile.write(b"<")
                    self.wfile.flush()
                    time.sleep(1)
            self.close_connection = True
            return None
        if path == LONG:
            return self._send(200, good_page(LINKS[LONG]))
        if path == "/r/gbk.html":
            body = _page(LINKS[path], "<p>一、总体情况</p><p>本机关认真贯彻《条例》。</p>", charset="utf-8")
            return self._send(200, body.encode("gbk"), "text/html")
        if path == "/r/errpdf.html":
            body = _page(LINKS[path], '<p>详见附件：<a href="/f/report.pdf">年度报告.pdf</a></p>')
            return self._send(200, body.encode())
        if path == "/f/report.pdf":
            return self._send(200, "<html><body><h1>404 文件不存在</h1></body></html>".encode(),
                              "application/pdf")
        return self._send(404, b"not found", "text/plain")

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()
