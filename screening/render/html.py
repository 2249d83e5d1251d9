"""results.html: one self-contained page (inline CSS and SVG, no scripts), Jinja2 with autoescaping."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from screening.outcomes import RunResult
from screening.render.svg import bar_chart

_env = Environment(loader=PackageLoader("screening.render", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)

AMOUNT_BANDS = [(1e9, "under USD 1bn"), (1e10, "USD 1–10bn"), (1e11, "USD 10–100bn"), (float("inf"), "USD 100bn and more")]


def _band(amount: object) -> str:
    if not isinstance(amount, (int, float)):
        return "amount unknown"
    return next(label for limit, label in AMOUNT_BANDS if amount < limit)


def render_html(result: RunResult) -> str:
    candidates = []
    by_sector: dict[str, dict[str, int]] = {}
    by_amount: dict[str, dict[str, int]] = {}
    for c in result.candidates:
        notable = [o.as_dict() for o in c.outcomes if o.outcome in ("fail", "missing")]
        candidates.append({
            "id": c.id, "verdict": c.verdict, "notable": notable, "remedy": c.remedy.as_dict() if c.remedy else None,
            "failed": [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "fail"],
            "missing": [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "missing"],
            "advisory": [o.rule for o in c.outcomes if o.severity == "advisory" and o.outcome in ("fail", "missing")],
        })
        sector = str(c.inputs.get("sector") or "unknown")
        by_sector.setdefault(sector, {}).setdefault(c.verdict, 0)
        by_sector[sector][c.verdict] += 1
        amount = c.inputs.get("amount")
        band = _band(amount if c.inputs.get("currency") in (None, "USD") else None)
        by_amount.setdefault(band, {}).setdefault(c.verdict, 0)
        by_amount[band][c.verdict] += 1
    summary = result.summary
    order = [label for _, label in AMOUNT_BANDS] + ["amount unknown"]
    return _env.get_template("run.html.j2").render(
        run=result.run, summary=summary, candidates=candidates,
        verdict_chart=bar_chart("Verdicts", [("all candidates", summary)]),
        sector_chart=bar_chart("Verdicts by sector", sorted(by_sector.items())[:15]),
        amount_chart=bar_chart("Verdicts by amount (USD)", [(b, by_amount[b]) for b in order if b in by_amount]),
    )
