"""PDF extraction: ruled tables from the drawn rules (same cells as pdfplumber, several
times faster), page footers dropped, tables split over pages joined, radicals kept."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from nianbao.parsers import Paragraph, ParseError, Table, extract_pdf
from nianbao.parsers.pdf_page import Char
from nianbao.parsers.pdf_tables import cell_text, line_text

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "tests" / "fixtures" / "forms"
# the text PDFs <seed>.pdf (scanned and mixed forms are tested with OCR, test_ocr.py)
PDFS = sorted(p for p in FORMS.glob("*.pdf") if p.name.count(".") == 1)


def extract(path: Path):
    return extract_pdf.extract(path.read_bytes(), path.name)


def canvas_pdf(draw) -> bytes:
    """A one-page PDF drawn by `draw(canvas)` with reportlab (CJK font STSong-Light)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("STSong-Light", 11)
    draw(c)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.name)
def test_footers_dropped_and_split_table_joined(path: Path) -> None:
    doc = extract(path)
    paras = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert not [p for p in paras if re.fullmatch(r"-\s*\d+\s*-", p)], "page footer left in the text"
    assert any("footer" in n for n in doc.notes)
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    apps = [t for t in tables if any("本年新收" in c.text for r in t.rows for c in r)]
    assert len(apps) == 1, "the applications table split over two pages must come out as one table"
    rows = apps[0].rows
    # the repeated header was dropped: one row starts the header
    assert sum(1 for r in rows if any(c.text == "申请人情况" and not c.spanned for c in r)) == 1
    # the merged 三、本年度办理结果 cell broken by the page is carried to the continued rows
    cont = next(i for i, r in enumerate(rows) if r[1].text.startswith("（四）") and not r[1].spanned)
    assert rows[cont][0].text.startswith("三、") and rows[cont][0].spanned
    assert rows[-1][0].text.startswith("四、结转")


def test_same_cells_as_pdfplumber() -> None:
    """Every table cell pdfplumber finds, we find with the same text, on every page (the
    speed of both is measured by `make bench`, not here)."""
    import pdfplumber
    import pypdfium2 as pdfium

    from nianbao.parsers.extract_pdf import read_page

    checked = 0
    for path in PDFS:
        pdf = pdfium.PdfDocument(path.read_bytes())
        with pdfplumber.open(path) as plumb:
            for index, page in enumerate(plumb.pages):
                theirs = [[[re.sub(r"\s+", "", c) for c in row if c is not None] for row in t]
                          for t in page.extract_tables()]
                items, _ = read_page(pdf[index], index + 1)
                ours = [[[re.sub(r"\s+", "", c.text) for c in row if not c.spanned] for row in t.rows]
                        for kind, t in items if kind == "table"]
                assert ours == theirs, f"{path.name} page {index + 1}"
                checked += sum(len(r) for t in theirs for r in t)
        pdf.close()
    assert checked > 1000


def test_footer_variants() -> None:
    def draw(c) -> None:
        c.drawString(72, 800, "第 3 页 共 9 页")
        c.drawString(72, 700, "一、总体情况")
        c.drawString(72, 680, "12")  # a figure in the text body is kept
        c.drawString(72, 660, "— 5 —")
        c.drawString(290, 30, "1")  # a bare page number in the bottom margin goes
        c.drawString(72, 45, "0")  # a lone figure there that is no page number stays

    doc = extract_pdf.extract(canvas_pdf(draw), "f.pdf")
    assert [b.text for b in doc.blocks] == ["一、总体情况", "12", "0"]


def test_rectangle_cells_and_spans() -> None:
    """Tables drawn as cell rectangles (not lines), with a merged header cell."""

    def draw(c) -> None:
        # header: one cell over two columns, then two rows of two cells
        c.rect(100, 700, 200, 20)
        for y, texts in ((680, ("行政处罚", "98")), (660, ("行政强制", "0"))):
            c.rect(100, y, 100, 20)
            c.rect(200, y, 100, 20)
            c.drawString(105, y + 6, texts[0])
            c.drawString(205, y + 6, texts[1])
        c.drawString(105, 706, "第二十条第（六）项")
        c.drawString(100, 740, "二、主动公开政府信息情况")

    doc = extract_pdf.extract(canvas_pdf(draw), "r.pdf")
    assert isinstance(doc.blocks[0], Paragraph) and isinstance(doc.blocks[1], Table)
    rows = [[(c.text, c.spanned) for c in r] for r in doc.blocks[1].rows]
    assert rows == [[("第二十条第（六）项", False), ("第二十条第（六）项", True)],
                    [("行政处罚", False), ("98", False)], [("行政强制", False), ("0", False)]]


def test_kangxi_radicals_and_wrapping_kept_as_printed() -> None:
    """NFKC is the analyser's job: the extractor keeps ⼀ ⾏ ⽂ as the PDF has them, joins
    a label wrapped in a cell without a space, and never glues two figures."""
    line1 = [Char("⾏", 10, 100, 20, 110), Char("政", 20, 100, 30, 110)]
    line2 = [Char("⽂", 10, 88, 20, 98), Char("件", 20, 88, 30, 98)]
    assert cell_text(line1 + line2) == "⾏政⽂件"
    figures = [Char("3", 10, 100, 15, 110), Char("1", 10, 88, 15, 98)]
    assert cell_text(figures) == "3 1"
    gap = [Char("⼀", 10, 100, 20, 110), Char("、", 20, 100, 30, 110), Char("0", 80, 100, 85, 110)]
    assert line_text(gap, 2.5) == "⼀、\t0"


def test_encrypted_and_corrupt() -> None:
    bad = REPO / "tests" / "fixtures" / "bad"
    cases = {"encrypted.pdf": "encrypted PDF (password required)", "corrupt.pdf": "corrupt PDF"}
    for name, problem in cases.items():
        with pytest.raises(ParseError) as info:
            extract_pdf.extract((bad / name).read_bytes(), name)
        assert problem in str(info.value) and str(info.value).startswith(name)


def test_page_frame_is_not_a_table() -> None:
    def draw(c) -> None:
        c.rect(30, 30, 535, 780)  # a border around the page
        c.drawString(72, 700, "一、总体情况")
        c.drawString(72, 680, "本机关认真贯彻条例。")

    doc = extract_pdf.extract(canvas_pdf(draw), "frame.pdf")
    assert [b.text for b in doc.blocks] == ["一、总体情况", "本机关认真贯彻条例。"]


def test_double_border_makes_no_sliver_column() -> None:
    def draw(c) -> None:
        for x in (100, 200, 300, 303):  # the right border drawn twice, 3pt apart
            c.line(x, 700, x, 740)
        for y in (700, 720, 740):
            c.line(100, y, 303, y)
        c.drawString(105, 726, "行政处罚")
        c.drawString(205, 726, "98")
        c.drawString(105, 706, "行政强制")
        c.drawString(205, 706, "0")

    doc = extract_pdf.extract(canvas_pdf(draw), "double.pdf")
    assert [[c.text for c in r] for r in doc.blocks[0].rows] == [["行政处罚", "98"], ["行政强制", "0"]]


@pytest.mark.parametrize("repeat", [0, 1])
def test_long_table_over_pages_is_one_table(repeat: int) -> None:
    """A table broken by the page, with or without its header repeated, comes out whole."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    rows = [["事项", "数量"]] + [[f"第{i}项", str(i * 7)] for i in range(80)]
    t = Table(rows, colWidths=[120, 60], repeatRows=repeat)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"),
                           ("FONT", (0, 0), (-1, -1), "STSong-Light")]))
    buf = io.BytesIO()

    def footer(canvas, doc) -> None:
        canvas.setFont("STSong-Light", 9)
        canvas.drawCentredString(A4[0] / 2, 30, f"第 {doc.page} 页 共 2 页")

    SimpleDocTemplate(buf, pagesize=A4, invariant=1).build([t], onFirstPage=footer, onLaterPages=footer)
    doc = extract_pdf.extract(buf.getvalue(), "long.pdf")
    assert [type(b).__name__ for b in doc.blocks] == ["Table"]
    got = [[c.text for c in r] for r in doc.blocks[0].rows]
    assert got == rows
