"""What the parsers share with the other stages: one date parser, one text decoder, the
report's typed contract validated where it leaves the parser, the template as data, and
the OCR's confidence carried to the output cells."""

from __future__ import annotations

import codecs

import pytest

from nianbao import contract, dates, parsers, template
from nianbao.archive import schema
from nianbao.crawler import links
from nianbao.parsers import Cell, ParseError, Table, detect, extract_text, html_text, metadata

# --- one date parser -----------------------------------------------------------------

def test_every_caller_rejects_an_impossible_date():
    for text in ("2021-02-31", "2021年2月31日", "2021/02/31 10:00"):
        assert dates.iso_date(text) is None
        assert links.date_in(text) is None
        assert metadata.published_from_lines(["正文", text]) is None
    assert links.date_in_url("/art/2021/2/31/art_1_2.html") is None
    assert links.date_in_url("/c/t20210231_1.html") is None


def test_html_meta_rejects_an_impossible_pubdate():
    from lxml import html

    from nianbao.parsers.html_meta import page_meta

    root = html.fromstring('<html><head><meta name="PubDate" content="2021-02-31 10:00"></head>'
                           "<body><p>公开日期：2021-02-31</p></body></html>")
    assert "published" not in page_meta(root)
    root = html.fromstring('<html><head><meta name="PubDate" content="2021-02-28"></head>'
                           "<body></body></html>")
    assert page_meta(root)["published"] == "2021-02-28"


def test_the_first_real_date_is_taken():
    assert dates.iso_date("2024/02/30 2024-03-01") == "2024-03-01"
    assert dates.iso_date("发布日期：2024年1月5日") == "2024-01-05"
    assert dates.iso_date("120240105") is None and dates.iso_date(None) is None


# --- one text decoder ----------------------------------------------------------------

TEXT = "广州市测试局2020年政府信息公开工作年度报告\n一、总体情况\n"


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"), codecs.BOM_UTF8 + TEXT.encode("utf-8"), TEXT.encode("gb18030"),
    TEXT.encode("utf-16"), codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
])
def test_what_detect_calls_text_the_text_reader_reads(data: bytes):
    assert detect.sniff(data, "r.txt") == "text"
    doc = extract_text.extract(data, "r.txt")
    assert doc.blocks[0].text == TEXT.split("\n")[0]


def test_binary_is_refused_by_both():
    with pytest.raises(ParseError, match="binary data"):
        detect.sniff(b"\x00\x01\x02\x03" * 100, "x.bin")
    with pytest.raises(ParseError, match="not text"):
        extract_text.extract(b"\x00\x01\x02\x03" * 100, "x.txt")


def test_html_decoding_uses_the_same_rules():
    page = "<html><head><meta charset=gbk></head><body>政府信息公开</body></html>"
    assert "政府信息公开" in html_text.decode(page.encode("gbk"))[0]
    assert html_text.decode(page.encode("utf-16"))[1] == "utf-16"


# --- the report contract -------------------------------------------------------------

def test_parsed_seeds_are_valid_reports(seed_results):
    for out in seed_results.values():
        assert contract.validate_report(out) == []


def test_validation_names_the_problems(seed_results):
    out = dict(next(iter(seed_results.values())))
    out["applications"] = [{**out["applications"][0], "applicant": "公民", "value": "3"}]
    out["year"] = "2020"
    problems = contract.validate_report(out)
    assert any("year" in p for p in problems)
    out["year"] = 2020
    problems = contract.validate_report(out)
    assert "applications[0]: applicant '公民' is not in the template" in problems
    assert "applications[0]: value '3' is not a number" in problems
    assert contract.validate_report([]) == ["report is list, not an object"]


class _Str(str):
    """A str subclass: the full test accepts it, the quick one leaves it to the full one."""


# Each way a cell can be wrong (or merely unusual), applied to every cell of the seeds.
_CELL_CHANGES = [
    lambda c: "not a dict",
    lambda c: {k: v for k, v in c.items() if k != "value"},
    lambda c: {**c, "value": True}, lambda c: {**c, "value": "3"}, lambda c: {**c, "value": [3]},
    lambda c: {**c, "value": 2.5}, lambda c: {**c, "value": None}, lambda c: {**c, "inferred": False},
    lambda c: {**c, "confidence": "high"}, lambda c: {**c, "raw": 3}, lambda c: {**c, "unit": ["万元"]},
    lambda c: {**c, "raw": _Str("3")}, lambda c: {**c, "value": _Int(3)},
    *[lambda c, key=key, bad=bad: {**c, key: bad}
      for key in ("row", "applicant", "article", "item", "metric", "stage", "outcome")
      for bad in (None, "", "公民", ["1"], {"x": 1})],
]


class _Int(int):
    """An int subclass (a number to the full test)."""


def test_the_quick_cell_test_never_passes_a_cell_the_full_test_faults(seed_results):
    tried = passed = 0
    for out in seed_results.values():
        for table in ("active_disclosure", "applications", "reviews"):
            for cell in out[table]:
                assert contract._cell_ok(table, cell), cell  # the seeds' cells are well formed
                for change in _CELL_CHANGES:
                    changed = change(cell)
                    tried += 1
                    if contract._cell_ok(table, changed):
                        passed += 1
                        assert contract._cell_problems(table, 0, changed) == [], (table, changed)
    assert tried > 1000 and 0 < passed < tried  # some changes are harmless (2.5, None), most not


def test_the_parser_refuses_to_hand_on_an_invalid_report(monkeypatch, build_report):
    from nianbao.parsers import report

    real = report.analyse
    monkeypatch.setattr(report, "analyse", lambda doc, hints=None: {**real(doc, hints), "script": "klingon"})
    with pytest.raises(ParseError, match="internal error: invalid report: script"):
        parsers.parse_bytes(build_report().encode("utf-8"), "x.txt")


# --- the template as data --------------------------------------------------------------

def test_archive_row_labels_are_the_templates():
    assert schema.APPLICATION_ROW_LABELS is template.ROW_LABELS
    assert set(template.ROW_LABELS) == {r.id for r in template.APPLICATION_ROWS}


def test_check_names_come_from_the_rules_not_from_list_order():
    assert (*dict.fromkeys(r.name for r in template.RULES), "complete") == template.CHECK_NAMES
    from nianbao.parsers.checks import equations, run_checks

    layout = template.LAYOUTS_BY_NAME["split_other"]
    eqs = equations(layout)
    names = [c["name"] for c in run_checks(eqs, lambda k: None, [])]
    assert names == list(template.CHECK_NAMES)
    assert len([e for e in eqs if e.name == "row_total"]) == len(layout.rows)
    assert len([e for e in eqs if e.name == "review_total"]) == len(template.STAGES)


def test_a_new_layout_is_data(monkeypatch, build_report, consistent_rows):
    """A variant of section 三 added as data only (here: 2021 labels with the single-row
    （六） recognised by an evidence key of its own) is read by the same readers."""
    custom = template.ApplicationLayout("test", template.LAYOUTS_BY_NAME["single_other"].rows,
                                        template.LAYOUTS_BY_NAME["single_other"].outcome_rows, r"其他处理")
    monkeypatch.setattr(template, "APPLICATION_LAYOUTS", (custom, *template.APPLICATION_LAYOUTS))
    from nianbao.parsers import template as matching

    monkeypatch.setattr(matching, "APPLICATION_LAYOUTS", (custom, *template.APPLICATION_LAYOUTS))
    out = parsers.parse_bytes(build_report().encode("utf-8"), "x.txt")
    assert {c["row"] for c in out["applications"]} == set(custom.rows)
    assert all(c["ok"] for c in out["checks"])


# --- OCR confidence --------------------------------------------------------------------

def test_confidence_reaches_the_output_cells(analyse_blocks, build_report):
    lines = build_report().split("\n")
    start = lines.index("四、政府信息公开行政复议、行政诉讼情况")
    figures = lines[start + 4].split("\t")
    row = [Cell(v, confidence=0.9 if i else None) for i, v in enumerate(figures)]
    row[3] = Cell("U", confidence=0.31)  # unreadable: null, whatever the confidence
    table = Table([[Cell(x) for x in lines[start + 1].split("\t")], row])
    out = analyse_blocks([*lines[:start + 1], table, *lines[start + 5:]])
    reviews = out["reviews"]
    assert "confidence" not in reviews[0] and reviews[0]["value"] == 1
    assert reviews[1]["confidence"] == 0.9 and reviews[1]["value"] == 0
    assert reviews[3]["value"] is None and reviews[3]["raw"] == "U"
    assert contract.validate_report(out) == []
