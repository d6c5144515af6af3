"""Crawl runs and source health in the archive: which sources still work, and since when.

Each crawl leaves a record in the capture store's run journal (crawler/journal.py); this
module writes it into the archive, once per run (re-recording a run changes nothing but
the build counts and exit status it may add):

- ``sources``: the registry entries seen in any run (crawled or skipped), with the latest
  state of each: status, reason (code, 中文, English), last success, newest report;
- ``crawl_runs``: one row per run: times, nianbao version, settings that change what is
  fetched, counts, exit status;
- ``crawl_sources``: one row per source per run: list pages read, report links found and
  how each ended (new, changed, unchanged, failed; ``reports_unaccounted`` is what a
  stopped crawl never reached, so the five always add up to ``reports_found``), documents,
  errors by kind, the report years its lists name, last success, days since its newest report;
- ``crawl_failures``: every failed URL of a run with its kind and a non-empty reason.

A run's state per source comes from the one rule of nianbao/reasons.py (`assess`), given
what earlier runs saw: a column that listed reports before and lists none now "changed
shape"; a working column whose newest report is older than its usual interval is "stale".
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from itertools import pairwise
from typing import Any

from sqlite_utils import Database

from ..reasons import NEEDS_A_LOOK, REASONS, assess

# Reports are yearly: a source is stale when its newest report is older than the longest
# gap seen between its publications, at least a year, plus a month's grace.
MIN_INTERVAL_DAYS = 365
GRACE_DAYS = 31

_REGISTRY_FIELDS = ("url", "level", "region", "agency", "agencies", "platform", "note")


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def usual_interval(dates: list[date]) -> int:
    """Days a source may go without a new report: its longest gap between publications
    (at least a year) plus the grace."""
    ordered = sorted(set(dates))
    gaps = [(b - a).days for a, b in pairwise(ordered)]
    return max([MIN_INTERVAL_DAYS, *gaps]) + GRACE_DAYS


def _upsert_source(db: Database, entry: dict[str, Any], started: str) -> None:
    sid = entry.get("id") or entry.get("source_id")
    if not sid:
        return
    row: dict[str, Any] = {"id": sid}
    for key in _REGISTRY_FIELDS:
        if key in entry:
            row[key] = entry[key]
    if "allowed_domains" in entry:
        row["allowed_domains"] = json.dumps(entry["allowed_domains"], ensure_ascii=False)
    if "verified" in entry:
        row["verified"] = 1 if entry["verified"] else 0
    existing = db.table("sources").count_where("id = ?", [sid])
    if not existing:
        row["first_seen"] = started
        db.table("sources").insert(row, pk="id", alter=False)
    else:
        db.table("sources").update(sid, row)


def _history(db: Database, source_id: str, started: str) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT * FROM crawl_sources WHERE source_id = ? AND started < ? ORDER BY started",
        [source_id, started],
    ))


def _published_dates(db: Database, source_id: str) -> list[date]:
    out = []
    for (value,) in db.execute("SELECT published FROM reports WHERE source_id = ?", [source_id]):
        d = _day(value)
        if d:
            out.append(d)
    return out


def _evaluate(db: Database, row: dict[str, Any], started: str) -> dict[str, Any]:
    """The crawl_sources row of one source in one run, judged against its history."""
    sid = row["source_id"]
    history = _history(db, sid, started)
    run_day = _day(started)
    known = [d for d in (_day(h.get("newest_published")) for h in history) if d]
    known += _published_dates(db, sid)
    if _day(row.get("newest_published")):
        known.append(_day(row["newest_published"]))  # type: ignore[arg-type]
    newest = max(known) if known else None
    if newest is None:  # no publication date seen: the last run that captured a new report
        new_runs = [h["started"] for h in history if h.get("reports_new")]
        if row.get("reports_new"):
            new_runs.append(started)
        newest = _day(max(new_runs)) if new_runs else None
    days = (run_day - newest).days if newest and run_day else None
    interval = usual_interval(known)
    listed_before = any(h.get("reports_found") for h in history)
    status, kind, detail = assess(
        {**row, "last_new_report": newest.isoformat() if newest else None},
        listed_reports_before=listed_before, days_since_new=days, usual_interval=interval,
    )
    successes = [h["started"] for h in history if h.get("status") not in (None, "failed")]
    if status != "failed":
        successes.append(started)
    years = [int(y) for y in row.get("report_years") or []]
    zh, en = REASONS.get(kind or "", (None, None))
    records = row.get("failure_records") or []
    return {
        "source_id": sid,
        "started": started,
        "status": status,
        "reason": kind,
        "reason_zh": zh,
        "reason_en": en,
        "detail": detail or None,
        "pages": row.get("pages", 0),
        "list_links": row.get("list_links", 0),
        "adapters": json.dumps(row.get("adapters") or []),
        "reports_found": row.get("reports_found", 0),
        "reports_new": row.get("reports_new", 0),
        "reports_changed": row.get("reports_changed", 0),
        "reports_unchanged": row.get("reports_unchanged", 0),
        "reports_failed": row.get("reports_failed", 0),
        "reports_unaccounted": row.get("reports_unaccounted", 0),
        "documents_new": row.get("new", 0),
        "documents_changed": row.get("changed", 0),
        "documents_unchanged": row.get("unchanged", 0),
        "documents_failed": len(records),
        "errors": json.dumps(row.get("errors") or {}, sort_keys=True),
        "report_years": json.dumps(sorted(years)),
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "newest_published": row.get("newest_published"),
        "last_success": max(successes) if successes else None,
        "last_new_report": newest.isoformat() if newest else None,
        "days_since_new_report": days,
        "usual_interval_days": interval,
    }


def record_run(
    db: Database,
    run: dict[str, Any],
    *,
    build: dict[str, int] | None = None,
    exit_status: int | None = None,
) -> list[dict[str, Any]]:
    """Write one run of the journal into the archive; returns its crawl_sources rows.

    `build` ({new, changed, failed}) and `exit_status` are what `nianbao crawl` adds
    after loading; a run already recorded only gets those updated.
    """
    run_id = run["run_id"]
    started = run["started"]
    extra: dict[str, Any] = {}
    if build is not None:
        extra.update(build_new=build.get("new"), build_changed=build.get("changed"),
                     build_failed=build.get("failed"))
    if db.table("crawl_runs").count_where("id = ?", [run_id]):
        if exit_status is not None:
            extra["exit_status"] = exit_status
        if extra:
            db.table("crawl_runs").update(run_id, extra)
        return list(db.query("SELECT * FROM crawl_sources WHERE run_id = ? ORDER BY id", [run_id]))

    rows: list[dict[str, Any]] = []
    with db.atomic():
        for entry in run.get("skipped") or []:
            _upsert_source(db, entry, started)
        for row in run.get("sources") or []:
            _upsert_source(db, row, started)
        for row in run.get("sources") or []:
            rows.append({"run_id": run_id, **_evaluate(db, row, started)})
        states = Counter(r["status"] for r in rows)
        computed_exit = 1 if any(r["status"] in NEEDS_A_LOOK for r in rows) or not rows else 0
        total = {k: sum(r[k] for r in rows) for k in (
            "pages", "reports_found", "reports_new", "reports_changed", "reports_unchanged",
            "reports_failed", "reports_unaccounted", "documents_new", "documents_changed",
            "documents_unchanged", "documents_failed")}
        db.table("crawl_runs").insert({
            "id": run_id,
            "started": started,
            "finished": run.get("finished"),
            "nianbao_version": run.get("nianbao_version"),
            "settings": json.dumps(run.get("settings") or {}, ensure_ascii=False, sort_keys=True),
            "finish_reason": run.get("finish_reason"),
            "log_file": run.get("log_file"),
            "sources_crawled": len(rows),
            "sources_ok": states["ok"],
            "sources_stale": states["stale"],
            "sources_partial": states["partial"],
            "sources_failed": states["failed"],
            "sources_skipped": len(run.get("skipped") or []),
            **{k: v for k, v in total.items() if k != "documents_failed"},
            "failures": total["documents_failed"],
            "build_new": None, "build_changed": None, "build_failed": None,
            "exit_status": computed_exit if exit_status is None else exit_status,
            **extra,
        }, pk="id")
        db.table("crawl_sources").insert_all(rows, pk="id")
        failures = [
            {"run_id": run_id, "source_id": row["source_id"], "url": f.get("url"),
             "report_url": f.get("report_url"), "kind": f.get("kind") or "other",
             "kind_zh": REASONS.get(f.get("kind") or "other", ("",))[0],
             "reason": f.get("reason") or REASONS.get(f.get("kind") or "other", ("", "failed"))[1]}
            for row in run.get("sources") or [] for f in row.get("failure_records") or []
        ]
        if failures:
            db.table("crawl_failures").insert_all(failures, pk="id")
        for r in rows:
            db.table("sources").update(r["source_id"], {
                "last_run_id": run_id, "last_status": r["status"], "last_reason": r["reason"],
                "last_reason_zh": r["reason_zh"], "last_reason_en": r["reason_en"],
                "last_detail": r["detail"], "last_success": r["last_success"],
                "last_new_report": r["last_new_report"],
                "days_since_new_report": r["days_since_new_report"],
                "usual_interval_days": r["usual_interval_days"],
            })
        for entry in run.get("skipped") or []:
            sid = entry.get("id")
            if sid:
                zh, en = REASONS[entry.get("reason") or "unverified"]
                db.table("sources").update(sid, {"last_status": "skipped", "last_reason": entry.get("reason"),
                                           "last_reason_zh": zh, "last_reason_en": en})
    return rows


def recorded_run_ids(db: Database) -> set[str]:
    return {rid for (rid,) in db.execute("SELECT id FROM crawl_runs")}


def record_runs(db: Database, runs: list[dict[str, Any]]) -> int:
    """Record the journal's runs the archive does not hold yet, oldest first; returns how many."""
    known = recorded_run_ids(db)
    new = sorted((r for r in runs if r["run_id"] not in known), key=lambda r: r["started"])
    for run in new:
        record_run(db, run)
    return len(new)
