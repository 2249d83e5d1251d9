"""Candidate lists (CONTRACT.md §4): CSV, XLSX, JSON, JSON Lines, Parquet -> a typed table.

Everything is read as text or raw values first (no dtype guessing: ``NA`` stays the string
"NA", ``00123`` keeps its zeros), then each declared column is parsed by its field type. Every
problem names file, row (as a spreadsheet shows it: the header is row 1) and column, and all
problems of a file are reported together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from screening.errors import MAX_PROBLEMS, InputError, Problem
from screening.guards import xlsx_problems
from screening.limits import MAX_CELL_CHARS, MAX_COLUMNS
from screening.pack.model import FieldSpec
from screening.typing_columns import typed_column

FORMATS = {".csv": "CSV", ".xlsx": "XLSX", ".json": "JSON", ".jsonl": "JSON Lines", ".ndjson": "JSON Lines",
           ".parquet": "Parquet"}
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_INTEGER = re.compile(r"^[-+]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}
DTYPES = {"string": pd.StringDtype(na_value=pd.NA), "number": "Float64", "integer": "Int64", "bool": "boolean",
          "date": object, "list": object}


@dataclass
class CandidateTable:
    """A typed candidate list.

    Attributes:
        frame: one row per candidate (index 0..n-1): declared input fields typed, then extra
            columns as strings.
        rows: the spreadsheet row (or JSON record / line number) of each candidate.
        source: the file it came from.
        declared: the pack's input field names.
        extra_columns: undeclared columns, kept and shown in reports.
    """

    frame: pd.DataFrame
    rows: list[int]
    source: str
    declared: list[str]
    extra_columns: list[str]
    _records: list[dict[str, object]] | None = None

    def records(self) -> list[dict[str, object]]:
        """Plain Python values per candidate; ``None`` is missing."""
        if self._records is None:
            self._records = _records(self.frame)
        return self._records

    @property
    def ids(self) -> list[str]:
        return [str(r["id"]) for r in self.records()]


def candidates_hash(path: str | Path) -> str:
    """``sha256:<hex>`` of the file's bytes (read a megabyte at a time)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def read_candidates(path: str | Path, fields: Mapping[str, FieldSpec], *, sheet: str | None = None) -> CandidateTable:
    """Read and type a candidate list.

    Args:
        path: the list; its extension picks the format.
        fields: the pack's input fields (not derived) by name.
        sheet: for XLSX, the sheet to read (default: the first).

    Raises:
        InputError: every problem in the file, each with row and column.
    """
    p = Path(path)
    file = str(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        raise InputError([Problem(f"unknown list format '{p.suffix or '(none)'}'; use one of "
                                  + ", ".join(sorted(FORMATS)), file=file)])
    if not p.is_file():
        raise InputError([Problem("no such file", file=file)])
    raw, rows = _read_raw(p, suffix, sheet)
    return _type_table(raw, rows, fields, file)


def table_from_records(records: Sequence[Mapping[str, object]], fields: Mapping[str, FieldSpec],
                       source: str = "<inline>") -> CandidateTable:
    """A table from mappings (e.g. a pack test's candidate), validated like a file."""
    columns: dict[str, None] = {}
    for r in records:
        for k in r:
            columns.setdefault(str(k), None)
    raw = pd.DataFrame([[r.get(c) for c in columns] for r in records], columns=list(columns), dtype=object)
    return _type_table(raw, list(range(1, len(records) + 1)), fields, source)


# --- reading --------------------------------------------------------------------------------

def _read_raw(p: Path, suffix: str, sheet: str | None) -> tuple[pd.DataFrame, list[int]]:
    file = str(p)
    if suffix == ".csv":
        try:
            text = p.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = p.read_bytes()[:exc.start].count(b"\n") + 1
            raise InputError([Problem(f"not UTF-8 text (byte {exc.start})", file=file, row=line)]) from None
        import csv
        import io
        csv.field_size_limit(MAX_CELL_CHARS)
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            lines = list(reader)
        except csv.Error as exc:
            why = f"a cell longer than the limit of {MAX_CELL_CHARS:,} characters" if "field larger" in str(exc) else exc
            raise InputError([Problem(f"malformed CSV: {why}", file=file, row=reader.line_num)]) from None
        numbered = [(n, ln) for n, ln in enumerate(lines, start=1) if ln and any(cell.strip() for cell in ln)]
        if not numbered:
            raise InputError([Problem("the file is empty (no header row)", file=file)])
        header, body = numbered[0][1], numbered[1:]
        if len(header) > MAX_COLUMNS:
            raise InputError([Problem(f"{len(header):,} columns is more than the limit of {MAX_COLUMNS:,}",
                                      file=file, row=numbered[0][0])])
        ragged = [Problem(f"malformed CSV: {len(row)} cells where the header has {len(header)}", file=file, row=n)
                  for n, row in body if len(row) != len(header)]
        if ragged:
            raise InputError(ragged[:MAX_PROBLEMS], total=len(ragged))
        frame = pd.DataFrame([row for _, row in body], columns=header, dtype=object)
        return frame, [n for n, _ in body]
    if suffix == ".xlsx":
        return _read_xlsx(p, sheet)
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(p, dtype_backend="pyarrow")
        except Exception as exc:  # pyarrow raises many types for a broken file
            raise InputError([Problem(f"cannot read Parquet: {exc}", file=file)]) from None
        objs = frame.astype(object).where(frame.notna(), None)
        return objs, list(range(1, len(frame) + 1))
    items: list[object] = []
    rows: list[int] = []
    data_bytes = p.read_bytes()
    try:
        text = data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data_bytes[:exc.start].count(b"\n") + 1
        raise InputError([Problem(f"not UTF-8 text (byte {exc.start})", file=file, line=line)]) from None
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError([Problem(f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                                      file=file, line=exc.lineno)]) from None
        except RecursionError:
            raise InputError([Problem("malformed JSON: nested too deeply", file=file)]) from None
        if not isinstance(data, list):
            raise InputError([Problem("a JSON list holds a list of objects, one per candidate", file=file)])
        items, rows = data, list(range(1, len(data) + 1))
    else:
        problems = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if len(line) > MAX_CELL_CHARS:
                problems.append(Problem(f"a line longer than the limit of {MAX_CELL_CHARS:,} characters",
                                        file=file, line=n))
                continue
            try:
                items.append(json.loads(line))
                rows.append(len(items))  # the record number, as for JSON and Parquet (the line may differ)
            except json.JSONDecodeError as exc:
                problems.append(Problem(f"malformed JSON: {exc.msg}", file=file, line=n))
            except RecursionError:
                problems.append(Problem("malformed JSON: nested too deeply", file=file, line=n))
        if problems:
            raise InputError(problems)
    bad = [Problem("not an object", file=file, row=r, unit="record") for r, it in zip(rows, items) if not isinstance(it, dict)]
    if bad:
        raise InputError(bad)
    columns: dict[str, None] = {}
    for it in items:
        for k in it:  # type: ignore[attr-defined, union-attr]
            columns.setdefault(k, None)
    if len(columns) > MAX_COLUMNS:
        raise InputError([Problem(f"{len(columns):,} distinct keys is more than the limit of {MAX_COLUMNS:,} columns",
                                  file=file)])
    frame = pd.DataFrame([[it.get(c) for c in columns] for it in items], columns=list(columns), dtype=object)  # type: ignore[attr-defined, union-attr]
    return frame, rows


def _read_xlsx(p: Path, sheet: str | None) -> tuple[pd.DataFrame, list[int]]:
    import openpyxl
    file = str(p)
    archive = xlsx_problems(p)  # sizes checked before anything is inflated
    if archive:
        raise InputError(archive)
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # zipfile / openpyxl errors for a broken workbook
        raise InputError([Problem(f"cannot read XLSX: {exc}", file=file)]) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError([Problem(f"no sheet '{sheet}' (sheets: {', '.join(wb.sheetnames)})", file=file)])
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        values = list(ws.iter_rows(values_only=True))
    except InputError:
        raise
    except Exception as exc:  # a malformed part inside a valid archive (openpyxl, defusedxml, zipfile errors)
        raise InputError([Problem(f"cannot read XLSX: {type(exc).__name__}: {exc}", file=file)]) from None
    finally:
        wb.close()
    if not values:
        raise InputError([Problem("the sheet is empty (no header row)", file=file)])
    header = ["" if h is None else str(h).strip() for h in values[0]]
    if len(header) > MAX_COLUMNS:
        raise InputError([Problem(f"{len(header):,} columns is more than the limit of {MAX_COLUMNS:,}", file=file, row=1)])
    body, rows = [], []
    for n, row in enumerate(values[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        body.append(list(row) + [None] * (len(header) - len(row)))
        rows.append(n)
    return pd.DataFrame(body, columns=header, dtype=object), rows


# --- typing ---------------------------------------------------------------------------------

_HEADER_MESSAGES = ("column '", "no 'id' column", "required column")


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []
        self.total = 0

    def add(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            unit = "record" if Path(self.file).suffix.lower() in (".json", ".jsonl", ".ndjson", ".parquet") else "row"
            if unit == "record" and row == 1 and message.startswith(_HEADER_MESSAGES):
                row = None  # a record list has no header row: a missing or derived column is the file's
            self.items.append(Problem(message, file=self.file, row=row, column=column, unit=unit))


def _type_table(raw: pd.DataFrame, rows: list[int], fields: Mapping[str, FieldSpec], file: str) -> CandidateTable:
    problems = _Problems(file)
    raw.columns = [str(c).strip() for c in raw.columns]
    seen: dict[str, int] = {}
    for c in raw.columns:
        seen[c] = seen.get(c, 0) + 1
    for c, k in seen.items():
        if k > 1:
            problems.add(f"column '{c}' appears {k} times in the header", row=1, column=c)
    if "id" not in raw.columns:
        problems.add("no 'id' column: every candidate needs an id", row=1, column="id")
    declared = [name for name, spec in fields.items() if spec.derive is None]
    derived = {name for name, spec in fields.items() if spec.derive is not None}
    for c in raw.columns:
        if c in derived:
            problems.add(f"column '{c}' is derived by the pack; remove it from the list", row=1, column=c)
    for name in declared:
        if fields[name].required and name not in raw.columns and name != "id":
            problems.add(f"required column '{name}' is absent", row=1, column=name)
    if problems.total:
        raise InputError(problems.items, total=problems.total)

    typed: dict[str, pd.Series] = {}
    id_spec = fields.get("id", FieldSpec(type="string", required=True))  # type: ignore[arg-type]
    for name in dict.fromkeys(["id", *declared]):
        spec = id_spec if name == "id" else fields[name]
        kind = spec.type.value
        if name in raw.columns:
            cells = raw[name].tolist()
            fast = typed_column(cells, spec)  # the whole column at once when every value is clean
            if fast is not None:
                typed[name] = fast
                continue
            values = [_parse(v, spec, name, r, problems) for v, r in zip(cells, rows)]
        else:
            values = [None] * len(raw)
        if name == "id":
            values = [None if v is None else str(v) for v in values]
        typed[name] = _series(values, kind)  # type: ignore[arg-type]
    ids = typed["id"].tolist()
    first: dict[str, int] = {}
    for value, r in zip(ids, rows):
        if value is pd.NA or value is None:
            problems.add("the id is empty", row=r, column="id")
        elif value in first:
            unit = "record" if Path(file).suffix.lower() in (".json", ".jsonl", ".ndjson", ".parquet") else "row"
            problems.add(f"duplicate id {value!r} (first at {unit} {first[value]})", row=r, column="id")
        else:
            first[value] = r
    extra = [c for c in raw.columns if c not in typed and c not in derived]
    for c in extra:
        typed[c] = _series([None if _blank(v) else _text(v) for v in raw[c].tolist()], "string")
    if problems.total:
        raise InputError(problems.items, total=problems.total)
    frame = pd.DataFrame(typed, index=pd.RangeIndex(len(raw)))
    return CandidateTable(frame=frame, rows=rows, source=file, declared=declared, extra_columns=extra)


def type_chunk(raw: pd.DataFrame, rows: list[int], fields: Mapping[str, FieldSpec], file: str) -> CandidateTable:
    """Type raw cells (some rows of a list read in chunks) exactly as a whole list is typed.

    Raises:
        InputError: every problem of these rows (duplicate ids only among them).
    """
    return _type_table(raw, rows, fields, file)


def _series(values: list[object], kind: str) -> pd.Series:
    if kind in ("date", "list"):
        return pd.Series(values, dtype=object)
    return pd.Series([pd.NA if v is None else v for v in values], dtype=DTYPES[kind])


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) or v is pd.NA


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return str(v).strip()


def _parse(v: object, spec: FieldSpec, column: str, row: int, problems: _Problems) -> object:
    if _blank(v):
        if spec.required:
            problems.add("a value is required", row=row, column=column)
        return None
    try:
        value = coerce_value(v, spec)
    except ValueError as exc:
        problems.add(str(exc), row=row, column=column)
        return None
    if spec.enum is not None and value not in spec.enum:
        problems.add(f"{value!r} is not one of: {', '.join(str(e) for e in spec.enum)}", row=row, column=column)
        return None
    if spec.min is not None and value < spec.min:  # type: ignore[operator]
        problems.add(f"{_text(v)!r} is below the minimum {spec.min}", row=row, column=column)
        return None
    if spec.max is not None and value > spec.max:  # type: ignore[operator]
        problems.add(f"{_text(v)!r} is above the maximum {spec.max}", row=row, column=column)
        return None
    return value


def coerce_value(raw: object, spec: FieldSpec) -> object:  # noqa: C901 - one branch per type
    """Parse one raw value (text from CSV, or a native JSON/XLSX/Parquet/YAML value) by its field type.

    Raises:
        ValueError: with a message naming the value, when it does not parse.
    """
    kind = spec.type.value
    if kind == "string":
        if isinstance(raw, bool) or isinstance(raw, (list, dict)):
            raise ValueError(f"{raw!r} is not text")
        return _text(raw)
    if kind in ("number", "integer"):
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a number")
        if isinstance(raw, (int, float)):
            value = float(raw)
        elif isinstance(raw, str) and _NUMBER.match(raw.strip()):
            value = float(raw.strip())
        else:
            raise ValueError(f"{_show(raw)} is not a {'number' if kind == 'number' else 'whole number'}")
        if not math.isfinite(value):
            raise ValueError(f"{_show(raw)} is not a finite number")
        if kind == "integer":
            if not value.is_integer():
                raise ValueError(f"{_show(raw)} is not a whole number")
            return int(value)
        return value
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, (int, float)) and raw in (0, 1):
            return bool(raw)
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{_show(raw)} is not true/false (also yes/no, 1/0)")
    if kind == "date":
        if isinstance(raw, dt.datetime):
            if raw.time() != dt.time(0):
                raise ValueError(f"{_show(raw)} is a date with a time of day")
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if hasattr(raw, "to_pydatetime"):
            return raw.to_pydatetime().date()  # type: ignore[attr-defined]
        text = str(raw).strip()
        if _DATE.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        raise ValueError(f"{_show(raw)} is not a date (YYYY-MM-DD)")
    if kind == "list":
        if isinstance(raw, (list, tuple)):
            items = [_text(x) for x in raw if not _blank(x)]
        else:
            items = [x.strip() for x in str(raw).split(";") if x.strip()]
        return tuple(items)
    raise ValueError(f"unknown field type {kind}")


def _show(raw: object) -> str:
    return repr(raw.strip()) if isinstance(raw, str) else repr(raw)


def column_values(frame: pd.DataFrame) -> dict[str, list[object]]:
    """Each column of a typed table as plain Python values (``None`` is missing)."""
    columns = {}
    for name in frame.columns:
        s = frame[name]
        if s.dtype == object:
            columns[name] = [None if v is None or v is pd.NA else v for v in s.tolist()]
        else:
            columns[name] = [None if v is pd.NA else v for v in s.astype(object).tolist()]
        if str(s.dtype) == "Float64":
            columns[name] = [None if v is None else float(v) for v in columns[name]]
        elif str(s.dtype) == "Int64":
            columns[name] = [None if v is None else int(v) for v in columns[name]]
        elif str(s.dtype) == "boolean":
            columns[name] = [None if v is None else bool(v) for v in columns[name]]
    return columns


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    columns = column_values(frame)
    names = list(frame.columns)
    return [dict(zip(names, values)) for values in zip(*(columns[n] for n in names))] if names else []
