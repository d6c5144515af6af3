#!/usr/bin/env python3
"""Build the seed reports in the other forms real reports take (HTML, PDF, Word, mirror).

The five seeds are texts already extracted from their sources, each with hand-checked
truth. To test the HTML, PDF and Word extractors against a known truth, this generator
re-publishes each seed in those forms: the narrative comes from the seed's own sections,
the tables' values from the truth file (a truth value of null becomes a blank cell), so
every generated file has exactly one correct reading: the seed's truth. It also writes
the bad inputs (empty, junk, legacy Word, encrypted/corrupt/image-only PDF, a news page,
a pre-2019 report) the parsers must reject or recognise.

Run by hand and commit the output:  .venv/bin/python tools/make_form_fixtures.py
Output is deterministic (fixed random seed, fixed PDF/Word timestamps).
"""

from __future__ import annotations

import html
import io
import json
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
FORMS = ROOT / "tests" / "fixtures" / "forms"
BAD = ROOT / "tests" / "fixtures" / "bad"

APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
OUTCOMES = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
STAGES = ["行政复议", "未经复议直接起诉", "复议后起诉"]

# Section headings of the national template, recognised in the seed texts (either script).
HEADING_KEYS = {
    1: ("总体情况", "總體情況"),
    2: ("主动公开", "主動公開"),
    3: ("收到和处理", "收到和處理"),
    4: ("行政复议", "行政複議"),
    5: ("存在",),
    6: ("其他需要报告", "其他需要報告"),
}
NUMERALS = "一二三四五六七八九"
TABLE_SECTIONS = {2, 3, 4}


# ---------------------------------------------------------------------------------------
# Table layout shared by the three renderers
# ---------------------------------------------------------------------------------------


@dataclass
class C:
    """One cell of a table to draw: text, spans and whether it is a value (number) cell."""

    text: str
    rs: int = 1
    cs: int = 1
    value: bool = False
    vertical: bool = False  # HTML: one character per line (<br>), as Word exports narrow cells


def fmt(value: float | int | None) -> str:
    """A truth value as a report prints it; None is a blank cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def money(value: float | int | None, seed_id: str) -> str:
    """Money as printed: seed 003 prints 元 (converted back from truth's 万元), others 万元."""
    if value is None:
        return ""
    if seed_id.startswith("003"):
        return f"{round(value * 10000, 2):.2f}元"
    return f"{fmt(value)}万元"


def ad_tables(truth: dict, seed_id: str) -> list[tuple[str, list[list[C]]]]:
    """Section 二: one (heading, table) per article of 第二十条, in the template's wording."""
    vals = {(c["article"], c["item"], c["metric"]): c["value"] for c in truth["active_disclosure"]}

    def row(article: str, item: str, label: str, metrics: list[str]) -> list[C]:
        out = [C(label)]
        for m in metrics:
            v = vals.get((article, item, m))
            text = money(v, seed_id) if m in ("采购总金额", "本年收费金额") else fmt(v)
            out.append(C(text, value=True))
        return out

    if truth["template"] == "2021":
        m1 = ["本年制发件数", "本年废止件数", "现行有效件数"]
        m5 = ["本年处理决定数量"]
        return [
            ("第二十条第（一）项", [[C("信息内容"), *[C(m) for m in m1]],
                               row("20.1", "规章", "规章", m1),
                               row("20.1", "规范性文件", "行政规范性文件", m1)]),
            ("第二十条第（五）项", [[C("信息内容"), C(m5[0])], row("20.5", "行政许可", "行政许可", m5)]),
            ("第二十条第（六）项", [[C("信息内容"), C(m5[0])],
                               row("20.6", "行政处罚", "行政处罚", m5),
                               row("20.6", "行政强制", "行政强制", m5)]),
            ("第二十条第（八）项", [[C("信息内容"), C("本年收费金额（单位：万元）")],
                               [C("行政事业性收费"),
                                C(fmt(vals.get(("20.8", "行政事业性收费", "本年收费金额"))), value=True)]]),
        ]
    m1 = ["本年新制作数量", "本年新公开数量", "对外公开总数量"]
    m5 = ["上一年项目数量", "本年增/减", "处理决定数量"]
    m9 = ["采购项目数量", "采购总金额"]
    return [
        ("第二十条第（一）项", [[C("信息内容"), *[C(m) for m in m1]],
                           row("20.1", "规章", "规章", m1),
                           row("20.1", "规范性文件", "规范性文件", m1)]),
        ("第二十条第（五）项", [[C("信息内容"), *[C(m) for m in m5]],
                           row("20.5", "行政许可", "行政许可", m5),
                           row("20.5", "其他对外管理服务事项", "其他对外管理服务事项", m5)]),
        ("第二十条第（六）项", [[C("信息内容"), *[C(m) for m in m5]],
                           row("20.6", "行政处罚", "行政处罚", m5),
                           row("20.6", "行政强制", "行政强制", m5)]),
        ("第二十条第（八）项", [[C("信息内容"), *[C(m) for m in m5[:2]]],
                           row("20.8", "行政事业性收费", "行政事业性收费", m5[:2])]),
        ("第二十条第（九）项", [[C("信息内容"), *[C(m) for m in m9]],
                           row("20.9", "政府集中采购", "政府集中采购", m9)]),
    ]


APP_HEADER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
NOT_DISCLOSED = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”",
                 "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
                 "7.属于行政执法案卷", "8.属于行政查询事项"]
CANNOT = ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"]
NOT_HANDLED = ["1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
               "5.要求行政机关确认或重新出具已获取信息"]
OTHER_2021 = ["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
              "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
              "3.其他"]


def app_table(truth: dict) -> tuple[list[list[C]], int]:
    """Section 三 as a 10-column grid with a three-row header; returns (rows, header rows).

    Also returns where the table may be cut for the PDF's page break: see `app_split`.
    """
    vals = {(c["row"], c["applicant"]): c["value"] for c in truth["applications"]}

    def nums(row: str) -> list[C]:
        return [C(fmt(vals.get((row, a))), value=True) for a in APPLICANTS]

    rows: list[list[C]] = [
        [C(APP_HEADER, rs=3, cs=3), C("申请人情况", cs=7)],
        [C("自然人", rs=2), C("法人或其他组织", cs=5), C("总计", rs=2)],
        [C(a) for a in APPLICANTS[1:6]],
        [C("一、本年新收政府信息公开申请数量", cs=3), *nums("1")],
        [C("二、上年结转政府信息公开申请数量", cs=3), *nums("2")],
    ]
    partly = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    body: list[tuple[list[C], str]] = [([C("（一）予以公开", cs=2)], "3.1"), ([C(partly, cs=2)], "3.2")]
    groups = [("（三）不予公开", NOT_DISCLOSED, "3.3"), ("（四）无法提供", CANNOT, "3.4"),
              ("（五）不予处理", NOT_HANDLED, "3.5")]
    if truth["template"] == "2021":
        groups.append(("（六）其他处理", OTHER_2021, "3.6"))
    for label, items, prefix in groups:
        for i, item in enumerate(items):
            lead = [C(label, rs=len(items))] if i == 0 else []
            body.append(([*lead, C(item)], f"{prefix}.{i + 1}"))
    if truth["template"] != "2021":
        body.append(([C("（六）其他处理", cs=2)], "3.6"))
    body.append(([C("（七）总计", cs=2)], "3.7"))
    for i, (cells, row) in enumerate(body):
        lead = [C("三、本年度办理结果", rs=len(body))] if i == 0 else []
        rows.append([*lead, *cells, *nums(row)])
    rows.append([C("四、结转下年度继续办理", cs=3), *nums("4")])
    return rows, 3


def review_table(truth: dict) -> list[list[C]]:
    """Section 四: 行政复议 | 行政诉讼 (未经复议直接起诉 | 复议后起诉), 15 values in one row."""
    vals = {(c["stage"], c["outcome"]): c["value"] for c in truth["reviews"]}
    return [
        [C("行政复议", rs=2, cs=5), C("行政诉讼", cs=10)],
        [C("未经复议直接起诉", cs=5), C("复议后起诉", cs=5)],
        [C(o, vertical=True) for _ in STAGES for o in OUTCOMES],
        [C(fmt(vals.get((s, o))), value=True) for s in STAGES for o in OUTCOMES],
    ]


def transform_table(rows: list[list[C]], conv) -> list[list[C]]:
    """The same table with every label passed through a script converter (values kept)."""
    return [[C(c.text if c.value else conv(c.text), c.rs, c.cs, c.value, c.vertical) for c in r]
            for r in rows]


# ---------------------------------------------------------------------------------------
# Narrative from the seed text
# ---------------------------------------------------------------------------------------


@dataclass
class Seed:
    """One seed: id, truth, title, and its text as (section number, heading, paragraphs)."""

    ident: str
    truth: dict
    title: str
    intro: list[str]
    sections: list[tuple[int, str, list[str]]]


def heading_number(line: str) -> int | None:
    """The template section a line heads (1..6), or None; table row labels never match."""
    m = re.match(r"^\s*([一二三四五六七八九])、(.*)$", line)
    if not m:
        return None
    rest = m.group(2)
    for number, keys in HEADING_KEYS.items():
        if any(k in rest for k in keys) and len(rest) < 30:
            return number
    return None


def reflow(lines: list[str]) -> list[str]:
    """Join lines wrapped mid-sentence (PDF text) back into paragraphs."""
    paras: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        starts_new = bool(re.match(r"^[-\s]*[（(][一二三四五六七八九十\d]+[）)]", line))
        if paras and not starts_new and not re.search(r"[。！？；：]$", paras[-1]):
            sep = " " if re.search(r"[A-Za-z0-9]$", paras[-1]) and re.match(r"^[A-Za-z0-9]", line) else ""
            paras[-1] += sep + line
        else:
            paras.append(line)
    return paras


def clean_title(line: str) -> str:
    """The seed's first line as a page title: PDF line breaks and digit padding removed."""
    t = re.sub(r"\s*(\d{4})\s*", r"\1", line.strip())
    return re.sub(r"政府\s+信息", "政府信息", t)


def load_seed(path: Path) -> Seed:
    """Split a seed text into title, intro and the six sections (tables' text dropped)."""
    ident = path.stem
    truth = json.loads((SEEDS / "truth" / f"{ident}.json").read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines()
    nonblank = [ln for ln in lines if ln.strip()]
    first = 0
    title_lines = [nonblank[0]]
    # Seed 001's title is wrapped over two lines.
    if not nonblank[0].strip().endswith("报告") and nonblank[1].strip().endswith("报告"):
        title_lines.append(nonblank[1])
        first = 1
    title = clean_title(" ".join(t.strip() for t in title_lines))
    body = nonblank[first + 1 :]
    # Mirror footer of seed 002: it is page furniture, not report text.
    while body and body[-1].strip() in ("相關詞條", "熱門詞條", "聯絡我們"):
        body.pop()
    intro: list[str] = []
    sections: list[tuple[int, str, list[str]]] = []
    current: list[str] = intro
    for line in body:
        n = heading_number(line)
        if n is not None:
            sections.append((n, line.strip(), []))
            current = sections[-1][2]
        else:
            current.append(line)
    out = []
    for n, heading, content in sections:
        out.append((n, heading, [] if n in TABLE_SECTIONS else reflow(content)))
    return Seed(ident, truth, title, reflow(intro), out)


def narrative_sentences(seed: Seed) -> list[str]:
    """Every paragraph of the narrative, for the tests' 'nothing lost' comparison."""
    out = list(seed.intro)
    for _, heading, paras in seed.sections:
        out.append(heading)
        out.extend(paras)
    return out


# ---------------------------------------------------------------------------------------
# HTML (Guangzhou portal page with Word-pasted tables) and the Traditional mirror page
# ---------------------------------------------------------------------------------------


def word_spans(text: str, rng: random.Random) -> str:
    """Text as Word pastes it: split over several styled <span>s, closed by <o:p>."""
    if not text:
        return "<span lang=EN-US><o:p>&nbsp;</o:p></span>"
    pieces: list[str] = []
    rest = text
    while rest:
        k = rng.randint(1, max(1, min(4, len(rest))))
        pieces.append(rest[:k])
        rest = rest[k:]
    styles = ["font-size:10.5pt;font-family:宋体", "font-size:10.5pt;font-family:仿宋_GB2312",
              "font-family:宋体;mso-bidi-font-family:宋体"]
    spans = "".join(
        f"<span lang=EN-US style='{rng.choice(styles)}'>{html.escape(p)}</span>"
        if re.match(r"^[\d.+\-]+$", p) else f"<span style='{rng.choice(styles)}'>{html.escape(p)}</span>"
        for p in pieces
    )
    return spans + "<span lang=EN-US><o:p></o:p></span>"


def html_table(rows: list[list[C]], rng: random.Random) -> str:
    """A Word-pasted table: MsoNormalTable, rowspan/colspan, spans, &nbsp; in blank cells."""
    out = ["<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 "
           "style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt'>"]
    for r in rows:
        out.append("<tr style='mso-yfti-irow:0;height:19.85pt'>")
        for c in r:
            attrs = ""
            if c.rs > 1:
                attrs += f" rowspan={c.rs}"
            if c.cs > 1:
                attrs += f" colspan={c.cs}"
            if c.vertical:
                inner = "<br>\n".join(word_spans(ch, rng) for ch in c.text)
            else:
                inner = word_spans(c.text, rng)
            out.append(
                f"<td{attrs} valign=center style='border:solid windowtext 1.0pt;padding:0cm 5.4pt'>"
                f"<p class=MsoNormal align=center>{inner}</p></td>"
            )
        out.append("</tr>")
    out.append("</table>")
    return "\n".join(out)


def body_blocks(seed: Seed, conv=lambda s: s, label_conv=None) -> list[tuple[str, object]]:
    """The report body in reading order: ('p', text) and ('table', rows), shared by all forms.

    `conv` converts the seed's text, `label_conv` the generated labels (default: `conv`).
    """
    label_conv = label_conv or conv
    blocks: list[tuple[str, object]] = [("p", conv(p)) for p in seed.intro]
    for n, heading, paras in seed.sections:
        blocks.append(("h", conv(heading)))
        if n == 2:
            for sub, rows in ad_tables(seed.truth, seed.ident):
                blocks.append(("p", label_conv(sub)))
                blocks.append(("table", transform_table(rows, label_conv)))
        elif n == 3:
            rows, _ = app_table(seed.truth)
            blocks.append(("table", transform_table(rows, label_conv)))
        elif n == 4:
            blocks.append(("table", transform_table(review_table(seed.truth), label_conv)))
        blocks.extend(("p", conv(p)) for p in paras)
    return blocks


def published(seed: Seed) -> str:
    """A plausible publication date: late January of the following year."""
    return f"{seed.truth['year'] + 1}-01-28"


def portal_page(seed: Seed, simplify) -> str:
    """A Guangzhou-style report page: chrome around a TRS_Editor body with Word tables."""
    rng = random.Random(seed.ident)
    title = simplify(seed.title)
    agency = seed.truth["agency"]
    body = []
    for kind, content in body_blocks(seed, simplify):
        if kind == "table":
            body.append(html_table(content, rng))  # type: ignore[arg-type]
        elif kind == "h":
            body.append(f"<p class=MsoNormal style='text-indent:32pt'><b><span style='font-family:黑体'>"
                        f"{html.escape(str(content))}</span></b></p>")
        else:
            body.append(f"<p class=MsoNormal style='text-indent:32pt'>{word_spans(str(content), rng)}</p>")
    pub = published(seed)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}-广州市人民政府门户网站</title>
<meta name="SiteName" content="广州市人民政府门户网站">
<meta name="ArticleTitle" content="{html.escape(title)}">
<meta name="PubDate" content="{pub} 10:15">
<meta name="ContentSource" content="{html.escape(agency)}">
<script>var _hmt = _hmt || [];</script>
<style>.nav li {{ display:inline }}</style>
</head>
<body>
<div class="top-bar"><a href="javascript:void(0)" id="elderly">长者助手</a> | <a href="javascript:void(0)"
 id="barrier">无障碍</a> | <a href="/">English</a></div>
<div class="header"><img src="/images/logo.png" alt="广州市人民政府门户网站"></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjlpt/">互动交流</a></li></ul>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zfjgzy/">政府机构</a> &gt;
 <a href="../../">政府信息公开年报</a> &gt; 正文</div>
<table class="info-table">
<tr><td>索引号：</td><td>11440100MB2C911234/2021-00056</td><td>分类：</td><td>政府信息公开年报</td></tr>
<tr><td>发布机构：</td><td>{html.escape(agency)}</td><td>公开日期：</td><td>{pub}</td></tr>
<tr><td>文号：</td><td></td><td>名称：</td><td>{html.escape(title)}</td></tr>
</table>
<div class="article">
<h1 class="content_title">{html.escape(title)}</h1>
<div class="info-bar">发布日期：{pub} 10:15 来源：{html.escape(agency)}
 <span class="font">【字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</span>
 <span class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></span></div>
<div class="article-content"><div class="TRS_Editor">
{chr(10).join(body)}
</div></div>
<div class="article-tools"><a href="javascript:window.print()">打印本页</a>
 <a href="javascript:window.close()">关闭窗口</a></div>
</div>
<div class="footer"><a href="/sitemap/">网站地图</a> | <a href="/contact/">联系我们</a> |
 <a href="/privacy/">隐私声明</a><br>主办：广州市人民政府办公厅 版权所有 网站标识码：4401000101
 粤ICP备05081234号</div>
<script>document.getElementById("elderly").onclick = function () {{}};</script>
</body>
</html>
"""


def mirror_page(seed: Seed, to_trad, from_seed_is_trad: bool) -> str:
    """A Traditional-character copy on a non-government site, with its own footer."""
    rng = random.Random("tw" + seed.ident)
    title = seed.title if from_seed_is_trad else to_trad(seed.title)
    # Seed 002 is already Traditional: only the generated table labels need converting.
    conv = (lambda s: s) if from_seed_is_trad else to_trad
    parts = []
    for kind, content in body_blocks(seed, conv, to_trad):
        if kind == "table":
            parts.append(html_table(content, rng))  # type: ignore[arg-type]
        else:
            parts.append(f"<p>{html.escape(str(content))}</p>")
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{html.escape(title)} - 政策資訊網</title>
</head>
<body>
<div id="site-head"><a href="/">政策資訊網</a> <a href="/login">登入</a> <a href="/register">註冊</a></div>
<div id="main">
<div class="post">
<h2 class="post-title">{html.escape(title)}</h2>
<div class="post-body">
{chr(10).join(parts)}
<div class="tags"><h4>相關詞條</h4><ul><li><a href="/t/1">政府資訊公開</a></li>
<li><a href="/t/2">年度報告</a></li></ul>
<h4>熱門詞條</h4><ul><li><a href="/t/3">入口網站</a></li>
<li><a href="/t/4">行政複議</a></li></ul></div>
</div>
</div>
</div>
<div id="site-foot"><a href="/about">關於我們</a> | <a href="/contact">聯絡我們</a> |
 版權所有 © 政策資訊網</div>
</body>
</html>
"""


# ---------------------------------------------------------------------------------------
# PDF (reportlab, ruled tables, page footers, table 三 split over two pages)
# ---------------------------------------------------------------------------------------


def pdf_bytes(seed: Seed, simplify) -> bytes:
    """A PDF with GRID-ruled tables, '- N -' footers and the applications table split."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body_style = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17,
                                firstLineIndent=22, wordWrap="CJK")
    head_style = ParagraphStyle("head", parent=body_style, firstLineIndent=0, spaceBefore=6)
    title_style = ParagraphStyle("title", parent=body_style, fontSize=16, leading=24, alignment=1,
                                 firstLineIndent=0)
    cell_style = ParagraphStyle("cell", fontName="STSong-Light", fontSize=8, leading=10, alignment=1,
                                wordWrap="CJK")

    def flow_table(rows: list[list[C]], widths: list[float]) -> Table:
        ncols = len(widths)
        grid: list[list[object]] = [["" for _ in range(ncols)] for _ in rows]
        spans = []
        occupied: set[tuple[int, int]] = set()
        for i, r in enumerate(rows):
            j = 0
            for c in r:
                while (i, j) in occupied:
                    j += 1
                grid[i][j] = Paragraph(html.escape(c.text), cell_style) if c.text else ""
                if c.rs > 1 or c.cs > 1:
                    spans.append(("SPAN", (j, i), (j + c.cs - 1, i + c.rs - 1)))
                for di in range(c.rs):
                    for dj in range(c.cs):
                        occupied.add((i + di, j + dj))
                j += c.cs
        t = Table(grid, colWidths=widths)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *spans]))
        return t

    story: list[object] = [Paragraph(html.escape(simplify(seed.title)), title_style), Spacer(1, 8)]
    for n, heading, paras in seed.sections:
        if n == 1:
            for p in seed.intro:
                story.append(Paragraph(html.escape(simplify(p)), body_style))
        if n == 3:
            story.append(PageBreak())
        story.append(Paragraph(html.escape(simplify(heading)), head_style))
        if n == 2:
            for sub, rows in ad_tables(seed.truth, seed.ident):
                story.append(Paragraph(html.escape(sub), head_style))
                ncols = len(rows[0])
                story.append(flow_table(rows, [150] + [(480 - 150) / (ncols - 1)] * (ncols - 1)))
        elif n == 3:
            rows, head = app_table(seed.truth)
            widths = [34, 62, 150] + [35] * 7
            # Cut after the （三）不予公开 group: the rows above fit page one, the header is
            # repeated on page two, and the 三、本年度办理结果 span continues there blank
            # (as Word prints a merged cell broken across pages).
            cut = next(i for i, r in enumerate(rows) if any(c.text.startswith("（四）") for c in r))
            first = _clip_spans(rows[:cut])
            second = rows[:head] + _continue_spans(rows, cut)
            story.append(flow_table(first, widths))
            story.append(PageBreak())
            story.append(flow_table(second, widths))
        elif n == 4:
            story.append(flow_table(review_table(seed.truth), [32] * 15))
        story.extend(Paragraph(html.escape(simplify(p)), body_style) for p in paras)

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("STSong-Light", 10)
        canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=55, rightMargin=55, topMargin=60, bottomMargin=60,
                            title=simplify(seed.title), author="", creator="nianbao fixtures", invariant=1)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _clip_spans(rows: list[list[C]]) -> list[list[C]]:
    """Rows [0:cut] with every rowspan shortened so that it ends inside the slice."""
    out = []
    n = len(rows)
    for i, r in enumerate(rows):
        out.append([C(c.text, min(c.rs, n - i), c.cs, c.value) for c in r])
    return out


def _continue_spans(rows: list[list[C]], cut: int) -> list[list[C]]:
    """Rows [cut:] with the spans that began above the cut continued as a blank cell."""
    tail = [list(r) for r in rows[cut:]]
    # Which rowspans cross the cut: find them by walking the rows above.
    for i, r in enumerate(rows[:cut]):
        for c in r:
            if i + c.rs > cut:
                remaining = i + c.rs - cut
                tail[0].insert(0, C("", rs=remaining, cs=c.cs))
    return tail


# ---------------------------------------------------------------------------------------
# Word (.docx with real merged cells)
# ---------------------------------------------------------------------------------------


def docx_bytes(seed: Seed, simplify) -> bytes:
    """A .docx whose tables use real merges (gridSpan, vMerge) built by python-docx."""
    import datetime

    import docx

    d = docx.Document()
    d.core_properties.title = simplify(seed.title)
    d.core_properties.author = "Administrator"
    fixed = datetime.datetime(2021, 1, 28, 9, 0, 0)
    d.core_properties.created = fixed
    d.core_properties.modified = fixed
    d.core_properties.last_modified_by = "Administrator"
    d.add_paragraph(simplify(seed.title))
    for kind, content in body_blocks(seed, simplify):
        if kind != "table":
            d.add_paragraph(str(content))
            continue
        rows: list[list[C]] = content  # type: ignore[assignment]
        ncols = sum(c.cs for c in rows[0])
        t = d.add_table(rows=len(rows), cols=ncols)
        t.style = "Table Grid"
        occupied: set[tuple[int, int]] = set()
        for i, r in enumerate(rows):
            j = 0
            for c in r:
                while (i, j) in occupied:
                    j += 1
                cell = t.cell(i, j)
                if c.rs > 1 or c.cs > 1:
                    cell = cell.merge(t.cell(i + c.rs - 1, j + c.cs - 1))
                cell.text = c.text
                for di in range(c.rs):
                    for dj in range(c.cs):
                        occupied.add((i + di, j + dj))
                j += c.cs
    buf = io.BytesIO()
    d.save(buf)
    return _fixed_zip(buf.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """Re-pack a zip with fixed timestamps so regenerating gives identical bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2021, 1, 28, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------------------


NEWS_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>我市召开2024年政务公开工作会议-广州市人民政府门户网站</title>
<meta name="ArticleTitle" content="我市召开2024年政务公开工作会议">
<meta name="PubDate" content="2024-03-12 09:30">
<meta name="ContentSource" content="广州市人民政府办公厅"></head>
<body><div class="top-bar"><a href="#">长者助手</a> | <a href="#">无障碍</a></div>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/xw/">要闻动态</a></div>
<h1>我市召开2024年政务公开工作会议</h1>
<div class="info-bar">发布日期：2024-03-12 来源：广州市人民政府办公厅 【字号：大 中 小】 分享到：</div>
<div class="TRS_Editor">
<p>3月11日，我市召开2024年政务公开工作会议，总结2023年全市政务公开工作，部署2024年重点任务。</p>
<p>会议强调，要坚持以公开为常态、不公开为例外，持续深化重点领域信息公开，做好政策解读和回应关切。</p>
<p>会议要求各区、各部门按时编制发布政府信息公开工作年度报告，进一步提升政务公开标准化规范化水平。</p>
</div>
<div class="footer"><a href="#">网站地图</a> | <a href="#">联系我们</a> 版权所有</div>
</body></html>
"""

PRE2019_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>广州市某某局2017年政府信息公开工作年度报告</title>
<meta name="ArticleTitle" content="广州市某某局2017年政府信息公开工作年度报告">
<meta name="PubDate" content="2018-03-20"><meta name="ContentSource" content="广州市某某局"></head>
<body><div class="breadcrumb">首页 &gt; 政府信息公开年报</div>
<div class="TRS_Editor">
<p>本报告根据《中华人民共和国政府信息公开条例》要求，由广州市某某局编制。</p>
<p>一、概述</p>
<p>2017年，我局认真贯彻落实政府信息公开工作要求，全年主动公开政府信息356条。</p>
<p>二、主动公开政府信息情况</p>
<p>全年通过门户网站主动公开政府信息356条，其中规范性文件4件。</p>
<p>三、依申请公开政府信息情况</p>
<p>全年共受理政府信息公开申请12件，均已按期答复。</p>
<p>四、政府信息公开的收费及减免情况</p>
<p>未收取任何费用。</p>
<p>五、因政府信息公开申请行政复议、提起行政诉讼的情况</p>
<p>无。</p>
<p>六、政府信息公开工作存在的主要问题及改进情况</p>
<p>信息公开的及时性有待提高。</p>
<p>七、其他需要报告的事项</p>
<p>无。</p>
<p>附表</p>
<table border=1>
<tr><td>指标名称</td><td>单位</td><td>数量</td></tr>
<tr><td>一、主动公开情况</td><td>——</td><td>——</td></tr>
<tr><td>（一）主动公开政府信息数</td><td>条</td><td>356</td></tr>
<tr><td>其中：主动公开规范性文件数</td><td>条</td><td>4</td></tr>
<tr><td>二、回应解读情况</td><td>——</td><td>——</td></tr>
<tr><td>三、依申请公开情况</td><td>——</td><td>——</td></tr>
<tr><td>（一）收到申请数</td><td>件</td><td>12</td></tr>
<tr><td>四、政府信息公开收费及减免情况</td><td>——</td><td>——</td></tr>
<tr><td>（一）收取费用</td><td>万元</td><td>0</td></tr>
</table>
</div></body></html>
"""


def bad_inputs() -> dict[str, bytes]:
    """The inputs that must fail cleanly (and two that are valid but not modern reports)."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rng = random.Random(20240101)
    out: dict[str, bytes] = {"empty.txt": b""}
    junk = bytearray(rng.randbytes(4096))
    out["random.bin"] = bytes(junk)
    out["not_a_report.html"] = NEWS_PAGE.encode("utf-8")
    out["pre2019_report.html"] = PRE2019_PAGE.encode("gb18030")  # declared gb2312, as such pages are

    def simple_pdf(encrypt: str | None = None) -> bytes:
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=A4, invariant=1, encrypt=encrypt)
        c.setFont("Helvetica", 14)
        c.drawString(72, 760, "Government information disclosure annual report 2020")
        c.showPage()
        c.save()
        return buf.getvalue()

    whole = simple_pdf()
    out["corrupt.pdf"] = whole[: len(whole) // 3]
    out["encrypted.pdf"] = simple_pdf(encrypt="secret")

    img = Image.new("RGB", (800, 300), "white")
    draw = ImageDraw.Draw(img)
    draw.text((40, 120), "Scanned page: 2020 annual report (image only)", fill="black")
    png = io.BytesIO()
    img.save(png, format="PNG")
    png.seek(0)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.drawImage(ImageReader(png), 50, 400, width=500, height=190)
    c.showPage()
    c.save()
    out["image_only.pdf"] = buf.getvalue()

    # An OLE2 compound file header and directory entry as legacy Word writes them.
    ole = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    ole += "Root Entry".encode("utf-16-le") + bytes(44) + "WordDocument".encode("utf-16-le") + bytes(1000)
    out["legacy.doc"] = bytes(ole)
    # A zip archive that is not a Word document.
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(zipfile.ZipInfo("readme.txt", date_time=(2021, 1, 1, 0, 0, 0)), "hello")
    out["not_docx.zip"] = z.getvalue()
    return out


def gbk_page(seed: Seed, simplify) -> bytes:
    """The portal page re-encoded in GBK with a matching meta charset (old TRS portals)."""
    declared = '<meta http-equiv="Content-Type" content="text/html; charset=gbk">'
    page = portal_page(seed, simplify).replace('<meta charset="utf-8">', declared)
    return page.encode("gbk")


# Modules that write further forms of each seed: write_forms(seed, simplify, FORMS) per
# seed and write_once(FORMS) once (tools/forms_*.py).
FORM_MODULES = ("forms_text",)


def main() -> None:
    import importlib

    from opencc import OpenCC

    writers = [importlib.import_module(name) for name in FORM_MODULES]

    to_trad = OpenCC("s2twp").convert
    to_simp = OpenCC("t2s").convert
    FORMS.mkdir(parents=True, exist_ok=True)
    BAD.mkdir(parents=True, exist_ok=True)
    for path in sorted(SEEDS.glob("*.txt")):
        seed = load_seed(path)
        trad_seed = seed.ident.startswith("002")
        simplify = to_simp if trad_seed else (lambda s: s)
        (FORMS / f"{seed.ident}.html").write_text(portal_page(seed, simplify), encoding="utf-8")
        (FORMS / f"{seed.ident}.pdf").write_bytes(pdf_bytes(seed, simplify))
        (FORMS / f"{seed.ident}.docx").write_bytes(docx_bytes(seed, simplify))
        (FORMS / f"{seed.ident}.tw.html").write_text(mirror_page(seed, to_trad, trad_seed), encoding="utf-8")
        narrative = {"title": seed.title, "paragraphs": narrative_sentences(seed)}
        (FORMS / f"{seed.ident}.narrative.json").write_text(
            json.dumps(narrative, ensure_ascii=False, indent=1), encoding="utf-8")
        if seed.ident.startswith("000"):
            (FORMS / f"{seed.ident}.gbk.html").write_bytes(gbk_page(seed, simplify))
        for writer in writers:
            writer.write_forms(seed, simplify, FORMS)
    for writer in writers:
        writer.write_once(FORMS)
    for name, data in bad_inputs().items():
        (BAD / name).write_bytes(data)
    extra_forms(to_simp)
    print(f"wrote {len(list(FORMS.iterdir()))} files to {FORMS} and {len(list(BAD.iterdir()))} to {BAD}")


def extra_forms(to_simp) -> None:
    """The forms other generators build from the ones above (Office, scans)."""
    import forms_office
    import forms_scan

    seeds = [load_seed(p) for p in sorted(SEEDS.glob("*.txt"))]
    forms_office.write_forms(seeds, FORMS, BAD, body_blocks,
                             lambda seed: to_simp if seed.ident.startswith("002") else (lambda s: s))
    forms_scan.write_forms(seeds, FORMS, BAD)


if __name__ == "__main__":
    main()
