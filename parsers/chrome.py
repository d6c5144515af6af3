"""Page furniture ("chrome") that content extraction leaves in a report's text.

Portals wrap a report in navigation, share bars, font-size switches and footers; mirror
sites add their own tag clouds (相关词条 / 热门词条) and contact links. Removing the
containers by class name (see `extract_html`) catches most of it; these text rules catch
what is left inside the content node, in both scripts. Each rule is narrow on purpose: a
report sentence must never be dropped, so lines are only removed when they are short and
consist of nothing but furniture.
"""

from __future__ import annotations

import re

# A whole line that is furniture (checked on short lines only).
CHROME_LINE = re.compile(
    r"^\s*(?:"
    r"分享到[:：]?.*"
    r"|【?\s*字[号號][:：]?\s*[\[【]?\s*大\s*[\]】]?\s*[\[【]?\s*中\s*[\]】]?\s*[\[【]?\s*小\s*[\]】]?\s*】?.*"
    r"|【?\s*(?:打印本页|列印本頁|打印|列印|关闭窗口|關閉視窗|关闭|關閉|返回顶部|返回頂部|收藏|纠错|糾錯)\s*】?"
    r"(?:\s*【?\s*(?:打印本页|列印本頁|打印|列印|关闭窗口|關閉視窗|关闭|關閉|返回顶部|返回頂部|收藏|纠错|糾錯)\s*】?)*"
    r"|长者助手.*|長者助手.*|无障碍(?:浏览|阅读)?\s*(?:[|｜].*)?|無障礙(?:瀏覽|閱讀)?\s*(?:[|｜].*)?"
    r"|(?:当前位置|當前位置|您现在的位置|您現在的位置)[:：].*"
    r"|(?:扫一扫|掃一掃)(?:在手机打开当前页|在手機打開當前頁)?.*"
    r"|上一篇[:：].*|下一篇[:：].*"
    r"|(?:发布日期|发布时间|發布日期|發布時間|日期)[:：]\s*\d{4}.*"
    r"|(?:来源|來源|信息来源|资料来源)[:：].{0,20}(?:\s*(?:浏览|瀏覽|阅读|閱讀|点击|點擊).*)?"
    r"|(?:浏览次数|瀏覽次數|阅读次数|閱讀次數|点击数|點擊數|访问量|訪問量)[:：]?.*"
    r")\s*$"
)

# Lines that open a mirror's or portal's footer: everything from here to the end goes,
# provided what follows looks like furniture (short lines, no report sentence).
FOOTER_START = re.compile(
    r"^\s*(?:相关词条|相關詞條|热门词条|熱門詞條|联系我们|聯絡我們|聯繫我們|网站地图|網站地圖|"
    r"相关链接|相關連結|相关文章|相關文章|版权所有|版權所有|主办单位|主辦單位|主办[:：]|主辦[:：])"
)

SHORT = 40


def is_chrome_line(line: str) -> bool:
    """True when a line is nothing but page furniture (share bar, 字号, print, breadcrumb)."""
    s = line.strip()
    return bool(s) and len(s) <= SHORT and bool(CHROME_LINE.match(s))


def footer_start(lines: list[str]) -> int | None:
    """Index of the first line of a trailing footer, or None when there is none.

    A footer is a marker line (相关词条, 聯絡我們, 版权所有 ...) followed only by short
    lines that are not sentences; a marker followed by report text is left alone.
    """
    for i, line in enumerate(lines):
        s = line.strip()
        if len(s) <= SHORT and FOOTER_START.match(s) and all(not is_sentence(x) for x in lines[i + 1 :]):
            return i
    return None


def is_sentence(line: str) -> bool:
    """Report text rather than a link label: long, or ending like a sentence."""
    s = line.strip()
    return len(s) > SHORT or bool(re.search(r"[。！？；!?;]$", s)) or s.count("，") >= 2


def strip_lines(lines: list[str]) -> tuple[list[str], list[str]]:
    """Remove furniture from a list of text lines; returns (kept lines, removed lines)."""
    cut = footer_start(lines)
    removed = lines[cut:] if cut is not None else []
    body = lines[:cut] if cut is not None else lines
    kept = []
    for line in body:
        if is_chrome_line(line):
            removed.append(line)
        else:
            kept.append(line)
    return kept, removed
