"""Report titles, attachment links, the source registry and the capture store, one by one."""

from __future__ import annotations

import hashlib
import json

import pytest

from nianbao.crawler import captures
from nianbao.crawler.adapters import ADAPTERS
from nianbao.crawler.captures import CaptureError, CaptureStore, Fetched, read_index, read_payload
from nianbao.crawler.links import attachment_url, date_in, date_in_url
from nianbao.crawler.run import CrawlSummary
from nianbao.crawler.sources import (
    DEFAULT_SOURCES,
    PLATFORMS,
    SourceError,
    load_sources,
    resolve_sources,
    source_for_url,
)
from nianbao.crawler.titles import is_report_title, title_year


@pytest.mark.parametrize("title", [
    "广州市人民政府办公厅2024年政府信息公开工作年度报告",
    "广州市黄埔区人民政府 广州开发区管委会2020年政府信息公开工作年度报告",
    "廣州市人民政府辦公廳2020年政府信息公開工作年度報告",
    "某市审计局2022年度政府信息公开年报",
    "某县2023年政务公开年报",
    "某区民政局二〇二三年政府信息公开工作年度报告",
    "某市人口和计划生育局2012年政府信息公开工作年度报告",
    "某镇2023年度 政府信息公开\u3000工作年度报告",
    # agency names that contain words of other documents
    "广州市教育评估和教师继续教育指导中心2023年政府信息公开工作年度报告",
    "广州市干部培训中心2022年政府信息公开工作年度报告（全文）",
])
def test_report_titles(title):
    assert is_report_title(title)


@pytest.mark.parametrize("title", [
    "广州市2023年政务公开工作要点",
    "广州市政府信息公开指南",
    "关于报送2023年政府信息公开工作年度报告的通知",
    "关于做好2024年政府信息公开工作年度报告编制工作的通知",
    "广州市协作办公室政府信息公开工作年度报告",  # no year
    "某县政府信息公开工作年度报告编写提纲模板",
    "2023年工作动态",
    "关于2023年政府信息公开工作年度报告的解读",
    "某市2023年政府信息公开工作年度报告考核评估办法",
    "",
])
def test_not_report_titles(title):
    assert not is_report_title(title)


def test_title_year():
    assert title_year("某局2023年度政府信息公开年报") == 2023
    assert title_year("某局二〇二一年政府信息公开工作年度报告") == 2021
    assert title_year("政府信息公开指南") is None


@pytest.mark.parametrize(("href", "text", "expected"), [
    ("./P020240120512.pdf", "", "http://a.gov.cn/col/P020240120512.pdf"),
    ("W020240120.XLSX", "", "http://a.gov.cn/col/W020240120.XLSX"),
    ("/f/report.wps", "", "http://a.gov.cn/f/report.wps"),
    ("/f/report.ofd?v=2", "", "http://a.gov.cn/f/report.ofd?v=2"),
    ("/pdfjs/web/viewer.html?file=%2Fupload%2Fa.pdf", "", "http://a.gov.cn/upload/a.pdf"),
    ("/module/download/downfile.jsp?classid=0&filename=a.docx", "",
     "http://a.gov.cn/module/download/downfile.jsp?classid=0&filename=a.docx"),
    ("/servlet/Download?id=77", "年报.pdf", "http://a.gov.cn/servlet/Download?id=77"),
    ("./t20240101_1.html", "年报", None),
    ("/module/download/downfile.jsp?fileid=123", "附件1", "http://a.gov.cn/module/download/downfile.jsp?fileid=123"),
    ("/module/download/downfile.jsp?fileid=123", "打印", None),
    ("javascript:void(0)", "x.pdf", None),
    ("/pdfjs/web/viewer.html", "", None),
])
def test_attachment_url(href, text, expected):
    base = "http://a.gov.cn/col/index.html"
    assert attachment_url(href, base, text) == expected


@pytest.mark.parametrize("href", [
    "./P020240120512.pdf", "a.pdf#page=2", "x.PDF%20", "../up/x.pdf/.", "up/x.pdf/..", "a.p\tdf", "a.pd\nf",
    "x.html#a?b", "/path/", ".", "..", "//other.gov.cn/x.docx", "viewer.html#?file=a.pdf", "%2e%2e/a.pdf",
    "./t20240101_1.html", "/f/report.ofd?v=2", "/servlet/Download?id=77", " ./b.doc ", "index.html?",
])
def test_links_ruled_out_early_are_the_links_attachment_url_refuses(monkeypatch, href):
    """The cheap check before urljoin never turns away a link the full check would take."""
    from nianbao.crawler import links

    base = "http://a.gov.cn/col/index.html?x=1"
    fast = [attachment_url(href, base, text) for text in ("", "年报.pdf", "附件1")]
    monkeypatch.setattr(links, "may_be_attachment", lambda href: True)
    assert fast == [attachment_url(href, base, text) for text in ("", "年报.pdf", "附件1")]


@pytest.mark.parametrize(("level", "logged"), [("INFO", False), ("WARNING", False), ("DEBUG", True)])
def test_responses_and_items_are_logged_only_at_debug(level, logged):
    from scrapy import Spider
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from nianbao.crawler.logformatter import QuietLogFormatter

    crawler = get_crawler(Spider, settings_dict={"LOG_LEVEL": level})
    spider = Spider.from_crawler(crawler, name="t")
    fmt = QuietLogFormatter.from_crawler(crawler)
    response = HtmlResponse("http://a.gov.cn/", body=b"<html></html>", request=Request("http://a.gov.cn/"))
    assert (fmt.crawled(response.request, response, spider) is not None) is logged
    assert (fmt.scraped({"x": 1}, response, spider) is not None) is logged
    assert fmt.dropped({"x": 1}, Exception("no"), response, spider) is not None  # the rest as Scrapy's


def test_dates():
    assert date_in("发布日期：2024年1月5日 来源：") == "2024-01-05"
    assert date_in("2024/02/30 2024-03-01") == "2024-03-01"  # an impossible date is skipped
    assert date_in("no date") is None
    assert date_in_url("http://a/zfxxgknb/202401/t20240115_1001.html") == "2024-01-15"
    assert date_in_url("http://a/art/2024/1/9/art_12_3.html") == "2024-01-09"
    assert date_in_url("http://a/content/post_1.html") is None


# -- sources --------------------------------------------------------------------------------
def test_shipped_registry_is_valid_and_marks_unknown_columns():
    sources = load_sources()
    by_id = {s.id: s for s in sources}
    assert by_id["gz-city-departments-2024"].url == "https://www.gz.gov.cn/zfjgzy/gzsrmzfbgt/zfxxgknb/bm/2024n/"
    assert by_id["gz-city-departments-2023"].url.endswith("/bm/2023n/")
    assert by_id["gz-zengcheng"].url == "http://www.zc.gov.cn/gk/zfxxgk/zfxxgkgznb/"
    assert by_id["gz-zengcheng"].allowed_domains == ("www.zc.gov.cn",)
    assert not by_id["gz-huangpu"].verified and not by_id["gz-baiyun"].verified
    assert all(s.level in ("部门", "区") for s in sources)
    assert DEFAULT_SOURCES.name == "sources.yaml"


GOOD = """sources:
  - id: a
    url: http://x.gov.cn/nb/
    level: 区
    region: 某区
    agency: 某区政府
"""


@pytest.mark.parametrize(("mutation", "message"), [
    (("agency: 某区政府", "agency: 某区政府\n    colour: red"), "unknown field(s) colour"),
    (("level: 区", "level: 乡"), "level '乡' is not one of"),
    (("    region: 某区\n", ""), "missing required field 'region'"),
    (("http://x.gov.cn/nb/", "ftp://x.gov.cn/nb/"), "is not an http(s) URL"),
    (("agency: 某区政府", "agency: 某区政府\n    agencies: 各部门"), "exactly one of 'agency'"),
    (("agency: 某区政府", "agency: 某区政府\n    platform: wordpress"), "platform 'wordpress'"),
    (("agency: 某区政府", "agency: 某区政府\n    allowed_domains: [other.cn]"), "own host x.gov.cn"),
    (("id: a", "id: A b"), "id 'A b' must be"),
])
def test_registry_errors_name_file_and_entry(tmp_path, mutation, message):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD.replace(*mutation), encoding="utf-8")
    with pytest.raises(SourceError) as err:
        load_sources(path)
    assert str(path) in str(err.value) and "source #1" in str(err.value)
    assert message in str(err.value)


def test_registry_duplicates_and_bad_files(tmp_path):
    dup = tmp_path / "dup.yaml"
    dup.write_text(GOOD + GOOD.split("\n", 1)[1], encoding="utf-8")
    with pytest.raises(SourceError, match="source #2: duplicate id 'a'"):
        load_sources(dup)
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [", encoding="utf-8")
    with pytest.raises(SourceError, match="not valid YAML"):
        load_sources(bad)
    with pytest.raises(SourceError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml")
    ok = tmp_path / "ok.yaml"
    ok.write_text(GOOD, encoding="utf-8")
    (src,) = load_sources(ok)
    assert (src.id, src.level, src.region, src.agency, src.allowed_domains) == (
        "a", "区", "某区", "某区政府", ("x.gov.cn",))


def test_source_for_bare_url_and_registry_match():
    ad_hoc = source_for_url("http://127.0.0.1:8000/zfxxgknb/index.html")
    assert ad_hoc.id == "127-0-0-1-zfxxgknb-index-html"
    assert ad_hoc.allowed_domains == ("127.0.0.1",) and ad_hoc.agency is None
    registry = load_sources()
    assert source_for_url("http://www.zc.gov.cn/gk/zfxxgk/zfxxgkgznb", registry).id == "gz-zengcheng"
    with pytest.raises(SourceError):
        source_for_url("file:///etc/passwd")


def test_one_resolver_for_every_way_of_naming_sources(tmp_path):
    """nianbao crawl, crawler.run and scrapy crawl portal all decide through resolve_sources."""
    reg = tmp_path / "reg.yaml"
    reg.write_text(GOOD + GOOD.split("\n", 1)[1].replace("id: a", "id: b").replace("/nb/", "/nb2/")
                   + "    verified: false\n", encoding="utf-8")
    assert [s.id for s in resolve_sources(reg)] == ["a"], "unverified entries are not crawled"
    assert [s.id for s in resolve_sources(reg, ids=["b"])] == ["b"], "named ids are, verified or not"
    with pytest.raises(SourceError, match="unknown source id"):
        resolve_sources(reg, ids=["a", "zz"])
    # a URL is described by its registry entry when it has one, else ad hoc
    assert [s.id for s in resolve_sources(reg, urls=["http://x.gov.cn/nb/", " "])] == ["a"]
    assert resolve_sources(reg, urls=["http://y.gov.cn/"])[0].agency is None
    # a broken registry the user named is an error even for URLs
    (tmp_path / "bad.yaml").write_text("sources: [", encoding="utf-8")
    with pytest.raises(SourceError, match="not valid YAML"):
        resolve_sources(tmp_path / "bad.yaml", urls=["http://y.gov.cn/"])


def test_platforms_are_the_adapters():
    assert tuple(ADAPTERS) == PLATFORMS and set(PLATFORMS) >= {"trs", "hanweb", "gdgov", "generic"}


# -- capture store --------------------------------------------------------------------------
def fetched(url: str, body: bytes, etag: str = '"1"') -> Fetched:
    return Fetched(url=url, status=200, body=body, reason="OK",
                   headers=[("Content-Type", "application/pdf"), ("ETag", etag),
                            ("Content-Encoding", "gzip"), ("Content-Length", "3")],
                   request_headers=[("User-Agent", "nianbao/0.1")])


def test_store_round_trip_new_unchanged_changed(tmp_path):
    meta = {"kind": "attachment", "report_url": "http://a/p.html", "source_id": "s", "title": "t"}
    with CaptureStore(tmp_path) as store:
        r1 = store.add(fetched("http://a/x.pdf", b"%PDF-1 one"), meta)
        assert store.add(fetched("http://a/x.pdf", b"%PDF-1 one"), meta) is None
    with CaptureStore(tmp_path) as store:  # a later crawl
        assert store.latest("http://a/x.pdf") == r1
        assert store.add(fetched("http://a/x.pdf", b"%PDF-1 one"), meta) is None
        r2 = store.add(fetched("http://a/x.pdf", b"%PDF-1 two", '"2"'), meta)
    assert (r1["change"], r2["change"]) == ("new", "changed")
    assert r1["warc_file"] != r2["warc_file"]
    assert read_index(tmp_path) == [r1, r2]
    assert list(r1) == list(captures.FIELDS)
    assert r1["sha256"] == hashlib.sha256(b"%PDF-1 one").hexdigest() and r1["length"] == 10
    assert (r1["etag"], r1["content_type"], r1["kind"]) == ('"1"', "application/pdf", "attachment")
    assert read_payload(tmp_path, r1) == b"%PDF-1 one"
    assert read_payload(tmp_path, r2) == b"%PDF-1 two"


def test_warc_records_are_standard(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    with CaptureStore(tmp_path) as store:
        rec = store.add(fetched("http://a/x.pdf", b"%PDF-1 bytes"), {})
    with (tmp_path / "captures" / rec["warc_file"]).open("rb") as fh:
        records = list(ArchiveIterator(fh))
    assert [r.rec_type for r in records] == ["response", "request"]
    resp = records[0]
    assert resp.rec_headers.get_header("WARC-Target-URI") == "http://a/x.pdf"
    assert resp.rec_headers.get_header("WARC-Date").startswith(rec["fetched_at"][:19])
    assert resp.rec_headers.get_header("WARC-Payload-Digest") == f"sha256:{rec['sha256']}"
    assert resp.http_headers.get_header("Content-Encoding") is None  # the body is stored decoded
    assert resp.http_headers.get_header("Content-Length") == "12"
    assert records[1].http_headers.get_header("User-Agent") == "nianbao/0.1"


def test_store_errors_are_named(tmp_path):
    with CaptureStore(tmp_path) as store:
        rec = store.add(fetched("http://a/x.pdf", b"%PDF-1 bytes"), {})
        with pytest.raises(CaptureError, match="another crawl"):
            CaptureStore(tmp_path).open()
    with pytest.raises(CaptureError, match="differs from the index"):
        read_payload(tmp_path, {**rec, "sha256": "0" * 64})
    with pytest.raises(CaptureError, match="cannot read capture"):
        read_payload(tmp_path, {**rec, "warc_file": "missing.warc.gz"})
    index = tmp_path / "captures" / "index.jsonl"
    index.write_text(index.read_text() + "not json\n" + json.dumps(rec) + "\n")
    with pytest.raises(CaptureError, match=r"index.jsonl:2: not a JSON object"):
        read_index(tmp_path)


def test_index_records_must_have_the_capture_record_shape(tmp_path):
    """The pipeline gets CaptureRecords (nianbao.contract) or an error naming file and line."""
    with CaptureStore(tmp_path) as store:
        rec = store.add(fetched("http://a/x.pdf", b"%PDF-1 bytes"), {"kind": "attachment"})
    assert rec is not None and read_index(tmp_path) == [rec]
    index = tmp_path / "captures" / "index.jsonl"
    good = index.read_text()
    for bad, problem in (({**rec, "length": "12"}, "length"), ({**rec, "kind": "pdf"}, "kind"),
                         ({k: v for k, v in rec.items() if k != "warc_offset"}, "warc_offset")):
        index.write_text(good + json.dumps(bad) + "\n")
        with pytest.raises(CaptureError, match=rf"index.jsonl:2: not a CaptureRecord \({problem}"):
            read_index(tmp_path)


def test_half_written_last_line_is_ignored_then_repaired(tmp_path):
    with CaptureStore(tmp_path) as store:
        rec = store.add(fetched("http://a/x.pdf", b"one"), {})
    index = tmp_path / "captures" / "index.jsonl"
    with index.open("a") as fh:
        fh.write('{"url": "http://a/y.pdf", "sha')  # a kill mid-write
    assert read_index(tmp_path) == [rec]
    with CaptureStore(tmp_path) as store:
        rec2 = store.add(fetched("http://a/y.pdf", b"two"), {})
    assert read_index(tmp_path) == [rec, rec2]


def test_summary_ok():
    row = {"source_id": "s", "pages": 1, "reports_found": 2, "reports_new": 2, "reports_changed": 0,
           "reports_unchanged": 0, "reports_failed": 0, "failed": 0, "failures": []}
    assert CrawlSummary([row]).ok
    assert not CrawlSummary([row, {**row, "source_id": "t", "reports_found": 0}]).ok
    assert not CrawlSummary([]).ok
    assert CrawlSummary([row]).lines() == ["crawl s: 1 pages, 2 reports found, 2 new, 0 changed, "
                                           "0 unchanged, 0 failed — ok", "crawl: 1 source(s): 1 ok"]
