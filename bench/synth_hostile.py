"""Hostile documents, made on the fly: bombs, huge tables, deep nesting, span bombs.

Anyone can make these with a text editor and `zip`, and a crawler of thousands of
portals will meet their accidental cousins (a Word export with 40,000 drawn boxes, a
template wrapped in 250 layout divs). They are generated, never committed: the suite
and `make bench` build them in a scratch directory, at sizes the caller chooses, so
the same code serves the quick test (a 200 MB bomb against a 256 MB limit) and the
full figures (1.1 GB). Every generator streams its output: making a 1 GB bomb never
holds 1 GB.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from . import synth_html, synth_reports

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CHUNK = 1 << 20


def docx_bomb(path: Path, inflated_bytes: int) -> Path:
    """A .docx whose word/document.xml inflates to `inflated_bytes` (white space inside
    one paragraph: compresses about 1000:1)."""
    import zipfile

    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W_NS}">'
            "<w:body><w:p><w:r><w:t>政府信息公开工作年度报告").encode()
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/_rels/document.xml.rels", _DOC_RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(head)
            left = inflated_bytes - len(head) - len(tail)
            block = b" " * _CHUNK
            while left > 0:
                n = min(left, _CHUNK)
                fh.write(block[:n])
                left -= n
            fh.write(tail)
    return path


def html_table_page(path: Path, size_bytes: int) -> Path:
    """A report page whose body is one big table of `size_bytes` (rows of label + figures)."""
    report = synth_reports.make_report(7)
    page = synth_html.page_html(report)
    cut = page.index("</body>")
    with path.open("w", encoding="utf-8") as fh:
        fh.write(page[:cut])
        fh.write("<table border='1'>")
        written, i = 0, 0
        while written < size_bytes:
            row = (f"<tr><td>第{i}项 行政许可</td><td>{i % 97}</td><td>{i % 13}</td>"
                   f"<td>{i % 7}</td><td>{(i * 31) % 1000}</td></tr>\n")
            fh.write(row)
            written += len(row.encode())
            i += 1
        fh.write("</table>")
        fh.write(page[cut:])
    return path


def html_plain_page(path: Path, size_bytes: int) -> Path:
    """A report page padded with `size_bytes` of ordinary paragraphs."""
    report = synth_reports.make_report(11)
    page = synth_html.page_html(report)
    cut = page.index("</body>")
    para = "<p>本机关认真贯彻落实《中华人民共和国政府信息公开条例》，不断拓展公开内容，提升公开质量。</p>\n"
    n = max(1, size_bytes // len(para.encode()))
    with path.open("w", encoding="utf-8") as fh:
        fh.write(page[:cut])
        for _ in range(n):
            fh.write(para)
        fh.write(page[cut:])
    return path


def wrapped_in_divs(html: str, depth: int) -> str:
    """A real report page with its body wrapped in `depth` layout divs."""
    start = html.index("<body")
    start = html.index(">", start) + 1
    end = html.rindex("</body>")
    return (html[:start] + "<div class='layout'>" * depth + html[start:end] + "</div>" * depth
            + html[end:])


def deep_page(depth: int) -> str:
    """A page nested `depth` divs deep with the report's text at the bottom."""
    report = synth_reports.make_report(3)
    page = synth_html.page_html(report)
    return wrapped_in_divs(page, depth)


def span_bomb_page(size_bytes: int = 36_000, span: int = 200) -> str:
    """A small page of cells each claiming rowspan=`span` colspan=`span`."""
    cell = f'<td rowspan="{span}" colspan="{span}">1</td>'
    rows = []
    total = 0
    while total < size_bytes:
        row = "<tr>" + cell * 10 + "</tr>"
        rows.append(row)
        total += len(row)
    return ("<html><head><meta charset='utf-8'><title>某局2023年政府信息公开工作年度报告</title></head>"
            "<body><h1>某局2023年政府信息公开工作年度报告</h1><p>一、总体情况</p><table>"
            + "".join(rows) + "</table></body></html>")


def pdf_rectangles(path: Path, n: int) -> Path:
    """A one-page PDF with a line of text and `n` small stroked rectangles (a grid of
    boxes, as a form export draws them), written by hand so `n` can be large."""
    cols = 200
    w, h = 2.5, 3.5
    ops = [b"BT /F1 12 Tf 72 800 Td (Annual report 2023: information disclosure) Tj ET", b"0.2 w"]
    for i in range(n):
        x = 20 + (i % cols) * w * 1.1
        y = 40 + (i // cols) % 200 * h * 1.05
        ops.append(f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re S".encode())
    return _write_pdf(path, zlib.compress(b"\n".join(ops), 6))


def pdf_stream_bomb(path: Path, inflated_bytes: int) -> Path:
    """A one-page PDF whose content stream inflates to `inflated_bytes` (white space after
    one line of text)."""
    comp = zlib.compressobj(9)
    parts = [comp.compress(b"BT /F1 12 Tf 72 800 Td (Annual report 2023) Tj ET\n")]
    block = b" " * _CHUNK
    left = inflated_bytes
    while left > 0:
        n = min(left, _CHUNK)
        parts.append(comp.compress(block[:n]))
        left -= n
    parts.append(comp.flush())
    return _write_pdf(path, b"".join(parts))


def _write_pdf(path: Path, content: bytes) -> Path:
    """A minimal valid PDF: one A4 page, Helvetica, the given Flate content stream."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())
    return path


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
_DOC_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'
)
