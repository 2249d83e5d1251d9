"""``screen compare`` and ``screen sweep``: reports for negotiators."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def _cli():  # noqa: ANN202 - the CLI module, imported late (it imports this one)
    from screening import cli
    return cli


def compare(
    candidates: Path = typer.Argument(..., help="Candidate list."),
    rules: List[Path] = typer.Option(..., "--rules", "-r", help="Two rule packs: --rules A --rules B."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date (default: today)."),
    out_dir: Path = typer.Option(Path("reports/out"), "--out", help="Folder for the report files."),
    formats: str = typer.Option("json,csv,md", "--format", help="Comma-separated: json,csv,md,html."),
    sheet: Optional[str] = typer.Option(None, "--sheet"),
    engine: str = typer.Option("auto", "--engine"),
) -> None:
    """The candidates whose verdict or outcomes differ between two packs, and why."""
    cli = _cli()
    from screening.compare import compare_runs
    from screening.render import write_atomically
    from screening.render.compare_out import (compare_csv, compare_html, compare_json, compare_markdown,
                                              print_comparison)
    from screening.screen import screen_file

    if len(rules) != 2:
        raise cli._fail([cli.Problem(f"give exactly two packs (--rules A --rules B), not {len(rules)}", column="--rules")])
    date = cli.parse_date(as_of, "--as-of")
    fmts = [f.strip() for f in formats.split(",") if f.strip()]
    bad = [f for f in fmts if f not in ("json", "csv", "md", "html")]
    if bad or not fmts:
        raise cli._fail([cli.Problem(f"unknown format {', '.join(bad)}; choose from json, csv, md, html", column="--format")])
    pack_a, pack_b = cli.load(rules[0]), cli.load(rules[1])
    run_a = cli.guarded(lambda: screen_file(candidates, pack_a, date, engine=engine, sheet=sheet))
    run_b = cli.guarded(lambda: screen_file(candidates, pack_b, date, engine=engine, sheet=sheet))
    comparison = compare_runs(run_a, run_b, pack_a.resolve(date), pack_b.resolve(date))
    print_comparison(comparison, cli.out)
    renderers = {"json": compare_json, "csv": compare_csv, "md": compare_markdown, "html": compare_html}
    files = {f"compare.{f}": renderers[f](comparison).encode("utf-8") for f in fmts}
    written = write_atomically(out_dir, files)
    cli.out.print("wrote " + ", ".join(str(p) for p in written))


def register(app: typer.Typer) -> None:
    """Add the report commands to the ``screen`` app."""
    app.command("compare")(compare)
    try:
        from screening.cli_sweep import sweep
        app.command("sweep")(sweep)
    except ImportError:  # pragma: no cover - sweep is optional until it lands
        pass
