"""Adapters and spider callbacks on saved pages (no network): HtmlResponse from a fixture file."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import FormRequest, Request
from scrapy.http import HtmlResponse, TextResponse

from nianbao.crawler import adapters
from nianbao.crawler.adapters import gdgov, generic, hanweb, trs
from nianbao.crawler.captures import CaptureStore
from nianbao.crawler.items import Capture
from nianbao.crawler.sources import Source
from nianbao.crawler.spiders.portal import PortalSpider
from nianbao.crawler.titles import is_report_title

PORTALS = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "portals"


def response(name: str, url: str, cls=HtmlResponse, headers=None, meta=None) -> TextResponse:
    request = Request(url, meta=meta or {})
    return cls(url=url, body=(PORTALS / name).read_bytes(), headers=headers or {}, request=request)


def reports(listing: adapters.ListPage) -> list[str]:
    return [e.url for e in listing.entries if is_report_title(e.title)]


def test_trs_list_entries_titles_and_pager_from_variables():
    url = "http://www.example.gov.cn/zwgk/zfxxgknb/index.html"
    r = response("trs_list.html", url)
    assert trs.detect(r) and not hanweb.detect(r)
    listing = trs.parse_list(r, url)
    assert reports(listing) == [
        "http://www.example.gov.cn/zwgk/zfxxgknb/202401/t20240125_4412391.html",
        "http://www.example.gov.cn/zwgk/zfxxgknb/202401/t20240122_4410022.shtml",
        "http://www.example.gov.cn/zwgk/zfxxgknb/202301/P020230130512.pdf",
        "http://www.example-mirror.com/zfxxgknb/202401/t20240125_4412391.html",
    ]
    first = next(e for e in listing.entries if e.url.endswith("t20240125_4412391.html"))
    assert first.title == "某市财政局2023年政府信息公开工作年度报告"  # the title attribute, not the cut text
    assert first.published == "2024-01-25"
    assert [q.url.rsplit("/", 1)[1] for q in listing.more] == [
        "index_1.html", "index_2.html", "index_3.html", "index_4.html",
    ]


def test_hanweb_static_page_records_and_proxy_requests():
    url = "http://www.example.gov.cn/col/col1229/index.html"
    r = response("hanweb_list.html", url)
    assert hanweb.detect(r)
    listing = hanweb.parse_list(r, url)
    assert reports(listing) == [
        "http://www.example.gov.cn/art/2024/1/18/art_1229_3867211.html",
        "http://www.example.gov.cn/art/2024/1/16/art_1229_3866002.html",
    ]
    assert listing.entries[0].published == "2024-01-18"
    # 40 records, 3 shown, 15 per page, three pages per proxy call: 4-40 in one batch of 45.
    assert len(listing.more) == 1
    post = listing.more[0]
    assert isinstance(post, FormRequest) and post.method == "POST"
    q = parse_qs(urlsplit(post.url).query)
    assert urlsplit(post.url).path == "/module/web/jpage/dataproxy.jsp"
    assert (q["startrecord"], q["endrecord"], q["perpage"]) == (["4"], ["40"], ["15"])
    form = parse_qs(post.body.decode())
    assert form["columnid"] == ["1229"] and form["unitid"] == ["356371"] and form["webid"] == ["21"]
    assert form["webname"] == ["某县"]  # taken from the page's own <nextgroup> query


def test_hanweb_proxy_path_named_by_the_page():
    """Older JCMS serves the proxy at /module/jpage/; there is no <nextgroup> to copy."""
    body = (
        '<div id="9"><script type="text/xml"><datastore><recordset>'
        "<record><![CDATA[<li><a href='/art/2023/2/1/art_77_1.html'>某镇2022年政府信息公开工作年度报告</a>"
        "</li>]]></record></recordset></datastore></script>"
        '<script src="/module/jpage/jpage.js"></script>'
        "<script>new JPage({proxyUrl: '/module/jpage/dataproxy.jsp', totalRecord: 3, perPage: 1,"
        " columnid: 77, unitid: 9});</script></div>"
    ).encode()
    url = "http://x.gov.cn/col/col77/index.html"
    r = HtmlResponse(url=url, body=body, encoding="utf-8")
    listing = hanweb.parse_list(r, url)
    assert reports(listing) == ["http://x.gov.cn/art/2023/2/1/art_77_1.html"]
    assert [q.url for q in listing.more] == [
        "http://x.gov.cn/module/jpage/dataproxy.jsp?startrecord=2&endrecord=3&perpage=1"
    ]
    assert parse_qs(listing.more[0].body.decode())["columnid"] == ["77"]


def test_hanweb_proxy_answer_yields_records_and_no_more_requests():
    url = "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=40&perpage=15"
    r = response("hanweb_dataproxy.xml", url, cls=TextResponse, headers={"Content-Type": "text/xml"})
    listing = adapters.parse_list(r, "http://www.example.gov.cn/col/col1229/index.html")
    assert reports(listing) == ["http://www.example.gov.cn/art/2023/1/20/art_1229_3700001.html"]
    assert listing.more == []


def test_gdgov_pager_counts_from_one_and_finds_year_columns():
    column = "https://www.gz.gov.cn/zfjgzy/gzsrmzfbgt/zfxxgknb/bm/"
    url = column + "2024n/"
    r = response("gdgov_list.html", url)
    assert gdgov.detect(r) and not trs.detect(r)
    listing = adapters.parse_list(r, column, "gdgov")
    assert reports(listing) == [
        url + "content/post_10095458.html",
        url + "content/post_10095001.html",
    ]
    more = [q.url for q in listing.more]
    assert [u for u in more if "index_" in u] == [url + f"index_{n}.html" for n in (2, 3, 4)]
    assert column + "2023n/" in more
    assert url + "index_5.html" not in more


def test_generic_pager_expands_last_page_and_follows_sub_columns():
    url = "http://www.example.gov.cn/xxgk/ndbg/list.jsp?cat=ndbg&page=1"
    r = response("generic_list.html", url)
    listing = generic.parse_list(r, "http://www.example.gov.cn/xxgk/ndbg/list.jsp?cat=ndbg")
    assert [(e.url.rsplit("/", 1)[1], e.published) for e in listing.entries if is_report_title(e.title)] == [
        ("W1.shtml", "2024-02-01"), ("W2.shtml", "2024-01-30"),
    ]
    more = {q.url for q in listing.more}
    pages = {f"http://www.example.gov.cn/xxgk/ndbg/list.jsp?cat=ndbg&page={n}" for n in range(2, 7)}
    assert pages <= more
    assert "http://www.example.gov.cn/xxgk/ndbg/szbm/" in more
    assert "http://www.example.gov.cn/xxgk/ndbg/qx/index.shtml" in more
    assert "http://www.example.gov.cn/xxgk/" not in more, "outside the column: not followed"


def test_adapter_selection_by_platform_and_detection():
    r = response("hanweb_list.html", "http://www.example.gov.cn/col/col1229/index.html")
    assert [m.NAME for m in adapters.adapters_for(r)] == ["hanweb", "generic"]
    assert [m.NAME for m in adapters.adapters_for(r, "trs")] == ["trs", "generic"]


# -- spider callbacks ------------------------------------------------------------------------
@pytest.fixture
def spider(tmp_path):
    src = Source(id="ex", url="http://www.example.gov.cn/zwgk/zfxxgknb/index.html", level="区",
                 region="某区", agency="某区民政局", allowed_domains=("www.example.gov.cn",))
    s = PortalSpider(source_objects=[src])
    s.store = CaptureStore(tmp_path).open()
    s.max_list_pages = 100
    yield s
    s.store.close()


def test_spider_list_callback_requests_reports_only_on_own_domain(spider):
    url = "http://www.example.gov.cn/zwgk/zfxxgknb/index.html"
    r = response("trs_list.html", url, meta={"source_id": "ex"})
    out = list(spider.parse_list(r))
    docs = [q for q in out if q.callback in (spider.parse_report, spider.parse_attachment)]
    lists = [q for q in out if q.callback == spider.parse_list]
    assert [(q.url.rsplit("/", 1)[1], q.meta["kind"]) for q in docs] == [
        ("t20240125_4412391.html", "page"), ("t20240122_4410022.shtml", "page"),
        ("P020230130512.pdf", "attachment"),
    ]
    assert all(q.meta["handle_httpstatus_list"] == [304] and q.meta["nianbao_capture"] for q in docs)
    assert docs[2].meta["report_url"] == docs[2].url
    assert len(lists) == 4
    assert spider.tally.get("ex").pages == 1 and len(spider.tally.get("ex").reports) == 3


def test_spider_report_callback_gbk_page_and_attachment_links(spider):
    url = "http://www.example.gov.cn/zwgk/zfxxgknb/202401/t20240126_1.html"
    meta = {"source_id": "ex", "kind": "page", "report_url": url, "title": None, "published": None}
    r = response("gbk_detail.html", url, headers={"Content-Type": "text/html"}, meta=meta)
    out = list(spider.parse_report(r))
    captures = [o for o in out if isinstance(o, Capture)]
    requests = [o for o in out if isinstance(o, Request)]
    assert len(captures) == 1
    cap = captures[0]
    assert cap.fetched.body == (PORTALS / "gbk_detail.html").read_bytes()
    assert cap.meta["title"] == "某区民政局2023年政府信息公开工作年度报告"  # GBK decoded from <meta>
    assert cap.meta["published"] == "2024-01-26"
    assert cap.meta["agency"] == "某区民政局" and cap.meta["level"] == "区" and cap.meta["kind"] == "page"
    assert [q.url for q in requests] == [
        "http://www.example.gov.cn/upload/2024/01/P020240126.pdf",
        "http://www.example.gov.cn/module/download/downfile.jsp?classid=0&filename=2401261000.docx",
    ]
    assert all(q.meta["report_url"] == url and q.meta["kind"] == "attachment" for q in requests)
    assert requests[1].meta["title"] == "某区民政局2023年年报.docx"


def test_spider_not_modified_page_rereads_stored_copy_for_its_links(spider):
    url = "http://www.example.gov.cn/zwgk/zfxxgknb/202401/t20240126_1.html"
    meta = {"source_id": "ex", "kind": "page", "report_url": url, "title": "t", "published": None}
    first = response("gbk_detail.html", url, headers={"Content-Type": "text/html", "ETag": '"a"'}, meta=meta)
    cap = next(o for o in spider.parse_report(first) if isinstance(o, Capture))
    assert spider.store.add(cap.fetched, cap.meta)["etag"] == '"a"'
    not_modified = HtmlResponse(url=url, status=304, body=b"", request=Request(url, meta=meta))
    out = list(spider.parse_report(not_modified))
    assert not any(isinstance(o, Capture) for o in out)
    assert len([o for o in out if isinstance(o, Request)]) == 2
    assert spider.tally.get("ex").unchanged == 1


@pytest.mark.parametrize("info", [
    "<div class='info'>发布日期：2023-02-03 来源：某局</div>",
    "<table><tr><td>公开日期：</td><td>2023年2月3日</td></tr></table>",
])
def test_spider_report_date_from_the_page_info_line(spider, info):
    url = "http://www.example.gov.cn/zwgk/zfxxgknb/report.html"
    meta = {"source_id": "ex", "kind": "page", "report_url": url, "title": "t", "published": None}
    body = f"<html><head><meta charset='utf-8'></head><body>{info}<p>正文</p></body></html>".encode()
    r = HtmlResponse(url=url, body=body, request=Request(url, meta=meta))
    cap = next(o for o in spider.parse_report(r) if isinstance(o, Capture))
    assert cap.meta["published"] == "2023-02-03"
