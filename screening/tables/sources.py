"""Read a table's rows from a ``from:`` file: CSV (UTF-8, BOM tolerated) or XLSX.

The first row is the header: the table's input names, ``then``, and optionally ``note`` or
columns whose name starts with ``#`` (kept for people, ignored here). Every other non-empty row
is a table row. Each cell remembers where it is, so errors name it as a spreadsheet user would
look for it: ``tiers.csv row 4, column sector`` or ``tiers.xlsx!B7``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from screening.errors import Problem


@dataclass(frozen=True)
class CellPlace:
    """Where a cell (or a row, or a table) is written."""

    file: str
    line: int | None = None  # YAML files
    row: int | None = None  # CSV: the row as a spreadsheet shows it (header = 1)
    column: str | None = None  # an input name, ``then``, or a YAML key path

    def problem(self, message: str) -> Problem:
        return Problem(message, file=self.file, line=self.line, row=self.row, column=self.column)

    def __str__(self) -> str:
        from screening.errors import display_path
        where = display_path(self.file) + (f":{self.line}" if self.line else "")
        if self.row is not None:
            where += f" row {self.row}"
        return where


@dataclass(frozen=True)
class RawRow:
    """A table row as written: cell values by column, and where each is."""

    number: int  # 1-based among the table's rows
    cells: dict[str, object]
    places: dict[str, CellPlace]
    place: CellPlace  # the row as a whole


def read_table_file(path: Path, sheet: str | None) -> tuple[list[str], list[RawRow], list[Problem]]:
    """The header and rows of a table file, and any problem reading it (file-level)."""
    if not path.is_file():
        return [], [], [Problem("no such table file (from: is relative to the file that names it)", file=str(path))]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    return [], [], [Problem(f"a table file is .csv or .xlsx, not '{suffix or path.name}'", file=str(path))]


def _read_csv(path: Path) -> tuple[list[str], list[RawRow], list[Problem]]:
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [], [Problem(f"not UTF-8 text (byte {exc.start})", file=file)]
    lines = list(csv.reader(io.StringIO(text, newline="")))
    if not lines:
        return [], [], [Problem("the file is empty (no header row)", file=file)]
    header = [h.strip() for h in lines[0]]
    rows: list[RawRow] = []
    problems: list[Problem] = []
    for index, values in enumerate(lines[1:], start=2):
        if all(not v.strip() for v in values):
            continue
        if len(values) > len(header):
            problems.append(Problem(f"{len(values)} cells but the header has {len(header)} columns", file=file, row=index))
            continue
        cells: dict[str, object] = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        places = {h: CellPlace(file, row=index, column=h) for h in header}
        rows.append(RawRow(len(rows) + 1, cells, places, CellPlace(file, row=index)))  # type: ignore[arg-type]
    return header, rows, problems


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], list[RawRow], list[Problem]]:
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    file = str(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zipfile / openpyxl errors for a broken workbook
        return [], [], [Problem(f"cannot read XLSX: {exc}", file=file)]
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            return [], [], [Problem(f"no sheet '{sheet}' (sheets: {', '.join(wb.sheetnames)})", file=file)]
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        values = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not values:
        return [], [], [Problem("the sheet is empty (no header row)", file=file)]
    header = ["" if h is None else str(h).strip() for h in values[0]]
    rows: list[RawRow] = []
    for index, row in enumerate(values[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        row = row + [None] * (len(header) - len(row))
        cells = {h: (v.strip() if isinstance(v, str) else v) for h, v in zip(header, row)}
        places = {h: CellPlace(f"{file}!{get_column_letter(i + 1)}{index}", column=f"({h})") for i, h in enumerate(header)}
        rows.append(RawRow(len(rows) + 1, cells, places, CellPlace(f"{file}!A{index}")))
    return header, rows, []
