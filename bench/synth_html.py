"""Synthetic report pages as a TRS WCM portal serves them (when no form fixtures exist).

The page has the portal chrome real detail pages carry (长者助手 / 无障碍, breadcrumb,
ArticleTitle/PubDate/ContentSource meta tags, 字号/分享, footer) around a
`<div class="TRS_Editor">` body whose tables are pasted-from-Word markup: every cell a
`<p class="MsoNormal"><span>` with `<o:p>`, spans from `synth_layout`.
"""

from __future__ import annotations

import html
import zlib
from typing import Any

from . import synth_layout

SITE = "示例市人民政府门户网站（基准测试）"

_TOP = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{title}_{site}</title>
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{date}">
<meta name="ContentSource" content="{source}">
<link rel="stylesheet" href="/css/common.css"><script src="/js/jquery.min.js"></script>
</head><body>
<div class="top"><a href="#">长者助手</a> | <a href="#">无障碍</a> | <a href="/">首页</a></div>
<div class="nav"><a href="/">首页</a> &gt; <a href="../index.html">政府信息公开年报</a></div>
<table class="xxgk"><tr><td>索引号：{index_no}</td><td>发布机构：{source}</td></tr>
<tr><td>公开日期：{date}</td><td>文号：</td></tr></table>
<h1 class="title">{title}</h1>
<div class="info">发布日期：{date} 来源：{source} 【字号：<a>大</a> <a>中</a> <a>小</a>】 分享到：</div>
<div class="TRS_Editor">
"""
_BOTTOM = """</div>
<div class="related"><h3>相关文章</h3><ul>{related}</ul></div>
<div class="footer"><a href="#">网站地图</a> | <a href="#">联系我们</a> | 版权所有：{site}</div>
</body></html>
"""


def _cell(span: synth_layout.Span) -> str:
    attrs = ""
    if span.rowspan > 1:
        attrs += f' rowspan="{span.rowspan}"'
    if span.colspan > 1:
        attrs += f' colspan="{span.colspan}"'
    text = html.escape(span.text) if span.text else "&nbsp;"
    align = "left" if span.label else "center"
    return f'<td{attrs}><p class="MsoNormal" align="{align}"><span>{text}</span><o:p></o:p></p></td>'


def table_html(layout: synth_layout.Layout) -> str:
    body = "\n".join("<tr>" + "".join(_cell(s) for s in row) + "</tr>" for row in layout)
    return f'<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0">\n{body}\n</table>'


def body_html(report: dict[str, Any]) -> str:
    """The TRS_Editor body: title line, sections as paragraphs, the three tables."""
    parts = [f'<p align="center"><b>{html.escape(report["title"])}</b></p>']
    tables = synth_layout.tables(report)
    for section in report["sections"]:
        parts.append(f'<p class="MsoNormal"><b><span>{html.escape(section["heading"])}</span></b></p>')
        parts.append(
            f'<p class="MsoNormal" style="text-indent:2em"><span>{html.escape(section["text"])}</span></p>'
        )
        if section["number"] in tables:
            parts.append(table_html(tables[section["number"]]))
    return "\n".join(parts)


def page_html(
    report: dict[str, Any], *, body: str | None = None, related: tuple[tuple[str, str], ...] = ()
) -> str:
    """A complete report page (`body` replaces the report's own); `related` adds links."""
    esc = html.escape
    links = "".join(f'<li><a href="{esc(h)}">{esc(t)}</a></li>' for h, t in related)
    head = _TOP.format(
        title=esc(report["title"]),
        date=report.get("published") or "",
        source=esc(report["agency"]),
        site=SITE,
        index_no=f"11440100MB2C{zlib.crc32(report['title'].encode()) % 10**6:06d}/{report['year']}-00001",
    )
    return head + (body_html(report) if body is None else body) + _BOTTOM.format(related=links, site=SITE)


def notice_html(title: str, date: str, paragraphs: list[str]) -> str:
    """A page of the same column that is not an annual report (指南, 工作要点)."""
    esc = html.escape
    head = _TOP.format(
        title=esc(title), date=date, source="市政府办公室", site=SITE, index_no="000000/notice"
    )
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    return head + body + _BOTTOM.format(related="", site=SITE)
