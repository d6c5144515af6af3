"""Office forms of the seed reports: .doc and .wps saved by LibreOffice, .xlsx and .xls
workbooks holding the tables, and the bad Office inputs (corrupt .doc, password-protected .xls).

Called by make_form_fixtures.py after it has written the .docx forms: the .doc is
LibreOffice's own conversion of that .docx (so it holds the same Word tables with their
merged cells), the .wps the same bytes under the name WPS Office gives its files. The
workbook has the whole report in one sheet as people paste it into Excel (title,
headings and sentences as one-cell rows, each table as a block of cells with its merges);
the .xls is LibreOffice's conversion of it, with one sheet per section.

Needs LibreOffice (`soffice`) and openpyxl; without them nothing is written.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path


def soffice_convert(src: Path, target: str, outdir: Path, infilter: str | None = None) -> Path:
    """Convert one file with LibreOffice headless into outdir; returns the output path."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        raise RuntimeError("LibreOffice (soffice) is needed to write the Office fixtures")
    with tempfile.TemporaryDirectory(prefix="nianbao-fixture-lo-") as profile:
        args = [program, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                "--convert-to", target, "--outdir", str(outdir), str(src)]
        if infilter:
            args[4:4] = [f"--infilter={infilter}"]
        subprocess.run(args, check=True, capture_output=True, timeout=180)
    out = outdir / f"{src.stem}.{target.split(':')[0]}"
    if not out.exists():
        raise RuntimeError(f"LibreOffice did not write {out}")
    return out


def workbook(blocks: list[tuple[str, object]], title: str, per_section: bool) -> bytes:
    """The report body as a workbook: one sheet (or one per section when `per_section`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Side

    book = Workbook()
    sheet = book.active
    sheet.title = "年度报告"
    thin = Side(style="thin")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    row = 1
    sheet.cell(row=row, column=1, value=title)
    row += 2
    for kind, content in blocks:
        if kind == "h" and per_section and row > 3:
            sheet = book.create_sheet(str(content)[:31].replace("、", "."))
            row = 1
        if kind in ("h", "p"):
            sheet.cell(row=row, column=1, value=str(content))
            row += 1
            continue
        taken: set[tuple[int, int]] = set()
        for r, cells in enumerate(content):  # type: ignore[union-attr]
            col = 1
            for c in cells:
                while (r, col) in taken:
                    col += 1
                value: object = c.text
                if c.value and c.text and _plain_number(c.text):
                    value = float(c.text) if "." in c.text else int(c.text)
                target = sheet.cell(row=row + r, column=col, value=value)
                target.alignment = Alignment(wrap_text=True, vertical="center")
                for dr in range(c.rs):
                    for dc in range(c.cs):
                        taken.add((r + dr, col + dc))
                        sheet.cell(row=row + r + dr, column=col + dc).border = grid
                if c.rs > 1 or c.cs > 1:
                    sheet.merge_cells(start_row=row + r, start_column=col, end_row=row + r + c.rs - 1,
                                      end_column=col + c.cs - 1)
                col += c.cs
        row += len(content) + 1  # type: ignore[arg-type]
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return not text.startswith("+")  # "+1" keeps its sign as printed: a text cell


def write_forms(seeds, forms: Path, bad: Path, body_blocks, simplify_for) -> list[Path]:
    """.doc, .wps, .xlsx and .xls for every seed; the bad Office inputs. Returns the files."""
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="nianbao-fixture-") as tmp:
        work = Path(tmp)
        for seed in seeds:
            simplify = simplify_for(seed)
            src = work / "report.docx"
            shutil.copy(forms / f"{seed.ident}.docx", src)
            doc = soffice_convert(src, "doc:MS Word 97", work)
            data = doc.read_bytes()
            for suffix in (".doc", ".wps"):
                (forms / f"{seed.ident}{suffix}").write_bytes(data)
                written.append(forms / f"{seed.ident}{suffix}")
            blocks = body_blocks(seed, simplify)
            xlsx = workbook(blocks, simplify(seed.title), per_section=False)
            (forms / f"{seed.ident}.xlsx").write_bytes(xlsx)
            split = work / "sections.xlsx"
            split.write_bytes(workbook(blocks, simplify(seed.title), per_section=True))
            xls = soffice_convert(split, "xls:MS Excel 97", work)
            (forms / f"{seed.ident}.xls").write_bytes(xls.read_bytes())
            written += [forms / f"{seed.ident}.xlsx", forms / f"{seed.ident}.xls"]
        first = seeds[0]
        doc_bytes = (forms / f"{first.ident}.doc").read_bytes()
        (bad / "corrupt.doc").write_bytes(doc_bytes[: len(doc_bytes) // 3])
        (bad / "protected.xls").write_bytes(password_protected((forms / f"{first.ident}.xls").read_bytes()))
        written += [bad / "corrupt.doc", bad / "protected.xls"]
    return written


def password_protected(xls: bytes) -> bytes:
    """An .xls marked as encrypted the way Excel marks it: a FILEPASS record (RC4) right
    after the workbook's BOF. The record takes the place of the next record of at least
    its size (WRITEACCESS), so the stream keeps its length and the container stays valid."""
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(xls))
    name = "Workbook" if ole.exists("Workbook") else "Book"
    stream = bytearray(ole.openstream(name).read())
    ole.close()
    pos = 0
    first = True
    while pos + 4 <= len(stream):
        _, size = struct.unpack_from("<HH", stream, pos)
        if not first and size >= 54:
            # FILEPASS: wEncryptionType 1 (RC4), RC4 CryptoAPI header v4.2 follows; contents
            # never matter to a reader that stops at the record, as readers must
            body = struct.pack("<HHH", 1, 4, 2) + bytes(size - 6)
            stream[pos:pos + 4 + size] = struct.pack("<HH", 0x002F, size) + body
            break
        first = False
        pos += 4 + size
    with tempfile.TemporaryDirectory(prefix="nianbao-fixture-xls-") as tmp:
        path = Path(tmp) / "book.xls"
        path.write_bytes(xls)
        ole = olefile.OleFileIO(str(path), write_mode=True)
        ole.write_stream(name, bytes(stream))
        ole.close()
        return path.read_bytes()
