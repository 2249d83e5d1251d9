"""``screen sweep``: verdict breakpoints of every candidate as one parameter moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def sweep(
    candidates: Path = typer.Argument(..., help="Candidate list."),
    rules: Path = typer.Option(..., "--rules", "-r", help="Rule pack."),
    param: str = typer.Option(..., "--param", help="A numeric parameter of the pack."),
    lo: float = typer.Option(..., "--from", help="Lowest value."),
    hi: float = typer.Option(..., "--to", help="Highest value."),
    steps: int = typer.Option(50, "--steps", help="Grid steps for the chart."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date (default: today)."),
    out_dir: Path = typer.Option(Path("reports/out"), "--out", help="Folder for sweep.json and sweep.svg."),
    sheet: Optional[str] = typer.Option(None, "--sheet"),
) -> None:
    """Where does each candidate's verdict change as PARAM goes from --from to --to?"""
    from screening import cli
    from rich.table import Table

    from screening.candidates import read_candidates
    from screening.render import write_atomically
    from screening.sweep import sweep as run_sweep
    from screening.sweep import sweep_chart

    date = cli.parse_date(as_of, "--as-of")
    pack = cli.load(rules)
    resolved = cli.guarded(lambda: pack.resolve(date))
    table = cli.guarded(lambda: read_candidates(candidates, pack.input_fields, sheet=sheet))
    rows = [{k: v for k, v in r.items() if k in pack.fields} | {"stage": None, "stage_since": None, "deadline": None}
            for r in table.records()]
    result = cli.guarded(lambda: run_sweep(resolved, rows, param, lo, hi, steps))
    out = Table(title=f"Verdict breakpoints of {param} in [{lo:g}, {hi:g}] (in force: {resolved.params[param]})")
    for col in ("candidate", f"at {lo:g}", "breakpoints"):
        out.add_column(col, overflow="fold")
    for cid, bps in result.breakpoints.items():
        text = "; ".join(f"{b.below} below {b.value:.6g}, {b.at} at it, {b.above} above ({', '.join(b.rules)})"
                         for b in bps) or "none: the verdict does not change"
        out.add_row(cid, result.verdict_at_lo[cid], text)
    cli.out.print(out)
    files = {"sweep.json": (json.dumps(result.as_dict(), indent=2) + "\n").encode(),
             "sweep.svg": sweep_chart(result).encode()}
    written = write_atomically(out_dir, files)
    cli.out.print("wrote " + ", ".join(str(p) for p in written))
