"""A decision table over whole columns: the vector backend's twin of :mod:`screening.tables.decide`.

Every row's condition is evaluated once over all candidates by the frame evaluator (the
language's own column semantics), giving a *holds* and an *unknown* mask per row. The hit
policy is then a few array operations — ``numpy.select`` over the row masks for ``first`` and
``unique``, an ordered fold for the ``collect_*`` policies — with exactly the reference's rules
for missing values (tests/test_tables_differential.py checks value for value).
"""

from __future__ import annotations

import numpy as np

from screening.engines.vector_columns import Col, Scalar, Vec, broadcast
from screening.engines.vector_eval import FrameEvaluator
from screening.tables.compile import PackTable

_KIND = {"number": "number", "integer": "number", "string": "string", "bool": "bool", "date": "date"}


def _masks(vec: Vec, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(holds, unknown) of a condition."""
    if isinstance(vec, Scalar):
        return np.full(length, vec.value is True), np.full(length, vec.value is None)
    return vec.values & ~vec.mask, vec.mask.copy()


def table_column(table: PackTable, evaluator: FrameEvaluator) -> Vec:
    """The table's value for every row of the evaluator's frame (a typed column, mask = missing)."""
    length = evaluator.length
    kind = _KIND[table.output]
    thens = [broadcast(Scalar(row.then), kind, length) for row in table.rows]
    fallback = broadcast(Scalar(table.else_value), kind, length)
    holds, unknown = [], []
    for row in table.rows:
        h, u = _masks(evaluator.truth(row.condition), length)
        holds.append(h)
        unknown.append(u)
    if not table.rows:
        return fallback
    if table.hit == "first":
        # the first row that holds or is unknown decides: its value, or missing if unknown
        conditions = [c for h, u in zip(holds, unknown) for c in (u, h)]
        values = np.select(conditions, [v for t in thens for v in (t.values, t.values)], default=fallback.values)
        masks = np.select(conditions, [m for t in thens for m in (np.ones(length, dtype=bool), t.mask)],
                          default=fallback.mask)
        return Col(kind, values, masks)
    any_unknown = np.logical_or.reduce(unknown)
    count = np.add.reduce([h.astype(np.int64) for h in holds])
    none = count == 0
    if table.hit == "unique":
        values = np.select(holds, [t.values for t in thens], default=fallback.values)
        mask = any_unknown | (count > 1) | (none & fallback.mask)
        return Col(kind, values, mask)
    acc = np.zeros(length, dtype=thens[0].values.dtype)
    seen = np.zeros(length, dtype=bool)
    for h, t in zip(holds, thens):
        if table.hit == "collect_sum":
            acc = np.where(h, acc + t.values, acc)
        else:
            better = t.values < acc if table.hit == "collect_min" else t.values > acc
            acc = np.where(h & (~seen | better), t.values, acc)
        seen |= h
    values = np.where(none, fallback.values, acc)
    return Col(kind, values, any_unknown | (none & fallback.mask))
