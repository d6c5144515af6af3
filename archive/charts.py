"""Charts as SVG drawn on the server with pygal: no script, no CDN, nothing fetched at run time.

pygal writes its labels through an XML serialiser, so scraped text (agency names) is escaped;
it also adds a small configuration ``<script>`` for its optional tooltips, which we drop,
so the charts are plain markup that works offline and under a strict Content-Security-Policy.
Values are printed on the chart itself (no hover needed).
"""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from lxml import etree
from pygal.style import Style

_FONT = ('"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",'
         '"WenQuanYi Micro Hei",sans-serif')
STYLE = Style(
    font_family=_FONT, title_font_family=_FONT, label_font_family=_FONT, value_font_family=_FONT,
    legend_font_family=_FONT, major_label_font_family=_FONT, tooltip_font_family=_FONT,
    background="white", plot_background="white", title_font_size=18, legend_font_size=13,
    label_font_size=12, major_label_font_size=12, value_font_size=11,
    colors=("#1f5fa8", "#d9822b", "#2e8540", "#b3261e", "#6b4ea0", "#00838f", "#8d6e63", "#546e7a"),
)
_COMMON = {"js": [], "disable_xml_declaration": True, "style": STYLE, "print_values": True,
           "print_values_position": "top", "show_minor_x_labels": True, "no_data_text": "无数据",
           "legend_at_bottom": True, "truncate_legend": -1, "truncate_label": -1}


def _svg(chart: pygal.graph.graph.Graph, label: str) -> str:
    tree = chart.render_tree()
    for script in tree.iter("{http://www.w3.org/2000/svg}script", "script"):
        script.getparent().remove(script)
    tree.set("role", "img")
    tree.set("aria-label", label)
    return etree.tostring(tree, encoding="unicode")


def line_chart(title: str, years: Sequence[int], series: Sequence[tuple[str, Sequence[float | None]]],
               *, height: int = 380) -> str:
    """One line per series over the years; a blank (None) leaves a gap, never a zero."""
    chart = pygal.Line(title=title, width=900, height=height, allow_interruptions=True,
                       x_title="年度", **_COMMON)
    chart.x_labels = [str(y) for y in years]
    for name, values in series:
        chart.add(name, list(values))
    return _svg(chart, title)


def ranking_chart(title: str, labels: Sequence[str], values: Sequence[float | None]) -> str:
    """Horizontal bars, one per agency, in the order given (pygal draws the first at the bottom)."""
    height = max(260, 80 + 26 * len(labels))
    # pygal sizes label space for latin letters; Chinese characters are about twice as wide
    longest = max((len(label) for label in labels), default=0)
    chart = pygal.HorizontalBar(title=title, width=900, height=height, show_legend=False,
                                margin_left=7 * longest, **_COMMON)
    chart.x_labels = list(labels)
    chart.add("数值", list(values))
    return _svg(chart, title)
