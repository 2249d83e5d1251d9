"""``screen check``, ``screen test`` and ``screen schema``: for rule authors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from screening.cli.common import (
    guarded,
    load,
    out,
    parse_date,
)


def check(
    rules: Path = typer.Argument(..., help="Rule pack folder."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Also resolve parameters on this date."),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings (table overlaps and gaps) as errors (exit 2)."),
) -> None:
    """Load and validate a pack; print what it holds, and warn of decision-table overlaps and gaps."""
    from rich.table import Table

    pack = load(rules)
    date = parse_date(as_of, "--as-of")
    resolved = guarded(lambda: pack.resolve(date))
    out.print(f"[bold]{pack.title}[/] — pack {pack.name} version {pack.version}  [dim]{pack.hash}[/]")
    if len(pack.lineage) > 1:
        out.print("extends: " + " -> ".join(pack.lineage))
        _print_inheritance(pack)
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
    if pack.tables:
        _check_tables(resolved, strict)
    out.print("[green]ok[/]")


def _count(n: int, kind: str) -> str:
    return f"{n} {kind}{'' if n == 1 else 's'}"


def _print_inheritance(pack) -> None:  # noqa: ANN001 - RulePack
    """What the pack inherits unchanged, replaces, drops and adds; a note for each silent replacement."""
    inh = pack.inheritance
    order = ("rule", "portfolio rule", "field", "parameter", "table")
    kept = [_count(len(inh.inherited[k]), k) for k in order if inh.inherited.get(k)]
    out.print(f"inherits from {', '.join(inh.bases)}: " + ", ".join(kept + inh.also), highlight=False)
    replaced = [f"{k}{'s' if len(inh.replaced[k]) > 1 else ''} {', '.join(inh.replaced[k])}"
                for k in order if inh.replaced.get(k)]
    out.print("replaces: " + ("; ".join(replaced) if replaced else "nothing"), highlight=False)
    if inh.dropped:
        out.print(f"drops: rule{'s' if len(inh.dropped) > 1 else ''} {', '.join(inh.dropped)}", highlight=False)
    inherited = {*(r for k in ("rule", "portfolio rule") for r in [*inh.inherited.get(k, []), *inh.replaced.get(k, [])])}
    added = [r.id for r in [*pack.rules, *pack.portfolio_rules] if r.id not in inherited]
    if added:
        out.print(f"adds: {_count(len(added), 'rule')} ({', '.join(added)})", highlight=False)
    for note in pack.notes:
        out.print(f"[cyan]note:[/] {note}", highlight=False)


def _check_tables(resolved, strict: bool) -> None:  # noqa: ANN001 - ResolvedPack
    """List the decision tables; warn (or, with --strict, fail) on overlaps, gaps and dead rows."""
    from rich.table import Table

    from screening.errors import InputError, Problem
    from screening.tables.verify import verify_pack

    pack = resolved.pack
    listing = Table(title="Decision tables")
    for col in ("name", "hit", "inputs", "output", "rows", "else", "from"):
        listing.add_column(col, overflow="fold")
    for name, t in pack.tables.items():
        from screening.explain import show
        listing.add_row(name, t.hit, ", ".join(f"{k}: {v.text}" for k, v in t.inputs.items()), t.output,
                        str(len(t.rows)), "—" if t.else_value is None else show(t.else_value),
                        Path(t.source.file).name if t.source.file else "inline")
    out.print(listing)
    findings = verify_pack(resolved)
    if strict and findings:
        raise _fail_findings(InputError([Problem(f.text, file=pack.tables[f.table].place.file,
                                                 line=pack.tables[f.table].place.line) for f in findings]))
    for f in findings:
        out.print(f"[yellow]warning:[/] {f.text}", highlight=False)
    if not findings:
        out.print(f"tables verified: no overlaps under 'unique', no uncovered inputs ({len(pack.tables)} table{'s' if len(pack.tables) != 1 else ''})")


def _fail_findings(exc: "InputError") -> typer.Exit:  # type: ignore[name-defined]  # noqa: F821
    from screening.cli.common import _fail
    return _fail(exc, title="decision-table warnings under --strict")


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
