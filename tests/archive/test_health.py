"""Source health and coverage rules on synthetic runs: history-dependent states and deadlines."""

from __future__ import annotations

from datetime import date

import pytest
from twisted.internet.error import ConnectionRefusedError as TxRefused
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from nianbao.archive import coverage, health, load
from nianbao.crawler.failures import classify
from nianbao.reasons import REASONS, assess


def row(sid: str, **kw) -> dict:
    base = {"source_id": sid, "pages": 1, "list_links": 10, "reports_found": 2, "reports_new": 0,
            "reports_changed": 0, "reports_unchanged": 2, "reports_failed": 0, "reports_unaccounted": 0,
            "report_years": [2023, 2024], "newest_published": "2025-01-20", "errors": {},
            "failure_records": [], "new": 0, "changed": 0, "unchanged": 2}
    return {**base, **kw}


def run(run_id: str, started: str, *rows: dict, skipped: tuple = ()) -> dict:
    return {"run_id": run_id, "started": started, "finished": started, "nianbao_version": "t",
            "settings": {}, "finish_reason": "finished", "sources": list(rows), "skipped": list(skipped)}


def entry(sid: str, **kw) -> dict:
    return {"id": sid, "url": f"http://127.0.0.1:9/{sid}/", "level": "部门", "region": "示例市", **kw}


@pytest.fixture
def db(tmp_path):
    return load.open_archive(tmp_path / "archive.db")


def test_a_column_that_listed_reports_and_lists_none_changed_shape(db):
    src = entry("s1", agencies="示例部门")
    health.record_run(db, run("r1", "2025-04-01T00:00:00Z", {**src, **row("s1")}))
    judged = health.record_run(db, run("r2", "2025-04-08T00:00:00Z", {**src, **row(
        "s1", reports_found=0, reports_unchanged=0, report_years=[], newest_published=None)}))
    assert (judged[0]["status"], judged[0]["reason"]) == ("failed", "shape_changed")
    assert judged[0]["reason_zh"] == REASONS["shape_changed"][0]
    assert judged[0]["last_success"] == "2025-04-01T00:00:00Z"
    fresh = health.record_run(db, run("r3", "2025-04-08T00:00:00Z", {**entry("s2", agencies="x"), **row(
        "s2", reports_found=0, reports_unchanged=0, report_years=[], newest_published=None)}))
    assert (fresh[0]["status"], fresh[0]["reason"]) == ("failed", "no_reports")


def test_stale_after_its_usual_interval_and_recording_is_idempotent(db):
    src = entry("s1", agency="示例局")
    old = row("s1", newest_published="2023-01-10", report_years=[2021, 2022])
    judged = health.record_run(db, run("r1", "2024-02-01T00:00:00Z", {**src, **old}))
    assert judged[0]["status"] == "ok", "387 days: within a year and the grace"
    assert judged[0]["usual_interval_days"] == health.MIN_INTERVAL_DAYS + health.GRACE_DAYS
    judged = health.record_run(db, run("r2", "2024-04-01T00:00:00Z", {**src, **old}))
    assert (judged[0]["status"], judged[0]["days_since_new_report"]) == ("stale", 447)
    assert health.record_runs(db, [run("r2", "2024-04-01T00:00:00Z", {**src, **old})]) == 0
    assert db["crawl_sources"].count == 2


def test_failure_kinds_of_twisted_errors():
    def failed(exc: Exception) -> tuple[str, str]:
        try:
            raise exc
        except Exception:
            return classify(Failure())

    assert failed(DNSLookupError("nianbao.invalid"))[0] == "dns"
    kind, reason = failed(TxRefused())
    assert kind == "connect" and reason
    assert failed(RuntimeError("boom")) == ("other", "RuntimeError: boom")


def test_assess_rules():
    assert assess(row("s"))[0] == "ok"
    lost = row("s", reports_unaccounted=1, reports_unchanged=1)
    assert assess(lost)[:2] == ("partial", "interrupted")
    down = row("s", pages=0, reports_found=0, failure_records=[
        {"url": "u", "report_url": None, "kind": "dns", "reason": "DNSLookupError: x"}])
    assert assess(down)[:2] == ("failed", "dns")


@pytest.mark.parametrize("agency, kind", [
    ("广州市人民政府办公厅", "department"),
    ("广州市黄埔区人民政府 广州开发区管委会", "government"),
    ("广州市白云区人民政府嘉禾街道办事处", "township"),
    ("某县示例镇人民政府", "township"),
    ("广州市规划和自然资源局", "department"),
    ("广州市人民政府", "government"),
])
def test_deadline_kinds(agency, kind):
    assert coverage.deadline_kind(agency) == kind
    due = coverage.deadline(2024, kind)
    assert due == (date(2025, 1, 31) if kind == "department" else date(2025, 3, 31))


def test_coverage_pending_and_incomplete_crawls_are_never_missing(db):
    dept = entry("d", agencies="示例部门")
    # crawled on 20 January: the departments' 2024 reports are not due yet (31 January)
    health.record_run(db, run("r1", "2025-01-20T00:00:00Z", {**dept, **row("d")}))
    db["reports"].insert({"id": "a", "agency": "示例甲局", "year": 2023, "published": "2024-01-10",
                          "source_id": "d"})
    coverage.refresh(db)
    got = {(r["agency"], r["year"]): r["status"] for r in db.query("select * from coverage")}
    assert got == {("示例甲局", 2023): "on_time", ("示例甲局", 2024): "pending"}
    # crawled after the deadline, but a report link failed: unknown, not missing
    health.record_run(db, run("r2", "2025-02-10T00:00:00Z", {**dept, **row(
        "d", reports_failed=1, reports_unchanged=1, errors={"http_5xx": 1}, failure_records=[
            {"url": "u", "report_url": "u", "kind": "http_5xx", "reason": "HTTP 500"}])}))
    coverage.refresh(db)
    after = {r["year"]: r for r in db.query("select * from coverage where agency = '示例甲局'")}
    assert after[2024]["status"] == "not_crawled" and "incomplete" in after[2024]["note"]
    health.record_run(db, run("r3", "2025-02-17T00:00:00Z", {**dept, **row("d")}))
    coverage.refresh(db)
    assert db["coverage"].get(("示例甲局", 2024))["status"] == "missing"
