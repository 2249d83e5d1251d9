"""What every ``screen`` sub-command shares: consoles, error handling, option parsing, pack loading.

Sub-command modules import this one; none imports another sub-command module or the package
``__init__`` (which only assembles the app). Exit codes: 0 done; 1 done but what was checked did
not hold; 2 invalid input.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable, TypeVar

import typer
from rich.console import Console

from screening.errors import InputError, Problem

out = Console(highlight=False, soft_wrap=False, width=None)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")

DEFAULT_OUT = "reports/out"
DEFAULT_FORMATS = "json,csv,md"
CASHFLOWS_HELP = ("Cash flows (CSV, XLSX, JSONL or Parquet: candidate_id, date, invest, cash) for the pack's "
                  "finance section; candidates not in it use their profile fields.")


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


def out_folder(path: Path) -> Path:
    """``--out``: refused up front (exit 2) when it, or a folder on its way, is an existing file."""
    for place in (path, *path.parents):
        if place.exists():
            if not place.is_dir():
                what = "is a file" if place == path else f"cannot be made: {place} is a file"
                raise _fail([Problem(f"output folder {path} {what}; give a folder with --out", column="--out")])
            break
    return path


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
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),  # type: ignore[assignment]
                                TimeElapsedColumn(), console=err, transient=True)
            self.bar.start()  # type: ignore[attr-defined]
            self.task = self.bar.add_task(phase, total=total)  # type: ignore[attr-defined]
        self.bar.update(self.task, description=phase, completed=done)  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def flow_fields(pack) -> list[str]:  # noqa: ANN001
    """The date fields ``--db`` supplies from the flow record (``selected_on``, ``funded_on``…)."""
    from screening.flow.store import flow_date_fields
    return flow_date_fields(pack)


def _flow_values(pack, db: Path, as_of: dt.date):  # noqa: ANN001, ANN202
    try:
        from screening.flow.store import stage_values
    except ImportError:
        raise InputError([Problem("the approval-flow record is not available in this build", column="--db")]) from None
    return stage_values(pack, db, as_of)
