"""scenarios.html: per candidate a bar of verdict shares, a histogram of the return field with the
floor marked (inline SVG, no scripts) and the rule that most often decides a failure.

The histogram shows Japan's IRR (``japan_irr``) when the pack computes finance fields; otherwise
the first finance field, or else the first varied number that a rule compares with a parameter
(``irr`` against ``min_irr``). The floor is the parameter that rule compares it with.
"""

from __future__ import annotations

from html import escape

import numpy as np

from screening.outcomes import VERDICTS
from screening.render.scenarios_out import (
    band,
    deciding_text,
    floor_number,
    headline,
    headline_field,
    label,
    number,
    portfolio_line,
    share,
)
from screening.render.svg import COLORS
from screening.scenarios.result import CandidateScenario, ScenarioResult

BINS = 30


def share_bar(c: CandidateScenario, width: int = 420) -> str:
    """One 100% bar: eligible, ineligible and incomplete shares of the candidate's draws."""
    height, x = 26, 0.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 18}" role="img" '
             f'aria-label="{escape(c.id)}: share of draws by verdict">']
    for verdict in VERDICTS:
        w = c.verdicts[verdict] * width
        if w <= 0:
            continue
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{COLORS[verdict]}">'
                     f'<title>{verdict}: {share(c.verdicts[verdict])} of draws</title></rect>')
        if w > 44:
            parts.append(f'<text x="{x + w / 2:.1f}" y="17" font-size="12" fill="#fff" text-anchor="middle" '
                         f'font-weight="600">{share(c.verdicts[verdict])}</text>')
        x += w
    legend = 0
    for verdict in VERDICTS:
        parts.append(f'<rect x="{legend}" y="{height + 6}" width="9" height="9" fill="{COLORS[verdict]}"/>'
                     f'<text x="{legend + 12}" y="{height + 15}" font-size="10">{verdict}</text>')
        legend += 90
    parts.append("</svg>")
    return "".join(parts)


def histogram(name: str, samples: np.ndarray, floor: dict[str, object] | None, width: int = 420,
              height: int = 170) -> str:
    """Bars of ``samples`` with the floor drawn as a dashed line; bars on the failing side in red."""
    pad_l, pad_r, pad_t, pad_b = 8, 8, 22, 30
    values = samples[np.isfinite(samples)]
    if values.size == 0:
        return f'<p class="muted">No draw has a value for {escape(name)}.</p>'
    lo, hi = float(np.percentile(values, 0.5)), float(np.percentile(values, 99.5))
    line = float(floor["value"]) if floor else None  # type: ignore[arg-type]
    if line is not None:
        lo, hi = min(lo, line), max(hi, line)
    if hi <= lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1.0), hi + 0.5 * (abs(hi) or 1.0)
    span = hi - lo
    lo, hi = lo - 0.04 * span, hi + 0.04 * span
    counts, edges = np.histogram(np.clip(values, lo, hi), bins=BINS, range=(lo, hi))
    top = max(int(counts.max()), 1)
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(v: float) -> float:
        return pad_l + (v - lo) / (hi - lo) * plot_w

    passes = str(floor.get("passes", ">=")) if floor else ">="
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="Histogram of {escape(name)} over the draws">',
             f'<text x="{pad_l}" y="14" font-size="12" font-weight="600">{escape(title_of(name))} over the draws</text>']
    for k, count in enumerate(counts.tolist()):
        if not count:
            continue
        a, b = float(edges[k]), float(edges[k + 1])
        mid = (a + b) / 2
        failing = line is not None and (mid < line if passes.startswith(">") else mid > line)
        h = count / top * plot_h
        parts.append(f'<rect x="{x(a) + 0.5:.1f}" y="{pad_t + plot_h - h:.1f}" width="{max(x(b) - x(a) - 1, 0.5):.1f}" '
                     f'height="{h:.1f}" fill="{"#e58a8a" if failing else "#7cc49a"}">'
                     f'<title>{escape(number(name, a))} – {escape(number(name, b))}: {count} draws</title></rect>')
    base_y = pad_t + plot_h
    parts.append(f'<line x1="{pad_l}" y1="{base_y}" x2="{width - pad_r}" y2="{base_y}" stroke="#888"/>')
    for v, anchor in ((lo, "start"), (hi, "end")):
        parts.append(f'<text x="{x(v):.1f}" y="{base_y + 14}" font-size="10" text-anchor="{anchor}" fill="#5b6475">'
                     f'{escape(number(name, v))}</text>')
    if line is not None and floor is not None:
        lx = x(line)
        label = f"floor {floor_number(name, line)}" if len(str(floor["threshold"])) > 18 else \
            f"floor {floor['threshold']} = {floor_number(name, line)}"
        anchor = "start" if lx < width * 0.6 else "end"
        dx = 4 if anchor == "start" else -4
        parts.append(f'<line x1="{lx:.1f}" y1="{pad_t - 4}" x2="{lx:.1f}" y2="{base_y}" stroke="#1d2330" '
                     f'stroke-width="1.5" stroke-dasharray="4 3"><title>{escape(str(floor["threshold"]))} = '
                     f'{escape(floor_number(name, line))} (rule {escape(str(floor["rule"]))})</title></line>')
        parts.append(f'<text x="{lx + dx:.1f}" y="{base_y + 26}" font-size="11" font-weight="600" '
                     f'text-anchor="{anchor}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def title_of(name: str) -> str:
    """``Japan's own IRR (japan_irr)``; a field without a label by its name."""
    return name if label(name) == name else f"{label(name)} ({name})"


def scenarios_html(result: ScenarioResult) -> str:
    """The whole page, self-contained."""
    from markupsafe import Markup

    from screening.render.html import render_template

    field = headline_field(result)
    cards = []
    for c in result.candidates:
        samples = c.samples.get(field) if field else None
        floor = c.floors.get(field) if field else None
        notable = [(rule, s) for rule, s in c.rules.items() if s["fail"] > 0 or s["missing"] > 0]
        notable.sort(key=lambda item: (result.rule(item[0]).severity != "blocking", -item[1]["fail"], -item[1]["missing"]))
        cards.append({
            "c": c, "bar": Markup(share_bar(c)),
            "histogram": Markup(histogram(field, samples, floor)) if field and samples is not None else None,
            "deciding": deciding_text(result, c),
            "deciding_title": result.rule(c.deciding_rule).title if c.deciding_rule else None,
            "rules": [(result.rule(rule), s) for rule, s in notable],
            "finance": [(name, band(name, stats)) for name, stats in c.finance.items()],  # type: ignore[arg-type]
            "varied": [(name, band(name, stats) if "p50" in stats else  # type: ignore[arg-type]
                        ", ".join(f"{k} {share(v or 0.0)}" for k, v in stats.items() if v))
                       for name, stats in c.varied.items()],
        })
    floor = next((c.floors[field] for c in result.candidates if field in c.floors), None) if field else None
    return render_template("scenarios.html.j2", r=result, run=result.run, headline=headline(result), cards=cards,
                           field=field, floor=floor, verdicts=VERDICTS, share=share, number=number, label=label,
                           portfolio_line=portfolio_line(result) if result.portfolio is not None else None)
