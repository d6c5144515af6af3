"""Why a source or a document needs a look: the kinds of failure, in Chinese and English.

The shared vocabulary of the crawler's per-source summary, the archive's source health
tables (``crawl_sources.reason``, ``crawl_failures.kind``) and the docs. A kind is a short
code that scripts can match; its two labels are what people read. Every failure carries
a kind and a non-empty reason (the concrete message: status code, exception text).
"""

from __future__ import annotations

# kind -> (Chinese, English)
REASONS: dict[str, tuple[str, str]] = {
    # one request failed
    "dns": ("域名解析失败", "DNS failure"),
    "connect": ("无法连接服务器", "cannot connect to the server"),
    "timeout": ("请求超时", "timed out"),
    "connection": ("连接中断", "connection lost or reset"),
    "truncated": ("下载不完整（数据丢失）", "download cut short (data loss)"),
    "too_big": ("文件超过大小上限", "over the download size cap"),
    "redirects": ("重定向过多或循环", "too many redirects or a redirect loop"),
    "offsite": ("重定向到来源域名之外", "redirected off the source's domains"),
    "url_too_long": ("网址过长", "URL too long"),
    "http_4xx": ("页面不存在或拒绝访问（HTTP 4xx）", "page gone or refused (HTTP 4xx)"),
    "http_5xx": ("服务器错误（HTTP 5xx）", "server error (HTTP 5xx)"),
    "http_other": ("异常的 HTTP 状态", "unexpected HTTP status"),
    "robots": ("robots.txt 禁止抓取", "forbidden by robots.txt"),
    "not_text": ("列表页不是网页", "list page is not a web page"),
    "no_capture": ("服务器答复未修改，但存档中没有旧版本", "304 Not Modified but no earlier capture"),
    "store": ("无法写入存档文件", "capture could not be written"),
    "interrupted": ("抓取中途停止，部分报告未下载", "crawl stopped before these were fetched"),
    "other": ("其他错误", "other error"),
    # the state of a source after a run
    "shape_changed": ("列表页结构已改变：以前能找到报告，现在一个也找不到",
                      "list page changed shape: it used to list reports, now it lists none"),
    "no_reports": ("栏目中未找到报告链接", "no report links found"),
    "documents": ("部分报告未能下载", "some reports could not be fetched"),
    "stale": ("超过通常间隔未见新报告", "no new report for longer than its usual interval"),
    "unverified": ("栏目地址未核实，未抓取", "column address not verified, not crawled"),
}

# The states of a source in one run, best first.
SOURCE_STATUSES = ("ok", "stale", "partial", "failed", "skipped")
# States that make `nianbao crawl` exit 1.
NEEDS_A_LOOK = ("stale", "partial", "failed")


def label(kind: str) -> str:
    """`中文 / English` for a kind (the kind itself when unknown)."""
    zh, en = REASONS.get(kind, (kind, kind))
    return f"{zh} / {en}"


def errors_text(errors: dict[str, int]) -> str:
    """`http_5xx 2, timeout 1`: the errors of a run by kind, most frequent first."""
    return ", ".join(f"{k} {n}" for k, n in sorted(errors.items(), key=lambda kv: (-kv[1], kv[0])))


def assess(
    row: dict,
    *,
    listed_reports_before: bool = False,
    days_since_new: int | None = None,
    usual_interval: int | None = None,
) -> tuple[str, str | None, str]:
    """(status, kind, detail) of one source after one run: the single rule for both the
    crawler's summary (which knows no history) and the archive's source health (which
    passes what earlier runs saw).

    failed: no list page could be read, or the lists hold no report link (`shape_changed`
    when earlier runs found reports there, `no_reports` otherwise); partial: some report
    (or a later list page) failed, or was never fetched; stale: working, but no report
    newer than `usual_interval` days; ok otherwise.
    """
    records = row.get("failure_records") or []
    list_failures = [f for f in records if not f.get("report_url")]
    if not row.get("pages"):
        first = list_failures[0] if list_failures else {"kind": "other", "reason": "no list page was read"}
        return "failed", first["kind"], f"{first['reason']} ({first.get('url') or 'column'})"
    if not row.get("reports_found"):
        kind = "shape_changed" if listed_reports_before else "no_reports"
        return "failed", kind, (f"{row.get('list_links', 0)} links on {row['pages']} list page(s), "
                                "none an annual report")
    lost = row.get("reports_failed", 0) + row.get("reports_unaccounted", 0)
    if lost or list_failures:
        if row.get("reports_failed") or list_failures:
            kind = "documents" if row.get("reports_failed") else list_failures[0]["kind"]
        else:
            kind = "interrupted"
        detail = errors_text(row.get("errors") or {}) or f"{lost} report(s) not fetched"
        if row.get("reports_unaccounted"):
            detail += f"; {row['reports_unaccounted']} not fetched"
        return "partial", kind, detail
    if days_since_new is not None and usual_interval and days_since_new > usual_interval:
        newest = row.get("last_new_report") or row.get("newest_published")
        return "stale", "stale", (f"{days_since_new} days since the newest report ({newest}); "
                                  f"usual interval {usual_interval} days")
    return "ok", None, ""
