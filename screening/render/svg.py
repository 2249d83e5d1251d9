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


def balance_chart(title: str, points: list[tuple[str, float]], made_whole: str | None = None,
                  width: int = 420, height: int = 150) -> str:
    """A small line chart of Japan's balance (what it is still owed) at each flow date.

    ``points``: (ISO date, balance) in date order; ``made_whole``: the recovery date, marked.
    """
    if not points:
        return ""
    left, top, bottom = 8, 22, 20
    top_value = max(b for _, b in points) or 1.0
    n = len(points)
    step = (width - 2 * left) / max(n - 1, 1)

    def xy(k: int, b: float) -> tuple[float, float]:
        return left + k * step, top + (height - top - bottom) * (1 - b / top_value)

    path = " ".join(f"{'M' if k == 0 else 'L'}{x:.1f},{y:.1f}" for k, (x, y) in
                    enumerate(xy(k, b) for k, (_, b) in enumerate(points)))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}">',
             f'<text x="0" y="14" font-size="12" font-weight="600">{escape(title)}</text>',
             f'<path d="{path}" fill="none" stroke="#2b6cb0" stroke-width="2"/>']
    for k, (date, b) in enumerate(points):
        x, y = xy(k, b)
        mark = "#22a355" if date == made_whole else "#2b6cb0"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{mark}"><title>{escape(date)}: '
                     f'{b:,.0f}</title></circle>')
    parts.append(f'<text x="{left}" y="{height - 4}" font-size="10">{escape(points[0][0])}</text>')
    parts.append(f'<text x="{width - left}" y="{height - 4}" font-size="10" text-anchor="end">'
                 f'{escape(points[-1][0])}</text>')
    if made_whole:
        parts.append(f'<text x="{width / 2:.0f}" y="{height - 4}" font-size="10" text-anchor="middle" '
                     f'fill="#22a355">made whole {escape(made_whole)}</text>')
    parts.append("</svg>")
    return "".join(parts)
