"""Inputs that cannot be read give a ParseError naming the file and the problem; kinds
are decided from the bytes, the name only breaking ties."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from nianbao import parsers
from nianbao.parsers import ParseError, detect

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "fixtures" / "bad"
FORMS = REPO / "tests" / "fixtures" / "forms"

EXPECTED = {
    "empty.txt": "empty file",
    "random.bin": "binary data",
    "corrupt.pdf": "corrupt PDF",
    "encrypted.pdf": "encrypted PDF (password required)",
    "image_only.pdf": "OCR found no text",  # a picture of a line of tiny bitmap-font text
    "legacy.doc": "corrupt legacy Office (OLE2) file",
    "corrupt.doc": "corrupt legacy Office (OLE2) file",
    "protected.xls": "password-protected spreadsheet",
    "cat.png": "OCR finds no text",
    "scan_300_pages.pdf": "scanned document of 300 pages",
    "not_docx.zip": "not a Word .docx",
}


@pytest.mark.parametrize(("name", "problem"), sorted(EXPECTED.items()))
def test_bad_file_gives_clear_error(name: str, problem: str) -> None:
    path = BAD / name
    with pytest.raises(ParseError) as info:
        parsers.parse_file(path)
    err = info.value
    assert err.source == str(path)
    assert problem in err.problem
    assert str(err).startswith(f"{path}: ")


def test_image_only_pdf_goes_to_ocr() -> None:
    with pytest.raises(ParseError, match=r"PDF without text: no text layer, and OCR found no text"):
        parsers.extract((BAD / "image_only.pdf").read_bytes(), "scan.pdf")


def test_news_page_is_not_taken_for_a_report() -> None:
    """A portal news page is valid HTML (the extractor reads it) but no report comes out."""
    doc = parsers.extract((BAD / "not_a_report.html").read_bytes(), "news.html")
    assert doc.kind == "html" and doc.blocks
    assert not any("长者助手" in getattr(b, "text", "") for b in doc.blocks)
    with pytest.raises(ParseError, match="not an annual report"):
        parsers.parse_file(BAD / "not_a_report.html")


def test_pre2019_report_kept_as_text() -> None:
    """A pre-2019 report (declared gb2312, GB18030 characters) is read, its 附表 kept as a
    table, and not forced into the modern template."""
    doc = parsers.extract((BAD / "pre2019_report.html").read_bytes(), "old.html")
    texts = [getattr(b, "text", "") for b in doc.blocks]
    assert "七、其他需要报告的事项" in texts
    tables = [b for b in doc.blocks if isinstance(b, parsers.Table)]
    assert [c.text for c in tables[0].rows[0]] == ["指标名称", "单位", "数量"]
    assert tables[0].rows[1][1].text == "——"  # the em dashes only GB18030 (not GB2312) has
    out = parsers.parse_file(BAD / "pre2019_report.html")
    assert out["template"] is None and out["year"] == 2017


@pytest.mark.parametrize(
    ("name", "kind"),
    [("000_eac659b3405373d8.html", "html"), ("000_eac659b3405373d8.pdf", "pdf"),
     ("000_eac659b3405373d8.docx", "docx"), ("000_eac659b3405373d8.gbk.html", "html"),
     ("000_eac659b3405373d8.doc", "doc"), ("000_eac659b3405373d8.wps", "doc"),
     ("000_eac659b3405373d8.xlsx", "sheet"), ("000_eac659b3405373d8.xls", "sheet"),
     ("../ocr/004_87e2bd2fd6f6bd54.scan.png", "image"), ("../ocr/001_092bb9cf510e616c.scan.tif", "image"),
     ("000_eac659b3405373d8.scan.pdf", "pdf")],
)
def test_sniff_by_bytes_not_name(name: str, kind: str) -> None:
    data = (FORMS / name).read_bytes()
    assert detect.sniff(data, name) == kind
    # a misleading name or Content-Type does not change the verdict
    assert detect.sniff(data, "download.jsp?id=1", "application/octet-stream") == kind
    assert detect.sniff(data, "report.txt", "text/plain") == kind


def test_sniff_text_and_tie_breaks() -> None:
    seed = (REPO / "tests" / "fixtures" / "seeds" / "000_eac659b3405373d8.txt").read_bytes()
    assert detect.sniff(seed, "a.txt") == "text"
    assert detect.sniff("一、总体情况\n本年度……".encode("gb18030"), "b.txt") == "text"
    fragment = "<b>一、总体情况</b> 见下".encode()
    assert detect.sniff(fragment, "page.shtml") == "html"
    assert detect.sniff(fragment, "x", "text/html; charset=utf-8") == "html"


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in names:
            zf.writestr(n, "x")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "source", "problem"),
    [
        (b"   \n\t ", "blank.txt", "empty file"),
        (_zip(["OFD.xml", "Doc_0/Document.xml"]), "r.ofd", "OFD document (GB/T 33190)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "Workbook".encode("utf-16-le"), "r.xls",
         "corrupt legacy Office (OLE2) file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "r.wps", "corrupt legacy Office (OLE2) file"),
        (b"PK\x03\x04garbage", "r.docx", "corrupt zip"),
        (b"{\\rtf1\\ansi hello}", "r.rtf", "RTF"),
    ],
)
def test_sniff_refuses_with_reason(data: bytes, source: str, problem: str) -> None:
    with pytest.raises(ParseError) as info:
        detect.sniff(data, source)
    assert problem in info.value.problem
    assert info.value.source == source


def test_truncated_docx_is_a_clear_error() -> None:
    data = (FORMS / "000_eac659b3405373d8.docx").read_bytes()
    with pytest.raises(ParseError, match="corrupt"):
        parsers.extract(data[: len(data) // 2], "cut.docx")


def test_long_gbk_text_cut_mid_character_is_still_text() -> None:
    line = "本机关认真贯彻《中华人民共和国政府信息公开条例》，不断拓展公开内容。\n".encode("gb18030")
    data = line * 3000
    with pytest.raises(UnicodeDecodeError):  # the 64 KiB sample ends inside a character
        data[:65536].decode("gb18030")
    assert detect.sniff(data, "long.txt") == "text"
