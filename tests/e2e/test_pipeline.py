"""The pipeline's own decisions: which capture is current, which document is the report."""

from __future__ import annotations

from e2e_support import SEEDS

from nianbao import pipeline


def rec(url: str, sha: str, kind: str = "page", report_url: str | None = None) -> dict:
    return {"url": url, "sha256": sha, "kind": kind, "report_url": report_url or url}


def test_latest_capture_of_each_url_wins_and_attachments_join_their_page():
    records = [
        rec("http://a/r.html", "1"),
        rec("http://a/r.pdf", "2", "attachment", "http://a/r.html"),
        rec("http://a/r.html", "3"),  # the page changed later
        rec("http://a/s.html", "4"),
    ]
    groups = pipeline._group_latest(records)
    assert list(groups) == ["http://a/r.html", "http://a/s.html"]
    assert [r["sha256"] for r in groups["http://a/r.html"]] == ["3", "2"]


def test_has_tables_needs_a_number_not_just_cells():
    assert not pipeline.has_tables({"applications": [{"value": None}]})
    assert pipeline.has_tables({"reviews": [{"value": 0}]})


def test_page_without_tables_falls_back_to_the_attachment_that_has_them():
    page = b"<html><head><meta charset='utf-8'></head><body><h1>" + \
        "广州市协作办公室2020年政府信息公开工作年度报告".encode() + \
        "</h1><p>详见附件。</p></body></html>".encode()
    text = (SEEDS / "000_eac659b3405373d8.txt").read_bytes()
    report, _ = pipeline.choose_report(
        [(rec("http://a/r.html", "p"), page),
         (rec("http://a/r.txt", "t", "attachment", "http://a/r.html"), text)], {})
    assert report is not None and pipeline.has_tables(report)
    assert report["source"] == "http://a/r.txt"


def test_unparseable_documents_are_reported_not_raised():
    report, errors = pipeline.choose_report([(rec("http://a/x.bin", "x"), b"\x00\xff" * 50)], {})
    assert report is None
    assert errors and "http://a/x.bin" in errors[0]
