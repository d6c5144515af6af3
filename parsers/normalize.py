"""Text normalisation shared by every form of report: code points first, then script.

PDF generators emit Kangxi radicals (⼀ ⼆ ⾏ ⽂) and full-width digits that look right
but match nothing; NFKC folds them. Chinese full-width punctuation (，。（）：) is kept as
printed so that narrative text reads as the agency wrote it; table matching removes
punctuation anyway. The script decision is made once per document (see `script`).
"""

from __future__ import annotations

import unicodedata

# Chinese punctuation kept as printed (NFKC would turn it into ASCII). Full-width
# digits, letters, signs (＋－) and the ideographic space are folded.
_KEEP = frozenset("，。、；：？！（）【】《》“”‘’「」『』〔〕")


def _kept(ch: str) -> bool:
    return ch in _KEEP


def nfkc(text: str) -> str:
    """NFKC except Chinese full-width punctuation; ideographic spaces become spaces."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        # NFKC text is NFKC character by character too (a character NFKC would change
        # cannot stand in it), so the loop below would return it unchanged
        return text
    out = []
    for ch in text:
        if ord(ch) < 0x80 or _kept(ch):
            out.append(ch)
        else:
            out.append(unicodedata.normalize("NFKC", ch))
    return "".join(out)
