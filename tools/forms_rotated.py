#!/usr/bin/env python3
"""A scanned report whose pages were fed to the scanner turned: tests/fixtures/ocr/<seed>.rotated.pdf.

Made from the seed's scan fixture (tests/fixtures/forms/<seed>.scan.pdf, itself made by
forms_scan.py): each page rendered at the scan's resolution, then turned by 90°, 180°
and 270° (counter-clockwise) in turn — a quarter-turned page kept in a landscape page, as
a scanner writes it — and saved again as JPEG into an image-only PDF. Deterministic.

    .venv/bin/python tools/forms_rotated.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

SEED = "004_87e2bd2fd6f6bd54"
TURNS = (90, 180, 270)  # degrees counter-clockwise, page by page (repeated)


def rotated_pdf(scan: Path) -> bytes:
    from forms_scan import DPI, image_pdf, render_pages

    jpegs, sizes = [], []
    for i, page in enumerate(render_pages(scan, DPI)):
        turned = page.rotate(TURNS[i % len(TURNS)], expand=True)
        buf = io.BytesIO()
        turned.save(buf, format="JPEG", quality=60)
        jpegs.append(buf.getvalue())
        sizes.append((turned.width * 72 / DPI, turned.height * 72 / DPI))
    return image_pdf(jpegs, sizes)


def main() -> None:
    out = ROOT / "tests" / "fixtures" / "ocr" / f"{SEED}.rotated.pdf"
    out.write_bytes(rotated_pdf(ROOT / "tests" / "fixtures" / "forms" / f"{SEED}.scan.pdf"))
    print(out.relative_to(ROOT), out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
