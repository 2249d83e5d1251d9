"""Small inline SVG bar charts (no network, no JavaScript), escaped text only."""

from __future__ import annotations

from html import escape

COLORS = {"eligible": "#22a355", "ineligible": "#d64545", "incomplete": "#e0a526"}


def bar_chart(title: str, rows: list[tuple[str, dict[str, int]]], width: int = 360) -> str:
    """Horizontal stacked bars: one row per label, segments per verdict."""
    bar_h, gap, label_w = 18, 8, 130
    height = 30 + len(rows) * (bar_h + gap) + 24
    biggest = max((sum(counts.values()) for _, counts in rows), default=1) or 1
    scale = (width - label_w - 40) / biggest
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
             f'<text x="0" y="16" font-size="13" font-weight="600">{escape(title)}</text>']
    y = 30
    for label, counts in rows:
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{escape(label[:20])}</text>')
        x = float(label_w)
        for verdict in ("eligible", "ineligible", "incomplete"):
            w = counts.get(verdict, 0) * scale
            if w:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLORS[verdict]}">'
                             f'<title>{escape(label)}: {counts[verdict]} {verdict}</title></rect>')
                x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="11">{sum(counts.values())}</text>')
        y += bar_h + gap
    legend_x = 0
    for verdict, color in COLORS.items():
        parts.append(f'<rect x="{legend_x}" y="{y + 4}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{legend_x + 14}" y="{y + 13}" font-size="11">{verdict}</text>')
        legend_x += 90
    parts.append("</svg>")
    return "".join(parts)
