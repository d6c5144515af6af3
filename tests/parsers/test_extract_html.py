"""HTML extraction: chrome removed without losing report text, Word-pasted tables read
from the DOM (spans expanded), GBK pages decoded, page metadata kept."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from opencc import OpenCC

from nianbao import parsers
from nianbao.parsers import Paragraph, Table, chrome, extract_html

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "tests" / "fixtures" / "forms"
IDENTS = sorted(p.name.split(".")[0] for p in FORMS.glob("*.narrative.json"))
# furniture words that occur in no report sentence (无障碍 and 首页 do: 无障碍改造, 网站首页)
CHROME_WORDS = ["分享到", "字号：", "字號：", "相关词条", "相關詞條", "热门词条", "熱門詞條",
                "联系我们", "聯絡我們", "长者助手", "打印本页", "关闭窗口", "网站地图", "版权所有",
                "版權所有", "当前位置", "登入", "註冊"]
CHROME_LINES = ["无障碍", "首页", "English", "关于我们", "關於我們"]


def page(ident: str, form: str) -> parsers.Document:
    path = FORMS / f"{ident}.{form}"
    return parsers.extract(path.read_bytes(), path.name)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def sentences(ident: str, convert) -> list[str]:
    """The seed's narrative (as the generator took it) cut into sentences."""
    narrative = json.loads((FORMS / f"{ident}.narrative.json").read_text(encoding="utf-8"))
    out = []
    for para in narrative["paragraphs"]:
        out.extend(s for s in re.split(r"(?<=[。；！？])", squeeze(convert(para))) if s)
    return out


def converter(ident: str, form: str):
    if ident.startswith("002"):
        return (lambda s: s) if form == "tw.html" else OpenCC("t2s").convert
    return OpenCC("s2twp").convert if form == "tw.html" else (lambda s: s)


@pytest.mark.parametrize("form", ["html", "tw.html", "pdf", "docx"])
@pytest.mark.parametrize("ident", IDENTS)
def test_no_sentence_of_the_report_is_lost(ident: str, form: str) -> None:
    doc = page(ident, form)
    text = squeeze("".join(b.text for b in doc.blocks if isinstance(b, Paragraph)))
    missing = [s for s in sentences(ident, converter(ident, form)) if s not in text]
    assert not missing, f"{form}: {len(missing)} sentence(s) lost, e.g. {missing[:2]}"


@pytest.mark.parametrize("form", ["html", "tw.html"])
@pytest.mark.parametrize("ident", IDENTS)
def test_chrome_is_removed(ident: str, form: str) -> None:
    doc = page(ident, form)
    paras = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    for word in CHROME_WORDS:
        assert not any(word in p for p in paras), f"furniture {word!r} left in {form}"
    assert not set(CHROME_LINES) & set(paras)
    assert not any(p.startswith(("首页", "长者助手", "無障礙")) for p in paras)
    # the report starts with its own text and ends with its last section
    assert paras[-1] in ("无。", "無。") or "其他需要" in "".join(paras[-3:]) or paras[-1].endswith("。")
    sections = parsers.parse_file(FORMS / f"{ident}.{form}")["sections"]
    body = "".join(s["text"] + s["heading"] for s in sections)
    for word in CHROME_WORDS[:9]:
        assert word not in body


def test_chrome_rules_cut_mirror_footer_not_report_text() -> None:
    lines = ["六、其他需要报告的事项", "無。", "相關詞條", "政府資訊公開", "熱門詞條", "入口網站", "聯絡我們"]
    kept, removed = chrome.strip_lines(lines)
    assert kept == ["六、其他需要报告的事项", "無。"]
    assert removed[0] == "相關詞條"
    # a marker followed by a real sentence is not a footer
    text = ["联系我们", "本机关将通过门户网站公开联系方式，方便公众来电咨询申请的办理进度和结果。"]
    assert chrome.strip_lines(text)[0] == text


@pytest.mark.parametrize("line", ["分享到：", "分享到：微信 微博", "【字号：大 中 小】", "【字號：大 中 小】",
                                  "打印本页", "【打印本页】 【关闭窗口】", "關閉視窗", "长者助手",
                                  "当前位置：首页 > 政务公开"])
def test_chrome_lines(line: str) -> None:
    assert chrome.is_chrome_line(line)


@pytest.mark.parametrize("line", ["无。", "2020年，本机关在门户网站分享到了更多政策解读材料。",
                                  "一是严格执行“三同步”制度。", "第二十条第（一）项",
                                  "打印本页面的功能已经上线，方便群众办事。"])
def test_report_lines_are_not_chrome(line: str) -> None:
    assert not chrome.is_chrome_line(line)


WORD_TABLE = """<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="测试报告">
<meta name="PubDate" content="2021/3/5 8:00"></head><body><div class="TRS_Editor">
<p>第二十条第（五）项</p>
<table class=MsoNormalTable border=1>
<tr><td rowspan=2 colspan=2><p><span style='x'>信息</span><span>内</span><span>容</span><o:p></o:p></p></td>
<td colspan='2'><p><span>上一年</span>
<span>项目数量</span></p></td></tr>
<tr><td><p><span lang=EN-US>A<o:p></o:p></span></p></td><td>B</td></tr>
<tr><td rowspan=2><p>行<br>政<br>许<br>可</p></td><td>甲</td><td><p><span lang=EN-US>3</span><span
lang=EN-US>1</span></p></td><td><p><span lang=EN-US><o:p>&nbsp;</o:p></span></p></td></tr>
<tr><td>乙</td><td><p>1</p><p>2</p></td><td>0</td></tr>
</table>
<p>完。</p></div></body></html>"""


def test_rowspan_colspan_expanded_and_spans_joined() -> None:
    doc = extract_html.extract(WORD_TABLE.encode("utf-8"), "t.html")
    assert [type(b).__name__ for b in doc.blocks] == ["Paragraph", "Table", "Paragraph"]
    table = doc.blocks[1]
    assert isinstance(table, Table)
    grid = [[(c.text, c.spanned) for c in r] for r in table.rows]
    assert grid[0] == [("信息内容", False), ("信息内容", True),
                       ("上一年项目数量", False), ("上一年项目数量", True)]
    assert grid[1] == [("信息内容", True), ("信息内容", True), ("A", False), ("B", False)]
    # a vertical label written one character per line is one label; "3" "1" in two spans is 31
    assert grid[2] == [("行政许可", False), ("甲", False), ("31", False), ("", False)]
    # two figures in two paragraphs of one cell are never glued into one number
    assert grid[3] == [("行政许可", True), ("乙", False), ("1 2", False), ("0", False)]
    assert doc.meta == {"title": "测试报告", "published": "2021-03-05"}


def test_gbk_page_decodes_like_the_utf8_one() -> None:
    gbk = page("000_eac659b3405373d8", "gbk.html")
    utf8 = page("000_eac659b3405373d8", "html")
    assert gbk.blocks == utf8.blocks
    assert gbk.meta["agency"] == "广州市协作办公室"
    assert any("gb18030" in n for n in gbk.notes)


def test_undeclared_gbk_page_is_detected() -> None:
    html = ("<html><body><div><p>广州市协作办公室2020年政府信息公开工作年度报告</p>"
            "<p>一、总体情况</p><p>2020年，本机关认真贯彻《中华人民共和国政府信息公开条例》，"
            "不断拓展公开内容、创新公开方式、完善公开制度。</p></div></body></html>")
    doc = extract_html.extract(html.encode("gbk"), "nodecl.html")
    assert "一、总体情况" in [b.text for b in doc.blocks]


def test_page_metadata_from_meta_tags_and_info_table() -> None:
    doc = page("001_092bb9cf510e616c", "html")
    assert doc.meta["title"] == "广州市协作办公室2022年政府信息公开工作年度报告"
    assert doc.meta["published"] == "2023-01-28"
    assert doc.meta["agency"] == "广州市协作办公室"
    # without meta tags the 信息公开 table still gives agency and date
    raw = (FORMS / "001_092bb9cf510e616c.html").read_text(encoding="utf-8")
    stripped = re.sub(r'<meta name="(PubDate|ContentSource|ArticleTitle)"[^>]*>', "", raw)
    doc = extract_html.extract(stripped.encode("utf-8"), "nometa.html")
    assert doc.meta["agency"] == "广州市协作办公室"
    assert doc.meta["published"] == "2023-01-28"
    assert doc.meta["title"] == "广州市协作办公室2022年政府信息公开工作年度报告"


def test_mirror_title_from_page_title() -> None:
    doc = page("000_eac659b3405373d8", "tw.html")
    assert doc.meta["title"] == "廣州市協作辦公室2020年政府資訊公開工作年度報告"


def test_layout_table_is_walked_not_taken_as_data() -> None:
    html = """<html><body><table><tr><td class="side">导航</td><td>
<p>三、收到和处理政府信息公开申请情况</p>
<table border=1><tr><td>自然人</td><td>总计</td></tr><tr><td>5</td><td>5</td></tr></table>
<p>四、政府信息公开行政复议、行政诉讼情况</p></td></tr></table></body></html>"""
    doc = extract_html.extract(html.encode("utf-8"), "layout.html")
    kinds = [(type(b).__name__, getattr(b, "text", "")[:2]) for b in doc.blocks]
    assert kinds == [("Paragraph", "导航"), ("Paragraph", "三、"), ("Table", ""), ("Paragraph", "四、")]
    assert [c.text for c in doc.blocks[2].rows[1]] == ["5", "5"]


def test_page_without_text_is_an_error() -> None:
    with pytest.raises(parsers.ParseError, match="no text content"):
        extract_html.extract(b"<html><body><script>var a=1;</script></body></html>", "blank.html")


def test_content_in_a_container_named_like_furniture_is_kept() -> None:
    html = """<html><body><div class="nav"><a href="/">首页</a></div>
<div class="detail-pages"><p>一、总体情况</p><p>2020年，本机关认真贯彻《中华人民共和国政府信息公开条例》，
不断拓展公开内容、创新公开方式。</p><table><tr><td>规章</td><td>0</td></tr></table></div>
<div class="footer">版权所有</div></body></html>"""
    doc = extract_html.extract(html.encode("utf-8"), "named.html")
    assert [getattr(b, "text", "T") for b in doc.blocks][:1] == ["一、总体情况"]
    assert isinstance(doc.blocks[-1], Table)
    assert "首页" not in [getattr(b, "text", "") for b in doc.blocks]


@pytest.mark.parametrize(
    ("encoding", "declared", "expect"),
    [("gbk", "", "gb18030"), ("utf-8", "<meta charset=gb2312>", "utf-8"), ("big5", "", "big5hkscs"),
     ("gb18030", '<meta http-equiv="Content-Type" content="text/html; charset=GBK">', "gb18030")],
)
def test_charset_declared_wrong_or_missing(encoding: str, declared: str, expect: str) -> None:
    text = ("<html><head>" + declared + "</head><body><div>"
            "<p>广州市协作办公室2020年政府信息公开工作年度报告</p><p>本机关认真贯彻《中华人民共和国政府信息公开条例》，不断拓展公开内容。</p></div></body></html>")
    if encoding == "big5":
        text = OpenCC("s2t").convert(text)
    doc = extract_html.extract(text.encode(encoding), "c.html")
    first = doc.blocks[0].text
    assert first in ("广州市协作办公室2020年政府信息公开工作年度报告",
                     "廣州市協作辦公室2020年政府信息公開工作年度報告")
    assert (expect == "utf-8") or any(expect in n for n in doc.notes), doc.notes


def test_table_caption_kept_before_table() -> None:
    html = "<html><body><div><table><caption>第二十条第（一）项</caption><tr><td>规章</td><td>0</td></tr>" \
           "</table></div></body></html>"
    doc = extract_html.extract(html.encode("utf-8"), "cap.html")
    assert doc.blocks[0] == Paragraph("第二十条第（一）项")
    assert isinstance(doc.blocks[1], Table)


def test_report_inside_a_layout_cell_is_read_as_paragraphs() -> None:
    sentence = "2020年，本机关认真贯彻《中华人民共和国政府信息公开条例》，不断拓展公开内容、创新公开方式。"
    html = ("<html><body><table><tr><td><p>一、总体情况</p>" + f"<p>{sentence}</p>" * 8 +
            "<p>二、主动公开政府信息情况</p></td></tr></table></body></html>")
    doc = extract_html.extract(html.encode("utf-8"), "cell.html")
    assert all(isinstance(b, Paragraph) for b in doc.blocks)
    assert [b.text for b in doc.blocks][:2] == ["一、总体情况", sentence]


def test_info_box_and_date_bar_inside_the_content_are_not_report_text() -> None:
    html = """<html><body><div class="TRS_Editor">
<table><tr><td>索引号：</td><td>1144/2021-1</td><td>发布机构：</td><td>广州市协作办公室</td></tr>
<tr><td>公开日期：</td><td>2021-01-28</td><td>文号：</td><td></td></tr></table>
<p>发布日期：2021-01-28 10:15</p><p>来源：广州市协作办公室 浏览次数：123</p>
<p>一、总体情况</p><p>2020年，本机关来源于群众的意见共12条，均已办结。</p></div></body></html>"""
    doc = extract_html.extract(html.encode("utf-8"), "info.html")
    texts = [b.text for b in doc.blocks]
    assert texts == ["一、总体情况", "2020年，本机关来源于群众的意见共12条，均已办结。"]
    assert doc.meta["agency"] == "广州市协作办公室" and doc.meta["published"] == "2021-01-28"


def test_aspnet_form_wrapper_is_not_dropped() -> None:
    """ASP.NET portals wrap the whole page in <form>: the report inside must be read."""
    html = ("<html><body><form id='form1'><div class='nav'><a href='/'>首页</a></div><div>"
            "<p>一、总体情况</p><p>2020年，本机关认真贯彻条例，不断拓展公开内容。</p></div>"
            "<footer>版权所有</footer></form></body></html>")
    doc = extract_html.extract(html.encode("utf-8"), "aspx.html")
    assert [b.text for b in doc.blocks] == ["一、总体情况", "2020年，本机关认真贯彻条例，不断拓展公开内容。"]
    assert not doc.notes


def test_trafilatura_finds_text_when_no_container_is_left() -> None:
    """All containers named like furniture (a theme calling its article body "share"):
    the DOM walk keeps nothing, trafilatura's main-text extraction is the fallback."""
    body = "".join(f"<p>第{i}段：本机关认真贯彻《中华人民共和国政府信息公开条例》，不断拓展公开内容。</p>"
                   for i in range(6))
    menu = "".join(f"<li><a href='/c/{i}'>政务公开栏目第{i}项链接名称</a></li>" for i in range(40))
    html = f"<html><body><ul class='menu'>{menu}</ul><div class='share'>{body}</div></body></html>"
    doc = extract_html.extract(html.encode("utf-8"), "odd.html")
    assert "content located by trafilatura" in doc.notes
    assert sum("本机关认真贯彻" in b.text for b in doc.blocks) == 6
