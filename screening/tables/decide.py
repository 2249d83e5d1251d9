"""The reference semantics of a decision table, one candidate at a time (CONTRACT.md §13).

Each row's condition is evaluated with the language's own three-valued :func:`truth`:

* ``first``: rows in order; the first that holds decides; a row that is *unknown* before any
  row holds makes the value missing (it could have decided).
* ``unique``: the one row that holds decides; two or more rows holding is missing (the hit
  names them); any unknown row is missing too (it could be a second match, or the only one).
* ``collect_sum`` / ``collect_min`` / ``collect_max``: the ``then`` of every row that holds,
  added (in row order) or ordered; any unknown row makes the value missing.

No row holding gives ``else`` (missing without one). Every other evaluator of tables must agree
with this one (tests/test_tables_differential.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from screening.lang.evaluate import truth
from screening.tables.compile import PackTable, TableRow


@dataclass(frozen=True)
class TableHit:
    """A table's value for one candidate, and why.

    Attributes:
        value: the value (None = missing).
        rows: the rows that decided it (the matching rows; two or more under ``unique`` is a
            conflict and the value is missing).
        unknown: rows whose condition was unknown and left the value missing.
        used_else: no row matched and ``else`` (or missing) applied.
    """

    value: object
    rows: tuple[TableRow, ...] = ()
    unknown: tuple[TableRow, ...] = ()
    used_else: bool = False

    @property
    def conflict(self) -> bool:
        return len(self.rows) > 1 and self.value is None

    def reason(self, table: PackTable) -> str:
        """One sentence: which row decided, or why the value is missing."""
        if self.conflict:
            numbers = ", ".join(str(r.number) for r in self.rows[:-1]) + f" and {self.rows[-1].number}"
            return f"table {table.name}: rows {numbers} all match under 'unique', so its value is missing"
        if self.unknown:
            first = self.unknown[0]
            cells = ", ".join(f"{k} {c}" for k, c in first.shown().items())
            return f"table {table.name}: row {first.number} ({cells}) cannot be decided for want of an input"
        if self.used_else:
            return f"table {table.name}: no row matches; " + ("else applies" if self.value is not None else "no else")
        numbers = ", ".join(str(r.number) for r in self.rows)
        return f"table {table.name}: " + (f"rows {numbers} match" if len(self.rows) > 1 else f"row {numbers} matches")


def decide_table(table: PackTable, env: Mapping[str, object]) -> TableHit:
    """The table's value for the candidate whose values (and the parameters) are ``env``."""
    matched: list[TableRow] = []
    unknown: list[TableRow] = []
    for row in table.rows:
        holds = truth(row.condition, env)
        if table.hit == "first":
            if holds is None:
                return TableHit(None, unknown=(row,))
            if holds:
                return TableHit(row.then, rows=(row,))
            continue
        if holds is None:
            unknown.append(row)
        elif holds:
            matched.append(row)
    if table.hit == "unique" and len(matched) > 1:
        return TableHit(None, rows=tuple(matched), unknown=tuple(unknown))
    if unknown:
        return TableHit(None, rows=tuple(matched), unknown=tuple(unknown))
    if not matched:
        return TableHit(table.else_value, used_else=True)
    values = [r.then for r in matched]
    if table.hit in ("unique", "first"):
        value = values[0]
    elif table.hit == "collect_sum":
        value = sum(values)  # type: ignore[arg-type]
    elif table.hit == "collect_min":
        value = min(values)  # type: ignore[type-var]
    else:
        value = max(values)  # type: ignore[type-var]
    return TableHit(value, rows=tuple(matched))


def table_value(table: PackTable, env: Mapping[str, object]) -> object:
    """Just the value (None = missing); an ``integer`` table's whole number is an ``int``."""
    value = decide_table(table, env).value
    if table.output == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value
