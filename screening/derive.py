"""Derived fields and decision tables: computed per candidate, in dependency order, before any rule runs."""

from __future__ import annotations

from typing import Sequence

from screening.lang.evaluate import evaluate
from screening.pack.compiled import ResolvedPack
from screening.tables.decide import table_value


def with_derived(resolved: ResolvedPack, records: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """Each record with the pack's derived fields added (missing where an input is missing).

    Integer fields that derive to a whole float are stored as int, so every backend sees the
    same value.
    """
    pack = resolved.pack
    constants = resolved.constants()
    out = []
    for record in records:
        row = dict(record)
        for name in pack.derive_order:
            if name in pack.tables:  # a decision table: a derived value like any other
                row[name] = table_value(pack.tables[name], {**row, **constants})
                continue
            field = pack.fields[name]
            value = evaluate(field.derive, {**row, **constants})  # type: ignore[arg-type]
            if value is not None and field.spec.type.value == "integer" and isinstance(value, float):
                value = int(value) if value.is_integer() else value
            row[name] = value
        out.append(row)
    return out
