"""results.html: one self-contained page (inline CSS and SVG, no scripts), Jinja2 with autoescaping.

Every value from a candidate list or a rule pack reaches the page through Jinja2's autoescaping;
the only markup inserted unescaped is the SVG this package draws (whose text is escaped too).
"""

from __future__ import annotations

from jinja2 import ChainableUndefined, Environment, PackageLoader
from markupsafe import Markup, escape

from screening.explain import show
from screening.outcomes import VERDICTS, CandidateResult, RunResult
from screening.render.svg import bar_chart

AMOUNT_BANDS = [(1e9, "under USD 1bn"), (1e10, "USD 1–10bn"), (1e11, "USD 10–100bn"),
                (float("inf"), "USD 100bn and more")]
UNKNOWN_AMOUNT = "amount unknown"
#: Inputs shown first in a candidate's heading line, when the list has them.
HEADLINE = ("name", "sector", "location_country", "amount", "currency")


def plain(value: object) -> str:
    """An input as a person reads it: text unquoted, lists joined, missing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "; ".join(plain(v) for v in value)
    return show(value)


def inert(value: object) -> object:
    """Escape text for the page, and write ``://`` as ``&#58;//`` so no URL from a list is ever a link.

    The browser shows the same characters; but the page source holds no literal URL that a mail
    client or viewer could turn into a live link. Markup this package made (the SVG) passes as is.
    """
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return Markup(str(escape(value)).replace("://", "&#58;//"))


def code_spans(text: object) -> Markup:
    """Escaped text with each `quoted` part (a condition in an explanation) set as code."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: show the text as it is
        return Markup(inert(str(text)))
    return Markup("".join(str(inert(part)) if i % 2 == 0 else f"<code>{inert(part)}</code>"
                          for i, part in enumerate(parts)))


def environment() -> Environment:
    """The Jinja2 environment of every HTML report: autoescaping on for every template."""
    env = Environment(loader=PackageLoader("screening.render", "templates"), autoescape=True, finalize=inert,
                      trim_blocks=True, lstrip_blocks=True, undefined=ChainableUndefined)
    env.filters["show"] = show
    env.filters["plain"] = plain
    env.filters["code_spans"] = code_spans
    return env


_ENV = environment()


def usd_amount(inputs: dict[str, object], jpy_per_usd: object) -> float | None:
    """A candidate's amount in USD (JPY converted at the pack's ``jpy_per_usd``), or None."""
    amount, currency = inputs.get("amount"), inputs.get("currency")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        return None
    if currency in (None, "USD"):
        return float(amount)
    if currency == "JPY" and isinstance(jpy_per_usd, (int, float)) and jpy_per_usd:
        return float(amount) / float(jpy_per_usd)
    return None


def amount_band(amount: float | None) -> str:
    if amount is None:
        return UNKNOWN_AMOUNT
    return next(label for limit, label in AMOUNT_BANDS if amount < limit)


def verdict_charts(result: RunResult) -> dict[str, str]:
    """Inline SVG bar charts: all verdicts, verdicts by sector, verdicts by amount band (USD)."""
    params = result.run.get("parameters") or {}
    rate = params.get("jpy_per_usd", {}).get("value") if isinstance(params, dict) else None
    by_sector: dict[str, dict[str, int]] = {}
    by_amount: dict[str, dict[str, int]] = {}
    for c in result.candidates:
        sector = str(c.inputs.get("sector") or "unknown")
        band = amount_band(usd_amount(c.inputs, rate))
        for table, key in ((by_sector, sector), (by_amount, band)):
            counts = table.setdefault(key, dict.fromkeys(VERDICTS, 0))
            counts[c.verdict] += 1
    sectors = sorted(by_sector.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    if len(sectors) > 15:
        rest = {v: sum(counts[v] for _, counts in sectors[14:]) for v in VERDICTS}
        sectors = sectors[:14] + [(f"{len(sectors) - 14} other sectors", rest)]
    order = [label for _, label in AMOUNT_BANDS] + [UNKNOWN_AMOUNT]
    return {
        "verdicts": bar_chart("Verdicts", [("all candidates", result.summary)]),
        "sector": bar_chart("Verdicts by sector", sectors),
        "amount": bar_chart("Verdicts by amount (USD)", [(b, by_amount[b]) for b in order if b in by_amount]),
    }


def candidate_view(c: CandidateResult, label: str | None = "name") -> dict[str, object]:
    """What a report shows of one candidate: headline, every input, blocking and advisory findings."""
    notable = [o.as_dict() for o in c.outcomes if o.outcome in ("fail", "missing")]
    headline = [(k, c.inputs[k]) for k in HEADLINE if c.inputs.get(k) not in (None, "")]
    return {
        "id": c.id, "verdict": c.verdict, "row": c.row, "notable": notable, "headline": headline,
        "name": c.inputs.get(label) if label else None, "label": label,
        "inputs": [(k, v) for k, v in c.inputs.items() if k != "id"],
        "remedy": c.remedy.as_dict() if c.remedy else None,
        "failed": [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "fail"],
        "missing": [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "missing"],
        "advisory": [o.rule for o in c.outcomes if o.severity == "advisory" and o.outcome in ("fail", "missing")],
    }


def finance_view(finance, i: int) -> dict[str, object]:  # noqa: ANN001 - FinanceTable
    """Japan's return in words and a chart of its balance over time (CONTRACT §9)."""
    from markupsafe import Markup

    from screening.render.svg import balance_chart
    f = finance.fields_of(i)
    made = f["japan_made_whole_on"].isoformat() if f["japan_made_whole_on"] is not None else None

    def pct(v: object) -> str:
        return "missing" if v is None else f"{v:.2%}"  # type: ignore[str-format]
    words = (f"project IRR {pct(f['project_irr'])} · Japan IRR {pct(f['japan_irr'])} · Japan multiple "
             f"{'missing' if f['japan_multiple'] is None else format(f['japan_multiple'], '.2f') + 'x'} · made whole "
             f"{made or 'never'} · US share of cash {pct(f['us_share_of_cash'])}")
    points = [(d.isoformat(), bal) for d, _, _, _, bal in finance.schedule(i)]
    chart = balance_chart("Japan's balance (still owed under the 50/50 phase)", points, made)
    return {"finance_text": words, "finance_svg": Markup(chart) if chart else None}


def rule_table(result: RunResult) -> list[dict[str, object]]:
    """Per rule, in pack order: title, severity, category, source and how many candidates had each outcome."""
    first = {o.rule: o for c in result.candidates[:1] for o in c.outcomes}
    rows = []
    for rule, counts in result.rule_summary().items():
        o = first.get(rule)
        rows.append({"rule": rule, "title": o.title if o else "", "severity": o.severity if o else "",
                     "category": o.category if o else "", "source": o.source if o else "", **counts})
    return rows


def render_html(result: RunResult) -> str:
    """The run report: summary by verdict, charts, candidates with their failed/missing rules and fixes."""
    views = [candidate_view(c, result.label) for c in result.candidates]
    if result.finance is not None:
        for i, view in enumerate(views):
            view.update(finance_view(result.finance, i))
    return _ENV.get_template("run.html.j2").render(
        run=result.run, summary=result.summary, candidates=views,
        charts=verdict_charts(result), rules=rule_table(result),
        portfolio=result.portfolio.as_dict() if result.portfolio is not None else None,
    )


def render_template(name: str, **context: object) -> str:
    """Render another report template (compare, sweep) with the same escaping and filters."""
    return _ENV.get_template(name).render(**context)
