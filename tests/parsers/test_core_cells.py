"""Reading single cells: signs, notes, units, blanks and OCR damage."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nianbao.parsers.cells import parse_cell, to_json_number, to_wan_yuan


@pytest.mark.parametrize(("text", "value"), [
    ("+253", 253), ("-15", -15), ("0", 0), ("1,234", 1234),
    ("746（街镇事项按统一数量，不重复统计）", 746),
    ("22（其中修订16件）", 22),
    ("5949.088667", 5949.088667),
])
def test_numbers_as_printed(text, value):
    cell = parse_cell(text)
    assert cell is not None and cell.kind == "number"
    assert to_json_number(cell.value) == value
    assert cell.raw == text


@pytest.mark.parametrize(("text", "wan"), [
    ("251000元", 25.1),
    ("75394432.52元", 7539.443252),
    ("864098223.91元", 86409.822391),
    ("620.50 万元", 620.5),
    ("1237.40萬元", 1237.4),
])
def test_money_in_wan_yuan(text, wan):
    cell = parse_cell(text)
    assert cell is not None and cell.kind == "number"
    assert to_json_number(to_wan_yuan(cell.value, cell.unit)) == wan


def test_yuan_conversion_is_exact_decimal():
    assert to_wan_yuan(Decimal("864098223.91"), "元") == Decimal("86409.822391")
    assert to_wan_yuan(Decimal("3"), "亿元") == Decimal("30000")
    assert to_wan_yuan(Decimal("12.5"), None) == Decimal("12.5")


@pytest.mark.parametrize("text", ["", "   ", "\u00a0", "—", "/", "-"])
def test_blank_cells_are_null_with_raw_kept(text):
    cell = parse_cell(text)
    assert cell is not None and cell.kind == "blank" and cell.value is None


@pytest.mark.parametrize("text", ["U", "O", "0U", "1O"])
def test_ocr_letters_are_unreadable_never_zero(text):
    cell = parse_cell(text)
    assert cell is not None and cell.kind == "unreadable" and cell.value is None


@pytest.mark.parametrize("text", ["规章", "1.", "（三）", "2020年", "1.属于国家秘密", "本年增/减"])
def test_labels_are_not_values(text):
    assert parse_cell(text) is None


def test_json_numbers_keep_integers_and_decimals():
    assert isinstance(to_json_number(Decimal("7")), int)
    assert to_json_number(Decimal("620.50")) == 620.5
    assert to_json_number(None) is None


def test_fullwidth_and_unicode_minus_signs():
    from nianbao.parsers.normalize import nfkc

    assert to_json_number(parse_cell(nfkc("－185")).value) == -185
    assert to_json_number(parse_cell(nfkc("＋２５３")).value) == 253
    assert to_json_number(parse_cell("\u221215").value) == -15
