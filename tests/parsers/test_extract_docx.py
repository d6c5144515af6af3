"""Word extraction: body order kept (tables between their headings), merges expanded."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from nianbao.parsers import Paragraph, ParseError, Table, extract_docx

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "tests" / "fixtures" / "forms"


def build(fill) -> bytes:
    d = docx.Document()
    fill(d)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_merged_cells_expanded_with_spanned_marks() -> None:
    def fill(d) -> None:
        d.core_properties.title = "某局2020年政府信息公开工作年度报告"
        d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
        t = d.add_table(rows=3, cols=4)
        t.cell(0, 0).merge(t.cell(1, 1)).text = "行政复议"  # 2x2 block
        t.cell(0, 2).merge(t.cell(0, 3)).text = "行政诉讼"  # colspan 2
        t.cell(1, 2).text = "维持"
        t.cell(1, 3).text = "总计"
        for j, v in enumerate(["1", "", "2", "3"]):
            t.cell(2, j).text = v
        d.add_paragraph("五、存在的主要问题及改进情况")

    doc = extract_docx.extract(build(fill), "m.docx")
    assert [type(b).__name__ for b in doc.blocks] == ["Paragraph", "Table", "Paragraph"]
    grid = [[(c.text, c.spanned) for c in r] for r in doc.blocks[1].rows]
    assert grid == [
        [("行政复议", False), ("行政复议", True), ("行政诉讼", False), ("行政诉讼", True)],
        [("行政复议", True), ("行政复议", True), ("维持", False), ("总计", False)],
        [("1", False), ("", False), ("2", False), ("3", False)],
    ]
    assert doc.meta["title"] == "某局2020年政府信息公开工作年度报告"


def test_body_order_and_cell_paragraphs() -> None:
    def fill(d) -> None:
        d.add_paragraph("第二十条第（一）项")
        t = d.add_table(rows=1, cols=2)
        t.cell(0, 0).text = "规范"
        t.cell(0, 0).add_paragraph("性文件")  # a label wrapped over two paragraphs
        t.cell(0, 1).text = "22"
        t.cell(0, 1).add_paragraph("5")  # two figures are never glued together
        d.add_paragraph("第二十条第（五）项\t续")
        d.core_properties.title = "Microsoft Word - 文档1"

    doc = extract_docx.extract(build(fill), "o.docx")
    assert isinstance(doc.blocks[0], Paragraph) and isinstance(doc.blocks[1], Table)
    assert [c.text for c in doc.blocks[1].rows[0]] == ["规范性文件", "22 5"]
    assert doc.blocks[2] == Paragraph("第二十条第（五）项\t续")
    assert "title" not in doc.meta  # Word's own placeholder titles are not kept


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.docx")), ids=lambda p: p.name)
def test_generated_reports_keep_vertical_merges(path: Path) -> None:
    doc = extract_docx.extract(path.read_bytes(), path.name)
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    apps = next(t for t in tables if any("本年新收" in c.text for r in t.rows for c in r))
    col0 = [r[0] for r in apps.rows]
    # 三、本年度办理结果 spans all result rows: one original, the rest copies
    results = [c for c in col0 if c.text == "三、本年度办理结果"]
    assert len(results) >= 20 and not results[0].spanned and all(c.spanned for c in results[1:])
    assert all(len(r) == 10 for r in apps.rows)


def test_empty_and_corrupt_word_files() -> None:
    with pytest.raises(ParseError, match="no text"):
        extract_docx.extract(build(lambda d: None), "blank.docx")
    with pytest.raises(ParseError, match="corrupt Word"):
        extract_docx.extract(b"PK\x03\x04" + bytes(200), "bad.docx")
