"""``screen compare`` and ``screen sweep``: reports for negotiators.

Helpers come from :mod:`screening.cli.common`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, List, Optional

import typer

from screening.cli.common import CASHFLOWS_HELP, _fail, guarded, load, out, out_folder, parse_date

DEFAULT_OUT = Path("reports/out")
COMPARE_FORMATS = ("json", "csv", "md", "html", "xlsx")
SWEEP_FORMATS = ("json", "csv", "md", "html")
ENGINES = ("auto", "durable", "vector", "reference")
#: Candidates listed in the terminal table (the written files hold them all).
SHOWN_ROWS = 50


def _formats(text: str, allowed: tuple[str, ...]) -> list[str]:
    from screening.errors import Problem

    chosen = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in chosen if f not in allowed]
    if bad or not chosen:
        raise _fail([Problem(f"unknown format {', '.join(repr(b) for b in bad) or '(none)'}; "
                             f"choose from {', '.join(allowed)}", column="--format")])
    return list(dict.fromkeys(chosen))


def compare(
    candidates: Path = typer.Argument(..., help="Candidate list: CSV, XLSX, JSON, JSONL or Parquet."),
    rules: List[Path] = typer.Option(..., "--rules", "-r", help="Two rule packs: --rules A --rules B."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date YYYY-MM-DD (default: today)."),
    out_dir: Path = typer.Option(DEFAULT_OUT, "--out", callback=out_folder, help="Folder for compare.{json,csv,md,html,xlsx}."),
    formats: str = typer.Option("json,csv,md", "--format", help="Comma-separated: json,csv,md,html,xlsx."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX sheet (default: the first)."),
    engine: str = typer.Option("auto", "--engine", help="auto | durable | vector | reference."),
    cashflows: Optional[Path] = typer.Option(None, "--cashflows", help=CASHFLOWS_HELP),
) -> None:
    """The candidates whose verdict or outcomes differ between two packs, and the rules and parameters behind it."""
    from screening.compare import compare_runs
    from screening.errors import Problem
    from screening.render import write_atomically
    from screening.render.compare_out import compare_csv, compare_html, compare_json, compare_markdown, print_comparison
    from screening.screen import screen_file

    if len(rules) != 2:
        raise _fail([Problem(f"give exactly two packs (--rules A --rules B), not {len(rules)}", column="--rules")])
    if engine not in ENGINES:
        raise _fail([Problem(f"'{engine}' is not one of: {', '.join(ENGINES)}", column="--engine")])
    date = parse_date(as_of, "--as-of")
    fmts = _formats(formats, COMPARE_FORMATS)
    pack_a, pack_b = load(rules[0]), load(rules[1])
    resolved_a, resolved_b = guarded(lambda: pack_a.resolve(date)), guarded(lambda: pack_b.resolve(date))
    run_a = guarded(lambda: screen_file(candidates, pack_a, date, engine=engine, sheet=sheet,
                                        cashflows=cashflows if pack_a.finance is not None else None))
    run_b = guarded(lambda: screen_file(candidates, pack_b, date, engine=engine, sheet=sheet,
                                        cashflows=cashflows if pack_b.finance is not None else None))
    comparison = compare_runs(run_a, run_b, resolved_a, resolved_b)
    print_comparison(comparison, out)
    renderers: dict[str, Callable[..., str]] = {"json": compare_json, "csv": compare_csv, "md": compare_markdown,
                                               "html": compare_html}
    files = {f"compare.{f}": renderers[f](comparison).encode("utf-8") for f in fmts if f != "xlsx"}
    if "xlsx" in fmts:
        from screening.render.compare_out import compare_xlsx
        files["compare.xlsx"] = compare_xlsx(comparison)
    written = write_atomically(out_dir, files)
    out.print("wrote " + ", ".join(str(p) for p in written))


def sweep(
    candidates: Path = typer.Argument(..., help="Candidate list."),
    rules: Path = typer.Option(..., "--rules", "-r", help="Rule pack folder."),
    param: str = typer.Option(..., "--param", help="A numeric parameter of the pack (e.g. min_irr)."),
    lo: float = typer.Option(..., "--from", help="Lowest value of the parameter."),
    hi: float = typer.Option(..., "--to", help="Highest value of the parameter."),
    steps: int = typer.Option(50, "--steps", help="Grid steps for the eligible counts (breakpoints are exact anyway)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date YYYY-MM-DD (default: today)."),
    out_dir: Path = typer.Option(DEFAULT_OUT, "--out", callback=out_folder, help="Folder for sweep.svg and sweep.{json,csv,md,html}."),
    formats: str = typer.Option("json", "--format",
                                help="Comma-separated: json,csv,md,html (sweep.svg is always written)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX sheet (default: the first)."),
    cashflows: Optional[Path] = typer.Option(None, "--cashflows", help=CASHFLOWS_HELP),
) -> None:
    """Where does each candidate's verdict change as PARAM goes from --from to --to?"""
    from rich.table import Table
    from rich.text import Text

    from screening.candidates import read_candidates
    from screening.errors import Problem
    from screening.finance.flows import read_cashflows
    from screening.render import write_atomically
    from screening.render.terminal import VERDICT_STYLE
    from screening.sweep import sweep as run_sweep
    from screening.sweep import sweep_chart, sweep_csv, sweep_html, sweep_markdown

    date = parse_date(as_of, "--as-of")
    fmts = _formats(formats, SWEEP_FORMATS)
    pack = load(rules)
    resolved = guarded(lambda: pack.resolve(date))
    table = guarded(lambda: read_candidates(candidates, pack.input_fields, sheet=sheet))
    rows = [{k: v for k, v in r.items() if k in pack.fields} | {"stage": None, "stage_since": None, "deadline": None}
            for r in table.records()]
    flows = guarded(lambda: read_cashflows(cashflows, table.ids)) if cashflows is not None else None
    if flows is not None and pack.finance is None:
        raise _fail([Problem(f"the pack '{pack.name}' has no 'finance:' section, so cash flows have no use",
                             column="--cashflows")])
    result = guarded(lambda: run_sweep(resolved, rows, param, lo, hi, steps,
                                       flows.by_candidate if flows is not None else None))
    shown = Table(title=f"Verdict breakpoints of {param} in [{lo:g}, {hi:g}] (in force: {result.in_force:g})")
    for col in ("candidate", f"at {lo:g}", "breakpoints"):
        shown.add_column(col, overflow="fold")
    ids = list(result.breakpoints)
    for cid in ids[:SHOWN_ROWS]:
        start = result.verdict_at_lo[cid]
        shown.add_row(Text(cid), Text(start, style=VERDICT_STYLE.get(start, "")), Text(result.summary_line(cid)))
    if len(ids) > SHOWN_ROWS:
        shown.caption = f"first {SHOWN_ROWS} of {len(ids)} candidates; all are in the written files"
    out.print(shown)
    if len(result.steps) <= SHOWN_ROWS // 4:
        out.print("eligible: " + ", ".join(f"{k} from {a:.6g} to {b:.6g}" for a, b, k in result.steps))
    else:
        out.print(f"eligible: {result.steps[0][2]} at {lo:g}, {result.steps[-1][2]} at {hi:g}, "
                  f"changing at {len(result.steps) - 1} breakpoints (see sweep.svg)")
    renderers: dict[str, Callable[..., str]] = {"json": lambda r: json.dumps(r.as_dict(), indent=2) + "\n",
                                               "csv": sweep_csv, "md": sweep_markdown, "html": sweep_html}
    files = {f"sweep.{f}": renderers[f](result).encode("utf-8") for f in fmts}
    files["sweep.svg"] = sweep_chart(result).encode("utf-8")
    written = write_atomically(out_dir, files)
    out.print("wrote " + ", ".join(str(p) for p in written))
