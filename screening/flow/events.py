"""Read approval-flow events (CSV or JSON Lines): event_id, candidate_id, event, date, by [, note]."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path

from screening.errors import MAX_PROBLEMS, InputError, Problem
from screening.limits import MAX_CELL_CHARS

REQUIRED = ("event_id", "candidate_id", "event", "date", "by")
COLUMNS = REQUIRED + ("note",)


@dataclass(frozen=True)
class Event:
    """One recorded step of a candidate through the flow."""

    event_id: str
    candidate_id: str
    event: str
    date: dt.date
    by: str
    note: str
    row: int

    def content(self) -> tuple[str, str, str, str, str]:
        """What makes two events with one id the same event (the row it came from does not)."""
        return (self.candidate_id, self.event, self.date.isoformat(), self.by, self.note)


def read_events(path: str | Path) -> list[Event]:
    """Read and check an events file; every problem names the row and column."""
    p = Path(path)
    file = str(path)
    if not p.is_file():
        raise InputError([Problem("no such file", file=file)])
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError([Problem(f"not UTF-8 text (byte {exc.start})", file=file, line=line)]) from None
    raw: list[tuple[int, dict[str, object]]] = []
    problems: list[Problem] = []
    if p.suffix.lower() == ".csv":
        csv.field_size_limit(MAX_CELL_CHARS)
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            records = list(reader)
        except csv.Error as exc:
            raise InputError([Problem(f"malformed CSV: {exc}", file=file, row=reader.line_num)]) from None
        if not records:
            raise InputError([Problem("the file is empty (no header row)", file=file)])
        header = [h.strip() for h in records[0]]
        for n, rec in enumerate(records[1:], start=2):
            if not any(c.strip() for c in rec):
                continue
            if len(rec) != len(header):
                problems.append(Problem(f"{len(rec)} cells where the header has {len(header)}", file=file, row=n))
                continue
            raw.append((n, dict(zip(header, rec))))
    elif p.suffix.lower() in (".jsonl", ".ndjson"):
        header = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(f"malformed JSON: {exc.msg}", file=file, line=n))
                continue
            except RecursionError:
                problems.append(Problem("malformed JSON: nested too deeply", file=file, line=n))
                continue
            if not isinstance(obj, dict):
                problems.append(Problem("not an object", file=file, line=n))
                continue
            raw.append((n, obj))
            header.extend(k for k in obj if k not in header)
    else:
        raise InputError([Problem(f"unknown events format '{p.suffix}'; use .csv or .jsonl", file=file)])
    for col in REQUIRED:
        if col not in header:
            problems.append(Problem(f"no '{col}' column", file=file, row=1, column=col))
    for col in header:
        if col not in COLUMNS:
            problems.append(Problem(f"unknown column '{col}' (columns: {', '.join(COLUMNS)})", file=file, row=1, column=col))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS], total=len(problems))
    events = []
    for n, rec in raw:
        values = {k: ("" if rec.get(k) is None else str(rec.get(k)).strip()) for k in COLUMNS}
        bad = False
        for col in REQUIRED:
            if not values[col]:
                problems.append(Problem("a value is required", file=file, row=n, column=col))
                bad = True
        try:
            date = dt.date.fromisoformat(values["date"]) if values["date"] else None
        except ValueError:
            problems.append(Problem(f"{values['date']!r} is not a date (YYYY-MM-DD)", file=file, row=n, column="date"))
            bad = True
        if not bad and date is not None:
            events.append(Event(values["event_id"], values["candidate_id"], values["event"], date, values["by"],
                                values["note"], n))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS], total=len(problems))
    return events
