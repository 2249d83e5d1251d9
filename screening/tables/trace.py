"""What explanations show of a table, and what the fix search needs from tables.

:func:`table_values` is the ``values`` entry of a table a rule read: its value (as the engine
used it), the deciding row(s) with their number, cells and place, the inputs, and why. The rows
come from :func:`~screening.tables.decide.decide_table`, the same function that computed the
value before the rules ran, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.pack.compiled import RulePack
from screening.tables.cells import Test
from screening.tables.compile import PackTable, TableRow
from screening.tables.decide import decide_table

Env = Mapping[str, object]


def _jsonable(value: object) -> object:
    from screening.explain import jsonable
    return jsonable(value)


def _show(value: object) -> str:
    from screening.explain import show
    return show(value)


def row_place(row: TableRow) -> str:
    """Where a row is written, independent of the working directory: ``tiers.csv row 4``, ``pack.yaml:30``."""
    place = row.place
    text = Path(place.file).name + (f":{place.line}" if place.line else "")
    return text + (f" row {place.row}" if place.row is not None else "")


def table_values(table: PackTable, env: Env) -> dict[str, object]:
    """The ``values`` entry of a table: value, deciding rows (number, cells, then, place), inputs, why."""
    hit = decide_table(table, env)
    inputs = {name: evaluate(node, env) for name, node in table.inputs.items()}
    rows = hit.rows or hit.unknown
    value = env.get(table.name, hit.value)
    shown_inputs = ", ".join(f"{k} {_show(v)}" for k, v in inputs.items())
    if hit.rows and not hit.conflict and not hit.unknown:
        decided = "; ".join(f"row {r.number} ({', '.join(f'{k} {c}' for k, c in r.shown().items())})" for r in hit.rows)
        text = f"{_show(value)} from table {table.name}, {decided}; inputs {shown_inputs}"
    else:
        text = f"{_show(value)} from table {table.name}: {hit.reason(table).split(': ', 1)[1]}; inputs {shown_inputs}"
    return {
        "table": table.name, "value": _jsonable(value), "hit": table.hit,
        "rows": [{"row": r.number, "cells": r.shown(), "then": _jsonable(r.then), "at": row_place(r)} for r in rows],
        "inputs": {k: _jsonable(v) for k, v in inputs.items()}, "why": hit.reason(table), "text": text,
    }


def table_text(table: PackTable) -> str:
    """A table in one line, as compared between packs: its policy, inputs, rows and else."""
    single = len(table.inputs) == 1
    rows = "; ".join((next(iter(r.shown().values())) if single else ", ".join(f"{k} {c}" for k, c in r.shown().items()))
                     + f" -> {_show(r.then)}" for r in table.rows)
    inputs = ", ".join(k if v.text == k else f"{k} = {v.text}" for k, v in table.inputs.items())
    tail = f"; else {_show(table.else_value)}" if table.else_value is not None else ""
    return f"table {table.hit} over {inputs}: {rows}{tail}"


def tables_reached(pack: RulePack, names: Iterable[str]) -> list[PackTable]:
    """Tables that ``names`` read, directly or through derived fields and other tables."""
    out: dict[str, PackTable] = {}
    stack = list(names)
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in pack.tables:
            out.setdefault(name, pack.tables[name])
        stack.extend(pack.derived_reads(name))
    return list(out.values())


def table_conditions(pack: RulePack, node: n.Node) -> list[n.Node]:
    """The row conditions of every table ``node`` reaches: where the fix search looks for crossings."""
    return [row.condition for table in tables_reached(pack, node.names()) for row in table.rows]


def table_text_values(pack: RulePack, field: str, constants: Env) -> list[object]:
    """Values the cells of tables name for a text field that is a table input as it is."""
    out: dict[object, None] = {}
    for table in pack.tables.values():
        for name, node in table.inputs.items():
            if not (isinstance(node, n.Name) and node.id == field):
                continue
            for row in table.rows:
                test: Test | None = row.cells[name].test
                while test is not None:
                    for bound in test.bounds:
                        value = evaluate(bound, constants)
                        for item in (value if isinstance(value, (tuple, dict)) else (value,)):
                            if isinstance(item, str):
                                out.setdefault(item, None)
                    test = test.inner
    return list(out)


def table_reads_rating(pack: RulePack, field: str) -> bool:
    """Whether a table input reads ``field`` through ``rating()``."""
    return any(isinstance(node, n.Call) and node.func == "rating" and field in node.names()
               for table in pack.tables.values() for expr in table.inputs.values() for node in expr.walk())
