"""``--skip-bad-rows``: screen the rows that read cleanly, and say which were refused and why.

By default one bad cell refuses the whole list (exit 2). With ``--skip-bad-rows`` the list is
typed as usual; every row a problem points at is set aside with its reasons and the rest are
typed again, until what is left reads cleanly. Problems with the header (a missing ``id``
column, a duplicated column) still refuse the list: no row could be read without guessing.

Row numbers mean the same in every message and file: the spreadsheet row for CSV and XLSX (the
header is row 1), the record number (1 = the first candidate) for JSON, JSON Lines and Parquet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from screening.candidates import CandidateTable, _read_raw, _type_table, read_candidates
from screening.errors import InputError, Problem
from screening.pack.model import FieldSpec

#: List formats whose candidates are numbered as records, not spreadsheet rows.
RECORD_FORMATS = (".json", ".jsonl", ".ndjson", ".parquet")


def row_unit(path: str | Path) -> str:
    """'row' (CSV, XLSX: as a spreadsheet shows it) or 'record' (JSON, JSON Lines, Parquet)."""
    return "record" if Path(path).suffix.lower() in RECORD_FORMATS else "row"


@dataclass(frozen=True)
class RejectedRow:
    """One refused row: where it is, its cells as read, and every reason."""

    row: int
    cells: dict[str, object]
    reasons: tuple[Problem, ...]


def read_good_rows(path: str | Path, fields: Mapping[str, FieldSpec], *,
                   sheet: str | None = None) -> tuple[CandidateTable, list[RejectedRow]]:
    """The clean rows as a table, and the refused rows with their reasons (in file order).

    Raises:
        InputError: for a file that cannot be read or a header that cannot be used.
    """
    try:
        return read_candidates(path, fields, sheet=sheet), []
    except InputError:
        pass
    p = Path(path)
    raw, rows = _read_raw(p, p.suffix.lower(), sheet)
    raw.columns = [str(c).strip() for c in raw.columns]
    _type_table(raw.iloc[0:0].copy(), [], fields, str(path))  # header problems refuse the list
    keep = list(range(len(raw)))
    reasons: dict[int, list[Problem]] = {}
    while True:
        try:
            table = _type_table(raw.iloc[keep].reset_index(drop=True), [rows[i] for i in keep], fields, str(path))
            break
        except InputError as exc:
            bad = {pr.row for pr in exc.problems if pr.row is not None}
            if not bad:
                raise
            for pr in exc.problems:
                if pr.row is not None:
                    reasons.setdefault(pr.row, []).append(pr)
            keep = [i for i in keep if rows[i] not in bad]
    by_row = {r: i for i, r in enumerate(rows)}
    rejected = [RejectedRow(r, {str(k): v for k, v in raw.iloc[by_row[r]].items()}, tuple(reasons[r]))
                for r in sorted(reasons)]
    return table, rejected


def render_rejected(rejected: Sequence[RejectedRow], unit: str) -> str:
    """rejected.csv: the row (or record) number, the reasons, then the row's cells as read."""
    columns = list(dict.fromkeys(k for r in rejected for k in r.cells))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([unit, "reasons", *columns])
    for r in rejected:
        reasons = "; ".join(f"column {p.column}: {p.message}" if p.column else p.message for p in r.reasons)
        w.writerow([r.row, _inert(reasons), *(_inert(_cell(r.cells.get(c))) for c in columns)])
    return buf.getvalue()


def _cell(value: object) -> str:
    return "" if value is None or value != value else str(value)  # NaN != NaN


def _inert(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
