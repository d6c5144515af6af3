"""Each seed report in each generated form (HTML, PDF, Word, Traditional mirror) against
the seed's hand-checked truth: first the extracted Document's own cells, then the whole
pipeline's report. The forms are built by tools/make_form_fixtures.py from the truth,
so every form has exactly one right reading."""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path

import pytest

from nianbao import parsers
from nianbao.parsers import Paragraph, Table

REPO = Path(__file__).resolve().parents[2]
FORMS = REPO / "tests" / "fixtures" / "forms"
TRUTH = REPO / "tests" / "fixtures" / "seeds" / "truth"
IDENTS = sorted(p.stem for p in TRUTH.glob("*.json"))
KINDS = {"html": "html", "pdf": "pdf", "docx": "docx", "tw.html": "html"}
CASES = [(ident, form) for form in KINDS for ident in IDENTS]


@cache
def truth(ident: str) -> dict:
    return json.loads((TRUTH / f"{ident}.json").read_text(encoding="utf-8"))


@cache
def document(ident: str, form: str) -> parsers.Document:
    path = FORMS / f"{ident}.{form}"
    return parsers.extract(path.read_bytes(), str(path))


@cache
def result(ident: str, form: str) -> dict:
    return parsers.parse_file(FORMS / f"{ident}.{form}")


def same(a, b) -> bool:
    return a is not None and b is not None and math.isclose(float(a), float(b), abs_tol=1e-6)


def number(text: str) -> float | None:
    """A cell as the generator printed it: figures, or money in 元/万元 (converted to 万元)."""
    t = text.strip()
    if not t:
        return None
    m = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)(元|万元|萬元)?", t)
    assert m, f"unexpected cell text {text!r}"
    value = float(m.group(1))
    return value / 10000 if m.group(2) == "元" else value


def cells_after(table: Table, label: str, width: int) -> list[list[str]]:
    """The last `width` cells of each row from the first row whose label contains `label`."""
    start = next(i for i, r in enumerate(table.rows) if any(label in c.text for c in r))
    return [[c.text for c in r[-width:]] for r in table.rows[start:]]


@pytest.mark.parametrize(("ident", "form"), CASES)
def test_document_tables_hold_truth(ident: str, form: str) -> None:
    """The extractor alone: the applications and reviews grids equal truth, blank where
    truth is null, and no value cell is a spanned copy."""
    doc = document(ident, form)
    assert doc.kind == KINDS[form]
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    apps = [t for t in tables if any("本年新收" in c.text for r in t.rows for c in r)]
    assert len(apps) == 1, f"{form}: expected one applications table, found {len(apps)}"
    grid = cells_after(apps[0], "本年新收", 7)
    rows = list(dict.fromkeys(c["row"] for c in truth(ident)["applications"]))
    assert len(grid) == len(rows), f"{form}: {len(grid)} data rows, template has {len(rows)}"
    expected = {(c["row"], c["applicant"]): c["value"] for c in truth(ident)["applications"]}
    order = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    for row, texts in zip(rows, grid, strict=True):
        for applicant, text in zip(order, texts, strict=True):
            want = expected[(row, applicant)]
            got = number(text)
            assert (got is None) if want is None else same(got, want), (form, row, applicant, text, want)
    reviews = tables[-1] if any("复议" in c.text or "複議" in c.text for c in tables[-1].rows[0]) else None
    assert reviews is not None, f"{form}: reviews table not last"
    got = [number(c.text) for c in reviews.rows[-1]]
    want = [c["value"] for c in truth(ident)["reviews"]]
    assert len(got) == 15
    for g, w in zip(got, want, strict=True):
        assert (g is None) if w is None else same(g, w)
    for t in tables:
        for r in t.rows:
            for c in r:
                if c.spanned:
                    assert number_or_label(c.text), "a spanned copy must be a label, never a figure"


def number_or_label(text: str) -> bool:
    """Spanned copies in these tables are labels (or blank continuations), not figures."""
    return not re.fullmatch(r"[+-]?\d+(?:\.\d+)?(元|万元)?", text.strip())


@pytest.mark.parametrize(("ident", "form"), CASES)
def test_document_headings_precede_tables(ident: str, form: str) -> None:
    """Reading order: each 第二十条 heading directly before its table, section 三's heading
    before the applications table."""
    blocks = document(ident, form).blocks
    for i, b in enumerate(blocks):
        if isinstance(b, Paragraph) and re.search(r"第二十[条條]第[（(][一五六八九][）)][项項]", b.text):
            assert isinstance(blocks[i + 1], Table), f"{form}: {b.text} not followed by its table"
    heads = [i for i, b in enumerate(blocks)
             if isinstance(b, Paragraph) and re.match(r"^三、收到和[处處]理", b.text)]
    assert heads, "section 三 heading missing"
    assert isinstance(blocks[heads[0] + 1], Table)


@pytest.mark.parametrize(("ident", "form"), CASES)
def test_report_cells_equal_truth(ident: str, form: str) -> None:
    """End to end: every non-null truth cell right; truth-null cells null (the generated
    form has a blank there); agency, year and template right."""
    out, want = result(ident, form), truth(ident)
    got = {}
    for key, fields in (("active_disclosure", ("article", "item", "metric")),
                        ("applications", ("row", "applicant")), ("reviews", ("stage", "outcome"))):
        for c in out[key]:
            got[(key, *(c[f] for f in fields))] = c["value"]
        for c in want[key]:
            k = (key, *(c[f] for f in fields))
            if c["value"] is None:
                assert got.get(k) is None, f"{form}: {k} must be null, got {got.get(k)}"
            else:
                assert same(got.get(k), c["value"]), f"{form}: {k} = {got.get(k)}, truth {c['value']}"
    assert out["year"] == want["year"]
    assert out["template"] == want["template"]
    a, b = "".join(out["agency"].split()), "".join(want["agency"].split())
    assert a in b or b in a, (out["agency"], want["agency"])
    assert out["kind"] == KINDS[form]
    for name in want["failing_checks"]:
        assert any(c["name"] == name and not c["ok"] for c in out["checks"]), f"{form}: {name} should fail"


@pytest.mark.parametrize("ident", IDENTS)
def test_mirror_is_traditional(ident: str) -> None:
    """The mirror pages really are Traditional with Taiwan wording, and are read as such."""
    doc = document(ident, "tw.html")
    text = "".join(b.text for b in doc.blocks if isinstance(b, Paragraph))
    cells = "".join(c.text for b in doc.blocks if isinstance(b, Table) for r in b.rows for c in r)
    assert "規範性檔案" in cells or "行政規範性檔案" in cells
    assert "報告" in text or "情況" in text
    assert result(ident, "tw.html")["script"] == "traditional"
    assert result(ident, "html")["script"] == "simplified"


@pytest.mark.parametrize("ident", IDENTS)
def test_page_metadata_reaches_the_report(ident: str) -> None:
    """The portal page's PubDate and the Word/PDF title properties are used."""
    want = truth(ident)
    assert result(ident, "html")["published"] == f"{want['year'] + 1}-01-28"
    for form in ("docx", "pdf"):
        meta_title = document(ident, form).meta["title"]
        assert str(want["year"]) in meta_title and meta_title.endswith("报告")
