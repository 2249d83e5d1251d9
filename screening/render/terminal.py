"""Rich tables for the terminal: the summary by verdict and by rule, and one candidate's rules."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from screening.outcomes import CandidateResult, RunResult
from screening.portfolio import PortfolioResult

VERDICT_STYLE = {"eligible": "green", "ineligible": "red", "incomplete": "yellow"}
PORTFOLIO_STYLE = {"within_limits": "green", "over_limits": "red", "incomplete": "yellow"}
OUTCOME_STYLE = {"pass": "green", "fail": "red", "missing": "yellow", "not_applicable": "dim"}


def print_summary(result: RunResult, console: Console) -> None:
    run = result.run
    console.print(f"[bold]{run.get('pack_title') or run['pack']}[/] ({run['pack']} {run['pack_version']}), "
                  f"as of {run['as_of']}, {len(result.candidates)} candidates, engine {run['engine']}")
    verdicts = Table(title="Candidates", show_lines=False)
    verdicts.add_column("candidate", overflow="fold")
    verdicts.add_column("verdict")
    verdicts.add_column("failed (blocking)", overflow="fold")
    verdicts.add_column("missing (blocking)", overflow="fold")
    shown = result.candidates[:50]
    for c in shown:
        failed = ", ".join(o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "fail")
        missing = ", ".join(o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "missing")
        verdicts.add_row(Text(c.id), Text(c.verdict, style=VERDICT_STYLE[c.verdict]), Text(failed or "—"), Text(missing or "—"))
    if len(result.candidates) > len(shown):
        verdicts.caption = f"first {len(shown)} of {len(result.candidates)} candidates; all are in the written files"
    console.print(verdicts)
    rules = Table(title="Rules")
    rules.add_column("rule")
    rules.add_column("severity")
    for name in ("pass", "fail", "missing", "not_applicable"):
        rules.add_column(name, justify="right", style=OUTCOME_STYLE[name])
    for rule, counts in result.rule_summary().items():
        severity = next(o.severity for o in result.candidates[0].outcomes if o.rule == rule)
        rules.add_row(rule, severity, *(str(counts[k]) for k in ("pass", "fail", "missing", "not_applicable")))
    console.print(rules)
    s = result.summary
    console.print(f"[green]{s['eligible']} eligible[/], [red]{s['ineligible']} ineligible[/], "
                  f"[yellow]{s['incomplete']} incomplete[/]")
    if result.portfolio is not None:
        print_portfolio(result.portfolio, console)


def print_portfolio(portfolio: PortfolioResult, console: Console) -> None:
    """The list as a whole (CONTRACT.md §10): each portfolio rule's outcome and message, then the verdict."""
    table = Table(title=f"Portfolio: {portfolio.candidates} candidates in scope ({portfolio.scope})", show_lines=True)
    table.add_column("rule", overflow="fold")
    table.add_column("outcome")
    table.add_column("message", overflow="fold", ratio=3)
    for o in portfolio.outcomes:
        table.add_row(Text(f"{o.rule}\n{o.severity}"), Text(o.outcome, style=OUTCOME_STYLE[o.outcome]), Text(o.message))
    console.print(table)
    console.print(f"Portfolio verdict: [{PORTFOLIO_STYLE[portfolio.verdict]}]{portfolio.verdict}[/]")


def print_candidate(candidate: CandidateResult, result: RunResult, console: Console) -> None:
    run = result.run
    console.print(f"[bold]{candidate.id}[/]: [{VERDICT_STYLE[candidate.verdict]}]{candidate.verdict}[/] "
                  f"under {run['pack']} {run['pack_version']} as of {run['as_of']}"
                  + (f" (row {candidate.row})" if candidate.row else ""))
    table = Table(show_lines=True)
    table.add_column("rule", overflow="fold")
    table.add_column("outcome")
    table.add_column("message", overflow="fold", ratio=3)
    table.add_column("values read", overflow="fold", ratio=2)
    table.add_column("source", overflow="fold", ratio=2)
    for o in candidate.outcomes:
        values = "\n".join(f"{k} = {_short(v)}" for k, v in o.values.items())
        message = o.message + (f"\nto pass: {o.fix.text}" if o.fix else "")
        table.add_row(Text(f"{o.rule}\n{o.severity}, {o.category}"), Text(o.outcome, style=OUTCOME_STYLE[o.outcome]),
                      Text(message), Text(values), Text(o.source))
    console.print(table)


def _short(value: object) -> str:
    if isinstance(value, dict) and "table" in value and "text" in value:  # a decision table: value, row, inputs
        return str(value["text"])
    text = "missing" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "..."
