"""``screen run`` and ``screen explain``: screen a list, explain one candidate."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from screening.cli.common import (
    CASHFLOWS_HELP,
    DEFAULT_FORMATS,
    DEFAULT_OUT,
    _fail,
    _flow_values,
    _progress_bar,
    err,
    flow_fields,
    guarded,
    load,
    out,
    out_folder,
    parse_date,
    parse_formats,
)
from screening.errors import Problem


def run(
    candidates: Path = typer.Argument(..., help="Candidate list: CSV, XLSX, JSON, JSONL or Parquet."),
    rules: Path = typer.Option(..., "--rules", "-r", help="Rule pack folder."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date YYYY-MM-DD (default: today)."),
    out_dir: Path = typer.Option(Path(DEFAULT_OUT), "--out", callback=out_folder, help="Folder for the result files."),
    formats: str = typer.Option(DEFAULT_FORMATS, "--format", help="Comma-separated: json,csv,md,html,xlsx,parquet."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="Exit 1 if any candidate is ineligible (or incomplete)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX sheet (default: the first)."),
    engine: str = typer.Option("auto", "--engine", help="auto | durable | vector | reference | dask (a Parquet "
                                                       "file or dataset directory, on a Dask cluster)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="With --engine dask: the address of a running "
                                            "Dask scheduler (default: a local cluster, one worker per core)."),
    db: Optional[Path] = typer.Option(None, "--db", help="Approval-flow record: exposes stage, stage_since, deadline."),
    cashflows: Optional[Path] = typer.Option(None, "--cashflows", help=CASHFLOWS_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary line."),
    messages: bool = typer.Option(False, "--messages", help="Add each outcome's message to results.parquet."),
    strict_columns: bool = typer.Option(False, "--strict-columns",
                                        help="Refuse the list (exit 2) if a column looks like a misspelt field."),
    skip_bad_rows: bool = typer.Option(False, "--skip-bad-rows",
                                       help="Screen the valid rows; write the refused ones with reasons to "
                                            "rejected.csv and exit 1."),
    chunk_rows: int = typer.Option(100_000, "--chunk-rows", min=1,
                                   help="A CSV or Parquet list longer than this is read, decided and written "
                                        "this many rows at a time (formats json, csv, parquet)."),
) -> None:
    """Screen a candidate list and write results."""
    from screening.errors import MAX_PROBLEMS
    from screening.render import write_outputs
    from screening.render.terminal import print_warnings
    from screening.screen import screen_file

    date = parse_date(as_of, "--as-of")
    fmts = parse_formats(formats)
    if fail_on not in (None, "ineligible", "incomplete"):
        raise _fail([Problem(f"'{fail_on}' is not one of: ineligible, incomplete", column="--fail-on")])
    if engine not in ("auto", "durable", "vector", "reference", "dask"):
        raise _fail([Problem(f"'{engine}' is not one of: auto, durable, vector, reference, dask", column="--engine")])
    if scheduler is not None and engine != "dask":
        raise _fail([Problem("--scheduler needs --engine dask", column="--scheduler")])
    pack = load(rules)
    if engine == "dask":
        from screening.cli.run_dask import run_dask
        run_dask(candidates, rules, pack, date, out_dir=out_dir, formats=fmts, explicit_formats=formats != DEFAULT_FORMATS,
                 messages=messages, scheduler=scheduler, quiet=quiet, fail_on=fail_on,
                 whole_list_options={"--db": db, "--cashflows": cashflows, "--skip-bad-rows": skip_bad_rows,
                                     "--sheet": sheet})
        return
    flow_values = None
    if db is not None:
        flow_values = guarded(lambda: _flow_values(pack, db, date))
    from screening.stream import can_stream, screen_in_chunks
    if can_stream(candidates, fmts, engine, db=db, cashflows=cashflows, skip_bad_rows=skip_bad_rows):
        with _progress_bar(quiet) as progress:
            streamed = guarded(lambda: screen_in_chunks(candidates, pack, date, out_dir=out_dir, formats=fmts,
                                                        messages=messages, chunk_rows=chunk_rows,
                                                        strict_columns=strict_columns, progress=progress))
        if streamed is not None:
            _report(streamed, streamed.written, quiet, fail_on)
            return
    with _progress_bar(quiet) as progress:
        result = guarded(lambda: screen_file(candidates, pack, date, engine=engine, sheet=sheet,
                                             flow_values=flow_values, progress=progress,
                                             strict_columns=strict_columns, skip_bad_rows=skip_bad_rows,
                                             flow_fields=flow_fields(pack) if db is not None else (),
                                             cashflows=cashflows))
    print_warnings(result, err)
    for rejected in result.rejected[:MAX_PROBLEMS]:
        for problem in rejected.reasons:
            err.print(f"refused: {problem}", markup=False, highlight=False)
    _report(result, None, quiet, fail_on, lambda: write_outputs(result, out_dir, fmts, messages=messages))


def _report(result, written, quiet: bool, fail_on: str | None, write=None) -> None:  # noqa: ANN001
    """Print the summary, write the files (unless written already), and exit as ``--fail-on`` asks."""
    from screening.render.terminal import print_summary, print_warnings
    if written is not None:
        print_warnings(result, err)
    if quiet:
        s = result.summary
        out.print(f"{s['eligible']} eligible, {s['ineligible']} ineligible, {s['incomplete']} incomplete")
    else:
        print_summary(result, out)
    if written is None:
        written = write()
    out.print("wrote " + ", ".join(str(p) for p in written))
    s = result.summary
    if result.rejected:
        raise typer.Exit(1)
    if fail_on == "ineligible" and s["ineligible"]:
        raise typer.Exit(1)
    if fail_on == "incomplete" and (s["ineligible"] or s["incomplete"]):
        raise typer.Exit(1)


def explain(
    candidates: Path = typer.Argument(..., help="Candidate list."),
    rules: Path = typer.Option(..., "--rules", "-r", help="Rule pack folder."),
    candidate_id: str = typer.Option(..., "--id", help="The candidate to explain."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date (default: today)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX sheet (default: the first)."),
    engine: str = typer.Option("auto", "--engine", help="auto | durable | vector | reference."),
    db: Optional[Path] = typer.Option(None, "--db", help="Approval-flow record."),
    strict_columns: bool = typer.Option(False, "--strict-columns",
                                        help="Refuse the list (exit 2) if a column looks like a misspelt field."),
    cashflows: Optional[Path] = typer.Option(None, "--cashflows", help=CASHFLOWS_HELP),
) -> None:
    """One candidate, rule by rule: outcome, message, values read, source, fix; then its remedy
    (and, with a finance section, its yearly waterfall)."""
    from screening.render.terminal import print_candidate, print_warnings
    from screening.screen import screen_file

    date = parse_date(as_of, "--as-of")
    pack = load(rules)
    flow_values = guarded(lambda: _flow_values(pack, db, date)) if db is not None else None
    result = guarded(lambda: screen_file(candidates, pack, date, engine=engine, sheet=sheet, flow_values=flow_values,
                                         strict_columns=strict_columns, cashflows=cashflows,
                                         flow_fields=flow_fields(pack) if db is not None else ()))
    print_warnings(result, err)
    match = result.find(candidate_id)
    if match is None:
        ids = ", ".join(result.trace.ids[:20] if result.trace is not None else [c.id for c in result.candidates[:20]])
        raise _fail([Problem(f"no candidate with id '{candidate_id}' (ids: {ids})", file=str(candidates))])
    print_candidate(match, result, out)
