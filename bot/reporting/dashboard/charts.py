"""Horizontal bar charts as inline SVG: drawn on the server, no script, no CDN, no internet.

The SVG scales to the screen's width (viewBox, width 100%), so it reads on a phone. Labels and
numbers are text in the SVG (and the same figures are in the table next to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

ROW = 24
LABEL_WIDTH = 140
BAR_WIDTH = 150
WIDTH = LABEL_WIDTH + BAR_WIDTH + 40
MAX_LABEL = 20


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bar_chart(title: str, items: Sequence[tuple[str, int]], colour: str = "#2f6f9f") -> str:
    """One bar per item, longest = the largest count; an empty chart says "-"."""
    items = list(items) or [("-", 0)]
    top = max((n for _, n in items), default=0) or 1
    height = ROW * len(items) + 8
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, n) in enumerate(items):
        y = 4 + index * ROW
        width = round(BAR_WIDTH * n / top) if n else 0
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width}" height="{ROW - 8}"'
            f' fill="{colour}" rx="2"/>'
            f'<text x="{LABEL_WIDTH + width + 5}" y="{y + 16}" font-size="13">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
