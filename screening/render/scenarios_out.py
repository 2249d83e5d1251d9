"""Scenario reports: the terminal table, scenarios.csv and scenarios.md (HTML: scenarios_html.py).

Each reads the same :class:`~screening.scenarios.result.ScenarioResult`; none computes a share
or a percentile again.
"""

from __future__ import annotations

import csv
import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from screening.outcomes import VERDICTS
from screening.render.csv_out import neutralise
from screening.render.markdown import md_cell
from screening.scenarios.result import OUTCOME_NAMES, CandidateScenario, ScenarioResult

#: Finance fields shown as percentages; others as plain numbers.
PERCENT_FIELDS = ("project_irr", "japan_irr", "us_share_of_cash", "irr")
VERDICT_STYLE = {"eligible": "green", "ineligible": "red", "incomplete": "yellow"}
#: Candidates listed in the terminal table (the written files hold them all).
SHOWN_ROWS = 50


def share(value: float) -> str:
    """``0.6234`` -> ``62.3%``; a share that is not exactly 0 or 1 never rounds to them."""
    if 0 < value < 0.0005:
        return "<0.1%"
    if 0.9995 <= value < 1:
        return ">99.9%"
    return f"{value:.1%}"


def number(name: str, value: object) -> str:
    """A finance field or varied input as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, str):  # a date field's percentile, already ISO text
        return value
    if name in PERCENT_FIELDS:
        return f"{value:.1%}"
    if name == "japan_multiple":
        return f"{value:.2f}×"
    if abs(value) >= 1e9:  # type: ignore[arg-type]
        return f"{value / 1e9:,.2f}bn"  # type: ignore[operator]
    if abs(value) >= 1e6:  # type: ignore[arg-type]
        return f"{value / 1e6:,.1f}m"  # type: ignore[operator]
    return f"{value:.4g}"


def band(name: str, stats: dict[str, object]) -> str:
    """``p50 (p5–p95)``, or ``missing`` when no draw has a value."""
    if stats.get("p50") is None:
        return "never, in any draw" if name == "japan_made_whole_on" else "missing"
    text = f"{number(name, stats['p50'])} ({number(name, stats['p5'])} – {number(name, stats['p95'])})"
    missing = float(stats.get("missing") or 0.0)  # type: ignore[arg-type]
    return text + (f", missing in {share(missing)}" if missing else "")


def deciding_text(result: ScenarioResult, c: CandidateScenario) -> str:
    """The rule failing in the most draws, with its share, or a dash."""
    if c.deciding_rule is None:
        return "—"
    return f"{c.deciding_rule} ({share(c.rules[c.deciding_rule]['fail'])} of draws)"


#: What a negotiator calls the finance fields and the cash-flow streams (the reports show the name too).
LABELS = {"japan_irr": "Japan's own IRR", "project_irr": "the project's IRR", "japan_multiple": "Japan's multiple",
          "japan_made_whole_on": "the date Japan is made whole", "us_share_of_cash": "the US share of the cash",
          "cashflows.invest": "every investment flow (capex)", "cashflows.cash": "every year's distributable cash"}


def label(name: str) -> str:
    """``Japan's own IRR`` for ``japan_irr``; the name itself when it has no label."""
    return LABELS.get(name, name)


def floor_number(name: str, value: object) -> str:
    """A floor as the rule reads it: rates to the basis point (5.25%, where the axis says 5.3%)."""
    if name in PERCENT_FIELDS and isinstance(value, float):
        return f"{value:.2%}"
    return number(name, value)


#: The finance field a report puts first (the terminal column, the HTML histogram), in order of preference.
HEADLINE_FIELDS = ("japan_irr", "project_irr")


def headline_field(result: ScenarioResult) -> str | None:
    """Japan's IRR when the pack computes finance fields; else the first finance field, or else
    the first varied number that a rule compares with a parameter (``irr`` against ``min_irr``)."""
    finance = list(result.run.get("finance_fields", []))  # type: ignore[call-overload]
    for name in HEADLINE_FIELDS:
        if name in finance:
            return name
    if finance:
        return finance[0]
    return next((name for c in result.candidates for name in c.floors), None)


def headline(result: ScenarioResult) -> str:
    run = result.run
    return (f"{run.get('spec_title') or 'Scenarios'}: {run['draws']:,} draws per candidate, seed {run['seed']}, "
            f"pack {run['pack']} {run['pack_version']}, as of {run['as_of']}")


def print_scenarios(result: ScenarioResult, console: Console) -> None:
    """The summary table on the terminal: verdict shares, the finance spread, the deciding rule."""
    console.print(f"[bold]{headline(result)}[/]", markup=True, highlight=False)
    for name, how in result.run.get("vary", {}).items():  # type: ignore[attr-defined, union-attr]
        console.print(f"  {name} {how['how']}", markup=False, highlight=False)
    table = Table(title="Share of draws by verdict")
    table.add_column("candidate", overflow="fold")
    table.add_column("as listed")
    for verdict in VERDICTS:
        table.add_column(verdict, justify="right", style=VERDICT_STYLE[verdict])
    focus = headline_field(result)
    finance = [focus] if focus in result.run.get("finance_fields", []) else []  # type: ignore[operator]
    for name in finance:
        table.add_column(f"{name} p50 (p5–p95)", overflow="fold")
    table.add_column("fails most often", overflow="fold")
    for c in result.candidates[:SHOWN_ROWS]:
        table.add_row(Text(c.id), Text(c.baseline, style=VERDICT_STYLE[c.baseline]),
                      *(share(c.verdicts[v]) for v in VERDICTS),
                      *(band(name, c.finance[name]) for name in finance), Text(deciding_text(result, c)))  # type: ignore[arg-type, index]
    if len(result.candidates) > SHOWN_ROWS:
        table.caption = f"first {SHOWN_ROWS} of {len(result.candidates)} candidates; all are in the written files"
    console.print(table)
    if result.portfolio is not None:
        console.print(portfolio_line(result), markup=False, highlight=False)


def portfolio_line(result: ScenarioResult) -> str:
    """The package in one sentence: the share of draws within limits and the rule failing most."""
    p = result.portfolio or {}
    v = p["verdicts"]
    rules = p["rules"]
    worst = max(rules, key=lambda r: rules[r]["fail"], default=None)  # type: ignore[call-overload, index]
    tail = f"; fails most often on {worst} ({share(rules[worst]['fail'])})" if worst and rules[worst]["fail"] else ""  # type: ignore[index]
    empty = float(p.get("empty_scope") or 0.0)  # type: ignore[arg-type]
    note = (f"no candidate is left in scope in {share(empty)} of draws (so no package remains to exceed a limit); "
            if empty else "")
    return (f"Package ({p['scope']} candidates): {note}within limits in {share(v['within_limits'])} of draws, over "  # type: ignore[index]
            f"limits in {share(v['over_limits'])}, incomplete in {share(v['incomplete'])}{tail}")  # type: ignore[index]


CSV_COLUMNS = ["candidate_id", "section", "name", "measure", "value"]


def scenarios_csv(result: ScenarioResult) -> str:
    """scenarios.csv, long form: one row per candidate and measure (easy to pivot)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in result.candidates:
        cid = neutralise(c.id)
        writer.writerow([cid, "verdict", "as_listed", "verdict", c.baseline])
        for verdict in VERDICTS:
            writer.writerow([cid, "verdict", verdict, "share", repr(c.verdicts[verdict])])
        for rule, shares in c.rules.items():
            for outcome in OUTCOME_NAMES:
                writer.writerow([cid, "rule", rule, outcome, repr(shares[outcome])])
        for section, stats in (("finance", c.finance), ("varied", c.varied)):
            for name, values in stats.items():
                for measure, value in values.items():
                    writer.writerow([cid, section, name, neutralise(measure), "" if value is None else repr(value)])
    if result.portfolio is not None:
        p = result.portfolio
        for verdict, value in p["verdicts"].items():  # type: ignore[attr-defined]
            writer.writerow(["*portfolio*", "verdict", verdict, "share", repr(value)])
        for rule, shares in p["rules"].items():  # type: ignore[attr-defined]
            for outcome, value in shares.items():
                writer.writerow(["*portfolio*", "rule", rule, outcome, repr(value)])
        for name, stats in p["aggregates"].items():  # type: ignore[attr-defined]
            for measure, value in stats.items():
                writer.writerow(["*portfolio*", "aggregate", neutralise(name), measure, "" if value is None else repr(value)])
    return buf.getvalue()


def scenarios_markdown(result: ScenarioResult) -> str:
    """scenarios.md: the brief to paste into an email."""
    run = result.run
    lines = [f"# {md_cell(run.get('spec_title') or 'Scenarios')}", "",
             f"{run['draws']:,} draws per candidate (seed {run['seed']}), pack `{run['pack']}` version "
             f"{md_cell(run['pack_version'])}, screening date {run['as_of']}, list {md_cell(run.get('candidates'))}.",
             "", "What varies:", ""]
    for name, how in run.get("vary", {}).items():  # type: ignore[attr-defined, union-attr]
        lines.append(f"- `{md_cell(name)}` {md_cell(how['how'])} — source: {md_cell(how.get('source') or 'not given')}")
    finance = list(run.get("finance_fields", []))  # type: ignore[arg-type, call-overload]
    lines += ["", "| Candidate | As listed | Eligible | Ineligible | Incomplete |"
              + "".join(f" {md_cell(f)} p50 (p5–p95) |" for f in finance) + " Fails most often |",
              "| --- | --- | ---: | ---: | ---: |" + " --- |" * len(finance) + " --- |"]
    for c in result.candidates:
        lines.append(f"| {md_cell(c.id)} | {c.baseline} | " + " | ".join(share(c.verdicts[v]) for v in VERDICTS) + " |"
                     + "".join(f" {md_cell(band(f, c.finance[f]))} |" for f in finance)  # type: ignore[arg-type]
                     + f" {md_cell(deciding_text(result, c))} |")
    lines.append("")
    if result.portfolio is not None:
        lines += [f"**{md_cell(portfolio_line(result))}.**", ""]
        for rule, s in result.portfolio["rules"].items():  # type: ignore[attr-defined]
            lines.append(f"- portfolio rule **{md_cell(rule)}**: passes in {share(s['pass'])}, fails in {share(s['fail'])}, "
                         f"missing in {share(s['missing'])} of draws")
        lines.append("")
    for c in result.candidates:
        failing = [(rule, s) for rule, s in c.rules.items() if s["fail"] > 0 or s["missing"] > 0]
        if not failing and not c.varied:
            continue
        lines += [f"## {md_cell(c.id)}", ""]
        for rule, s in failing:
            info = result.rule(rule)
            lines.append(f"- **{md_cell(rule)}** ({info.severity}): fails in {share(s['fail'])}, "
                         f"missing in {share(s['missing'])} of draws — {md_cell(info.title)}")
        for name, stats in c.varied.items():
            if "p50" in stats:
                lines.append(f"- `{md_cell(name)}` drawn: {md_cell(band(name, stats))}")  # type: ignore[arg-type]
            else:
                lines.append(f"- `{md_cell(name)}` drawn: " + ", ".join(f"{md_cell(k)} {share(v or 0.0)}"
                                                                      for k, v in stats.items() if v))
        lines.append("")
    return "\n".join(lines)
