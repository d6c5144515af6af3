"""Text normalisation shared by every form of report: code points first, then script.

PDF generators emit Kangxi radicals (⼀ ⼆ ⾏ ⽂) and full-width digits that look right
but match nothing; NFKC folds them. Chinese full-width punctuation (，。（）：) is kept as
printed so that narrative text reads as the agency wrote it; table matching removes
punctuation anyway. The script decision is made once per document (see `script`).
"""

from __future__ import annotations

import unicodedata

from . import script

# Chinese punctuation kept as printed (NFKC would turn it into ASCII). Full-width
# digits, letters, signs (＋－) and the ideographic space are folded.
_KEEP = frozenset("，。、；：？！（）【】《》“”‘’「」『』〔〕")


def _kept(ch: str) -> bool:
    return ch in _KEEP


def nfkc(text: str) -> str:
    """NFKC except Chinese full-width punctuation; ideographic spaces become spaces."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ord(ch) < 0x80 or _kept(ch):
            out.append(ch)
        else:
            out.append(unicodedata.normalize("NFKC", ch))
    return "".join(out)


def normalise_lines(lines: list[str]) -> tuple[list[str], str]:
    """NFKC every line, then convert the document to Simplified when it is Traditional.

    Returns the lines and the source script ("traditional" or "simplified").
    """
    folded = [nfkc(line) for line in lines]
    which = script.detect("\n".join(folded))
    if which == "traditional":
        converted = script.to_simplified("\n".join(folded)).split("\n")
        if len(converted) == len(folded):
            folded = converted
        else:  # never expected: conversion keeps newlines; convert line by line then
            folded = [script.to_simplified(line) for line in folded]
    return folded, which
