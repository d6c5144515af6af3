"""Build the bundled sample portal (demo/portal/) from the five seed reports.

A small TRS-style annual-report column, the most common shape in the wild:
`zfxxgknb/index.html` and `index_1.html` with `createPageHTML(...)` pagination, report
pages at `./YYYYMM/tYYYYMMDD_<id>.html` with the portal's chrome around a
`TRS_Editor` body, one report published only as a PDF attachment (详见附件), one page in
Traditional characters copied from a mirror site, and notices that are not reports.
The report bodies come from the committed form fixtures (tests/fixtures/forms/), which
are themselves generated from the seeds' hand-checked truth, so the demo archive can be
compared cell by cell with that truth.

Run: .venv/bin/python demo/build_portal.py   (rewrites demo/portal/)
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
OUT = ROOT / "portal"
FORMS = REPO / "tests" / "fixtures" / "forms"
SEEDS = REPO / "tests" / "fixtures" / "seeds"

SITE = "广州市示例门户（演示）"

# (path under zfxxgknb/, list title, list date, how the body is made)
PAGE_1 = [
    ("202301/t20230115_2001.html", "广州市协作办公室2022年政府信息公开工作年度报告", "2023-01-15",
     "pdf:001_092bb9cf510e616c"),
    ("202101/t20210120_1001.html", "广州市协作办公室2020年政府信息公开工作年度报告", "2021-01-20",
     "html:000_eac659b3405373d8"),
    ("202303/t20230301_3001.html", "广州市2023年政务公开工作要点", "2023-03-01", "notice"),
]
PAGE_2 = [
    ("202102/t20210201_1002.html", "廣州市人民政府辦公廳2020年政府信息公開工作年度報告", "2021-02-01",
     "mirror:002_c44ede4c9c57f811"),
    ("202101/t20210130_1003.html", "广州市黄埔区人民政府 广州开发区管委会2020年政府信息公开工作年度报告",
     "2021-01-30", "html:003_a4b06523178ecf58"),
    ("202102/t20210210_1004.html", "广州市白云区人民政府嘉禾街道办事处2020年政府信息公开工作年度报告",
     "2021-02-10", "html:004_87e2bd2fd6f6bd54"),
    ("202012/t20201201_3002.html", "广州市政府信息公开指南", "2020-12-01", "notice"),
]

CHROME_TOP = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{title}_{site}</title>
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{date}">
<meta name="ContentSource" content="{source}">
</head><body>
<div class="top"><a href="#">长者助手</a> | <a href="#">无障碍</a> | <a href="/">首页</a></div>
<div class="nav"><a href="/">首页</a> &gt; <a href="/zfxxgknb/index.html">政府信息公开年报</a></div>
<h1 class="title">{title}</h1>
<div class="info">发布日期：{date} 来源：{source} 【字号：<a>大</a> <a>中</a> <a>小</a>】 分享到：</div>
<div class="TRS_Editor">
"""
CHROME_BOTTOM = """</div>
<div class="footer"><a href="#">网站地图</a> | <a href="#">联系我们</a> | 版权所有：{site}</div>
</body></html>
"""


def _page(title: str, date: str, body: str, source: str) -> str:
    esc = html.escape
    return (
        CHROME_TOP.format(title=esc(title), date=date, source=esc(source), site=SITE)
        + body
        + CHROME_BOTTOM.format(site=SITE)
    )


def _form_body(seed: str) -> str:
    """The report body of a generated portal page (tests/fixtures/forms/<seed>.html)."""
    text = (FORMS / f"{seed}.html").read_text(encoding="utf-8")
    m = re.search(r'<div class="TRS_Editor"[^>]*>(.*)</div>\s*<div class="footer"', text, re.S)
    if m:
        return m.group(1)
    m = re.search(r"<body[^>]*>(.*)</body>", text, re.S)
    return m.group(1) if m else text


def _lines_body(seed: str) -> str:
    """A mirror page's body: the seed's own text, one paragraph per line."""
    lines = (SEEDS / f"{seed}.txt").read_text(encoding="utf-8").splitlines()
    return "\n".join(f"<p>{html.escape(ln.strip())}</p>" for ln in lines if ln.strip())


def _agency(seed: str) -> str:
    """The publishing agency, as the portal's ContentSource meta names it."""
    return json.loads((SEEDS / "truth" / f"{seed}.json").read_text(encoding="utf-8"))["agency"]


def _list_page(items: list[tuple[str, str, str, str]], page: int, pages: int) -> str:
    lis = "\n".join(
        f'<li><a href="./{path}" title="{html.escape(title)}">{html.escape(title)}</a>'
        f"<span>{date}</span></li>"
        for path, title, date, _ in items
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>政府信息公开年报_{SITE}</title></head><body>
<div class="nav"><a href="/">首页</a> &gt; 政府信息公开年报</div>
<ul class="list">
{lis}
</ul>
<div class="page"><script>createPageHTML({pages}, {page}, "index", "html");</script></div>
</body></html>
"""


def _simple(title: str, body: str) -> str:
    head = f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}_{SITE}</title>'
    nav = f'<div class="nav"><a href="/">首页</a> &gt; {title}</div>'
    return f"{head}</head><body>\n{nav}\n{body}\n</body></html>\n"


def _home_pages() -> None:
    """Home page -> 政府信息公开 -> 政府信息公开年报, as real portals chain them (for `nianbao discover`)."""
    (OUT / "index.html").write_text(_simple(SITE, (
        '<div class="menu"><a href="/">首页</a> <a href="/xwdt/index.html">新闻动态</a> '
        '<a href="/zfxxgk/index.html">政府信息公开</a> '
        '<a href="/admin/index.html">政府信息公开（内部管理）</a></div>\n'
        '<p>欢迎访问广州市示例门户（演示）。</p>')), encoding="utf-8")
    (OUT / "xwdt").mkdir()
    (OUT / "xwdt" / "index.html").write_text(_simple("新闻动态", (
        '<ul><li><a href="/zfxxgk/index.html">政府信息公开专栏上线</a></li></ul>')), encoding="utf-8")
    (OUT / "zfxxgk" / "zn").mkdir(parents=True)
    (OUT / "zfxxgk" / "index.html").write_text(_simple("政府信息公开", (
        '<ul class="columns">'
        '<li><a href="/zfxxgk/zn/index.html">政府信息公开指南</a></li>'
        '<li><a href="/zfxxgknb/index.html">政府信息公开年报</a></li>'
        '<li><a href="/xwdt/index.html">政务动态</a></li></ul>')), encoding="utf-8")
    (OUT / "zfxxgk" / "zn" / "index.html").write_text(_simple("政府信息公开指南", (
        "<p>本机关政府信息公开指南（演示）。</p>")), encoding="utf-8")


def build() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    col = OUT / "zfxxgknb"
    col.mkdir(parents=True)
    (OUT / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n", encoding="utf-8")
    _home_pages()
    for page, items in ((0, PAGE_1), (1, PAGE_2)):
        name = "index.html" if page == 0 else f"index_{page}.html"
        (col / name).write_text(_list_page(items, page, 2), encoding="utf-8")
        for path, title, date, how in items:
            target = col / path
            target.parent.mkdir(parents=True, exist_ok=True)
            kind, _, seed = how.partition(":")
            source = _agency(seed) if seed else "广州市政务服务数据管理局"
            if kind == "html":
                body = _form_body(seed)
            elif kind == "mirror":
                body = _lines_body(seed)
            elif kind == "pdf":
                stamp = path.split("/t")[1].split("_")[0]
                pdf = f"P0{stamp}{path.split('_')[-1].split('.')[0]}5821.pdf"
                shutil.copy(FORMS / f"{seed}.pdf", target.parent / pdf)
                body = (
                    f"<p>{html.escape(title)}详见附件。</p>\n"
                    f'<p>附件：<a href="./{pdf}">{html.escape(title)}.pdf</a></p>'
                )
            else:
                body = f"<p>{html.escape(title)}。</p><p>本通知不属于年度报告，供演示爬虫识别报告之用。</p>"
            target.write_text(_page(title, date, body, source), encoding="utf-8")
    # A path that robots.txt forbids: the crawler must never fetch it.
    (OUT / "admin").mkdir()
    (OUT / "admin" / "index.html").write_text("<html><body>forbidden</body></html>", encoding="utf-8")


if __name__ == "__main__":
    build()
    print(f"sample portal written to {OUT}")
