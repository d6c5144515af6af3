"""Scanned forms of the seed reports, and the bad image inputs.

Called by make_form_fixtures.py after it has written the text PDFs. Each page of a seed's
PDF is rendered (with the machine's fonts) and damaged as a scanner and a portal damage
it: grey, unevenly lit paper, the page turned a degree or two, sensor noise, a blur, and
JPEG compression. From those pages:
- `<seed>.scan.pdf`: an image-only PDF (every seed, a form of the accuracy gate), the
  pages as JPEG images;
and in tests/fixtures/ocr/ (forms for some seeds only, scored by test_new_forms.py):
- `<seed>.scan.png`: the whole report as one long image, as portals post it (one seed);
- `<seed>.scan.tif`: a multi-page TIFF (one seed);
- `<seed>.mixed.pdf`: the text PDF with each table replaced by a picture of it, the
  rest of the page keeping its text layer (two seeds);
and the bad inputs: `cat.png` (a drawing, no text), `scan_300_pages.pdf` (one scanned
page repeated 300 times, a few hundred KB). Deterministic: randomness is seeded by name.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np

DPI = 200
PNG_SEEDS = ("004",)
TIF_SEEDS = ("001",)
MIXED_SEEDS = ("000", "003")


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def render_pages(pdf_path: Path, dpi: int = DPI) -> list:
    """The pages of a PDF as grey PIL images (machine fonts, as a printer would draw them)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(pdf))]
    finally:
        pdf.close()


def damage(page, name: str, quality: int = 50, noise: float = 7.0, max_angle: float = 2.0):
    """A clean page as it comes out of a scanner and a portal: see the module docstring."""
    from PIL import Image, ImageFilter

    rng = _rng(name)
    a = np.asarray(page, dtype=np.float32) / 255.0
    w = a.shape[1]
    paper = rng.uniform(0.80, 0.90)
    light = 1.0 - 0.06 * np.linspace(0, 1, w)[None, :] * rng.uniform(0.5, 1.0)  # uneven lighting
    ink = 0.12
    a = (ink + a * (paper - ink)) * light
    a += rng.normal(0.0, noise / 255.0, a.shape)
    img = Image.fromarray(np.clip(a * 255, 0, 255).astype(np.uint8), "L")
    angle = float(rng.uniform(0.35, 1.0) * max_angle * rng.choice([-1.0, 1.0]))
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=int(paper * 230))
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L"), buf.getvalue()


def image_pdf(jpegs: list[bytes], sizes: list[tuple[float, float]]) -> bytes:
    """A PDF of JPEG pages (DCT-encoded as they are, no text layer)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for data, (w, h) in zip(jpegs, sizes, strict=True):
        c.setPageSize((w, h))
        c.drawImage(ImageReader(io.BytesIO(data)), 0, 0, width=w, height=h)
        c.showPage()
    c.save()
    return buf.getvalue()


def mixed_pdf(pdf_path: Path, name: str) -> bytes:
    """The text PDF with every ruled table turned into a (lightly scanned) picture of it:
    the table's text and rules are removed from the page and its image put in their place."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    from nianbao.parsers.pdf_page import page_chars, page_rules
    from nianbao.parsers.pdf_tables import find_tables

    pdf = pdfium.PdfDocument(str(pdf_path))
    for index in range(len(pdf)):
        page = pdf[index]
        width, height = page.get_size()
        tables = find_tables(page_rules(page), page_chars(page))
        for t in tables:
            x0, y0, x1, y1 = t.bbox
            x0, y0, x1, y1 = x0 - 2, y0 - 2, x1 + 2, y1 + 2
            crop = (x0, y0, width - x1, height - y1)
            shot = page.render(scale=DPI / 72, crop=crop, grayscale=True).to_pil()
            _, jpeg = damage(shot.convert("L"), f"{name}-{index}-{x0:.0f}", quality=60, noise=4.0,
                             max_angle=0.6)
            for obj in list(page.get_objects()):
                if obj.type not in (raw.FPDF_PAGEOBJ_TEXT, raw.FPDF_PAGEOBJ_PATH):
                    continue
                left, bottom, right, top = obj.get_bounds()
                cx, cy = (left + right) / 2, (bottom + top) / 2
                if x0 <= cx <= x1 and y0 <= cy <= y1:
                    page.remove_obj(obj)
            image = pdfium.PdfImage.new(pdf)
            image.load_jpeg(io.BytesIO(jpeg), inline=False)
            image.set_matrix(pdfium.PdfMatrix().scale(x1 - x0, y1 - y0).translate(x0, y0))
            page.insert_obj(image)
        page.gen_content()
    buf = io.BytesIO()
    pdf.save(buf)
    pdf.close()
    return buf.getvalue()


def cat_png() -> bytes:
    """A drawing of a cat: an image with no text at all."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (900, 700), (236, 229, 214))
    d = ImageDraw.Draw(img)
    d.ellipse((250, 330, 650, 650), fill=(120, 120, 120))  # body
    d.ellipse((300, 150, 600, 420), fill=(135, 135, 135))  # head
    d.polygon([(320, 230), (350, 90), (420, 190)], fill=(135, 135, 135))  # ears
    d.polygon([(580, 230), (550, 90), (480, 190)], fill=(135, 135, 135))
    d.ellipse((370, 250, 410, 290), fill=(80, 160, 60))  # eyes
    d.ellipse((490, 250, 530, 290), fill=(80, 160, 60))
    d.polygon([(440, 320), (460, 320), (450, 335)], fill=(220, 130, 140))  # nose
    for dy in (-12, 0, 12):  # whiskers
        d.line((430, 330 + dy, 320, 320 + 2 * dy), fill=(40, 40, 40), width=2)
        d.line((470, 330 + dy, 580, 320 + 2 * dy), fill=(40, 40, 40), width=2)
    d.arc((600, 450, 820, 650), 200, 360, fill=(120, 120, 120), width=22)  # tail
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def write_forms(seeds, forms: Path, bad: Path) -> list[Path]:
    """All scanned forms and bad image inputs (see the module docstring)."""
    from PIL import Image

    written: list[Path] = []
    first_page: bytes | None = None
    some = forms.parent / "ocr"  # forms written for some seeds only
    some.mkdir(exist_ok=True)
    for seed in seeds:
        pdf_path = forms / f"{seed.ident}.pdf"
        pages = render_pages(pdf_path)
        damaged = [damage(p, f"{seed.ident}-{i}") for i, p in enumerate(pages)]
        sizes = [(p.width * 72 / DPI, p.height * 72 / DPI) for p in pages]
        out = forms / f"{seed.ident}.scan.pdf"
        out.write_bytes(image_pdf([jpeg for _, jpeg in damaged], sizes))
        written.append(out)
        first_page = first_page or damaged[0][1]
        prefix = seed.ident[:3]
        if prefix in PNG_SEEDS:  # a long image of the whole report at 150 dpi
            small = [img.resize((img.width * 3 // 4, img.height * 3 // 4)) for img, _ in damaged]
            tall = Image.new("L", (max(i.width for i in small), sum(i.height for i in small)), 255)
            y = 0
            for img in small:
                tall.paste(img, (0, y))
                y += img.height
            out = some / f"{seed.ident}.scan.png"
            tall.save(out, format="PNG", optimize=True)
            written.append(out)
        if prefix in TIF_SEEDS:
            out = some / f"{seed.ident}.scan.tif"
            frames = [img for img, _ in damaged]
            frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="jpeg",
                           quality=60, dpi=(DPI, DPI))
            written.append(out)
        if prefix in MIXED_SEEDS:
            out = some / f"{seed.ident}.mixed.pdf"
            out.write_bytes(mixed_pdf(pdf_path, seed.ident))
            written.append(out)
    (bad / "cat.png").write_bytes(cat_png())
    assert first_page is not None
    (bad / "scan_300_pages.pdf").write_bytes(image_pdf([first_page] * 300, [(595.0, 842.0)] * 300))
    written += [bad / "cat.png", bad / "scan_300_pages.pdf"]
    return written
