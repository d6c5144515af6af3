"""Narrative reflow: sentences broken by the source's line ends are joined (a two-character
word split over two lines is found again), paragraphs and headings kept, page footers
dropped; table lines untouched. And the agency of a report whose own title names none."""

from __future__ import annotations

import io
import re
from pathlib import Path

from nianbao import parsers
from nianbao.parsers.reflow import reflow

REPO = Path(__file__).resolve().parents[2]
SEED_001 = REPO / "tests" / "fixtures" / "seeds" / "001_092bb9cf510e616c.txt"


def test_broken_sentence_joined_paragraphs_and_headings_kept() -> None:
    lines = ["（一）以需求为导向", "2022年，本办没有发生因答复政府信息公开申请而引起的行政复",
             "议、行政诉讼。全年收到申请 3 件，均按时", "办结。", "— 2 —", "（二）以服务为导向，依法办理。",
             "Open data portal and", "API access were added."]
    assert reflow(lines) == [
        "（一）以需求为导向",
        "2022年，本办没有发生因答复政府信息公开申请而引起的行政复议、行政诉讼。"
        "全年收到申请 3 件，均按时办结。",
        "（二）以服务为导向，依法办理。",
        "Open data portal and API access were added.",
    ]


def test_short_last_line_ends_a_paragraph_and_tabs_are_never_joined() -> None:
    a = "本机关认真贯彻落实政府信息公开条例的各项要求，持续推进公开"
    b = "内容更加丰富，公开渠道不断拓展，平台建设"
    c = "针对上述问题，本机关下一步将从以下三个方面"
    lines = [a, b, "工作取得成效", c, "加强培训", "规章\t0\t0\t0", "规范性文件\t3\t3\t20"]
    assert reflow(lines) == [a + b + "工作取得成效", c + "加强培训", "规章\t0\t0\t0", "规范性文件\t3\t3\t20"]


def test_running_header_and_page_numbers_dropped() -> None:
    header = "广州市协作办公室2022年政府信息公开工作年度报告"
    lines = ["第一段开始，", header, "3", "继续说明。", "第 4 页 共 9 页", header, "第二段。", header]
    assert reflow(lines) == ["第一段开始，继续说明。", "第二段。"]


def test_seed_with_pdf_line_breaks_is_searchable() -> None:
    """Seed 001 is PDF text with a line end inside 复议; the report's sections and text
    hold the word whole, and no line of the seed's prose is lost."""
    source = SEED_001.read_text(encoding="utf-8")
    assert re.search(r"行政复\n+议", source)
    out = parsers.parse_file(SEED_001)
    overview = out["sections"][0]["text"]
    assert "引起的行政复议" in overview.replace("\n", "") and "引起的行政复议" in overview
    assert "引起的行政复议" in out["text"]
    paragraphs = overview.split("\n")
    assert len(paragraphs) >= 4 and all(not p.endswith("公开工") for p in paragraphs)
    squeezed = re.sub(r"\s+", "", out["text"])
    for line in source.splitlines()[4:60]:
        piece = re.sub(r"\s+", "", line)
        if piece and "\t" not in line and not re.fullmatch(r"[-—\d\s]+", line):
            assert piece in squeezed, line
    # table rows never pass through reflow: the cells are still read
    assert out["applications"] and all(c["value"] is not None for c in out["applications"][:7])


def test_agency_from_the_first_lines_when_the_title_names_none() -> None:
    """A city government's PDF titled only 政府信息公开工作年度报告 in its metadata, with
    淮安市人民政府 on the first line and 2024年政府信息公开工作年度报告 on the next."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle("政府信息公开工作年度报告")
    c.setFont("STSong-Light", 16)
    c.drawCentredString(297, 780, "淮安市人民政府")
    c.drawCentredString(297, 755, "2024年政府信息公开工作年度报告")
    c.setFont("STSong-Light", 11)
    y = 720
    for line in ("一、总体情况", "2024年，市政府认真贯彻条例。", "二、主动公开政府信息情况",
                 "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
                 "五、存在的主要问题及改进情况", "六、其他需要报告的事项"):
        c.drawString(72, y, line)
        y -= 20
    c.showPage()
    c.save()
    out = parsers.parse_bytes(buf.getvalue(), "huaian.pdf")
    assert out["agency"] == "淮安市人民政府"
    assert out["year"] == 2024
    assert out["title"] == "淮安市人民政府2024年政府信息公开工作年度报告"
