"""Test helpers for the crawler: a real HTTP server on 127.0.0.1 serving fixture portals.

The server keeps a request log (method, path, Host, headers, status, body bytes sent),
answers conditional requests (ETag / Last-Modified -> 304) like a real CMS front end, and
can be told to misbehave on chosen paths: 500, hang, connection reset, truncated body.

`build_portals(port)` makes three report columns on one host, in the shapes of the
platforms seen in the wild (see docs/field-notes.md):
- TRS: /trs/zfxxgknb/index.html, index_1.html, index_2.html with createPageHTML;
- Hanweb JCMS: /col/col1234/index.html with a <datastore>, more records by POST to
  /module/web/jpage/dataproxy.jsp;
- Guangdong platform: /gd/zfxxgknb/bm/ with per-year sub-columns 2023n/ (GBK, charset only
  in a <meta>) and 2024n/ (two list pages), reports at content/post_<id>.html;
plus notices that are not reports, a 详见附件 page with a PDF, a .docx attachment, a pdf.js
viewer link, a download servlet, a spam-mirror link to another host and a report under a
path robots.txt forbids. `EXPECTED` lists what a correct crawl captures.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "portals"
PYTHON = sys.executable

# Settings that keep the crawls of the suite fast (loopback needs no politeness).
FAST = {
    "DOWNLOAD_TIMEOUT": "2",
    "RETRY_TIMES": "1",
    "AUTOTHROTTLE_START_DELAY": "0",
    "DOWNLOAD_DELAY": "0",
    "LOG_LEVEL": "INFO",
}


# ----------------------------------------------------------------------------------------
# documents
def tiny_pdf(text: str) -> bytes:
    """A small real PDF (reportlab) with one line of text."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def tiny_docx(text: str) -> bytes:
    """A small real .docx (python-docx) with one paragraph and a table."""
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "本年新制作数量"
    t.cell(0, 1).text = "12"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def page(title: str, body: str, *, charset: str = "utf-8", date: str = "2024-01-20") -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title>'
        f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date}">'
        f'</head><body><div class="top"><a href="/">首页</a> <a href="/about.pdf">无障碍说明</a></div>'
        f'<h1>{title}</h1><div class="TRS_Editor">{body}</div></body></html>'
    )


def list_page(items: list[tuple[str, str, str]], pager: str = "", charset: str = "utf-8") -> str:
    lis = "\n".join(f'<li><a href="{h}" title="{t}">{t}</a><span>{d}</span></li>' for h, t, d in items)
    return (
        f'<html><head><meta charset="{charset}"><title>政府信息公开年报</title></head><body>'
        f'<div class="nav"><a href="/">首页</a></div><ul class="list">{lis}</ul>{pager}</body></html>'
    )


class Portal:
    """Files of the fixture portals: path -> (bytes, content type). Mutable between crawls."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.files: dict[str, tuple[bytes, str]] = {}
        self.hanweb_records: list[str] = []

    def put(self, path: str, content: str | bytes, ctype: str = "text/html; charset=utf-8",
            encoding: str = "utf-8") -> None:
        data = content.encode(encoding) if isinstance(content, str) else content
        self.files[path] = (data, ctype)

    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


REPORT = "政府信息公开工作年度报告"
# path -> title of every report page a correct crawl finds, by source
EXPECTED_PAGES = {
    "fx-trs": {
        "/trs/zfxxgknb/202401/t20240115_1001.html": f"广州市示例局2023年{REPORT}",
        "/trs/zfxxgknb/202401/t20240120_1002.html": f"广州市示例办2023年{REPORT}",
        "/trs/zfxxgknb/202301/t20230125_1003.html": f"广州市示例委2022年{REPORT}",
        "/trs/zfxxgknb/202301/t20230126_1004.html": f"广州市示例中心2022年{REPORT}",
    },
    "fx-hanweb": {
        "/art/2024/1/10/art_1234_1.html": f"某县示例局2023年{REPORT}",
        "/art/2024/1/11/art_1234_3.html": f"某县示例镇2023年{REPORT}",
        "/art/2024/1/12/art_1234_5.html": f"某县示例街道2023年{REPORT}",
    },
    "fx-gd": {
        "/gd/zfxxgknb/bm/2024n/content/post_2001.html": f"广州市示例规划局2024年{REPORT}",
        "/gd/zfxxgknb/bm/2024n/content/post_2002.html": f"广州市示例水务局2024年{REPORT}",
        "/gd/zfxxgknb/bm/2024n/content/post_2003.html": f"广州市示例交通局2024年{REPORT}",
        "/gd/zfxxgknb/bm/2023n/content/post_1001.html": f"广州市示例统计局2023年{REPORT}",
    },
}
# attachment path -> report page path
EXPECTED_ATTACHMENTS = {
    "/trs/zfxxgknb/202401/P020240120.pdf": "/trs/zfxxgknb/202401/t20240120_1002.html",
    "/trs/zfxxgknb/202301/W020230125.docx": "/trs/zfxxgknb/202301/t20230125_1003.html",
    "/trs/files/P020230126.pdf": "/trs/zfxxgknb/202301/t20230126_1004.html",
    "/module/download/downfile.jsp?classid=0&filename=G.pdf": "/art/2024/1/11/art_1234_3.html",
}
# Paths that must never be requested.
FORBIDDEN = {
    "/private/202401/t20240101_9.html",  # robots.txt
    "/trs/zfxxgknb/202403/t20240301_3001.html",  # 工作要点: a notice
    "/trs/zfxxgknb/202312/t20231201_3002.html",  # 指南
    "/art/2024/1/10/art_1234_2.html",  # notice
    "/gd/zfxxgknb/bm/2024n/content/post_2999.html",  # notice about reports
}


def build_portals(portal: Portal) -> None:
    """Fill `portal` with the three fixture columns (see the module docstring)."""
    port = portal.port
    put = portal.put
    put("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    put("/about.pdf", tiny_pdf("site accessibility notes"), "application/pdf")
    # -- TRS -----------------------------------------------------------------------------
    trs = EXPECTED_PAGES["fx-trs"]
    p = list(trs)
    put("/trs/zfxxgknb/index.html", list_page([
        ("./202401/t20240115_1001.html", trs[p[0]], "2024-01-15"),
        ("./202403/t20240301_3001.html", "广州市2024年政务公开工作要点", "2024-03-01"),
        (f"http://localhost:{port}/mirror/zfxxgknb/202401/t20240115_1001.html",
         "廣州市示例局2023年政府信息公開工作年度報告", "2024-01-15"),
    ], '<script>createPageHTML(3, 0, "index", "html");</script>'))
    put("/trs/zfxxgknb/index_1.html", list_page([
        ("./202401/t20240120_1002.html", trs[p[1]], "2024-01-20"),
        ("./202312/t20231201_3002.html", "广州市政府信息公开指南", "2023-12-01"),
    ], '<script>createPageHTML(3, 1, "index", "html");</script>'))
    put("/trs/zfxxgknb/index_2.html", list_page([
        ("./202301/t20230125_1003.html", trs[p[2]], "2023-01-25"),
        ("./202301/t20230126_1004.html", trs[p[3]], "2023-01-26"),
        ("/private/202401/t20240101_9.html", f"内部单位2023年{REPORT}", "2024-01-01"),
    ], '<script>createPageHTML(3, 2, "index", "html");</script>'))
    put(p[0], page(trs[p[0]], "<p>一、总体情况</p><table><tr><td>本年新制作数量</td>"
                   "<td>12</td></tr></table>"))
    put(p[1], page(trs[p[1]], f"<p>{trs[p[1]]}详见附件。</p>"
                   '<p>附件：<a href="./P020240120.pdf">报告.pdf</a></p>'))
    put("/trs/zfxxgknb/202401/P020240120.pdf", tiny_pdf("report 1002"), "application/pdf")
    put(p[2], page(trs[p[2]], '<p>详见附件：<a href="./W020230125.docx">年度报告.docx</a></p>'))
    put("/trs/zfxxgknb/202301/W020230125.docx", tiny_docx("年度报告 1003"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    put(p[3], page(trs[p[3]], '<p><a href="/pdfjs/web/viewer.html?file=/trs/files/P020230126.pdf">'
                   "在线阅读</a></p>"))
    put("/trs/files/P020230126.pdf", tiny_pdf("report 1004"), "application/pdf")
    put("/trs/zfxxgknb/202403/t20240301_3001.html", page("工作要点", "<p>notice</p>"))
    put("/trs/zfxxgknb/202312/t20231201_3002.html", page("指南", "<p>notice</p>"))
    put("/private/202401/t20240101_9.html", page("private", "<p>robots forbid this</p>"))
    # -- Hanweb --------------------------------------------------------------------------
    han = EXPECTED_PAGES["fx-hanweb"]
    h = list(han)
    titles = [
        (h[0], han[h[0]]), ("/art/2024/1/10/art_1234_2.html", "关于报送2023年政府信息公开工作年度报告的通知"),
        (h[1], han[h[1]]), ("/art/2024/1/11/art_1234_4.html", "某县示例局政务服务简讯"), (h[2], han[h[2]]),
    ]
    portal.hanweb_records = [
        f"<li><a href='{path}' title='{t}' target='_blank'>{t}</a><span>2024-01-1{i}</span></li>"
        for i, (path, t) in enumerate(titles)
    ]
    static = "".join(f"<record><![CDATA[{r}]]></record>" for r in portal.hanweb_records[:2])
    put("/col/col1234/index.html",
        '<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>'
        '<div id="5678"><script type="text/xml"><datastore>'
        "<nextgroup><![CDATA[<a href=\"/module/web/jpage/dataproxy.jsp?page=1&webid=1&path=/&columnid=1234"
        '&unitid=5678&webname=demo&permissiontype=0"></a>]]></nextgroup>'
        f"<recordset>{static}</recordset></datastore></script>"
        '<script>var obj = new JPage({totalRecord: 5, perPage: 2, unitid: 5678, webid: 1});</script>'
        "</div></body></html>")
    for path, t in titles:
        put(path, page(t, f"<p>{t}</p>"))
    put(h[1], page(han[h[1]], '<p>详见附件：<a href="/module/download/downfile.jsp?classid=0&filename=G.pdf">'
                   "G.pdf</a></p>"))
    put("/module/download/downfile.jsp?classid=0&filename=G.pdf", tiny_pdf("report G"), "application/pdf")
    # -- Guangdong platform --------------------------------------------------------------
    gd = EXPECTED_PAGES["fx-gd"]
    g = list(gd)
    put("/gd/zfxxgknb/bm/", list_page([("2024n/", "2024年", ""), ("2023n/", "2023年", "")]))
    put("/gd/zfxxgknb/bm/2024n/", list_page([
        (f"http://127.0.0.1:{port}{g[0]}", gd[g[0]], "2025-01-20"),
        (f"http://127.0.0.1:{port}{g[1]}", gd[g[1]], "2025-01-21"),
        ("content/post_2999.html", "关于做好2024年政府信息公开工作年度报告编制工作的通知", "2024-12-01"),
    ], "<div id='page_div'></div><script>createPageHTML('page_div', 2, 1, 'index', 'html', 4);</script>"))
    put("/gd/zfxxgknb/bm/2024n/index_2.html", list_page([
        ("content/post_2003.html", gd[g[2]], "2025-01-22"),
    ], "<div id='page_div'></div><script>createPageHTML('page_div', 2, 2, 'index', 'html', 4);</script>"))
    # GBK list page: charset only in the page, the HTTP header says just text/html.
    put("/gd/zfxxgknb/bm/2023n/", list_page([("content/post_1001.html", gd[g[3]], "2024-01-18")],
                                            charset="gbk"), "text/html", encoding="gbk")
    for path in g:
        put(path, page(gd[path], f"<p>{gd[path]}</p><p>一、总体情况</p>"))
    put(g[3], page(gd[g[3]], f"<p>{gd[g[3]]}</p>", charset="gbk"), "text/html", encoding="gbk")
    put("/gd/zfxxgknb/bm/2024n/content/post_2999.html", page("通知", "<p>notice</p>"))
    # -- a column with no report at all ----------------------------------------------------
    put("/empty/index.html", list_page([("./a.html", "工作动态", "2024-01-01")]))
    put("/empty/a.html", page("工作动态", "<p>news</p>"))


def sources_yaml(port: int, ids: tuple[str, ...] = ("fx-trs", "fx-hanweb", "fx-gd")) -> str:
    urls = {
        "fx-trs": "/trs/zfxxgknb/index.html", "fx-hanweb": "/col/col1234/index.html",
        "fx-gd": "/gd/zfxxgknb/bm/", "fx-empty": "/empty/index.html",
    }
    platforms = {"fx-trs": "trs", "fx-hanweb": "hanweb", "fx-gd": "gdgov", "fx-empty": "generic"}
    out = ["sources:"]
    for sid in ids:
        out += [
            f"  - id: {sid}", f"    url: http://127.0.0.1:{port}{urls[sid]}", "    level: 部门",
            "    region: 测试市", f"    agencies: {sid} 的单位", f"    platform: {platforms[sid]}",
        ]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------
# the server
class PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.portal = Portal(self.server_address[1])
        self.log: list[dict[str, Any]] = []
        self.faults: dict[str, str] = {}  # path -> "500" | "hang" | "reset" | "truncate"
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.delay = 0.0  # seconds to wait before answering a GET (a slow portal)
        self.no_validators: set[str] = set()  # paths answered without ETag/Last-Modified

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def mark(self) -> int:
        """Position in the request log, to look only at the requests of one crawl."""
        return len(self.log)

    def requests_since(self, mark: int) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.log[mark:])


class _Handler(BaseHTTPRequestHandler):
    server: PortalServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _log(self, status: int, sent: int) -> None:
        with self.server.lock:
            self.server.log.append({
                "method": self.command, "path": self.path, "host": self.headers.get("Host", ""),
                "headers": dict(self.headers.items()), "status": status, "body_bytes": sent,
            })

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8"))
        parts = urlsplit(self.path)
        if parts.path != "/module/web/jpage/dataproxy.jsp" or form.get("columnid") != ["1234"]:
            self._send(404, b"no such proxy", "text/plain")
            return
        q = parse_qs(parts.query)
        start, end = int(q["startrecord"][0]), int(q["endrecord"][0])
        recs = self.server.portal.hanweb_records[start - 1:end]
        body = (
            f"<datastore><totalrecord>{len(self.server.portal.hanweb_records)}</totalrecord><recordset>"
            + "".join(f"<record><![CDATA[{r}]]></record>" for r in recs)
            + "</recordset></datastore>"
        ).encode("utf-8")
        self._send(200, body, "text/xml; charset=utf-8")

    def do_GET(self) -> None:
        if self.server.delay:
            time.sleep(self.server.delay)
        fault = self.server.faults.get(self.path)
        if fault == "500":
            self._send(500, b"server error", "text/plain")
            return
        if fault == "hang":
            self._log(0, 0)
            self.server.stop.wait(8)
            self.close_connection = True
            return
        if fault == "reset":
            self._log(-1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        found = self.server.portal.files.get(self.path)
        if found is None:
            self._send(404, b"not found", "text/plain")
            return
        data, ctype = found
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", None, etag=etag)
            return
        if fault == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data) + 5000))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self._log(200, len(data) // 2)
            self.close_connection = True
            return
        self._send(200, data, ctype, etag=None if self.path in self.server.no_validators else etag)

    def _send(self, status: int, data: bytes, ctype: str | None, etag: str | None = None) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        if etag:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", formatdate(usegmt=True))
        if status != 304:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status != 304:
            self.wfile.write(data)
        self._log(status, len(data) if status != 304 else 0)

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the connection was reset on purpose
            super().finish()


@pytest.fixture(scope="module")
def server():
    srv = PortalServer()
    build_portals(srv.portal)
    threading.Thread(target=srv.serve_forever, daemon=True, name="fixture-portal").start()
    yield srv
    srv.stop.set()
    srv.shutdown()
    srv.server_close()


# ----------------------------------------------------------------------------------------
# running crawls in a subprocess (the Twisted reactor cannot restart)
def run_crawl(data: Path, *args: str, settings: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [PYTHON, "-m", "nianbao.crawler.run", "--data", str(data), *args]
    for k, v in {**FAST, **(settings or {})}.items():
        cmd += ["-s", f"{k}={v}"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env)


def write_sources(tmp: Path, port: int, ids: tuple[str, ...] = ("fx-trs", "fx-hanweb", "fx-gd")) -> Path:
    path = tmp / "sources.yaml"
    path.write_text(sources_yaml(port, ids), encoding="utf-8")
    return path


def index(data: Path) -> list[dict[str, Any]]:
    from nianbao.crawler.captures import read_index

    return read_index(data)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def last_crawl(data: Path) -> dict[str, Any]:
    return json.loads((data / "captures" / "last_crawl.json").read_text(encoding="utf-8"))


def crawl_log(data: Path) -> str:
    """Everything the crawls into `data` logged (Scrapy's messages go to data/logs/, not the console)."""
    return "".join(p.read_text(encoding="utf-8") for p in sorted((data / "logs").glob("*.log")))


def wait_until(pred, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def strip_ws(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="session")
def fx():
    """This module, for tests: with --import-mode=importlib a test cannot `import conftest`."""
    return sys.modules[__name__]
