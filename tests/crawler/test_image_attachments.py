"""A report published as scanned page images: the spider captures the linked .jpg, .png
and .tif files as the report's attachments (the parsers read them by OCR), and leaves the
pictures a page merely shows (a logo in <img>, an icon linked from the page chrome)."""

from __future__ import annotations

import io

import pytest

from nianbao.crawler.links import attachment_url

TITLE = "某县示例局2023年政府信息公开工作年度报告"
REPORT = "/empty/2024/t20240301_7001.html"
SCANS = {"/empty/2024/W1_p1.jpg": "image/jpeg", "/empty/2024/W1_p2.PNG": "image/png",
         "/empty/2024/W1_p3.tif": "image/tiff"}


def picture(fmt: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (40, 60), 255).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize(("href", "expected"), [
    ("./W1_p1.jpg", "http://a.gov.cn/col/W1_p1.jpg"),
    ("/upload/W1.JPEG", "http://a.gov.cn/upload/W1.JPEG"),
    ("scan.tiff?v=1", "http://a.gov.cn/col/scan.tiff?v=1"),
    ("/module/download/downfile.jsp?filename=%E5%B9%B4%E6%8A%A5.png", "http://a.gov.cn/module/download/"
     "downfile.jsp?filename=%E5%B9%B4%E6%8A%A5.png"),
    ("/img/logo.gif", None),  # not a format reports are scanned to
])
def test_image_links_are_attachments(href: str, expected: str | None) -> None:
    assert attachment_url(href, "http://a.gov.cn/col/index.html") == expected


def test_report_of_scanned_images_is_captured(server, tmp_path, fx) -> None:
    portal = server.portal
    portal.put("/empty/index.html", fx.list_page([("./2024/t20240301_7001.html", TITLE, "2024-03-01")]))
    links = "".join(f'<p><a href="{path.rsplit("/", 1)[1]}">第{i}页</a></p>'
                    for i, path in enumerate(SCANS, 1))
    portal.put(REPORT, fx.page(TITLE, f'<p><img src="/empty/banner.png"></p>{links}'))
    portal.put("/empty/banner.png", picture("PNG"), "image/png")
    for path, ctype in SCANS.items():
        fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF"}[ctype]
        portal.put(path, picture(fmt), ctype)
    sources = fx.write_sources(tmp_path, server.port, ("fx-empty",))
    proc = fx.run_crawl(tmp_path / "data", "--sources", str(sources))
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = {fx.path_of(r["url"]): r for r in fx.index(tmp_path / "data")}
    assert set(records) == {REPORT, *SCANS}
    for path, ctype in SCANS.items():
        assert records[path]["kind"] == "attachment" and records[path]["content_type"] == ctype
        assert fx.path_of(records[path]["report_url"]) == REPORT
