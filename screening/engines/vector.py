"""The vectorised backend: every rule over whole columns at once, with pandas nullable arrays.

A batch is a frame with one typed column per field (:func:`build_frame`); each rule's
``applies_if`` and ``require`` are evaluated over all rows together
(:mod:`screening.engines.vector_eval`) and turned into outcomes with a few array operations.
The semantics are the reference evaluator's, value for value: outcomes must be identical
(tests/test_vector_engine.py and tests/test_differential.py check that).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from screening.engines import OutcomeMatrix
from screening.engines.vector_columns import Col, Scalar, records, to_array, typed_column
from screening.engines.vector_eval import FrameEvaluator, evaluate_frame
from screening.pack.compiled import ResolvedPack
from screening.tables.columns import table_column

__all__ = ["VectorEngine", "build_frame", "decide_codes", "decide_frame", "evaluate_frame", "field_kinds", "frame_from_rows",
           "frame_records", "with_derived_frame"]

OUTCOMES = np.array(["pass", "fail", "missing", "not_applicable"], dtype=object)
_PASS, _FAIL, _MISSING, _NOT_APPLICABLE = range(4)


def field_kinds(resolved: ResolvedPack) -> dict[str, str]:
    """Pack field type of every name a row may hold: the pack's fields and the flow's built-ins."""
    kinds = resolved.pack.computed_names()  # flow built-ins, and finance fields with a finance section
    kinds.update({name: f.spec.type.value for name, f in resolved.pack.fields.items()})
    kinds.update({name: t.output for name, t in resolved.pack.tables.items()})  # decision tables
    return kinds


def build_frame(resolved: ResolvedPack, rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """A typed frame from plain rows: a column for every field of the pack and for the flow's
    built-in names (``stage``, ``stage_since``, ``deadline``); see :func:`frame_from_rows`."""
    return frame_from_rows(rows, field_kinds(resolved))


def frame_from_rows(rows: Sequence[Mapping[str, object]], kinds: Mapping[str, str]) -> pd.DataFrame:
    """A typed frame from plain rows (None or an absent key = missing).

    Args:
        rows: one mapping per candidate.
        kinds: the columns to make, by name, with their pack field type (``string``,
            ``number``, ``integer``, ``bool``, ``date``, ``list``). A column whose values are
            not of that type (a number in a string field) keeps the values as they are, in an
            object column, so they compare as the reference evaluator compares them.
    """
    length = len(rows)
    columns = {}
    for name, kind in kinds.items():
        values = [row.get(name) for row in rows]
        columns[name] = to_array(typed_column(values, kind), length)
    return pd.DataFrame(columns, index=pd.RangeIndex(length), copy=False)


def frame_records(resolved: ResolvedPack, frame: pd.DataFrame) -> list[dict[str, object]]:
    """The rows of a frame as plain values (the inverse of :func:`build_frame`)."""
    return records(frame, field_kinds(resolved))


def with_derived_frame(resolved: ResolvedPack, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the pack's derived fields and decision tables computed, in ``pack.derive_order``.

    The values equal :func:`screening.derive.with_derived`'s (an integer field that derives to a
    whole number is the same ``Float64`` value that function stores as ``int``).
    """
    pack = resolved.pack
    kinds = field_kinds(resolved)
    evaluator = FrameEvaluator(frame, resolved.constants(), kinds)
    derived = {}
    for name in pack.derive_order:
        if name in pack.tables:  # a decision table: numpy.select over its rows' masks
            vec = table_column(pack.tables[name], evaluator)
        else:
            vec = evaluator.evaluate(pack.fields[name].derive)  # type: ignore[arg-type]
        if isinstance(vec, Scalar) and vec.value is None:
            vec = typed_column([None] * len(frame), kinds[name])
        evaluator.add(name, vec)
        derived[name] = pd.Series(to_array(vec, len(frame)), index=frame.index, copy=False)
    return frame.assign(**derived)


def _parts(vec: Scalar | Col, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(true, unknown) of a condition, as plain numpy arrays."""
    if isinstance(vec, Scalar):
        return np.full(length, vec.value is True), np.full(length, vec.value is None)
    return vec.values & ~vec.mask, vec.mask


def decide_codes(resolved: ResolvedPack, frame: pd.DataFrame) -> np.ndarray:
    """Outcome code of every rule for every row: candidates × rules, ``int8``
    (0 pass, 1 fail, 2 missing, 3 not_applicable; see :mod:`screening.trace`).

    Args:
        resolved: the pack with its parameters fixed.
        frame: one row per candidate, derived fields included (see :func:`build_frame`;
            a column whose dtype does not match its field type is converted or read value by
            value).
    """
    length = len(frame)
    rules = resolved.pack.rules
    out = np.empty((length, len(rules)), dtype=np.int8)
    evaluator = FrameEvaluator(frame, resolved.constants(), field_kinds(resolved))
    for j, rule in enumerate(rules):
        holds, unknown = _parts(evaluator.truth(rule.require), length)
        codes = np.where(unknown, _MISSING, np.where(holds, _PASS, _FAIL))
        if rule.applies_if is not None:
            applies, applies_unknown = _parts(evaluator.truth(rule.applies_if), length)
            codes = np.where(applies_unknown, _MISSING, np.where(applies, codes, _NOT_APPLICABLE))
        out[:, j] = codes
    return out


def decide_frame(resolved: ResolvedPack, frame: pd.DataFrame) -> pd.DataFrame:
    """Outcome of every rule for every row, by name.

    Returns:
        One column per rule id (pack order), index of ``frame``, values ``pass``, ``fail``,
        ``missing`` or ``not_applicable`` (see :func:`decide_codes`).
    """
    codes = decide_codes(resolved, frame)
    out = {rule.id: OUTCOMES[codes[:, j]] for j, rule in enumerate(resolved.pack.rules)}
    return pd.DataFrame(out, index=frame.index, columns=[r.id for r in resolved.pack.rules], copy=False)


class VectorEngine:
    """Decides outcomes for a whole list at once with pandas and numpy."""

    name = "vector"

    def decide(self, resolved: ResolvedPack, rows: Sequence[dict[str, object]]) -> OutcomeMatrix:
        """Outcome of every rule (pack order) for every row (list order); see :class:`Engine`."""
        if not rows:
            return []
        table = decide_frame(resolved, build_frame(resolved, rows))
        return table.to_numpy(dtype=object).tolist()
