"""Chinese script: decide whether a document is Traditional and convert it to mainland Simplified.

Mirrors republish mainland reports in Traditional characters with Taiwan wording
(規範性檔案, 入口網站, 資訊). OpenCC's character-level 't2s' alone leaves the Taiwan
words (规范性档案, 入口网站) in place, and 'tw2sp' damages true words (檔案館 → 文件馆,
資料 → 数据), so we convert with 't2s' and then undo only the Taiwan phrases that the
s2twp direction introduces, protecting the real words that contain them. Simplified text
is never touched: the decision is made once per document.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Share of Han characters that t2s changes above which a document counts as Traditional.
# Simplified text changes well under 1% (a few variant forms); Traditional text 15-30%.
TRADITIONAL_THRESHOLD = 0.05
# Han characters looked at for the decision (a report's first pages are plenty).
SAMPLE_CHARS = 5000

# Taiwan wording (after t2s) -> mainland wording. Longest phrases are applied first.
TAIWAN_PHRASES: dict[str, str] = {
    "规范性档案": "规范性文件",
    "智慧财产权": "知识产权",
    "网际网路": "互联网",
    "入口网站": "门户网站",
    "联络我们": "联系我们",
    "资料库": "数据库",
    "伺服器": "服务器",
    "最佳化": "优化",
    "档案": "文件",
    "专案": "项目",
    "视窗": "窗口",
    "资讯": "信息",
    "讯息": "信息",
    "数位": "数字",
    "报导": "报道",
    "网路": "网络",
    "软体": "软件",
    "硬体": "硬件",
    "程式": "程序",
    "影片": "视频",
    "列印": "打印",
    "预设": "默认",
    "介面": "界面",
    "线上": "在线",
    "透过": "通过",
    "回馈": "反馈",
    "宣导": "宣传",
    "品质": "质量",
    "营运": "运营",
    "登入": "登录",
    "滑鼠": "鼠标",
}

# True mainland words that contain a Taiwan phrase and must survive the table above.
PROTECTED_WORDS: tuple[str, ...] = (
    "国家档案局",
    "档案馆",
    "档案局",
    "档案室",
    "档案工作",
    "档案管理",
    "档案法",
    "人事档案",
    "城建档案",
    "档案资料",
    "专案组",  # a mainland word (special investigation team), not Taiwan's 项目
    "咨询",  # not affected, listed so 资讯 replacement never meets it
)

_HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _t2s():  # OpenCC has no type stubs
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _inert() -> re.Pattern[str] | None:
    """Runs of characters that occur in no key of t2s's dictionaries (None when the
    dictionaries cannot be looked at): no phrase or character match can touch them."""
    cc = _t2s()
    cc.convert("")  # loads the dictionaries
    chars: set[str] = set()
    try:
        for group in cc._dict_chain_data:  # [(max key length, min, {key: value})] per step
            for _, _, table in group:
                for key in table:
                    chars.update(key)
    except (AttributeError, TypeError, ValueError):
        return None
    # only the characters `_HAN` samples: a class with characters beyond the BMP would be
    # matched by a scan of its members rather than a table lookup
    han = "".join(sorted(c for c in chars if _HAN.match(c)))
    return re.compile(f"([^{re.escape(han)}]+)")


@lru_cache(maxsize=65536)
def _t2s_piece(piece: str) -> str:
    return str(_t2s().convert(piece))


def _t2s_han(sample: str) -> str:
    """`_t2s().convert(sample)` for a string of Han characters, piece by piece.

    OpenCC (the pure-Python one) takes the longest dictionary match anywhere in the
    string, then works on what is left and right of it; a match never includes a
    character that is in no dictionary key, so cutting the string at such characters
    changes nothing, and the short pieces between them recur from report to report
    (公开, 申请, 办理), so each is converted once. Converting a report's 3,000 characters
    whole took 5 ms, a tenth of parsing a PDF.
    """
    inert = _inert()
    if inert is None:
        return str(_t2s().convert(sample))
    parts = inert.split(sample)  # odd positions: the inert runs
    return "".join(part if i % 2 or not part else _t2s_piece(part) for i, part in enumerate(parts))


def traditional_share(text: str) -> float:
    """Share of Han characters that OpenCC t2s would change (0.0 when there are none)."""
    han = _HAN.findall(text)
    if not han:
        return 0.0
    sample = "".join(han[:SAMPLE_CHARS])
    converted = _t2s_han(sample)
    changed = sum(1 for a, b in zip(sample, converted, strict=False) if a != b)
    if len(converted) != len(sample):  # t2s is character for character; guard anyway
        changed = max(changed, abs(len(converted) - len(sample)))
    return changed / len(sample)


def detect(text: str) -> str:
    """Return "traditional" or "simplified" for a whole document."""
    return "traditional" if traditional_share(text) > TRADITIONAL_THRESHOLD else "simplified"


def _phrase_pattern() -> re.Pattern[str]:
    alternatives = sorted(PROTECTED_WORDS + tuple(TAIWAN_PHRASES), key=len, reverse=True)
    return re.compile("|".join(re.escape(a) for a in alternatives))


_PHRASES = _phrase_pattern()


def mainland_wording(text: str) -> str:
    """Replace Taiwan phrases in already simplified text, leaving protected words alone."""
    return _PHRASES.sub(lambda m: TAIWAN_PHRASES.get(m.group(0), m.group(0)), text)


def to_simplified(text: str) -> str:
    """Convert Traditional text with Taiwan wording to mainland Simplified."""
    return mainland_wording(_t2s().convert(text))
