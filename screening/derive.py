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
            row[name] = derived_value(resolved, name, {**row, **constants})
        out.append(row)
    return out


def derived_value(resolved: ResolvedPack, name: str, env: dict[str, object]) -> object:
    """One derived field's or decision table's value in ``env`` (which holds what it reads)."""
    pack = resolved.pack
    if name in pack.tables:  # a decision table: a derived value like any other
        return table_value(pack.tables[name], env)
    field = pack.fields[name]
    value = evaluate(field.derive, env)  # type: ignore[arg-type]
    if value is not None and field.spec.type.value == "integer" and isinstance(value, float):
        value = int(value) if value.is_integer() else value
    return value


def downstream(resolved: ResolvedPack, field: str) -> list[str]:
    """The derived fields and tables whose value depends on ``field``, in ``derive_order``."""
    pack = resolved.pack
    cache = pack.__dict__.setdefault("_downstream", {})
    if field not in cache:
        moved = {field}
        out = []
        for name in pack.derive_order:
            if any(x in moved for x in pack.derived_reads(name)):
                moved.add(name)
                out.append(name)
        cache[field] = out
    return cache[field]  # type: ignore[no-any-return]
