"""Reading one printed cell: a number as printed, or nothing.

Cells carry signs (+253), notes (22（其中修订16件）), units (75394432.52元, 620.50 万元)
and OCR damage (U or O where a digit was). The rule is the contract's: the value is the
number as printed or null; a note never supplies the number, and a damaged cell is
unreadable (null), never 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MONEY_UNITS = ("万元", "萬元", "亿元", "元", "万", "亿")
COUNT_UNITS = ("件", "条", "个", "项", "次", "人次", "份", "家", "宗")
_UNIT_ALT = "|".join(sorted(MONEY_UNITS + COUNT_UNITS, key=len, reverse=True))
_NUM = r"[+\-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+\-]?\d+(?:\.\d+)?"
# A whole cell that is a number, optionally with a unit and a parenthesised note.
_CELL = re.compile(
    rf"^(?P<num>{_NUM})\s*(?P<unit>{_UNIT_ALT})?\s*(?P<note>[（(].*[)）])?\s*$"
)
_BLANK = re.compile(r"^[\s\u00a0\-—–/／_]*$")
# OCR damage: a cell made of digits and letters that OCR substitutes for 0 (U, O, o).
_UNREADABLE = re.compile(r"^[+\-]?[0-9UOo]*[UOo][0-9UOo]*$")


@dataclass
class CellValue:
    """The reading of one cell: `kind` is "number", "blank" or "unreadable"."""

    kind: str
    value: Decimal | None
    raw: str
    unit: str | None = None


def parse_cell(text: str) -> CellValue | None:
    """Read a cell. Returns None when the cell is a label (text, not a value)."""
    raw = text.strip().replace("\u00a0", " ").replace("\u2212", "-").strip()
    if _BLANK.match(raw):
        return CellValue("blank", None, text.strip())
    m = _CELL.match(raw)
    if m:
        try:
            value = Decimal(m.group("num").replace(",", ""))
        except InvalidOperation:
            return CellValue("unreadable", None, raw)
        return CellValue("number", value, raw, m.group("unit"))
    if _UNREADABLE.match(raw):
        return CellValue("unreadable", None, raw)
    return None


def to_json_number(value: Decimal | None) -> int | float | None:
    """Decimal -> JSON number: integers stay integers, decimals keep their printed digits."""
    if value is None:
        return None
    if value == value.to_integral_value() and "." not in str(value):
        return int(value)
    return float(value)


def to_wan_yuan(value: Decimal | None, unit: str | None) -> Decimal | None:
    """Money in 万元. 元 is divided by 10000 (exact in Decimal), 亿元 multiplied."""
    if value is None:
        return None
    if unit == "元":
        return (value / Decimal(10000)).normalize() if value else Decimal(0)
    if unit in ("亿元", "亿"):
        return value * Decimal(10000)
    return value

