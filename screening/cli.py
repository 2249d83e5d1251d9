"""The ``screen`` command (CONTRACT.md §5). Imports the library; the library never imports this.

Exit codes: 0 done; 1 done but what was checked did not hold; 2 invalid input.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Callable, List, Optional, TypeVar

import typer
from rich.console import Console

from screening.errors import InputError, Problem

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Screen candidate projects against declarative rule packs.")
out = Console(highlight=False, soft_wrap=False, width=None)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")

DEFAULT_OUT = "reports/out"
DEFAULT_FORMATS = "json,csv,md"


def _fail(problems: list[Problem] | InputError, title: str = "invalid input") -> "typer.Exit":
    exc = problems if isinstance(problems, InputError) else InputError(problems)
    err.print(f"[bold red]error:[/] {title} ({exc.count} problem{'s' if exc.count != 1 else ''})", highlight=False)
    for line in exc.render().splitlines():
        err.print(line, markup=False, highlight=False)
    return typer.Exit(2)


def guarded(func: Callable[[], T]) -> T:
    """Run ``func``; an InputError becomes the problem list on stderr and exit 2."""
    try:
        return func()
    except InputError as exc:
        raise _fail(exc) from None


def parse_date(text: str | None, option: str) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail([Problem(f"'{text}' is not a date (YYYY-MM-DD)", column=option)]) from None


def parse_formats(text: str) -> list[str]:
    from screening.render import FORMATS
    chosen = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise _fail([Problem(f"unknown format {', '.join(repr(b) for b in bad) or '(none)'}; choose from {', '.join(FORMATS)}",
                             column="--format")])
    return list(dict.fromkeys(chosen))


def load(path: Path):  # noqa: ANN201 - RulePack
    from screening.pack.load import load_pack
    return guarded(lambda: load_pack(path))


@app.command()
def run(
    candidates: Path = typer.Argument(..., help="Candidate list: CSV, XLSX, JSON, JSONL or Parquet."),
    rules: Path = typer.Option(..., "--rules", "-r", help="Rule pack folder."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date YYYY-MM-DD (default: today)."),
    out_dir: Path = typer.Option(Path(DEFAULT_OUT), "--out", help="Folder for the result files."),
    formats: str = typer.Option(DEFAULT_FORMATS, "--format", help="Comma-separated: json,csv,md,html,xlsx."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="Exit 1 if any candidate is ineligible (or incomplete)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX sheet (default: the first)."),
    engine: str = typer.Option("auto", "--engine", help="auto | durable | vector | reference."),
    db: Optional[Path] = typer.Option(None, "--db", help="Approval-flow record: exposes stage, stage_since, deadline."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary line."),
) -> None:
    """Screen a candidate list and write results."""
    from screening.render import write_outputs
    from screening.render.terminal import print_summary
    from screening.screen import screen_file

    date = parse_date(as_of, "--as-of")
    fmts = parse_formats(formats)
    if fail_on not in (None, "ineligible", "incomplete"):
        raise _fail([Problem(f"'{fail_on}' is not one of: ineligible, incomplete", column="--fail-on")])
    if engine not in ("auto", "durable", "vector", "reference"):
        raise _fail([Problem(f"'{engine}' is not one of: auto, durable, vector, reference", column="--engine")])
    pack = load(rules)
    flow_values = None
    if db is not None:
        flow_values = guarded(lambda: _flow_values(pack, db, date))
    with _progress_bar(quiet) as progress:
        result = guarded(lambda: screen_file(candidates, pack, date, engine=engine, sheet=sheet,
                                             flow_values=flow_values, progress=progress))
    if quiet:
        s = result.summary
        out.print(f"{s['eligible']} eligible, {s['ineligible']} ineligible, {s['incomplete']} incomplete")
    else:
        print_summary(result, out)
    written = write_outputs(result, out_dir, fmts)
    out.print("wrote " + ", ".join(str(p) for p in written))
    s = result.summary
    if fail_on == "ineligible" and s["ineligible"]:
        raise typer.Exit(1)
    if fail_on == "incomplete" and (s["ineligible"] or s["incomplete"]):
        raise typer.Exit(1)


#: Lists longer than this get a progress bar on an interactive terminal.
PROGRESS_MIN_ROWS = 3000


class _progress_bar:
    """A Rich progress bar, shown only for long lists on a terminal (never in CI logs or pipes)."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and err.is_terminal
        self.bar = None
        self.task = None

    def __enter__(self) -> Callable[[str, int, int], None]:
        return self.update

    def update(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or total < PROGRESS_MIN_ROWS:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        if self.bar is None:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(phase, total=total)
        self.bar.update(self.task, description=phase, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _flow_values(pack, db: Path, as_of: dt.date):  # noqa: ANN001, ANN202
    try:
        from screening.flow.store import stage_values
    except ImportError:
        raise InputError([Problem("the approval-flow record is not available in this build", column="--db")]) from None
    return stage_values(pack, db, as_of)


@app.command()
def check(
    rules: Path = typer.Argument(..., help="Rule pack folder."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Also resolve parameters on this date."),
) -> None:
    """Load and validate a pack; print what it holds."""
    from rich.table import Table

    pack = load(rules)
    date = parse_date(as_of, "--as-of")
    resolved = guarded(lambda: pack.resolve(date))
    out.print(f"[bold]{pack.title}[/] — pack {pack.name} version {pack.version}  [dim]{pack.hash}[/]")
    if len(pack.lineage) > 1:
        out.print("extends: " + " -> ".join(pack.lineage))
    derived = [n for n, f in pack.fields.items() if f.is_derived]
    out.print(f"{len(pack.fields)} fields ({len(derived)} derived), {len(pack.parameters)} parameters, "
              f"{len(pack.rules)} rules, {len(pack.tests)} tests" + (", an approval flow" if pack.flow else ""))
    table = Table(title="Rules")
    for col in ("id", "category", "severity", "title", "from"):
        table.add_column(col, overflow="fold")
    for r in pack.rules:
        table.add_row(r.id, r.spec.category.value, r.spec.severity.value, r.spec.title, r.origin)
    out.print(table)
    params = Table(title=f"Parameters in force on {date.isoformat()}")
    for col in ("name", "value", "since"):
        params.add_column(col, overflow="fold")
    from screening.explain import show
    for name, value in resolved.params.items():
        since = resolved.since[name]
        params.add_row(name, show(value), since.isoformat() if since else "—")
    out.print(params)
    out.print("[green]ok[/]")


@app.command("test")
def test_cmd(
    rules: Path = typer.Argument(..., help="Rule pack folder."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date for tests without their own as_of."),
    engine: str = typer.Option("durable", "--engine", help="durable | vector | reference."),
) -> None:
    """Run the tests inside a pack and report rule coverage."""
    from rich.table import Table

    from screening.packtests import run_pack_tests

    pack = load(rules)
    report = guarded(lambda: run_pack_tests(pack, default_as_of=parse_date(as_of, "--as-of"), engine=engine))
    for r in report.results:
        mark = "[green]PASS[/]" if r.ok else "[red]FAIL[/]"
        out.print(f"{mark} {r.name}  [dim]{r.test.place}[/]")
        for d in r.differences:
            out.print(f"     {d}", markup=False)
    table = Table(title="Rule coverage (outcomes asserted by tests)")
    table.add_column("rule")
    for name in ("pass", "fail", "missing", "not_applicable"):
        table.add_column(name, justify="center")
    for rule, got in report.coverage.items():
        table.add_row(rule, *("✔" if k in got else "·" for k in ("pass", "fail", "missing", "not_applicable")))
    out.print(table)
    both = sum(1 for got in report.coverage.values() if {"pass", "fail"} <= got)
    total = len(report.coverage)
    out.print(f"{len(report.results) - len(report.failed)} passed, {len(report.failed)} failed; "
              f"{both}/{total} rules covered for both pass and fail")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def explain(
    candidates: Path = typer.Argument(..., help="Candidate list."),
    rules: Path = typer.Option(..., "--rules", "-r", help="Rule pack folder."),
    candidate_id: str = typer.Option(..., "--id", help="The candidate to explain."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Screening date (default: today)."),
    sheet: Optional[str] = typer.Option(None, "--sheet"),
    engine: str = typer.Option("auto", "--engine"),
    db: Optional[Path] = typer.Option(None, "--db", help="Approval-flow record."),
) -> None:
    """One candidate, rule by rule: outcome, message, values read, source."""
    from screening.render.terminal import print_candidate
    from screening.screen import screen_file

    date = parse_date(as_of, "--as-of")
    pack = load(rules)
    flow_values = guarded(lambda: _flow_values(pack, db, date)) if db is not None else None
    result = guarded(lambda: screen_file(candidates, pack, date, engine=engine, sheet=sheet, flow_values=flow_values))
    match = [c for c in result.candidates if c.id == candidate_id]
    if not match:
        ids = ", ".join(c.id for c in result.candidates[:20])
        raise _fail([Problem(f"no candidate with id '{candidate_id}' (ids: {ids})", file=str(candidates))])
    print_candidate(match[0], result, out)


@app.command()
def schema(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of printing."),
) -> None:
    """Print the JSON Schema of a rule file, for editors."""
    from screening.pack.schema import rule_file_schema

    text = json.dumps(rule_file_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        from screening.render import write_atomically
        write_atomically(output.parent if str(output.parent) else Path("."), {output.name: text.encode()})


def _register_subcommands() -> None:
    """Sub-commands that live in their own modules (approval flow, negotiator reports)."""
    try:
        from screening.cli_flow import flow_app
        app.add_typer(flow_app, name="flow", help="The approval flow: record events, show status and history.")
    except ImportError:  # pragma: no cover - removed once the flow lands
        pass
    try:
        from screening.cli_reports import register as register_reports
        register_reports(app)
    except ImportError:  # pragma: no cover
        pass


_register_subcommands()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
