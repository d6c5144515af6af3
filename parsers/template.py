"""Recognising the template (the data in `nianbao.template`) in a report's own labels.

Labels are matched on cleaned text: white space, punctuation and OCR specks removed
(`clean`), so that wrapped, spaced and typo'd labels still match the template's keys.
The format (2019/2021) and the layout of section 三 are decided from the labels the
report prints, the year only breaking ties: real 2021+ reports keep 2019 wording.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..template import APPLICATION_LAYOUTS, TEMPLATES, ApplicationLayout

# Characters removed before matching labels: white space, punctuation, OCR specks.
_NOISE = re.compile(
    r"[\s\u00a0,，:：;；_\-—–·.．、\"“”'‘’|\\/()（）<>《》\[\]【】!！?？*#~`^=+a-zA-Z]"
)


@lru_cache(maxsize=16384)
def clean(text: str) -> str:
    """Label text for matching: no white space, punctuation or stray latin letters.
    (Cached: the same labels are cleaned some 2,000 times while reading one report.)"""
    return _NOISE.sub("", text)


def decide_template(cleaned_tables: str, year: int | None) -> str | None:
    """The format whose label evidence the tables show most; the year breaks ties (the
    newest format in force that year). None when no evidence of any format is found."""
    scores = {name: sum(1 for k in t.evidence if re.search(k, cleaned_tables))
              for name, t in TEMPLATES.items()}
    best = max(scores.values())
    if best == 0:
        return None
    leaders = [name for name, s in scores.items() if s == best]
    if len(leaders) == 1:
        return leaders[0]
    return by_year(year, leaders)


def by_year(year: int | None, names: list[str] | None = None) -> str:
    """The format in force for reports on `year` (the oldest when the year is unknown)."""
    pool = sorted((TEMPLATES[n] for n in (names or TEMPLATES)), key=lambda t: t.from_year)
    fitting = [t for t in pool if t.from_year <= (year or 0)]
    return (fitting[-1] if fitting else pool[0]).name


def application_layout(cleaned_labels: str) -> ApplicationLayout:
    """The layout of section 三 whose evidence the labels show (the fallback otherwise)."""
    for layout in APPLICATION_LAYOUTS:
        if layout.evidence is None or re.search(layout.evidence, cleaned_labels):
            return layout
    return APPLICATION_LAYOUTS[-1]
