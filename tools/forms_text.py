"""Text forms of the seed reports: flattened by a web archiver, and converted to Markdown.

Written by tools/make_form_fixtures.py from each seed's truth (never typed by hand):

- `<seed>.flat.txt`: the whole report on one line, as a web archiver keeps a page's text:
  headings inline, a table's cells concatenated with no separator (a truth null is a
  blank cell, which vanishes), here and there a space where a cell ended;
- `<seed>.lines.txt`: the same on a few lines (title, then one line per section, each
  table of a section on a line of its own);
- `<seed>.md`: a PDF->Markdown converter's output: pipe tables whose long labels wrap
  into the next row with the figures shifted there, label rows separated from value
  rows, the five 法人 headers merged into one cell (商业企科研机社会公法律服), blank cells
  dropped, captions (## 表三：…) injected, page footers (— 2 —) inside paragraphs and
  between the two pages of table 三;
- `pre2019.flat.txt`: a pre-2019 report (一、概述 … 七、 with its 附表) flattened too.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from make_form_fixtures import PRE2019_PAGE, C, Seed, body_blocks

CAPTIONS = {2: "## 表二：主动公开政府信息情况", 3: "## 表三：收到和处理政府信息公开申请情况",
            4: "## 表四：政府信息公开行政复议、行政诉讼情况"}


# ---------------------------------------------------------------------------------------
# Flattened text
# ---------------------------------------------------------------------------------------


def _glued_table(rows: list[list[C]], rng: random.Random) -> str:
    """A table's cells in document order with nothing between them, a space now and then."""
    out = ""
    for r in rows:
        for c in r:
            if c.text:
                out += c.text
                if rng.random() < 0.08:
                    out += " "
    return out


def flat_parts(seed: Seed, simplify) -> list[tuple[str, str]]:
    """(kind, text) pieces in reading order: "title", "h" (a heading with its section's
    narrative), "table"."""
    rng = random.Random("flat" + seed.ident)
    parts: list[tuple[str, str]] = [("title", simplify(seed.title))]
    for kind, content in body_blocks(seed, simplify):
        if kind == "table":
            parts.append(("table", _glued_table(content, rng)))  # type: ignore[arg-type]
        elif kind == "h":
            parts.append(("h", str(content)))
        elif parts[-1][0] == "table" and re.match(r"第二十条", str(content)):
            parts.append(("table", str(content)))  # an article's caption belongs to its table
        else:
            kind_before, text = parts[-1]
            parts[-1] = (kind_before, text + str(content))
    return parts


def flat_text(seed: Seed, simplify) -> str:
    """The whole report on one line."""
    return "".join(text for _, text in flat_parts(seed, simplify))


def few_lines_text(seed: Seed, simplify) -> str:
    """The title, each section's heading and narrative, each table: one line each."""
    lines: list[str] = []
    for kind, text in flat_parts(seed, simplify):
        if kind == "table" and lines and re.match(r"第二十条", text) is None and lines[-1].endswith("项"):
            lines[-1] += text
        else:
            lines.append(text)
    return "\n".join(lines) + "\n"


def pre2019_flat() -> str:
    """The pre-2019 bad-input page's text, flattened: paragraphs and 附表 cells run together."""
    body = PRE2019_PAGE.split('<div class="TRS_Editor">', 1)[1].split("</div>", 1)[0]
    text = re.sub(r"<[^>]+>", "", body)
    title = re.search(r"<title>(.*?)</title>", PRE2019_PAGE)
    assert title is not None
    return title.group(1) + re.sub(r"\s+", "", text) + "\n"


# ---------------------------------------------------------------------------------------
# Markdown from a PDF converter
# ---------------------------------------------------------------------------------------


def _grid(rows: list[list[C]]) -> list[list[tuple[str, bool]]]:
    """Spans expanded: each position's text (a span's text in its first cell only) and
    whether it is a value cell."""
    width = sum(c.cs for c in rows[0])
    grid: list[list[tuple[str, bool] | None]] = [[None] * width for _ in rows]
    for i, r in enumerate(rows):
        j = 0
        for c in r:
            while grid[i][j] is not None:
                j += 1
            for di in range(c.rs):
                for dj in range(c.cs):
                    grid[i + di][j + dj] = (c.text if di == 0 and dj == 0 else "", c.value)
            j += c.cs
    return [[cell or ("", False) for cell in row] for row in grid]


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_table(rows: list[list[str]]) -> list[str]:
    width = max(len(r) for r in rows)
    return [_md_row(rows[0]), "|" + "---|" * width, *(_md_row(r) for r in rows[1:])]


def _damaged_rows(grid: list[list[tuple[str, bool]]], header: int, rng: random.Random,
                  merge_header: bool) -> list[list[str]]:
    """The converter's rows: long labels wrapped with the figures in the next row, label
    rows separated from value rows, blank value cells dropped."""
    out: list[list[str]] = []
    for i, row in enumerate(grid):
        texts = [t for t, _ in row]
        if i < header:
            if merge_header and i == header - 1 and "商业企业" in texts:
                first = texts.index("商业企业")
                merged = "".join(t[:3] for t in texts[first:first + 4]) + texts[first + 4]
                texts = texts[:first] + [merged] + [""] * 4 + texts[first + 5:]
            out.append(texts)
            continue
        labels = [t for t, v in row if not v]
        values = [t for t, v in row if v]
        kept = [t for t in values if t]  # a blank value cell is dropped
        label_text = list(labels)
        longest = max(range(len(label_text)), key=lambda k: len(label_text[k]), default=0)
        if label_text and len(label_text[longest]) > 14 and rng.random() < 0.7:
            whole = label_text[longest]
            head, tail = whole[:12], whole[12:]
            first = [*label_text[:longest], head, *label_text[longest + 1:]]
            out.append(first + [""] * len(values))
            out.append([""] * longest + [tail] + [""] * (len(labels) - longest - 1) + kept)
        elif rng.random() < 0.2:
            out.append(labels + [""] * len(values))
            out.append([""] * len(labels) + kept)
        else:
            out.append(labels + kept)
    return out


def markdown(seed: Seed, simplify) -> str:
    """The report as a PDF->Markdown converter writes it, with the converter's damage."""
    rng = random.Random("md" + seed.ident)
    page = 1
    out: list[str] = [f"# {simplify(seed.title)}", ""]

    def footer() -> str:
        nonlocal page
        page += 1
        return f"— {page - 1} —"

    section = 0
    for kind, content in body_blocks(seed, simplify):
        if kind == "h":
            section += 1
            out += [f"## {content}", ""]
            if section in CAPTIONS:
                out += [CAPTIONS[section], ""]
            continue
        if kind == "p":
            text = str(content)
            if len(text) > 80 and rng.random() < 0.5:  # a page ends inside the paragraph
                cut = rng.randint(30, len(text) - 30)
                text = f"{text[:cut]} {footer()} {text[cut:]}"
            out += [text, ""]
            continue
        rows: list[list[C]] = content  # type: ignore[assignment]
        if section == 3:
            header = 3
            grid = _grid(rows)
            damaged = _damaged_rows(grid, header, rng, merge_header=True)
            # the table breaks over two pages after the （三）不予公开 group: footer, the
            # header repeated on the next page
            cut = next(i for i, r in enumerate(damaged) if any(t.startswith("（四）") for t in r))
            out += [*_md_table(damaged[:cut]), "", footer(), ""]
            out += [*_md_table(damaged[:header] + damaged[cut:]), ""]
        elif section == 4:
            grid = _grid(rows)
            damaged = _damaged_rows(grid, 3, rng, merge_header=False)
            # the figures are printed on the next page: header rows, footer, value row
            out += [*_md_table(damaged[:3]), "", footer(), ""]
            out += [*_md_table(damaged[3:]), ""]
        else:
            grid = _grid(rows)
            out += [*_md_table(_damaged_rows(grid, 1, rng, merge_header=False)), ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------
# Hook for make_form_fixtures.py
# ---------------------------------------------------------------------------------------


def write_forms(seed: Seed, simplify, forms: Path) -> None:
    """Write this module's forms of one seed into `forms`."""
    (forms / f"{seed.ident}.flat.txt").write_text(flat_text(seed, simplify) + "\n", encoding="utf-8")
    (forms / f"{seed.ident}.lines.txt").write_text(few_lines_text(seed, simplify), encoding="utf-8")
    (forms / f"{seed.ident}.md").write_text(markdown(seed, simplify), encoding="utf-8")


def write_once(forms: Path) -> None:
    """Forms that are not seed reports: the flattened pre-2019 report."""
    (forms / "pre2019.flat.txt").write_text(pre2019_flat(), encoding="utf-8")
