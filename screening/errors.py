"""Errors in the user's inputs (rule packs, candidate lists, events, arguments).

Every problem carries a place (file, line or row, column) and a message. Problems are
collected and raised together as one :class:`InputError`, which the CLI turns into exit 2.
Defects in the library are ordinary exceptions and never an ``InputError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: At most this many problems are listed; the rest are counted.
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, and where it is.

    Attributes:
        message: what is wrong, in words a rule author or analyst can act on.
        file: the file it is in, if any.
        line: 1-based line in a text file (rule packs, events).
        row: 1-based row as a spreadsheet shows it (candidate lists; the header is row 1).
        column: column (candidate lists) or key path (rule packs), if any.
        unit: what ``row`` counts: ``row`` (CSV, XLSX: as a spreadsheet shows it) or ``record``
            (JSON, JSON Lines, Parquet: 1 = the first candidate).
    """

    message: str
    file: str | None = None
    line: int | None = None
    row: int | None = None
    column: str | None = None
    unit: str = "row"

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(display_path(self.file) + (f":{self.line}" if self.line is not None else ""))
        if self.row is not None:
            parts.append(f"{self.unit} {self.row}" + (f", column {self.column}" if self.column else ""))
        elif self.column:
            parts.append(self.column)
        place = " ".join(parts)
        return f"{place}: {self.message}" if place else self.message


def display_path(path: str | Path) -> str:
    """Show a path relative to the working directory when it lies under it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def ordered(problems: list[Problem]) -> list[Problem]:
    """Problems sorted by file, then line or row (stable), each cell of a list reported once."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for p in sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.row or 0)):
        if p.row is not None and p.column is not None:
            cell = (p.file, p.row, p.column)
            if cell in seen:
                continue
            seen.add(cell)
        out.append(p)
    return out


@dataclass
class InputError(Exception):
    """Invalid input: one or more problems, reported together (CLI exit code 2)."""

    problems: list[Problem] = field(default_factory=list)
    total: int | None = None

    def __post_init__(self) -> None:
        self.problems = ordered(self.problems)
        super().__init__(self.render())

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.problems)

    def render(self) -> str:
        shown = self.problems[:MAX_PROBLEMS]
        lines = [str(p) for p in shown]
        rest = self.count - len(shown)
        if rest > 0:
            lines.append(f"... and {rest} more problem{'s' if rest != 1 else ''}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class ProblemCollector:
    """Gathers problems so that one run reports all of them at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, message: str, **place: object) -> None:
        self.problems.append(Problem(message, **place))  # type: ignore[arg-type]

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(list(self.problems))
