"""Document -> nianbao.report/1: the analysis shared by every form of report.

Order of work: normalise code points and script once for the whole document; read
title, agency, year; split sections; find the template tables in the sections that hold
them (the whole document when a heading is missing); read cells; place figures that lost
their positions by the report's arithmetic; run the checks. Everything a human should
look at ends up in `flags`; `status` says what is wrong with the numbers (nianbao.contract).
"""

from __future__ import annotations

import re
from typing import Any

from ..contract import REPORT_SCHEMA, Report, SectionOut, report_status
from ..dates import iso_date
from . import flat_text, metadata, normalize, prose, script, sections
from .analysis import analyse_tables
from .model import Block, Cell, Document, Paragraph, ParseError, Table

NOT_A_REPORT = "not an annual report: no 政府信息公开 年度报告 title or template headings found"
_TEMPLATE_HEADINGS = ("overview", "active", "applications", "reviews", "problems", "other")


def _normalised(document: Document) -> tuple[list[Block], dict[str, str], str]:
    """Blocks and meta with code points folded and the script made mainland Simplified."""
    texts: list[str] = []
    for b in document.blocks:
        if isinstance(b, Paragraph):
            texts.append(b.text)
        elif isinstance(b, Table):
            texts.extend(c.text for row in b.rows for c in row)
    meta_keys = [k for k in ("title", "agency") if document.meta.get(k)]
    texts.extend(document.meta[k] for k in meta_keys)
    folded = [normalize.nfkc(t) for t in texts]
    which = script.detect("\n".join(folded))
    if which == "traditional":
        folded = [script.to_simplified(t) for t in folded]
    it = iter(folded)
    blocks: list[Block] = []
    for b in document.blocks:
        if isinstance(b, Paragraph):
            blocks.append(Paragraph(next(it)))
        elif isinstance(b, Table):
            blocks.append(Table([[Cell(next(it), c.spanned, c.confidence) for c in row]
                                 for row in b.rows]))
    meta = dict(document.meta)
    for k in meta_keys:
        meta[k] = next(it)
    return blocks, meta, which


def _lines(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks if isinstance(b, Paragraph)]


def _hint(hints: dict[str, Any], key: str, which: str) -> str | None:
    v = hints.get(key)
    if not v:
        return None
    v = normalize.nfkc(str(v))
    return script.to_simplified(v) if which == "traditional" else v


def analyse(document: Document, hints: dict[str, Any] | None = None) -> Report:
    """Analyse one extracted document. Raises ParseError when it is not a report."""
    hints = hints or {}
    source = document.source
    blocks, meta, which = _normalised(document)
    notes = list(document.notes)
    flattened = flat_text.is_flattened(blocks)
    if flattened:  # a web archiver's one-line text: put headings and rows back on lines
        restored = flat_text.restore(blocks)
        blocks = restored.blocks
        notes.append(f"text without structure: {restored.headings} headings and {restored.rows} "
                     "table rows split back out of its lines")
    lines = _lines(blocks)
    if not any(line.strip() for line in lines) and not any(isinstance(b, Table) for b in blocks):
        raise ParseError(source, "empty document: no text")

    text_title = metadata.title_from_lines(lines)
    title = (metadata.tidy_title(meta["title"]) if meta.get("title") else None) \
        or (metadata.tidy_title(h) if (h := _hint(hints, "title", which)) else None) \
        or text_title
    # a page title may be the site's; prefer one that names the report
    if title and not re.search(r"年度报告|年报", title) and text_title:
        title = text_title
    publisher = re.sub(r"\s+", "", meta.get("agency") or _hint(hints, "agency", which) or "")
    agency, agency_flag = metadata.choose_agency(publisher, metadata.agency_from_title(title))
    year = metadata.year_from_title(title) or metadata.year_from_title(text_title)
    published = iso_date(meta.get("published")) \
        or iso_date(hints.get("published")) or metadata.published_from_lines(lines)

    secs = sections.split(blocks)
    kinds = {s.kind for s in secs if s.kind}
    titled = bool(title and re.search(r"公开", title) and re.search(r"年度报告|年报", title))
    template_kinds = kinds.intersection(_TEMPLATE_HEADINGS)
    flags: list[str] = []
    result_tables = analyse_tables(blocks, secs, year, flattened)
    if not (len(template_kinds) >= 3 or (titled and (template_kinds or result_tables.found))):
        raise ParseError(source, NOT_A_REPORT)
    if year is None:
        flags.append("year not found in the title")
    if not agency:
        flags.append("agency not found")
    if agency_flag:  # worth keeping, not worth a human's look: portals publish for others
        notes.append(agency_flag)

    out_sections: list[SectionOut] = []
    narrative_parts = [title] if title else []
    first = secs[0].start if secs else 0
    for b in blocks[:first]:  # the preamble between title and 一、 (skip the title itself)
        if not isinstance(b, Paragraph):
            continue
        squeezed = re.sub(r"\s+", "", b.text)
        if squeezed and squeezed not in re.sub(r"\s+", "", title or ""):
            narrative_parts.append(b.text.strip())
    for s in secs:
        tabular = s.kind in ("active", "applications", "reviews") and not result_tables.pre2019
        body = sections.narrative(blocks, s, tabular)
        out_sections.append({"number": s.number, "heading": s.heading, "text": body})
        narrative_parts.append(s.heading)
        if body:
            narrative_parts.append(body)
    if not secs:
        flags.append("no section headings found")
        narrative_parts.extend(line.strip() for line in lines if line.strip())

    flags.extend(result_tables.flags)
    notes.extend(result_tables.notes)
    checks = [*result_tables.checks, *prose.checks(out_sections, result_tables.applications,
                                                   result_tables.reviews, result_tables.active, year)]
    for c in checks:
        if not c["ok"]:
            if c["name"] == "complete":
                flags.append(f"complete: {len(c['cells'])} cells without a value")
            else:
                flags.append(f"{c['name']} failed on {len(c['cells'])} cells")
    if result_tables.pre2019:
        flags.insert(0, "pre-2019 format")
    if document.kind == "ocr":  # figures read from pixels: a human should compare them
        flags.insert(0, "read by OCR: check the figures against the original")
    return {
        "schema": REPORT_SCHEMA,
        "source": source,
        "title": title,
        "agency": agency or None,
        "year": year,
        "template": result_tables.template,
        "script": which,
        "published": published,
        "kind": document.kind,
        "sections": out_sections,
        "active_disclosure": result_tables.active,
        "applications": result_tables.applications,
        "reviews": result_tables.reviews,
        "checks": checks,
        "status": report_status(checks),
        "flags": flags,
        "notes": notes,
        "text": "\n".join(narrative_parts),
    }

