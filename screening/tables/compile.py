"""Compile a table spec (and its ``from:`` file) into a :class:`PackTable`: parsed, type-checked.

The loader calls :func:`read_table` once where a table is defined (reading its file) and
:func:`compile_table` in every pack that holds it (so a pack that extends another checks the
inherited table against its own fields and parameters). Problems are reported, never raised:
every cell of every table is checked in one pass.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from screening.errors import Problem
from screening.lang import nodes as n
from screening.lang.parse import ExpressionError, parse_expression
from screening.lang.types import BOOL, DATE, NUMBER, STRING, Type, TypeErrors, check_expression
from screening.pack.model import HitPolicy, TableSpec
from screening.tables.cells import Cell, CellError, cell_text, parse_cell
from screening.tables.sources import CellPlace, RawRow, read_table_file

Report = Callable[[Problem], None]
OUTPUT_TYPES: dict[str, Type] = {"number": NUMBER, "integer": NUMBER, "string": STRING, "bool": BOOL, "date": DATE}
_ANNOTATION = ("note",)


@dataclass
class TableRow:
    """A compiled row: its cells (one per input), the condition they make, and its value."""

    number: int
    cells: dict[str, Cell]
    condition: n.Node
    then: object
    place: CellPlace

    def shown(self) -> dict[str, str]:
        """The row's cells as written, input by input."""
        return {name: cell.text for name, cell in self.cells.items()}


@dataclass
class TableSource:
    """A table as written: its spec, where, and its raw rows (read from its file if ``from``)."""

    name: str
    spec: TableSpec
    place: CellPlace
    rows: list[RawRow]
    file: str | None = None  # the resolved ``from`` file
    header: list[str] = field(default_factory=list)


@dataclass
class PackTable:
    """A decision table ready to evaluate (see :mod:`screening.tables.decide`)."""

    name: str
    source: TableSource
    hit: str
    output: str
    inputs: dict[str, n.Node]
    input_types: dict[str, Type]
    rows: list[TableRow]
    else_value: object = None

    @property
    def spec(self) -> TableSpec:
        return self.source.spec

    @property
    def place(self) -> CellPlace:
        return self.source.place

    @property
    def type(self) -> Type:
        return OUTPUT_TYPES[self.output]

    def names(self) -> list[str]:
        """Names the table reads: its inputs' names, then the parameters its cells read."""
        seen: dict[str, None] = {}
        for node in self.inputs.values():
            for name in node.names():
                seen.setdefault(name, None)
        for row in self.rows:
            for cell in row.cells.values():
                for name in cell.node.names():
                    seen.setdefault(name, None)
        return list(seen)


def read_table(name: str, spec: TableSpec, doc_file: str, line_of: Callable[[tuple[object, ...]], int | None],
               report: Report) -> TableSource:
    """The table's raw rows: inline (with YAML lines) or from its file (with cell references)."""
    place = CellPlace(doc_file, line=line_of(("tables", name)), column=f"tables.{name}")
    if spec.rows is not None:
        rows = []
        for i, cells in enumerate(spec.rows):
            key = ("tables", name, "rows", i)
            places = {k: CellPlace(doc_file, line=line_of((*key, k)), column=f"tables.{name}.rows[{i}].{k}")
                      for k in cells}
            rows.append(RawRow(i + 1, dict(cells), places,
                               CellPlace(doc_file, line=line_of(key), column=f"tables.{name}.rows[{i}]")))
        return TableSource(name, spec, place, rows)
    path = Path(doc_file).parent / str(spec.from_)
    header, rows, problems = read_table_file(path, spec.sheet)
    for p in problems:
        report(p)
    return TableSource(name, spec, place, rows, file=str(path), header=header)


def compile_table(source: TableSource, scope: Mapping[str, Type], constants: set[str], report: Report) -> PackTable | None:
    """Parse and type-check every input, cell and value of a table; None if an input is unusable."""
    spec = source.spec
    ok = True
    inputs: dict[str, n.Node] = {}
    types: dict[str, Type] = {}
    for name, text in spec.inputs.items():
        where = CellPlace(source.place.file, source.place.line, column=f"tables.{source.name}.inputs.{name}")
        try:
            node = parse_expression(text)
            kind = check_expression(node, scope, want=None)
        except ExpressionError as exc:
            report(where.problem(exc.message))
            ok = False
            continue
        except TypeErrors as exc:
            for message, part in exc.problems:
                report(where.problem(f"{message}: `{part}`"))
            ok = False
            continue
        if kind.kind in ("list", "mapping"):
            report(where.problem(f"an input is a single value (number, text, yes/no or date), not a {kind}"))
            ok = False
        inputs[name], types[name] = node, kind
    output = spec.output.value
    hit = spec.hit.value
    if hit == HitPolicy.COLLECT_SUM.value and output not in ("number", "integer"):
        report(source.place.problem(f"collect_sum adds numbers; the output is {output}"))
        ok = False
    if hit in (HitPolicy.COLLECT_MIN.value, HitPolicy.COLLECT_MAX.value) and output not in ("number", "integer", "date"):
        report(source.place.problem(f"{hit} orders numbers or dates; the output is {output}"))
        ok = False
    if source.file is not None:
        ok &= _check_header(source, report)
    else_value = None
    if spec.else_ is not None:
        try:
            else_value = typed_value(spec.else_, output)
        except ValueError as exc:
            report(CellPlace(source.place.file, source.place.line, column=f"tables.{source.name}.else").problem(str(exc)))
    if not ok:
        return None
    rows = []
    for raw in source.rows:
        row = _compile_row(source, raw, inputs, types, output, scope, constants, report)
        if row is not None:
            rows.append(row)
    if not source.rows:
        report(source.place.problem("the table has no rows"))
    return PackTable(source.name, source, hit, output, inputs, types, rows, else_value)


def _check_header(source: TableSource, report: Report) -> bool:
    file = str(source.file)
    allowed = [*source.spec.inputs, "then"]
    ok = True
    for h in source.header:
        if h in allowed or h in _ANNOTATION or h.startswith("#"):
            continue
        if not h:
            continue  # a column without a name: its cells are checked row by row
        close = difflib.get_close_matches(h, allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (columns: {', '.join(allowed)}, note, #…)"
        report(Problem(f"unknown column '{h}'{hint}", file=file, row=1, column=h))
        ok = False
    for name in allowed:
        if name not in source.header:
            report(Problem(f"no column '{name}' (the header names the inputs and 'then')", file=file, row=1))
            ok = False
    return ok


def _compile_row(source: TableSource, raw: RawRow, inputs: Mapping[str, n.Node], types: Mapping[str, Type],
                 output: str, scope: Mapping[str, Type], constants: set[str], report: Report) -> TableRow | None:
    ok = True
    cells: dict[str, Cell] = {}
    for key, value in raw.cells.items():
        if key in inputs or key == "then" or key in _ANNOTATION or key.startswith("#"):
            continue
        if key == "" and (value is None or value == ""):
            continue
        where = raw.places.get(key, raw.place)
        close = difflib.get_close_matches(key, list(inputs) + ["then"], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (inputs: {', '.join(inputs)}; and then)"
        report(where.problem(f"'{key}' is not an input of table {source.name}{hint}" if key else
                             f"a value {cell_text(value)!r} under a column with no name"))
        ok = False
    for name, subject in inputs.items():
        raw_cell = raw.cells.get(name, "-")
        try:
            cells[name] = parse_cell(raw_cell, subject, types[name], scope, constants)
        except CellError as exc:
            report(raw.places.get(name, raw.place).problem(f"cell {cell_text(raw_cell)!r}: {exc}"))
            ok = False
    then = None
    if "then" not in raw.cells or raw.cells["then"] is None or raw.cells["then"] == "":
        report(raw.places.get("then", raw.place).problem("the row has no 'then' value"))
        ok = False
    else:
        try:
            then = typed_value(raw.cells["then"], output)
        except ValueError as exc:
            report(raw.places.get("then", raw.place).problem(str(exc)))
            ok = False
    if not ok:
        return None
    parts = tuple(c.node for c in cells.values() if c.test.kind != "any")
    text = ", ".join(f"{k}: {c.text}" for k, c in cells.items())
    condition: n.Node = n.BoolOp("and", parts, text=text) if len(parts) > 1 else \
        (parts[0] if parts else n.Const(True, text=text or "-"))
    return TableRow(raw.number, cells, condition, then, raw.place)


_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


def typed_value(value: object, output: str) -> object:
    """A ``then`` or ``else`` value as the output type holds it (text from a file is converted).

    Raises:
        ValueError: naming the value and the type.
    """
    shown = cell_text(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        if output == "string":
            return text
        try:
            if output == "number":
                number = float(text)
                return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
            if output == "integer":
                return int(text)
            if output == "date":
                return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{shown!r} is not {_WORDS[output]}") from None
        if output == "bool" and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"{shown!r} is not {_WORDS[output]}")
    if output == "bool" and isinstance(value, bool):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{shown!r} is not {_WORDS[output]}")
    if output == "number" and isinstance(value, (int, float)):
        return value
    if output == "integer" and isinstance(value, int):
        return value
    if output == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)  # a spreadsheet's 2.0
    if output == "date" and isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    raise ValueError(f"{shown!r} is not {_WORDS[output]}")


_WORDS = {"number": "a number", "integer": "an integer", "string": "text", "bool": "true or false",
          "date": "a date (YYYY-MM-DD)"}
