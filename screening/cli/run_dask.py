"""``screen run --engine dask``: a Parquet list screened per partition on a Dask cluster (CONTRACT.md §11)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Mapping

import typer

from screening.cli.common import _fail, _progress_bar, err, guarded, out
from screening.errors import Problem


def run_dask(candidates: Path, rules: Path, pack, date: dt.date, *, out_dir: Path, formats: list[str],  # noqa: ANN001
             explicit_formats: bool, messages: bool, scheduler: str | None, quiet: bool, fail_on: str | None,
             whole_list_options: Mapping[str, object]) -> None:
    """Screen ``candidates`` on a cluster into ``OUT/results.parquet/``, print the counts, exit as ``--fail-on`` asks."""
    problems = [Problem(f"{option} is not available with --engine dask (it needs the whole list in one process)",
                        column=option) for option, value in whole_list_options.items() if value]
    if explicit_formats and formats != ["parquet"]:
        problems.append(Problem("--engine dask writes results.parquet only: use --format parquet", column="--format"))
    if problems:
        raise _fail(problems)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise _fail([Problem("--engine dask needs Dask: pip install 'screening[dask]'", column="--engine")]) from None
    from screening.engines.dask import connect, screen_on_dask
    from screening.render.terminal import print_counts

    client, cluster = guarded(lambda: _connect(connect, scheduler))
    try:
        with _progress_bar(quiet) as progress:
            done = guarded(lambda: screen_on_dask(candidates, rules, date, out_dir=out_dir, client=client,
                                                  messages=messages, progress=progress))
        version = __import__("dask").__version__
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    for warning in done.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    s = done.summary
    if quiet:
        out.print(f"{s['eligible']} eligible, {s['ineligible']} ineligible, {s['incomplete']} incomplete")
    else:
        out.print(f"[bold]{pack.title or pack.name}[/] ({pack.name} {pack.version}), as of {date.isoformat()}, "
                  f"{done.rows} candidates in {done.partitions} partitions, engine dask {version} "
                  f"({scheduler or 'local cluster'})")
        print_counts(done.rule_summary, {r.id: r.spec.severity.value for r in pack.rules}, s, done.portfolio, out)
    out.print(f"wrote {done.written}")
    if fail_on == "ineligible" and s["ineligible"]:
        raise typer.Exit(1)
    if fail_on == "incomplete" and (s["ineligible"] or s["incomplete"]):
        raise typer.Exit(1)


def _connect(connect, scheduler: str | None):  # noqa: ANN001, ANN202
    from screening.errors import InputError
    try:
        return connect(scheduler)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError([Problem(f"cannot reach the Dask scheduler at {scheduler}: {exc}", column="--scheduler")]) from None
