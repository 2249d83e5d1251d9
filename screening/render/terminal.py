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


def print_warnings(result: RunResult, console: Console) -> None:
    """Where stage dates came from (``--db``), then warnings about the list, one line each."""
    read = result.run.get("read_from_flow")
    if read:
        console.print(Text.assemble(("note: ", "bold"), f"{', '.join(read)} read from the approval-flow record "  # type: ignore[arg-type]
                                    "(--db), not from the list"))
    for warning in result.run.get("warnings") or ():  # type: ignore[attr-defined, union-attr]
        console.print(Text.assemble(("warning: ", "bold yellow"), str(warning)))


def print_summary(result: RunResult, console: Console) -> None:
    run = result.run
    console.print(f"[bold]{run.get('pack_title') or run['pack']}[/] ({run['pack']} {run['pack_version']}), "
                  f"as of {run['as_of']}, {result.count} candidates, engine {run['engine']}")
    verdicts = Table(title="Candidates", show_lines=False)
    verdicts.add_column("candidate", overflow="fold")
    if result.label:
        verdicts.add_column(result.label, overflow="fold")
    verdicts.add_column("verdict")
    verdicts.add_column("failed (blocking)", overflow="fold")
    verdicts.add_column("missing (blocking)", overflow="fold")
    shown = _first_rows(result, 50)
    names = result.labels(50)
    finance = result.finance
    if finance is not None:
        verdicts.add_column("project IRR", justify="right")
        verdicts.add_column("Japan IRR", justify="right")
        verdicts.add_column("Japan made whole", justify="right")
    for i, (cid, verdict, failed, missing) in enumerate(shown):
        named = [Text(names[i] if i < len(names) else "")] if result.label else []
        cells = [Text(cid), *named, Text(verdict, style=VERDICT_STYLE[verdict]), Text(", ".join(failed) or "—"),
                 Text(", ".join(missing) or "—")]
        if finance is not None:
            f = finance.fields_of(i)
            made = f.get("japan_made_whole_on")
            cells += [Text(_pct(f.get("project_irr"))), Text(_pct(f.get("japan_irr"))),
                      Text(made.isoformat() if made is not None else "never")]  # type: ignore[attr-defined]
        verdicts.add_row(*cells)
    if result.count > len(shown):
        verdicts.caption = f"first {len(shown)} of {result.count} candidates; all are in the written files"
    console.print(verdicts)
    print_counts(result.rule_summary(), _severities(result), result.summary, result.portfolio, console)


def print_counts(rule_summary: dict[str, dict[str, int]], severities: dict[str, str], summary: dict[str, int],
                 portfolio: PortfolioResult | None, console: Console) -> None:
    """The outcomes per rule, the verdict counts and the portfolio (also for a run on a Dask cluster)."""
    rules = Table(title="Rules")
    rules.add_column("rule")
    rules.add_column("severity")
    for name in ("pass", "fail", "missing", "not_applicable"):
        rules.add_column(name, justify="right", style=OUTCOME_STYLE[name])
    for rule, counts in rule_summary.items():
        rules.add_row(rule, severities[rule], *(str(counts[k]) for k in ("pass", "fail", "missing", "not_applicable")))
    console.print(rules)
    s = summary
    console.print(f"[green]{s['eligible']} eligible[/], [red]{s['ineligible']} ineligible[/], "
                  f"[yellow]{s['incomplete']} incomplete[/]")
    if portfolio is not None:
        print_portfolio(portfolio, console)


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


def _first_rows(result: RunResult, count: int) -> list[tuple[str, str, list[str], list[str]]]:
    """(id, verdict, failed blocking rules, missing blocking rules) of the first candidates, read from
    the outcome matrix when the run has one (no messages are built for a summary)."""
    if result.trace is None:
        return [(c.id, c.verdict,
                 [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "fail"],
                 [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "missing"])
                for c in result.candidates[:count]]
    from screening.trace import FAIL, MISSING, VERDICTS
    trace = result.trace
    rules = [(r.id, r.spec.severity.value == "blocking") for r in trace.rules]
    ids = trace.frame["id"].iloc[:count].tolist()
    out = []
    for i, codes in enumerate(trace.codes[:count].tolist()):
        out.append((str(ids[i]), VERDICTS[int(trace.verdicts[i])],
                    [rid for (rid, blocking), c in zip(rules, codes) if blocking and c == FAIL],
                    [rid for (rid, blocking), c in zip(rules, codes) if blocking and c == MISSING]))
    return out


def _severities(result: RunResult) -> dict[str, str]:
    if result.trace is not None:
        return {r.id: r.spec.severity.value for r in result.trace.rules}
    return {o.rule: o.severity for c in result.candidates[:1] for o in c.outcomes}


def print_candidate(candidate: CandidateResult, result: RunResult, console: Console) -> None:
    run = result.run
    name = candidate.inputs.get(result.label) if result.label else None
    console.print(f"[bold]{candidate.id}[/]" + (f" ({_escape(str(name))})" if name else "") + f": [{VERDICT_STYLE[candidate.verdict]}]{candidate.verdict}[/] "
                  f"under {run['pack']} {run['pack_version']} as of {run['as_of']}"
                  + (f" ({_unit(run)} {candidate.row})" if candidate.row else ""))
    table = Table(show_lines=True)
    table.add_column("rule", overflow="fold")
    table.add_column("outcome")
    table.add_column("message", overflow="fold", ratio=3)
    table.add_column("values read", overflow="fold", ratio=2)
    table.add_column("source", overflow="fold", ratio=2)
    from_flow = set(run.get("read_from_flow") or ())  # type: ignore[arg-type, call-overload]
    if from_flow:
        from_flow |= {"stage", "stage_since", "deadline"}
    for o in candidate.outcomes:
        values = "\n".join(f"{k} = {_short(v)}" + (" (flow record)" if k in from_flow else "")
                           for k, v in o.values.items())
        message = o.message + (f"\nto pass: {o.fix.text}" if o.fix else "")
        table.add_row(Text(f"{o.rule}\n{o.severity}, {o.category}"), Text(o.outcome, style=OUTCOME_STYLE[o.outcome]),
                      Text(message), Text(values), Text(o.source))
    console.print(table)
    if candidate.remedy is not None:
        lead = "To become eligible" if candidate.remedy.possible else "Cannot become eligible"
        console.print(Text.assemble((f"{lead}: ", "bold"), candidate.remedy.text))
    if candidate.finance is not None:
        print_waterfall(candidate, result, console)


def _escape(text: str) -> str:
    from rich.markup import escape
    return escape(text)


def _unit(run: dict) -> str:
    from screening.rejects import row_unit
    return row_unit(str(run.get("candidates") or ""))


def _short(value: object) -> str:
    from screening.explain import for_people
    text = for_people(value)
    return text if len(text) <= 80 else text[:77] + "..."


def print_waterfall(candidate: CandidateResult, result: RunResult, console: Console) -> None:
    """The finance fields and the yearly waterfall (date, invest, cash, Japan's share, balance)."""
    f = candidate.finance or {}
    made = f.get("japan_made_whole_on")
    console.print(f"[bold]Finance[/]: project IRR {_pct(f.get('project_irr'))}, Japan IRR {_pct(f.get('japan_irr'))}, "
                  f"Japan multiple {_num(f.get('japan_multiple'), 'x')}, made whole "
                  f"{made.isoformat() if made is not None else 'never (within the flows)'}, "  # type: ignore[attr-defined]
                  f"US share of cash {_pct(f.get('us_share_of_cash'))}")
    table_data = result.finance
    if table_data is None or candidate.id not in table_data.ids:
        return
    i = table_data.index(candidate.id)
    years = table_data.yearly(i)
    if not years:
        console.print(f"No cash flows for {candidate.id}: give --cashflows or the profile fields.")
        return
    source = {"cashflows": "the cash-flow file", "profile": "the profile fields"}.get(table_data.sources[i], "")
    table = Table(title=f"Yearly waterfall of {candidate.id} (flows from {source})")
    for col in ("date", "invest", "cash", "Japan's share", "Japan's balance"):
        table.add_column(col, justify="right")
    for y in years:
        table.add_row(y.date.isoformat() + (" *" if y.made_whole else ""), _money(y.invest), _money(y.cash),
                      _money(y.japan), _money(y.balance))
    if any(y.made_whole for y in years):
        table.caption = "* Japan made whole (recovery) in this year"
    console.print(table)


def _pct(value: object) -> str:
    return "missing" if value is None else f"{value:.2%}"  # type: ignore[str-format]


def _num(value: object, unit: str = "") -> str:
    return "missing" if value is None else f"{value:.3f}{unit}"  # type: ignore[str-format]


def _money(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
