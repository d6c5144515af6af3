"""The real spider against fixture portals served on 127.0.0.1 (crawls run in subprocesses)."""

from __future__ import annotations

import collections
import hashlib

import pytest

from nianbao.crawler.captures import read_payload


def all_pages(fx) -> dict[str, str]:
    return {p: t for pages in fx.EXPECTED_PAGES.values() for p, t in pages.items()}


def documents(fx) -> set[str]:
    return set(all_pages(fx)) | set(fx.EXPECTED_ATTACHMENTS)


@pytest.fixture(scope="module")
def first(server, tmp_path_factory, fx):
    """One crawl of the three fixture columns into a fresh store."""
    tmp = tmp_path_factory.mktemp("crawl")
    sources = fx.write_sources(tmp, server.port)
    mark = server.mark()
    proc = fx.run_crawl(tmp / "data", "--sources", str(sources))
    return tmp, sources, proc, server.requests_since(mark)


def test_crawl_finds_exactly_the_reports_once_each(first, fx):
    tmp, _, proc, _ = first
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = fx.index(tmp / "data")
    got = collections.Counter(fx.path_of(r["url"]) for r in records)
    assert set(got) == documents(fx)
    assert all(n == 1 for n in got.values()), got
    for r in records:
        path = fx.path_of(r["url"])
        if path in all_pages(fx):
            assert r["kind"] == "page" and r["report_url"] == r["url"]
            assert r["title"] == all_pages(fx)[path]
        else:
            assert r["kind"] == "attachment"
            assert fx.path_of(r["report_url"]) == fx.EXPECTED_ATTACHMENTS[path]
        assert r["change"] == "new"


def test_captures_carry_source_metadata_and_readable_bytes(first, server, fx):
    tmp, _, _, _ = first
    by_source = collections.defaultdict(set)
    for r in fx.index(tmp / "data"):
        by_source[r["source_id"]].add(fx.path_of(r["url"]))
        data = read_payload(tmp / "data", r)
        served, ctype = server.portal.files[fx.path_of(r["url"])]
        assert data == served, r["url"]
        assert r["sha256"] == hashlib.sha256(served).hexdigest()
        assert r["length"] == len(served)
        assert r["content_type"] == ctype
        assert r["etag"] and r["http_status"] == 200
        assert r["region"] == "测试市" and r["level"] == "部门" and r["agency"] is None
        assert r["fetched_at"].endswith("Z")
        assert (tmp / "data" / "captures" / r["warc_file"]).exists()
    for sid, pages in fx.EXPECTED_PAGES.items():
        assert set(pages) <= by_source[sid]
    assert by_source["fx-hanweb"] >= {"/module/download/downfile.jsp?classid=0&filename=G.pdf"}


def test_dates_come_from_the_list(first, fx):
    tmp, _, _, _ = first
    published = {fx.path_of(r["url"]): r["published"] for r in fx.index(tmp / "data")}
    assert published["/trs/zfxxgknb/202401/t20240115_1001.html"] == "2024-01-15"
    assert published["/gd/zfxxgknb/bm/2024n/content/post_2001.html"] == "2025-01-20"
    # attachments inherit the page's date
    assert published["/trs/zfxxgknb/202401/P020240120.pdf"] == "2024-01-20"


def test_gbk_page_without_charset_header_is_decoded(first, fx):
    """The 2023n list is GBK with the charset only in <meta>: its report title must read right."""
    tmp, _, _, _ = first
    rec = next(r for r in fx.index(tmp / "data") if r["url"].endswith("post_1001.html"))
    assert rec["title"] == "广州市示例统计局2023年政府信息公开工作年度报告"


def test_notices_robots_and_offsite_links_are_not_fetched(first, server, fx):
    _, _, _, log = first
    paths = [e["path"] for e in log]
    assert not fx.FORBIDDEN & set(paths), fx.FORBIDDEN & set(paths)
    assert all(e["host"].startswith("127.0.0.1:") for e in log), "spam mirror on localhost was followed"
    assert "/robots.txt" in paths
    assert "/about.pdf" not in paths, "a link of the page chrome is not an attachment"
    ua = {e["headers"].get("User-Agent") for e in log}
    assert len(ua) == 1 and ua.pop().startswith("nianbao/0.1 (+https://github.com/nianbao; contact:")


def test_hanweb_more_records_come_from_the_dataproxy_post(first):
    _, _, _, log = first
    posts = [e for e in log if e["method"] == "POST"]
    assert [e["path"] for e in posts] == [
        "/module/web/jpage/dataproxy.jsp?startrecord=3&endrecord=5&perpage=2"
    ]


def test_summary_per_source(first, fx):
    tmp, _, proc, _ = first
    rows = {r["source_id"]: r for r in fx.last_crawl(tmp / "data")["per_source"]}
    assert {k: (v["reports_found"], v["failed"]) for k, v in rows.items()} == {
        "fx-trs": (4, 0), "fx-hanweb": (3, 0), "fx-gd": (4, 0),
    }
    assert rows["fx-trs"]["pages"] == 3 and rows["fx-trs"]["new"] == 7
    assert rows["fx-gd"]["pages"] == 4  # the column, 2024n (two pages), 2023n
    # the line counts report links (the hanweb report with its PDF is one), the rows documents too
    assert rows["fx-hanweb"]["new"] == 4 and rows["fx-hanweb"]["reports_new"] == 3
    assert "crawl fx-hanweb: 2 pages, 3 reports found, 3 new, 0 changed, 0 unchanged, 0 failed — ok" \
        in proc.stdout.splitlines()
    assert len(proc.stdout.splitlines()) == 3 + 1, "one line per source and one for the run"
    for row in rows.values():
        assert row["reports_unaccounted"] == 0 and row["status"] == "ok", row


def test_recrawl_downloads_nothing_again_then_records_a_change(first, server, fx):
    tmp, sources, _, _ = first
    data = tmp / "data"
    before = fx.index(data)
    mark = server.mark()
    proc = fx.run_crawl(data, "--sources", str(sources))
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = server.requests_since(mark)
    for e in log:
        if e["path"] in documents(fx):
            assert e["status"] == 304 and e["body_bytes"] == 0, e
            assert e["headers"].get("If-None-Match"), e
    assert {e["path"] for e in log} >= documents(fx)  # every report was still checked
    assert fx.index(data) == before, "nothing new was stored"
    rows = {r["source_id"]: r for r in fx.last_crawl(data)["per_source"]}
    assert all(r["new"] == r["changed"] == 0 and r["reports_found"] for r in rows.values())

    # An edited report and a replaced attachment are new captures; the old bytes stay.
    page = "/trs/zfxxgknb/202401/t20240115_1001.html"
    pdf = "/trs/zfxxgknb/202401/P020240120.pdf"
    old_page = server.portal.files[page][0]
    old_pdf = server.portal.files[pdf][0]
    server.portal.put(page, old_page.replace(b"<td>12</td>", b"<td>13</td>"))
    server.portal.put(pdf, fx.tiny_pdf("report 1002, corrected"), "application/pdf")
    proc = fx.run_crawl(data, "--sources", str(sources))
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = fx.index(data)
    assert after[: len(before)] == before
    added = after[len(before):]
    assert sorted(fx.path_of(r["url"]) for r in added) == sorted([page, pdf])
    assert all(r["change"] == "changed" for r in added)
    for path, old in ((page, old_page), (pdf, old_pdf)):
        old_rec = next(r for r in before if fx.path_of(r["url"]) == path)
        new_rec = next(r for r in added if fx.path_of(r["url"]) == path)
        assert old_rec["warc_file"] != new_rec["warc_file"]
        assert read_payload(data, old_rec) == old
        assert read_payload(data, new_rec) == server.portal.files[path][0] != old
    rows = {r["source_id"]: r for r in fx.last_crawl(data)["per_source"]}
    assert rows["fx-trs"]["changed"] == 2 and rows["fx-trs"]["new"] == 0
    # two reports changed (1001's page, 1002's attachment), the other two unchanged
    assert (rows["fx-trs"]["reports_changed"], rows["fx-trs"]["reports_unchanged"]) == (2, 2)
    server.portal.put(page, old_page)
    server.portal.put(pdf, old_pdf, "application/pdf")
