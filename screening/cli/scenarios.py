"""``screen scenarios``: every candidate under many random variations of its inputs (CONTRACT.md §12).

Helpers come from :mod:`screening.cli.common`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer

from screening.cli.common import DEFAULT_OUT, _fail, _flow_values, _progress_bar, guarded, out, out_folder, parse_date
from screening.errors import InputError, Problem

SCENARIO_FORMATS = ("json", "csv", "md", "html")


def _formats(text: str) -> list[str]:
    chosen = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in chosen if f not in SCENARIO_FORMATS]
    if bad:
        raise _fail([Problem(f"unknown format {', '.join(repr(b) for b in bad)}; choose from "
                             f"{', '.join(SCENARIO_FORMATS)}", column="--format")])
    return list(dict.fromkeys(["json", *chosen]))


def scenarios(
    candidates: Path = typer.Argument(..., help="Candidate list: CSV, XLSX, JSON, JSONL or Parquet."),
    rules: Path = typer.Option(..., "--rules", "-r", help="Rule pack folder."),
    spec: Path = typer.Option(..., "--spec", help="Scenario spec (YAML): draws, seed and what varies."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Draws per candidate (overrides the spec)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (overrides the spec)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date YYYY-MM-DD (default: today)."),
    cashflows: Optional[Path] = typer.Option(None, "--cashflows",
                                             help="Cash flows (candidate_id, date, invest, cash) for the pack's finance fields."),
    db: Optional[Path] = typer.Option(None, "--db", help="Approval-flow record: exposes stage, stage_since, deadline."),
    out_dir: Path = typer.Option(Path(DEFAULT_OUT), "--out", callback=out_folder, help="Folder for scenarios.json (and md/html/csv)."),
    formats: str = typer.Option("json", "--format", help="Comma-separated: json,csv,md,html (json is always written)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX sheet (default: the first)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the files written."),
) -> None:
    """How likely is each candidate to pass when its figures move? Shares of verdicts over random draws."""
    from screening.candidates import candidates_hash, read_candidates
    from screening.pack.load import load_pack
    from screening.render import write_atomically
    from screening.render.scenarios_out import print_scenarios, scenarios_csv, scenarios_markdown
    from screening.scenarios.result import render_scenarios_json
    from screening.scenarios.run import run_scenarios
    from screening.scenarios.spec import MAX_DRAWS, load_spec

    date = parse_date(as_of, "--as-of")
    fmts = _formats(formats)
    problems: list[Problem] = []
    if draws is not None and not 1 <= draws <= MAX_DRAWS:
        problems.append(Problem(f"{draws} draws: give 1 to {MAX_DRAWS:,}", column="--draws"))
    if seed is not None and not 0 <= seed < 2**63:
        problems.append(Problem(f"seed {seed}: give a whole number from 0 to 2**63 - 1", column="--seed"))
    pack = None
    try:
        pack = load_pack(rules)
    except InputError as exc:
        problems.extend(exc.problems)
    loaded = table = None
    try:
        loaded = load_spec(spec, pack)
    except InputError as exc:
        problems.extend(exc.problems)
    if pack is not None:
        try:
            table = read_candidates(candidates, pack.input_fields, sheet=sheet)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise _fail(problems)
    assert pack is not None and loaded is not None and table is not None
    resolved = guarded(lambda: pack.resolve(date))
    flow_values = guarded(lambda: _flow_values(pack, db, date)) if db is not None else None
    records = table.records()
    hook, fields, info = guarded(lambda: _finance(resolved, records, cashflows))
    with _progress_bar(quiet) as progress:
        result = run_scenarios(resolved, records, loaded, draws=draws, seed=seed, flow_values=flow_values,
                               finance=hook, finance_fields=fields,
                               run_info={"candidates": candidates.name, "candidates_hash": candidates_hash(candidates),
                                         **info},
                               progress=lambda done, total: progress("drawing and deciding", done, total))
    if not quiet:
        print_scenarios(result, out)
    renderers: dict[str, Callable[..., str]] = {"json": render_scenarios_json, "csv": scenarios_csv,
                                               "md": scenarios_markdown}
    if "html" in fmts:
        from screening.render.scenarios_html import scenarios_html
        renderers["html"] = scenarios_html
    files = {f"scenarios.{f}": renderers[f](result).encode("utf-8") for f in fmts}
    written = write_atomically(out_dir, files)
    out.print("wrote " + ", ".join(str(p) for p in written))


def _finance(resolved, records, cashflows: Path | None):  # noqa: ANN001, ANN202
    """The finance hook for a pack with a ``finance:`` section (None otherwise), its field names and
    run-header keys. The listed figures go through ``finance_frame`` first, so a profile or term the
    waterfall cannot use is refused with its message, as ``screen run`` refuses it."""
    pack = resolved.pack
    if getattr(pack, "finance", None) is None:
        if cashflows is not None:
            raise InputError([Problem(f"the pack '{pack.name}' has no 'finance:' section, so cash flows have no use: "
                                      "add one (CONTRACT §9) or leave out --cashflows", column="--cashflows")])
        return None, [], {}
    from screening.engines.vector import build_frame, with_derived_frame
    from screening.finance.compute import finance_frame
    from screening.finance.flows import read_cashflows
    from screening.scenarios.finance import DrawFinance

    ids = [str(r.get("id")) for r in records]
    flows = read_cashflows(cashflows, ids) if cashflows is not None else None
    rows = [{k: v for k, v in r.items() if k in pack.fields} | {"stage": None, "stage_since": None, "deadline": None}
            for r in records]
    finance_frame(resolved, with_derived_frame(resolved, build_frame(resolved, rows)), flows)
    info = {"cashflows": cashflows.name, "cashflows_hash": flows.digest} if flows is not None and cashflows else {}
    hook = DrawFinance(resolved, ids, flows)
    return hook, list(hook.fields), info
